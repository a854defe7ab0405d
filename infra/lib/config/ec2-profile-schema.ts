import { canaryAnalysisProfileSchema, checkCanaryAnalysis } from './canary-analysis-schema';
import { z } from 'zod';
import { EC2_HEALTHY_HOST_UNITS, EC2_PREDEFINED_HOSTS, ec2Split } from '@ias/targets';

/** Whether `name` is lowercase DNS labels (letters, digits, hyphens; 1-63 each) joined by dots. */
function isDnsName(name: string): boolean {
  return name.length <= 253 && name.split('.').every((label) => /^[a-z0-9-]{1,63}$/.test(label));
}

/**
 * How many instances CodeDeploy updates (in place) or gives traffic (blue/green) at a time: one of its
 * predefined configurations, or a custom minimum of instances that must stay healthy.
 */
const hostsSchema = z.union([
  z.enum(EC2_PREDEFINED_HOSTS),
  z
    .object({
      minimumHealthyHosts: z
        .object({
          type: z.enum(EC2_HEALTHY_HOST_UNITS),
          value: z.number().int().min(0).max(100),
        })
        .strict()
        .refine((m) => m.type === 'HOST_COUNT' || (m.value >= 1 && m.value <= 99), {
          message: 'a FLEET_PERCENT minimum must be 1 to 99 (100 % would never let an instance be updated)',
          path: ['value'],
        }),
    })
    .strict(),
]);

/** In place or blue/green (seed 001), with the hosts setting; blue/green also says when blue goes. */
const deploymentSchema = z.discriminatedUnion('style', [
  z.object({ style: z.literal('in-place'), hosts: hostsSchema }).strict(),
  z
    .object({
      style: z.literal('blue-green'),
      hosts: hostsSchema,
      /** Minutes the blue fleet keeps running after the switch (CodeDeploy allows up to 2880), then terminated. */
      terminateBlueAfterMinutes: z.number().int().min(0).max(2880),
    })
    .strict(),
]);

/**
 * The environment's EC2 applications (seed 001): an Auto Scaling group of Graviton instances on
 * Amazon Linux 2023 behind an Application Load Balancer, deployed by CodeDeploy's agent. `enabled:
 * false` holds none of them.
 */
export const ec2ProfileSchema = z
  .object({
    enabled: z.boolean(),
    /** A Graviton (ARM64) instance type: the AMI is Amazon Linux 2023 for arm64. */
    instanceType: z
      .string()
      .regex(
        /^[a-z]+[0-9]+[a-z]*g[a-z]*\.[a-z0-9]+$/,
        'must be a Graviton (ARM64) instance type such as t4g.small or m7g.large: the AMI is Amazon Linux 2023 arm64',
      ),
    /**
     * The Auto Scaling group's range: it starts at `min` (CloudFormation waits for that many
     * signals), and scaling moves it up to `max`; `max` above `min` leaves room for CloudFormation's
     * rolling replacement to keep `min` in service.
     */
    capacity: z
      .object({
        min: z.number().int().min(1).max(50),
        max: z.number().int().min(2).max(100),
      })
      .strict()
      .refine((c) => c.min < c.max, {
        message: 'max must be above min (a rolling replacement launches one instance beyond min)',
        path: ['max'],
      }),
    /** Target tracking: the group's average CPU, and requests per target through the load balancer. */
    scaling: z
      .object({
        cpuTargetPercent: z.number().int().min(10).max(90),
        requestsPerTarget: z.number().int().min(1).max(100_000),
      })
      .strict(),
    deployment: deploymentSchema,
    /**
     * The Route 53 weighted alternative: a weighted alias record `recordName` in the hosted zone that
     * points at this fleet's load balancer with `weight`, beside other records of the same name (another
     * fleet's) that take the rest. @default - no record
     */
    route53: z
      .object({
        hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,32}$/, 'must be a Route 53 hosted zone ID (Z…)'),
        zoneName: z
          .string()
          .refine((n) => isDnsName(n) && n.includes('.'), 'must be a DNS zone name such as example.com'),
        recordName: z.string().refine(isDnsName, 'must be a DNS name within the zone, such as api'),
        weight: z.number().int().min(0).max(255),
      })
      .strict()
      .optional(),
    /** The application's alarms: any one stops a deployment and rolls it back, and notifies. */
    alarms: z
      .object({
        /** Unhealthy instances in the target group (any minute). */
        unhealthyHosts: z.number().int().min(1),
        /** 5xx answers of the instances in 5 minutes. */
        target5xxPer5Minutes: z.number().int().min(1),
        /** The instances' p99 response time, milliseconds. */
        p99LatencyMs: z.number().int().min(1),
      })
      .strict(),
    /** Whether the canary judge decides this kind's deployments here, and how (README "Canary analysis"). */
    canaryAnalysis: canaryAnalysisProfileSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    checkCanaryAnalysis(p.canaryAnalysis, ec2Split(p.deployment), ctx);
    const { hosts } = p.deployment;
    if (
      p.deployment.style === 'in-place' &&
      typeof hosts === 'object' &&
      hosts.minimumHealthyHosts.type === 'HOST_COUNT' &&
      hosts.minimumHealthyHosts.value >= p.capacity.min
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['deployment', 'hosts', 'minimumHealthyHosts', 'value'],
        message: `must be below capacity.min (${p.capacity.min}): an in-place deployment takes instances out one at a time at least, so ${hosts.minimumHealthyHosts.value} healthy hosts of ${p.capacity.min} would never let one be updated`,
      });
    }
  });

/** The validated EC2 section of a profile. */
export type Ec2Profile = z.output<typeof ec2ProfileSchema>;

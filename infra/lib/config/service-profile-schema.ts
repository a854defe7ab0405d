import { canaryAnalysisProfileSchema, checkCanaryAnalysis } from './canary-analysis-schema';
import {
  canaryGateDeadlineSeconds,
  NATIVE_BLUE_GREEN,
  SERVICE_DEPLOYMENTS,
  SERVICE_STRATEGIES,
  SERVICE_TRAFFIC,
  serviceSplit,
  type ServiceStrategyTraits,
} from '@ias/targets';
import { z } from 'zod';

/** The lifecycle stages an Amazon ECS pause hook may hold a deployment at. */
export const PAUSE_STAGES = [
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
] as const;

/**
 * Minutes the service pipeline's ECS deploy action and `ecs-deploy.yml` wait for an Amazon ECS
 * deployment to end (the action allows at most 60).
 */
export const ECS_DEPLOY_WAIT_MINUTES = 60;

/** Minutes an Amazon ECS deployment needs besides its steps, bake and pause: green tasks up, checked. */
const ECS_DEPLOY_OVERHEAD_MINUTES = 5;

/**
 * The longest an Amazon ECS deployment of `d` may take, in minutes: the traffic steps (linear: one
 * wait per step; canary: one), the bake time and the pause hook's timeout, plus the time to start and
 * check the green tasks. Undefined for the strategies Amazon ECS does not run this way.
 */
export function ecsDeploymentMinutes(d: {
  strategy: (typeof SERVICE_DEPLOYMENTS)[number];
  bakeMinutes: number;
  stepPercent: number;
  stepMinutes: number;
  pause?: { timeoutMinutes: number };
}): number | undefined {
  const native = SERVICE_STRATEGIES[d.strategy].ecsNative;
  const steps =
    native === 'LINEAR'
      ? Math.ceil(100 / d.stepPercent) * d.stepMinutes
      : native === 'CANARY'
        ? d.stepMinutes
        : native === 'BLUE_GREEN'
          ? 0
          : undefined;
  return steps === undefined
    ? undefined
    : steps + d.bakeMinutes + (d.pause?.timeoutMinutes ?? 0) + ECS_DEPLOY_OVERHEAD_MINUTES;
}

/** The longest a Lambda invocation may run, in seconds. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

/**
 * Seconds a canary gate's function may run. Invoked by CodeDeploy (AfterAllowTraffic) it waits in
 * one invocation: its deadline, and a minute for the last look and the report. Invoked by Amazon ECS
 * (POST_PRODUCTION_TRAFFIC_SHIFT) it looks once and answers IN_PROGRESS until it decides.
 */
export function canaryGateTimeoutSeconds(
  invokedBy: NonNullable<ServiceStrategyTraits['canaryGate']>,
  everyMinutes: number,
): number {
  return invokedBy === 'codedeploy-hook' ? canaryGateDeadlineSeconds(everyMinutes) + 60 : 30;
}

/** Fargate's task sizes: memory (MiB) each CPU size admits. */
export const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: Array.from({ length: 7 }, (_, i) => 2048 + i * 1024),
  2048: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
  4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
};

/** An EventBridge-style schedule of Application Auto Scaling: `cron(...)` in the profile's time zone. */
const cron = z
  .string()
  .regex(
    /^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$/,
    'must be cron(minutes hours day-of-month month day-of-week year)',
  );

/** A scheduled capacity window (seed 004 §3.2's Friday evening). */
const scheduleSchema = z
  .object({
    /** Short name, part of the scheduled actions' names. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be lowercase letters, digits or hyphens'),
    /** When the window opens. */
    start: cron,
    /** When it closes (capacity returns to the profile's min/max). */
    end: cron,
    /** IANA time zone of both schedules. */
    timeZone: z.string().min(1).default('UTC'),
    /** Capacity during the window. */
    minCapacity: z.number().int().min(1),
    maxCapacity: z.number().int().min(1),
  })
  .strict()
  .refine((s) => s.maxCapacity >= s.minCapacity, {
    path: ['maxCapacity'],
    message: 'must be at least minCapacity',
  });

/** One environment's container services: size, scaling, delivery and alarms. */
export const serviceProfileSchema = z
  .object({
    /** Task CPU units (seed 004: dev 256, prod 1024). */
    cpu: z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)]),
    /** Task memory in MiB (seed 004: dev 512, prod 2048); a size Fargate admits for the CPU. */
    memoryMiB: z.number().int(),
    /** Tasks when the service is created (dev 1, prod at least 3). */
    desiredCount: z.number().int().min(1).max(1000),
    /** Target tracking (seed 004 §3.2): CPU 70 %, memory 75 %, 500 ALB requests per target. */
    scaling: z
      .object({
        minCapacity: z.number().int().min(1).max(1000),
        maxCapacity: z.number().int().min(1).max(1000),
        cpuPercent: z.number().min(10).max(95).default(70),
        memoryPercent: z.number().min(10).max(95).default(75),
        requestsPerTarget: z.number().int().min(1).default(500),
        /** An optional window of more capacity. */
        schedule: scheduleSchema.optional(),
      })
      .strict()
      .refine((s) => s.maxCapacity >= s.minCapacity, {
        path: ['maxCapacity'],
        message: 'must be at least minCapacity',
      }),
    deployment: z
      .object({
        /** How a new task definition ships (see SERVICE_DEPLOYMENTS). */
        strategy: z.enum(SERVICE_DEPLOYMENTS),
        /** For codedeploy-blue-green: how production traffic moves. */
        traffic: z.enum(SERVICE_TRAFFIC).default('all-at-once'),
        /** Minutes the blue side is kept after the switch, for a fast rollback (0 to 2880). */
        blueRetentionMinutes: z.number().int().min(0).max(2880).default(5),
        /** For the ecs-* strategies: minutes the new revision bakes before the deployment completes. */
        bakeMinutes: z.number().int().min(0).max(1440).default(5),
        /** For ecs-linear and ecs-canary: percent of traffic per step (linear) or first (canary). */
        stepPercent: z.number().min(3).max(100).default(10),
        /** For ecs-linear and ecs-canary: minutes between steps. */
        stepMinutes: z.number().int().min(0).max(1440).default(5),
        /**
         * For the ecs-* strategies: a pause hook. Amazon ECS holds each deployment at `stage` until an
         * operator continues it or rolls it back (`ias-ops deployments continue|stop`), or the timeout
         * takes `onTimeout`. @default - no pause
         */
        pause: z
          .object({
            /** The lifecycle stage to hold at (after the green check, by default). */
            stage: z.enum(PAUSE_STAGES).default('POST_TEST_TRAFFIC_SHIFT'),
            /**
             * Minutes to wait for the operator. At most 45: the pipeline's ECS action and the workflow
             * wait 60 minutes for the whole deployment.
             */
            timeoutMinutes: z.number().int().min(1).max(45).default(30),
            /** What Amazon ECS does when nobody answers in time. */
            onTimeout: z.enum(['ROLLBACK', 'CONTINUE']).default('ROLLBACK'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .refine((d) => d.pause === undefined || NATIVE_BLUE_GREEN.includes(d.strategy), {
        path: ['pause'],
        message:
          'a pause hook needs ecs-blue-green, ecs-linear or ecs-canary (CodeDeploy has its own wait, rolling has no lifecycle stages)',
      }),
    /** The alarms that stop a deployment and roll it back (and page the team). */
    alarms: z
      .object({
        /** Target 5xx responses per minute. */
        target5xxPerMinute: z.number().int().min(1),
        /** Unhealthy targets, in either target group. */
        unhealthyHosts: z.number().int().min(1),
        /** p99 target response time, milliseconds. */
        p99LatencyMs: z.number().int().min(10),
      })
      .strict(),
    /**
     * What tells an operator that the service is unwell (seed 002), beside the alarms that roll a
     * deployment back: over 5-minute periods, into the service's composite alarm. Fewer healthy tasks
     * than `scaling.minCapacity`, and fewer running than desired, alarm too.
     */
    watch: z
      .object({
        /** 5xx answers of the load balancer itself (no task could answer) in 5 minutes. */
        elb5xxPer5Minutes: z.number().int().min(1),
        /** 5xx answers of the tasks in 5 minutes. */
        target5xxPer5Minutes: z.number().int().min(1),
        /** p99 response time of the tasks over 5 minutes, milliseconds. */
        p99LatencyMs: z.number().int().min(10),
        /** Average CPU of the service's tasks, % of what they reserve. */
        cpuPercent: z.number().min(1).max(100),
        /** Average memory of the service's tasks, % of what they reserve. */
        memoryPercent: z.number().min(1).max(100),
      })
      .strict(),
    /** The application load balancer in front of the service. */
    loadBalancer: z
      .object({
        /**
         * Internet-facing (public subnets, production listener open to the internet) or internal
         * (reachable from the VPC and networks joined to it). Default internal: the inventory API
         * serves the company's order and warehouse systems.
         */
        internetFacing: z.boolean().default(false),
        /** Port of the production listener. @default 443 with a certificate, else 80 */
        productionPort: z.number().int().min(1).max(65_535).optional(),
        /** Port of the test listener, where the green side answers before it takes traffic. */
        testPort: z.number().int().min(1).max(65_535).default(8443),
        /**
         * Who may reach the test listener besides the VPC itself (the green check runs in the VPC).
         * For an internet-facing balancer, the VPC's own traffic arrives from its NAT addresses:
         * list them here.
         */
        testListenerCidrs: z.array(z.cidrv4('must be an IPv4 CIDR block')).default([]),
      })
      .strict()
      .default({ internetFacing: false, testPort: 8443, testListenerCidrs: [] }),
    /**
     * An ACM certificate for HTTPS on both listeners. Without one the listeners are HTTP (the plan
     * says so): fine for dev, not for anything that carries real traffic.
     */
    certificateArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
        'must be an ACM certificate ARN',
      )
      .optional(),
    /** Whether the canary judge decides this kind's deployments here, and how (README "Canary analysis"). */
    canaryAnalysis: canaryAnalysisProfileSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    checkCanaryAnalysis(s.canaryAnalysis, serviceSplit(s.deployment), ctx);
    const memory = FARGATE_MEMORY[s.cpu] ?? [];
    if (!memory.includes(s.memoryMiB)) {
      ctx.addIssue({
        code: 'custom',
        path: ['memoryMiB'],
        message: `Fargate with ${s.cpu} CPU units takes ${memory[0]} to ${memory[memory.length - 1]} MiB (${memory.join(', ')})`,
      });
    }
    if (s.loadBalancer.internetFacing && s.loadBalancer.testListenerCidrs.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['loadBalancer', 'testListenerCidrs'],
        message:
          "an internet-facing balancer sees the green check arrive from the VPC's NAT addresses: list them (x.x.x.x/32)",
      });
    }
    const productionPort = s.loadBalancer.productionPort ?? (s.certificateArn ? 443 : 80);
    if (productionPort === s.loadBalancer.testPort) {
      ctx.addIssue({
        code: 'custom',
        path: ['loadBalancer', 'testPort'],
        message: `must differ from the production listener's port ${productionPort}`,
      });
    }
    const minutes = ecsDeploymentMinutes(s.deployment);
    if (minutes !== undefined && minutes > ECS_DEPLOY_WAIT_MINUTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['deployment'],
        message: `an ${s.deployment.strategy} deployment may take ${minutes} min (steps, bake, pause, and ${ECS_DEPLOY_OVERHEAD_MINUTES} to start green), but the pipeline's ECS action and the workflow wait ${ECS_DEPLOY_WAIT_MINUTES}: raise stepPercent or shorten stepMinutes, bakeMinutes or pause.timeoutMinutes`,
      });
    }
    if (s.desiredCount < s.scaling.minCapacity || s.desiredCount > s.scaling.maxCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['desiredCount'],
        message: `must be within scaling's ${s.scaling.minCapacity} to ${s.scaling.maxCapacity}`,
      });
    }
  });

/** One environment's container service settings, defaults filled in. */
export type ServiceProfile = z.output<typeof serviceProfileSchema>;

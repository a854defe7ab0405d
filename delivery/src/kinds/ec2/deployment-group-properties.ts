/**
 * The properties of an EC2 application's blue/green deployment group resource
 * (`Custom::Ec2BlueGreenDeploymentGroup`, see deployment-group.ts), as infra writes them and the
 * handler reads them, and the name CodeDeploy gives its copies of the fleet.
 */
import type { AutoRollbackEvent } from '@aws-sdk/client-codedeploy';
import { z } from 'zod';

export { codeDeployCopyPrefix } from '@ias/targets';

/** The rollback triggers when the properties name none: a failed deployment, an alarm, a stop. */
export const DEFAULT_ROLLBACK_EVENTS = [
  'DEPLOYMENT_FAILURE',
  'DEPLOYMENT_STOP_ON_ALARM',
  'DEPLOYMENT_STOP_ON_REQUEST',
] as const satisfies readonly AutoRollbackEvent[];

/** A CodeDeploy application, group or configuration name. */
export const codeDeployName = z
  .string()
  .regex(/^[\w.+=,@-]{1,100}$/, 'must be a CodeDeploy name: 1-100 letters, digits and _ . + = , @ -');

/** CloudFormation hands every scalar property over as a string: the wait arrives as `"60"`. */
const minutesSchema = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)], {
    error: 'must be a whole number of minutes (0 to 2880), as a number or its digits',
  })
  .pipe(
    z
      .number()
      .int('must be a whole number of minutes')
      .min(0, 'must be 0 to 2880 minutes (CodeDeploy waits 2 days at most)')
      .max(2880, 'must be 0 to 2880 minutes (CodeDeploy waits 2 days at most)'),
  );

/**
 * The custom resource's properties (CloudFormation adds `ServiceToken`, which is ignored). Array
 * lengths are refinements: zod's `max` would also measure a string given for the array, and report it.
 */
export const ec2DeploymentGroupPropertiesSchema = z.object({
  /** The CodeDeploy application (compute platform Server). */
  ApplicationName: codeDeployName,
  /** The group's name: the resource's physical id. */
  DeploymentGroupName: codeDeployName,
  /** The role CodeDeploy acts as (copies the Auto Scaling group, moves the target group). */
  ServiceRoleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be an IAM role ARN'),
  /** `CodeDeployDefault.<name>` or the application's own configuration. */
  DeploymentConfigName: codeDeployName,
  /** The Auto Scaling group CloudFormation created: the group's first, and never deleted here. */
  AutoScalingGroupName: z
    .string()
    .regex(/^[^:]{1,255}$/, 'must be an Auto Scaling group name (1-255 characters, no ":"), not an ARN'),
  /** The load balancer's target group CodeDeploy moves from the blue fleet to the green one. */
  TargetGroupName: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,32}$/, 'must be a target group name (1-32 letters, digits and -)'),
  /** Minutes the blue fleet keeps running after the switch, then terminated. */
  TerminateBlueAfterMinutes: minutesSchema,
  /** CloudWatch alarms: any one in ALARM stops the deployment (and rolls it back). */
  AlarmNames: z
    .array(z.string().min(1, 'must be an alarm name').max(255, 'must be an alarm name'))
    .refine((names) => names.length <= 10, 'must be at most 10 alarms (CodeDeploy’s limit per group)'),
  /** What rolls a deployment back. @default - DEFAULT_ROLLBACK_EVENTS */
  AutoRollbackEvents: z
    .array(z.enum(DEFAULT_ROLLBACK_EVENTS))
    .refine((events) => events.length > 0, 'must name at least one event')
    .optional(),
  /** The group's tags. @default - none */
  Tags: z
    .array(
      z.object({
        Key: z.string().min(1, 'must be a tag key').max(128, 'must be at most 128 characters'),
        Value: z.string().max(256, 'must be at most 256 characters'),
      }),
    )
    .refine((tags) => tags.length <= 50, 'must be at most 50 tags')
    .optional(),
});

/** The custom resource's properties, as infra writes them. */
export type Ec2DeploymentGroupProperties = z.input<typeof ec2DeploymentGroupPropertiesSchema>;

/** The custom resource's properties, validated. */
export type Ec2DeploymentGroupSettings = z.output<typeof ec2DeploymentGroupPropertiesSchema>;

import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { z } from 'zod';
import { describeError } from './errors.js';

/**
 * The event CodeDeploy sends a lifecycle hook function, of either kind: a Lambda traffic hook or an ECS
 * hook such as the green check.
 */
export const trafficHookEventSchema = z.object({
  DeploymentId: z.string().min(1),
  LifecycleEventHookExecutionId: z.string().min(1),
});

/** The event CodeDeploy sends a lifecycle hook function. */
export type TrafficHookEvent = z.infer<typeof trafficHookEventSchema>;

/**
 * The event Amazon ECS sends a Lambda lifecycle hook of an ECS-native (blue/green, linear, canary)
 * deployment. Shape from the Amazon ECS Developer Guide, "Lambda hooks for Amazon ECS service
 * deployments", section "Lifecycle payloads"
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html):
 * `{ executionId, lifecycleStage, resourceArn, executionDetails: { serviceArn, targetServiceRevisionArn,
 * testTrafficWeights, productionTrafficWeights }, hookDetails? }`. The function answers
 * `{ hookStatus: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS' }` (optionally `callBackDelay`, `hookDetails`);
 * no valid hookStatus, or a function error, rolls the deployment back.
 */
export const ecsLifecycleHookEventSchema = z.object({
  executionId: z.string().min(1),
  lifecycleStage: z.string().min(1),
  resourceArn: z.string().min(1),
  executionDetails: z.object({
    serviceArn: z.string().min(1),
    targetServiceRevisionArn: z.string().min(1),
    testTrafficWeights: z.record(z.string(), z.number()).optional(),
    productionTrafficWeights: z.record(z.string(), z.number()).optional(),
  }),
  hookDetails: z.record(z.string(), z.unknown()).optional(),
});

/** The event Amazon ECS sends a Lambda lifecycle hook. */
export type EcsLifecycleHookEvent = z.infer<typeof ecsLifecycleHookEventSchema>;

/** What an ECS lifecycle hook function returns to Amazon ECS. */
export interface EcsHookResponse {
  /** `SUCCEEDED` continues, `FAILED` rolls back, `IN_PROGRESS` has ECS call again later. */
  readonly hookStatus: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS';
  /**
   * With `IN_PROGRESS`: seconds until Amazon ECS invokes the hook again.
   * @default - 30 (Amazon ECS's default)
   */
  readonly callBackDelay?: number;
  /**
   * With `IN_PROGRESS`: what Amazon ECS passes back as the next invocation's `hookDetails`, the hook's
   * state between invocations.
   * @default - none
   */
  readonly hookDetails?: Readonly<Record<string, unknown>>;
}

/**
 * Which service invoked a lifecycle hook, told from the event's fields: CodeDeploy
 * (`DeploymentId` / `LifecycleEventHookExecutionId`) or Amazon ECS (`executionDetails` /
 * `lifecycleStage`). The event is not validated here: each hook parses it with its schema.
 *
 * Throws for an event of neither kind: there is nothing to answer.
 */
export function lifecycleHookSource(event: unknown): 'codedeploy' | 'ecs' {
  const fields = typeof event === 'object' && event !== null ? Object.keys(event) : [];
  if (fields.includes('DeploymentId') || fields.includes('LifecycleEventHookExecutionId')) {
    return 'codedeploy';
  }
  if (fields.includes('executionDetails') || fields.includes('lifecycleStage')) {
    return 'ecs';
  }
  throw new Error(
    `not a lifecycle hook event (neither CodeDeploy's DeploymentId nor Amazon ECS's executionDetails); fields: ${fields.join(', ') || 'none'}`,
  );
}

/**
 * Reports a CodeDeploy lifecycle hook's verdict (PutLifecycleEventHookExecutionStatus).
 * @throws Error naming the hook, the deployment, the verdict and `detail` when CodeDeploy refuses it
 */
export async function reportCodeDeployHook(
  codedeploy: Pick<CodeDeployClient, 'send'>,
  event: TrafficHookEvent,
  status: 'Succeeded' | 'Failed',
  detail: string,
): Promise<void> {
  const { DeploymentId, LifecycleEventHookExecutionId } = event;
  try {
    await codedeploy.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId: DeploymentId,
        lifecycleEventHookExecutionId: LifecycleEventHookExecutionId,
        status,
      }),
    );
  } catch (error) {
    throw new Error(
      `could not report ${status} (${detail}) for hook ${LifecycleEventHookExecutionId} of deployment ${DeploymentId}: ${describeError(error)}`,
      { cause: error },
    );
  }
}

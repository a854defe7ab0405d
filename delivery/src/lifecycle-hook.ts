import { z } from 'zod';

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

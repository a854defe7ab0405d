/**
 * Rolling a revision of a service's task definition out through the service's controller: a CodeDeploy
 * blue/green deployment whose appspec names the revision, or an UpdateService that Amazon ECS rolls out
 * with the service's own strategy. `deploy service` and `ecs rollback` (to the previous revision) use it.
 */
import type { ServiceTarget } from '@ias/targets';
import type { AwsClients } from '../context';
import {
  CODEDEPLOY_FOLLOW_MS,
  ECS_FOLLOW_MS,
  followCodeDeploy,
  SHOW_MS,
  type FollowOptions,
} from '../follow';
import { createEcsDeployment, updateService } from './ecs';
import { followServiceUpdate, type ServiceUpdateEnd } from './ecs-deployments';

/** How a rollout ended; `started` when it was not followed. */
export interface RolloutEnd {
  /** The CodeDeploy deployment ID or Amazon ECS service deployment ARN, when one showed. */
  readonly deploymentId: string | undefined;
  readonly outcome: ServiceUpdateEnd['outcome'] | 'started';
  readonly detail: string;
}

/** How {@link rollOut} deploys and follows. */
export interface RolloutOptions {
  /** Through CodeDeploy (else UpdateService). */
  readonly codeDeploy: boolean;
  /** The CodeDeploy deployment's description. */
  readonly description: string;
  /** The follow options for a time-out. @default - not followed: the rollout is started only */
  readonly follow?: (timeoutMs: number) => FollowOptions;
}

/** Rolls `taskDefinition` out to the service and, unless told not to, follows it to its end. */
export async function rollOut(
  aws: AwsClients,
  target: ServiceTarget,
  taskDefinition: string,
  options: RolloutOptions,
): Promise<RolloutEnd> {
  const { follow } = options;
  if (options.codeDeploy) {
    const deploymentId =
      (await aws.codedeploy.send(createEcsDeployment(target, taskDefinition, options.description)))
        .deploymentId ?? '';
    if (follow === undefined) return { deploymentId, outcome: 'started', detail: '' };
    const state = await followCodeDeploy(aws.codedeploy, deploymentId, follow(CODEDEPLOY_FOLLOW_MS));
    const outcome =
      state.status === 'succeeded' ? 'succeeded' : state.status === 'rolled-back' ? 'reverted' : 'failed';
    return { deploymentId, outcome, detail: state.summary };
  }
  await aws.ecs.send(updateService(target, taskDefinition));
  if (follow === undefined) return { deploymentId: undefined, outcome: 'started', detail: '' };
  return followServiceUpdate(aws, target, taskDefinition, {
    show: follow(SHOW_MS),
    follow: follow(ECS_FOLLOW_MS),
  });
}

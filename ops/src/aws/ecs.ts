/**
 * A service and its task definitions: describe it, move it to a revision (UpdateService under the ECS
 * controller, a CodeDeploy deployment with the pipeline's appspec under CODE_DEPLOY), and read revisions.
 */
import { CreateDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, UpdateServiceCommand, type Service } from '@aws-sdk/client-ecs';
import { renderEcsAppSpec, TASK_DEFINITION_PLACEHOLDER } from '@ias/delivery';
import type { ServiceTarget } from '@ias/targets';

/** DescribeServices of the service. */
export function describeService(t: ServiceTarget) {
  return new DescribeServicesCommand({ cluster: t.clusterName, services: [t.serviceName] });
}

/** UpdateService to `taskDefinition` (the ECS controller's deployment). */
export function updateService(t: ServiceTarget, taskDefinition: string) {
  return new UpdateServiceCommand({ cluster: t.clusterName, service: t.serviceName, taskDefinition });
}

/**
 * The appspec of a CodeDeploy ECS deployment of `taskDefinition`: the pipeline's (same container, port,
 * green check and canary gate hooks), with the task definition in place of its placeholder.
 */
export function ecsAppSpec(t: ServiceTarget, taskDefinition: string): string {
  return renderEcsAppSpec({
    containerName: t.containerName,
    containerPort: t.containerPort,
    hooks: t.hooks,
  }).replace(TASK_DEFINITION_PLACEHOLDER, taskDefinition);
}

/** CreateDeployment of `taskDefinition` through the service's CodeDeploy group (controller CODE_DEPLOY). */
export function createEcsDeployment(t: ServiceTarget, taskDefinition: string, description: string) {
  return new CreateDeploymentCommand({
    applicationName: t.application,
    deploymentGroupName: t.deploymentGroup,
    description,
    revision: {
      revisionType: 'AppSpecContent',
      appSpecContent: { content: ecsAppSpec(t, taskDefinition) },
    },
  });
}

/** `family` and `revision` of a task definition ARN (`…:task-definition/<family>:<revision>`). */
export function parseTaskDefinition(arn: string): { family: string; revision: number } | undefined {
  const match = /(?:task-definition\/)?([A-Za-z0-9_-]+):(\d+)$/.exec(arn);
  return match?.[1] !== undefined && match[2] !== undefined
    ? { family: match[1], revision: Number(match[2]) }
    : undefined;
}

/** True when ECS is still moving the service (more than one deployment, or a rollout in progress). */
export function ecsDeploymentInProgress(service: Service): boolean {
  const deployments = service.deployments ?? [];
  return deployments.length > 1 || deployments.some((d) => d.rolloutState === 'IN_PROGRESS');
}

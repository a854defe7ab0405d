/**
 * `ecs rollback <service> --env E`: seed 000's raw `aws ecs update-service --task-definition <previous>`,
 * made safe: it stops a CodeDeploy blue/green deployment in progress (with rollback), else returns the
 * service to the previous ACTIVE revision of its task definition family, through ECS or CodeDeploy as the
 * service's deployment controller requires.
 */
import {
  CreateDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import {
  DescribeServicesCommand,
  ListTaskDefinitionsCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { renderEcsAppSpec, TASK_DEFINITION_PLACEHOLDER } from '@ias/delivery';
import { serviceTarget, type ServiceTarget } from '@ias/infra/lib/pipelines/names';
import {
  dryRun,
  environment,
  planned,
  services,
  type AwsClients,
  type DryRunResult,
  type OpsContext,
} from '../context';
import { badInput, EXIT, OpsError, unsafe } from '../errors';
import { IN_PROGRESS } from './deploy';

/** Arguments of `ecs rollback`. */
export interface EcsRollbackArgs {
  /** The service's folder name. */
  readonly service: string;
  readonly env: string | undefined;
}

/** What `ecs rollback` did. */
export interface EcsRollbackResult {
  readonly environment: string;
  readonly serviceName: string;
  /**
   * `stopped-deployment`: a CodeDeploy deployment in progress was stopped with rollback;
   * `updated-service`: UpdateService to the previous revision (ECS controller);
   * `created-deployment`: a CodeDeploy deployment of the previous revision (CODE_DEPLOY controller).
   */
  readonly action: 'stopped-deployment' | 'updated-service' | 'created-deployment';
  /** The task definition ARN the service ran (undefined when a deployment was stopped). */
  readonly from: string | undefined;
  /** The task definition ARN it goes back to (undefined when a deployment was stopped). */
  readonly to: string | undefined;
  /** The CodeDeploy deployment stopped or created. */
  readonly deploymentId: string | undefined;
  readonly summary: string;
}

/**
 * The service named `name` (its folder name) in the environment.
 *
 * @throws OpsError (exit 2) naming the known services
 */
function resolve(ctx: OpsContext, args: EcsRollbackArgs) {
  const env = environment(ctx, args.env);
  const all = services(ctx);
  const definition = all.find((s) => s.name === args.service);
  if (definition === undefined) {
    const names = all.map((s) => s.name);
    throw badInput(
      `unknown service "${args.service}": use one of ${names.length > 0 ? names.join(', ') : 'none'} (the project's container services)`,
    );
  }
  return { env, target: serviceTarget(env, definition) };
}

export function listInProgress(t: ServiceTarget) {
  return new ListDeploymentsCommand({
    applicationName: t.application,
    deploymentGroupName: t.deploymentGroup,
    includeOnlyStatuses: IN_PROGRESS,
  });
}

export function describeService(t: ServiceTarget) {
  return new DescribeServicesCommand({ cluster: t.clusterName, services: [t.serviceName] });
}

function listRevisions(family: string, nextToken?: string) {
  return new ListTaskDefinitionsCommand({
    familyPrefix: family,
    status: 'ACTIVE',
    sort: 'DESC',
    ...(nextToken !== undefined ? { nextToken } : {}),
  });
}

export function updateService(t: ServiceTarget, taskDefinition: string) {
  return new UpdateServiceCommand({ cluster: t.clusterName, service: t.serviceName, taskDefinition });
}

/**
 * The appspec of a CodeDeploy ECS deployment of `taskDefinition`: the pipeline's (same container, port
 * and green check hook), with the task definition in place of its placeholder.
 */
export function rollbackAppSpec(t: ServiceTarget, taskDefinition: string): string {
  return renderEcsAppSpec({
    containerName: t.containerName,
    containerPort: t.containerPort,
    hooks: { afterAllowTestTraffic: t.greenCheck },
  }).replace(TASK_DEFINITION_PLACEHOLDER, taskDefinition);
}

function createDeployment(t: ServiceTarget, taskDefinition: string) {
  return new CreateDeploymentCommand({
    applicationName: t.application,
    deploymentGroupName: t.deploymentGroup,
    description: `ias-ops ecs rollback to ${taskDefinition}`,
    revision: {
      revisionType: 'AppSpecContent',
      appSpecContent: { content: rollbackAppSpec(t, taskDefinition) },
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

/** The highest ACTIVE revision of `family` below `revision`, or undefined. */
async function previousRevision(
  aws: AwsClients,
  family: string,
  revision: number,
): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await aws.ecs.send(listRevisions(family, nextToken));
    for (const arn of page.taskDefinitionArns ?? []) {
      const parsed = parseTaskDefinition(arn);
      // familyPrefix also matches longer families (`<family>-worker`): keep this family's only.
      if (parsed?.family === family && parsed.revision < revision) {
        return arn;
      }
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return undefined;
}

/** True when ECS is still moving the service (more than one deployment, or a rollout in progress). */
export function ecsDeploymentInProgress(service: Service): boolean {
  const deployments = service.deployments ?? [];
  return deployments.length > 1 || deployments.some((d) => d.rolloutState === 'IN_PROGRESS');
}

/**
 * `ecs rollback`: with codedeploy-blue-green, a deployment in progress of the service's group is stopped
 * with rollback (exit 0). Else the service goes back to the highest ACTIVE revision of its family below
 * the one it runs: UpdateService under the ECS controller (refused, exit 4, while ECS is deploying),
 * CreateDeployment with that revision in the appspec under CODE_DEPLOY. Refuses (exit 4) at the first
 * revision.
 */
export async function ecsRollback(
  ctx: OpsContext,
  args: EcsRollbackArgs,
): Promise<EcsRollbackResult | DryRunResult> {
  const { env, target } = resolve(ctx, args);
  const codeDeploy = target.strategy === 'codedeploy-blue-green';
  if (ctx.dryRun) {
    const previous = '<the ACTIVE revision below the current one, from ListTaskDefinitions>';
    return dryRun(
      ...(codeDeploy ? [planned('codedeploy', listInProgress(target))] : []),
      planned('ecs', describeService(target)),
      planned('ecs', listRevisions(target.family)),
      codeDeploy
        ? planned('codedeploy', createDeployment(target, previous))
        : planned('ecs', updateService(target, previous)),
    );
  }
  const aws = ctx.clientsFor(env.profile.region);
  const base = { environment: env.name, serviceName: target.serviceName };

  if (codeDeploy) {
    const deploymentId = (await aws.codedeploy.send(listInProgress(target))).deployments?.[0];
    if (deploymentId !== undefined) {
      await aws.codedeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
      return {
        ...base,
        action: 'stopped-deployment',
        from: undefined,
        to: undefined,
        deploymentId,
        summary: `rolled back deployment ${deploymentId} of ${target.deploymentGroup}: stopped with rollback, traffic returns to the original task set (follow it with "ias-ops deployments list --env ${env.name}")`,
      };
    }
  }

  const service = (await aws.ecs.send(describeService(target))).services?.find(
    (s) => s.status !== 'INACTIVE',
  );
  if (service === undefined) {
    throw new OpsError(
      `service ${target.serviceName} is not deployed in cluster ${target.clusterName}: there is nothing to roll back`,
      EXIT.failed,
    );
  }
  const current = service.taskDefinition ?? '';
  const parsed = parseTaskDefinition(current);
  const previous =
    parsed === undefined ? undefined : await previousRevision(aws, parsed.family, parsed.revision);
  if (parsed === undefined || previous === undefined) {
    throw unsafe(
      `${target.serviceName} is already at the first revision (${current || '?'}): there is no previous ACTIVE task definition to roll back to`,
    );
  }
  const to = parseTaskDefinition(previous)?.revision;

  if (service.deploymentController?.type === 'CODE_DEPLOY') {
    const created = await aws.codedeploy.send(createDeployment(target, previous));
    const deploymentId = created.deploymentId ?? '';
    return {
      ...base,
      action: 'created-deployment',
      from: current,
      to: previous,
      deploymentId,
      summary: `${target.serviceName}: deployment ${deploymentId} returns it from revision ${parsed.revision} to ${to} (follow it with "ias-ops deployments list --env ${env.name}")`,
    };
  }
  if (ecsDeploymentInProgress(service)) {
    throw unsafe(
      `${target.serviceName} has an ECS deployment in progress: wait for it to end (ECS rolls a failed one back itself), or use the ECS console's rollback of that deployment`,
    );
  }
  await aws.ecs.send(updateService(target, previous));
  return {
    ...base,
    action: 'updated-service',
    from: current,
    to: previous,
    deploymentId: undefined,
    summary: `${target.serviceName}: rolled back from revision ${parsed.revision} to ${to} (${previous})`,
  };
}

/** Text of `ecs rollback`: the summary. */
export function formatEcsRollback(r: EcsRollbackResult): string {
  return r.summary;
}

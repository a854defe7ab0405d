/**
 * `ecs rollback <service> --env E`: seed 000's raw `aws ecs update-service --task-definition <previous>`,
 * made safe: it stops a CodeDeploy blue/green deployment in progress (with rollback), else returns the
 * service to the previous ACTIVE revision of its task definition family, through ECS or CodeDeploy as the
 * service's deployment controller requires.
 */
import { StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import type { DeploymentState } from '@ias/delivery';
import { SERVICE_STRATEGIES } from '@ias/targets';
import { dryRun, planned, serviceIn, type AwsClients, type DryRunResult, type OpsContext } from '../context';
import { EXIT, OpsError, unsafe, type ExitCode } from '../errors';
import { followCodeDeploy, following, goesOn, STOP_TIMEOUT_MS, type Waits } from '../follow';
import { runSteps } from '../progress';
import { listInProgress } from '../aws/codedeploy';
import {
  createEcsDeployment,
  describeService,
  ecsDeploymentInProgress,
  parseTaskDefinition,
  updateService,
} from '../aws/ecs';
import { rollOut } from '../aws/ecs-rollout';
import {
  describeServiceDeployments,
  followServiceDeployment,
  pausedHook,
  stoppableServiceDeployments,
  rollBackServiceDeployment,
  type ServiceDeploymentEnd,
} from '../aws/ecs-deployments';

/** Arguments of `ecs rollback`. */
export interface EcsRollbackArgs {
  /** The service's folder name. */
  readonly service: string;
  readonly env: string | undefined;
  /** False (`--no-wait`): start the rollback and return, without following it or recording it. */
  readonly wait?: boolean;
}

/** What `ecs rollback` did. */
export interface EcsRollbackResult {
  readonly environment: string;
  readonly serviceName: string;
  /**
   * `stopped-deployment`: a deployment in progress was stopped with rollback (CodeDeploy's, or Amazon
   * ECS's own); `updated-service`: UpdateService to the previous revision (ECS controller);
   * `created-deployment`: a CodeDeploy deployment of the previous revision (CODE_DEPLOY controller).
   */
  readonly action: 'stopped-deployment' | 'updated-service' | 'created-deployment';
  /**
   * How it ended: `rolled-back` (the stopped deployment's traffic is back) or `not-rolled-back`;
   * `succeeded` (the service runs the previous revision), `reverted` (the deployment of the previous
   * revision was itself rolled back) or `failed`; `started` with `--no-wait`.
   */
  readonly outcome: 'rolled-back' | 'not-rolled-back' | 'succeeded' | 'reverted' | 'failed' | 'started';
  /** The task definition ARN the service ran (undefined when a deployment was stopped). */
  readonly from: string | undefined;
  /** The task definition ARN it goes back to (undefined when a deployment was stopped). */
  readonly to: string | undefined;
  /** The CodeDeploy deployment ID or Amazon ECS service deployment ARN stopped or started. */
  readonly deploymentId: string | undefined;
  /** What runs now, once a rollback to the previous revision succeeded (recorded in the ledger). */
  readonly live?: { readonly image: string; readonly taskDefinition: string };
  readonly summary: string;
}

function listRevisions(family: string, nextToken?: string) {
  return new ListTaskDefinitionsCommand({
    familyPrefix: family,
    status: 'ACTIVE',
    sort: 'DESC',
    ...(nextToken !== undefined ? { nextToken } : {}),
  });
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

/**
 * `ecs rollback`: a deployment in progress is stopped with rollback (CodeDeploy's for
 * codedeploy-blue-green, else Amazon ECS's own, released through its pause hook when one holds it).
 * Else the service goes back to the highest ACTIVE revision of its family below the one it runs:
 * UpdateService under the ECS controller, CreateDeployment with that revision in the appspec under
 * CODE_DEPLOY. Refuses (exit 4) at the first revision. Unless `wait` is false, it follows what it
 * started until it ends; a rollback to the previous revision that succeeded is recorded in the ledger.
 */
export async function ecsRollback(
  ctx: OpsContext,
  args: EcsRollbackArgs,
  waits: Waits = {},
): Promise<EcsRollbackResult | DryRunResult> {
  const { env, target } = serviceIn(ctx, args.env, args.service);
  const codeDeploy = SERVICE_STRATEGIES[target.strategy].cliController === 'codedeploy';
  if (ctx.dryRun) {
    const previous = '<the ACTIVE revision below the current one, from ListTaskDefinitions>';
    return dryRun(
      codeDeploy
        ? planned('codedeploy', listInProgress(target))
        : planned('ecs', stoppableServiceDeployments(target)),
      planned('ecs', describeService(target)),
      planned('ecs', listRevisions(target.family)),
      planned('ecs', new DescribeTaskDefinitionCommand({ taskDefinition: previous })),
      codeDeploy
        ? planned('codedeploy', createEcsDeployment(target, previous, `ias-ops ecs rollback to ${previous}`))
        : planned('ecs', updateService(target, previous)),
    );
  }
  const aws = await ctx.awsFor(env);
  const base = { environment: env.name, serviceName: target.serviceName };
  const wait = args.wait !== false;
  const hint = goesOn(env.name);
  const follow = following(waits, hint);

  // 1. A deployment in progress: stop it with rollback.
  if (codeDeploy) {
    const deploymentId = (await aws.codedeploy.send(listInProgress(target))).deployments?.[0];
    if (deploymentId !== undefined) {
      let state: DeploymentState | undefined;
      await runSteps(ctx, [
        {
          title: `stop ${deploymentId} with rollback`,
          task: async (report) => {
            await aws.codedeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
            if (wait)
              state = await followCodeDeploy(aws.codedeploy, deploymentId, follow(report, STOP_TIMEOUT_MS));
          },
        },
      ]);
      return stopped(
        base,
        deploymentId,
        target.deploymentGroup,
        state?.status === 'rolled-back',
        wait,
        state?.summary,
      );
    }
  } else {
    const running = (await aws.ecs.send(stoppableServiceDeployments(target))).serviceDeployments?.[0]
      ?.serviceDeploymentArn;
    if (running !== undefined) {
      const [deployment] = await describeServiceDeployments(aws, [running]);
      const hook = deployment ? pausedHook(deployment) : undefined;
      let end: ServiceDeploymentEnd | undefined;
      await runSteps(ctx, [
        {
          title: `stop ${target.serviceName}'s deployment with rollback`,
          task: async (report) => {
            await rollBackServiceDeployment(aws, running, hook);
            if (wait) end = await followServiceDeployment(aws, running, follow(report, STOP_TIMEOUT_MS));
          },
        },
      ]);
      return stopped(base, running, target.serviceName, end?.rolledBack === true, wait, end?.summary);
    }
  }

  // 2. Else the previous revision.
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
  const controllerIsCodeDeploy = service.deploymentController?.type === 'CODE_DEPLOY';
  if (!controllerIsCodeDeploy && ecsDeploymentInProgress(service)) {
    throw unsafe(
      `${target.serviceName} is still being deployed or rolled back by Amazon ECS: wait until it settles ("ias-ops deployments list --env ${env.name}" shows it), then run this again`,
    );
  }
  const image = (
    await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: previous }))
  ).taskDefinition?.containerDefinitions?.find((c) => c.name === target.containerName)?.image;
  const to = parseTaskDefinition(previous)?.revision;
  const moving = `from revision ${parsed.revision} to ${to}`;
  let deploymentId: string | undefined;
  let outcome = 'started' as EcsRollbackResult['outcome'];
  let detail = '';
  await runSteps(ctx, [
    {
      title: `return ${target.serviceName} ${moving}`,
      task: async (report) => {
        const end = await rollOut(aws, target, previous, {
          codeDeploy: controllerIsCodeDeploy,
          description: `ias-ops ecs rollback to ${previous}`,
          follow: wait ? (timeoutMs) => follow(report, timeoutMs) : undefined,
        });
        deploymentId = end.deploymentId;
        outcome = end.outcome;
        detail = end.detail;
      },
    },
  ]);
  const live =
    outcome === 'succeeded' && image !== undefined ? { image, taskDefinition: previous } : undefined;
  const via = controllerIsCodeDeploy ? `CodeDeploy deployment ${deploymentId ?? '?'}` : 'UpdateService';
  const summaries: Record<EcsRollbackResult['outcome'], string> = {
    started: `${target.serviceName}: ${via} returns it ${moving} (${previous}); not followed, not recorded in the ledger: ${hint}`,
    succeeded: `${target.serviceName}: rolled back ${moving} (${previous}) through ${via}`,
    reverted: `${target.serviceName}: the rollback ${moving} was itself rolled back; it runs revision ${parsed.revision} still (${detail})`,
    failed: `${target.serviceName}: the rollback ${moving} through ${via} did not complete (${detail})`,
    'rolled-back': '',
    'not-rolled-back': '',
  };
  return {
    ...base,
    action: controllerIsCodeDeploy ? 'created-deployment' : 'updated-service',
    outcome,
    from: current,
    to: previous,
    deploymentId,
    ...(live ? { live } : {}),
    summary: summaries[outcome],
  };
}

/** The result of stopping a deployment in progress. */
function stopped(
  base: { environment: string; serviceName: string },
  deploymentId: string,
  where: string,
  rolledBack: boolean,
  waited: boolean,
  detail: string | undefined,
): EcsRollbackResult {
  const outcome = !waited ? 'started' : rolledBack ? 'rolled-back' : 'not-rolled-back';
  const summaries = {
    started: `${where}: deployment ${deploymentId} stopped with rollback, traffic returns to the original (follow it with "ias-ops deployments list --env ${base.environment}")`,
    'rolled-back': `${where}: deployment ${deploymentId} stopped and rolled back (${detail ?? ''})`,
    'not-rolled-back': `${where}: deployment ${deploymentId} stopped, not rolled back (${detail ?? ''})`,
  };
  return {
    ...base,
    action: 'stopped-deployment',
    outcome,
    from: undefined,
    to: undefined,
    deploymentId,
    summary: summaries[outcome],
  };
}

/** The exit code of `ecs rollback`: 0 once rolled back (or started, with --no-wait), else 1. */
export function ecsRollbackExit(r: EcsRollbackResult): ExitCode {
  return ['rolled-back', 'succeeded', 'started'].includes(r.outcome) ? EXIT.ok : EXIT.failed;
}

/** Text of `ecs rollback`: the summary. */
export function formatEcsRollback(r: EcsRollbackResult): string {
  return r.summary;
}

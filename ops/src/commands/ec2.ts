/**
 * `ec2 rollback <app> --env E`: an EC2 application's fleet back to what it ran, as `ecs rollback` does
 * for a service. A deployment in flight on its group is stopped with rollback (CodeDeploy redeploys the
 * last good revision in place, or moves the load balancer back to the blue fleet). Else the revision of
 * the group's previous successful deployment (the newest that installed another revision than the
 * last successful one) is deployed again through the group, and followed to its end.
 */
import { GetDeploymentCommand, StopDeploymentCommand, type DeploymentInfo } from '@aws-sdk/client-codedeploy';
import type { DeploymentState } from '@ias/delivery';
import { dryRun, planned, type AwsClients, type DryRunResult, type OpsContext } from '../context';
import { EXIT, OpsError, unsafe, type ExitCode } from '../errors';
import { followCodeDeploy, following, goesOn, STOP_TIMEOUT_MS, type Waits } from '../follow';
import { runSteps } from '../progress';
import { listInProgress } from '../aws/codedeploy';
import { ec2In } from '../kinds/ec2';
import {
  deployRevision,
  fleetFollowMs,
  getDeploymentGroup,
  listSucceeded,
  plannedFleetDeployment,
  plannedFollow,
  readDeployment,
  readDeploymentGroup,
  revisionOf,
  revisionWords,
  sameRevision,
  type FleetDeploymentRun,
  type FleetEntry,
  type FleetGroup,
  type FleetRevision,
} from '../kinds/ec2/deployment';

/** How many successful deployments, newest first, are read to find the previous revision. */
export const SUCCEEDED_READ = 25;

/** Arguments of `ec2 rollback`. */
export interface Ec2RollbackArgs {
  /** The application's folder name. */
  readonly app: string;
  readonly env: string | undefined;
}

/** A deployment of the group and the revision it installed. */
export interface FleetDeployment {
  readonly deploymentId: string;
  readonly revision: FleetRevision;
}

/** What `ec2 rollback` did. */
export interface Ec2RollbackResult {
  readonly environment: string;
  /** The application's folder name. */
  readonly app: string;
  readonly deploymentGroup: string;
  /**
   * `stopped-deployment`: a deployment in flight was stopped with rollback; `created-deployment`: the
   * previous successful deployment's revision was deployed again.
   */
  readonly action: 'stopped-deployment' | 'created-deployment';
  /**
   * How it ended: `rolled-back` (the stopped deployment was rolled back) or `not-rolled-back`;
   * `succeeded` (the fleet runs the previous revision; blue/green: its green fleet serves),
   * `reverted` (that deployment was itself rolled back) or `failed`.
   */
  readonly outcome: 'rolled-back' | 'not-rolled-back' | 'succeeded' | 'reverted' | 'failed';
  /** The deployment stopped or created. */
  readonly deploymentId: string;
  /** The last successful deployment and its revision (a redeployment). */
  readonly from?: FleetDeployment;
  /** The previous successful deployment, whose revision is deployed again. */
  readonly to?: FleetDeployment;
  /** What the fleet runs now, once the redeployment succeeded (recorded in the ledger). */
  readonly live?: FleetEntry;
  readonly summary: string;
}

/**
 * The newest successful deployment of the group, other than `current`, created before it and
 * installing another revision: ListDeployments (Succeeded, the newest first), then GetDeployment of
 * each in turn, at most {@link SUCCEEDED_READ}.
 */
async function previousDeployment(
  aws: AwsClients,
  group: FleetGroup,
  current: { readonly id: string; readonly info: DeploymentInfo; readonly revision: FleetRevision },
): Promise<FleetDeployment | undefined> {
  const before = current.info.createTime?.getTime() ?? Number.POSITIVE_INFINITY;
  let read = 0;
  let nextToken: string | undefined;
  do {
    const page = await aws.codedeploy.send(listSucceeded(group, nextToken));
    for (const id of page.deployments ?? []) {
      if (id === current.id) continue;
      if (read === SUCCEEDED_READ) return undefined;
      read += 1;
      const info = await readDeployment(aws, id);
      const revision = revisionOf(info);
      const created = info.createTime?.getTime() ?? 0;
      if (revision !== undefined && created < before && !sameRevision(revision, current.revision)) {
        return { deploymentId: id, revision };
      }
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return undefined;
}

/** `ec2 rollback`: stop the deployment in flight with rollback, else deploy the previous revision again. */
export async function ec2Rollback(
  ctx: OpsContext,
  args: Ec2RollbackArgs,
  waits: Waits = {},
): Promise<Ec2RollbackResult | DryRunResult> {
  const { env, target } = ec2In(ctx, args.env, args.app);
  const base = { environment: env.name, app: target.app, deploymentGroup: target.deploymentGroup };
  if (ctx.dryRun) {
    return dryRun(
      planned('codedeploy', listInProgress(target)),
      planned(
        'codedeploy',
        new StopDeploymentCommand({
          deploymentId: '<the deployment in flight, if any: then it is followed, nothing else>',
          autoRollbackEnabled: true,
        }),
      ),
      planned('codedeploy', getDeploymentGroup(target)),
      planned('codedeploy', new GetDeploymentCommand({ deploymentId: '<its lastSuccessfulDeployment>' })),
      planned('codedeploy', listSucceeded(target)),
      {
        ...planned('codedeploy', new GetDeploymentCommand({ deploymentId: '<each, newest first>' })),
        input: {
          deploymentId: '<each, newest first>',
          note: `until one installed another revision (at most ${SUCCEEDED_READ})`,
        },
      },
      plannedFleetDeployment(
        target,
        '<the revision of that previous successful deployment>',
        `ias-ops ec2 rollback to <that deployment>`,
      ),
      plannedFollow('<the deployment CreateDeployment started>'),
    );
  }
  const aws = await ctx.awsFor(env);
  const follow = following(waits, goesOn(env.name));

  // 1. A deployment in flight: stop it with rollback.
  const running = (await aws.codedeploy.send(listInProgress(target))).deployments?.[0];
  if (running !== undefined) {
    let state: DeploymentState | undefined;
    await runSteps(ctx, [
      {
        title: `stop ${running} with rollback`,
        task: async (report) => {
          await aws.codedeploy.send(
            new StopDeploymentCommand({ deploymentId: running, autoRollbackEnabled: true }),
          );
          state = await followCodeDeploy(aws.codedeploy, running, follow(report, STOP_TIMEOUT_MS));
        },
      },
    ]);
    const final = state as DeploymentState | undefined;
    const rolledBack = final?.status === 'rolled-back';
    return {
      ...base,
      action: 'stopped-deployment',
      outcome: rolledBack ? 'rolled-back' : 'not-rolled-back',
      deploymentId: running,
      summary: rolledBack
        ? `${target.deploymentGroup}: deployment ${running} stopped and rolled back (${final?.summary ?? ''})`
        : `${target.deploymentGroup}: deployment ${running} stopped, not rolled back (${final?.summary ?? ''})`,
    };
  }

  // 2. Else the revision of the previous successful deployment.
  const group = await readDeploymentGroup(aws, target);
  if (group === undefined) {
    throw new OpsError(
      `${target.app} is not deployed in ${env.name} (no deployment group ${target.application} / ${target.deploymentGroup}): there is nothing to roll back`,
      EXIT.failed,
    );
  }
  const lastId = group.lastSuccessfulDeployment?.deploymentId;
  if (lastId === undefined) {
    throw unsafe(
      `${target.deploymentGroup} has no successful deployment: there is no earlier revision to roll back to`,
    );
  }
  const lastInfo = await readDeployment(aws, lastId);
  const lastRevision = revisionOf(lastInfo);
  if (lastRevision === undefined) {
    throw unsafe(
      `${lastId}, the last successful deployment of ${target.deploymentGroup}, installed no S3 bundle (${lastInfo.revision?.revisionType ?? '?'}): ias-ops redeploys S3 revisions only`,
    );
  }
  const previous = await previousDeployment(aws, target, {
    id: lastId,
    info: lastInfo,
    revision: lastRevision,
  });
  if (previous === undefined) {
    throw unsafe(
      `${target.deploymentGroup} has no successful deployment before ${lastId} that installed another revision than ${revisionWords(lastRevision)} (the last ${SUCCEEDED_READ} read): there is nothing earlier to roll back to`,
    );
  }
  const from = { deploymentId: lastId, revision: lastRevision };
  let run: FleetDeploymentRun | undefined;
  await runSteps(ctx, [
    {
      title: `deploy ${revisionWords(previous.revision)} to ${target.app} again (the revision of ${previous.deploymentId})`,
      task: async (report) => {
        run = await deployRevision(aws, target, previous.revision, {
          ...follow(report, fleetFollowMs(env.profile.ec2.deployment)),
          description: `ias-ops ec2 rollback to ${previous.deploymentId}`,
          onStart: (id) => report(`started deployment ${id}`),
        });
      },
    },
  ]);
  const done = run as FleetDeploymentRun | undefined;
  const status = done?.state.status;
  const outcome = done?.live ? 'succeeded' : status === 'rolled-back' ? 'reverted' : 'failed';
  const moving = `from ${revisionWords(lastRevision)} to ${revisionWords(previous.revision)}`;
  const summaries: Record<typeof outcome, string> = {
    succeeded: `${target.app}: rolled back ${moving} by deployment ${done?.deploymentId ?? '?'} (${done?.state.summary ?? ''})`,
    reverted: `${target.app}: the rollback ${moving} was itself rolled back; it runs ${revisionWords(lastRevision)} still (${done?.state.summary ?? ''})`,
    failed: `${target.app}: the rollback ${moving} did not complete (${done?.state.summary ?? ''})`,
  };
  return {
    ...base,
    action: 'created-deployment',
    outcome,
    deploymentId: done?.deploymentId ?? '',
    from,
    to: previous,
    ...(done?.live ? { live: done.live } : {}),
    summary: summaries[outcome],
  };
}

/** The exit code of `ec2 rollback`: 0 once rolled back, else 1. */
export function ec2RollbackExit(r: Ec2RollbackResult): ExitCode {
  return r.outcome === 'rolled-back' || r.outcome === 'succeeded' ? EXIT.ok : EXIT.failed;
}

/** Text of `ec2 rollback`: the summary. */
export function formatEc2Rollback(r: Ec2RollbackResult): string {
  return r.summary;
}

/**
 * `kubernetes rollback <app> --env E`: the Kubernetes application's users back where they were, as
 * `ecs rollback` does for a service. A deployment in progress (a build of its deploy project) is stopped:
 * the switch, told to stop, leaves the routing as it was or switches back. Else every user goes back to
 * the color that served before the current one (the ledger's previous switch), through the deploy
 * project with `ACTION=switch-back`: no rollout, that color's pods are kept (or scaled up from zero).
 * Refused when that color may no longer run the image it served with: `rollback --release N` deploys it
 * again.
 */
import { ledgerTableName } from '@ias/targets';
import { dryRun, planned, type DryRunResult, type OpsContext } from '../context';
import { EXIT, unsafe, type ExitCode } from '../errors';
import { following, goesOn, STOP_TIMEOUT_MS, type Waits } from '../follow';
import { runSteps } from '../progress';
import {
  buildInProgress,
  followBuild,
  getBuilds,
  listBuilds,
  outcomeOf,
  stopBuild,
  BUILDS_LOOKED_AT,
  type BuildOutcome,
  type BuildSummary,
} from '../aws/codebuild';
import { kubernetesIn } from '../kinds/kubernetes';
import { buildFollowMs, plannedRun, runBuild, type BuildRun } from '../kinds/kubernetes/build';
import {
  applicationHistory,
  RELEASES_READ,
  servedBefore,
  stillRuns,
  type ApplicationEntry,
} from '../kinds/kubernetes/history';

/** Arguments of `kubernetes rollback`. */
export interface KubernetesRollbackArgs {
  /** The application's folder name. */
  readonly app: string;
  readonly env: string | undefined;
}

/** What `kubernetes rollback` did. */
export interface KubernetesRollbackResult {
  readonly environment: string;
  readonly application: string;
  readonly deployProject: string;
  /** `stopped-build`: a deployment in progress was stopped; `switched-back`: users went back to `to`. */
  readonly action: 'stopped-build' | 'switched-back';
  /**
   * How it ended: `rolled-back` (the stopped deployment's users are on the color that served) or
   * `not-rolled-back` (it had gone live before the stop); `succeeded` or `failed` for a switch back.
   */
  readonly outcome: 'rolled-back' | 'not-rolled-back' | 'succeeded' | 'failed';
  /** The build stopped or started. */
  readonly build: string;
  /** What served before (a switch back), as the ledger recorded it. */
  readonly from?: ApplicationEntry;
  /** The color users go back to, and what it served with (a switch back). */
  readonly to?: ApplicationEntry;
  /** What serves now, once a switch back succeeded (recorded in the ledger). */
  readonly live?: ApplicationEntry;
  readonly summary: string;
}

/** A stopped deployment's outcome: switched back or left as it was, unless it went live first. */
function stopOutcome(outcome: BuildOutcome): KubernetesRollbackResult['outcome'] {
  return outcome === 'succeeded' ? 'not-rolled-back' : 'rolled-back';
}

/** `kubernetes rollback`: stop the deployment in progress, else switch back to the color that served before. */
export async function kubernetesRollback(
  ctx: OpsContext,
  args: KubernetesRollbackArgs,
  waits: Waits = {},
): Promise<KubernetesRollbackResult | DryRunResult> {
  const { env, target } = kubernetesIn(ctx, args.env, args.app);
  const table = ledgerTableName(env.prefix, env.name);
  const project = target.deployProject;
  const base = { environment: env.name, application: target.app, deployProject: project };
  if (ctx.dryRun) {
    return dryRun(
      planned('codebuild', listBuilds(project)),
      planned('codebuild', getBuilds([`<the latest ${BUILDS_LOOKED_AT} IDs, for one in progress>`])),
      planned('codebuild', stopBuild('<the build in progress, if any: then nothing else>')),
      {
        service: 'dynamodb',
        command: 'Query',
        input: { TableName: table, ScanIndexForward: false, Limit: RELEASES_READ },
      },
      {
        ...planned('codebuild', listBuilds(project)),
        input: {
          projectName: project,
          sortOrder: 'DESCENDING',
          note: 'with BatchGetBuilds: the deployments since the previous color went idle',
        },
      },
      ...plannedRun(project, {
        action: 'switch-back',
        to: '<the color that served before, from the ledger>',
      }),
    );
  }
  const aws = await ctx.awsFor(env);
  const follow = following(waits, goesOn(env.name));

  // 1. A deployment in progress: stop it, the switch puts the routing back.
  const running = await buildInProgress(aws, project);
  if (running !== undefined) {
    let ended: BuildSummary | undefined;
    await runSteps(ctx, [
      {
        title: `stop build ${running.id}`,
        task: async (report) => {
          await aws.codebuild.send(stopBuild(running.id));
          ended = await followBuild(aws, running.id, follow(report, STOP_TIMEOUT_MS));
        },
      },
    ]);
    const build = ended as BuildSummary | undefined;
    const outcome = stopOutcome(build ? outcomeOf(build) : 'stopped');
    return {
      ...base,
      action: 'stopped-build',
      outcome,
      build: running.id,
      summary:
        outcome === 'rolled-back'
          ? `${target.app}: build ${running.id} stopped (${build?.status ?? '?'}): the switch left users on, or sent them back to, the color that served`
          : `${target.app}: build ${running.id} went live before it stopped (${build?.exported.color ?? '?'} serves ${build?.exported.image ?? '?'}): run this again to switch back`,
    };
  }

  // 2. Else the color that served before, if it still runs what it served with.
  const history = await applicationHistory(aws, table, target.app);
  const before = servedBefore(history);
  const current = history[0];
  if (current === undefined || before === undefined) {
    throw unsafe(
      current === undefined
        ? `no release of ${table} records ${target.app}: there is no switch to go back from`
        : `${target.app} has served on ${current.entry.color} only in the last ${RELEASES_READ} releases: there is no other color to go back to`,
    );
  }
  const { previous } = before;
  const check = await stillRuns(aws, project, history, previous.entry.color, previous.entry.image);
  if (!check.runs) {
    throw unsafe(
      `${previous.entry.color} may no longer run ${previous.entry.image} (${check.why}): deploy it again with "ias-ops rollback --release ${previous.release} --env ${env.name}"`,
    );
  }
  const request = { action: 'switch-back', to: previous.entry.color } as const;
  let run: BuildRun | undefined;
  await runSteps(ctx, [
    {
      title: `every user of ${target.app} back to ${previous.entry.color} (${previous.entry.image})`,
      task: async (report) => {
        run = await runBuild(aws, target, request, {
          ...follow(report, buildFollowMs(env, request)),
          known: previous.entry,
          onStart: (id) => report(`started build ${id}`),
        });
      },
    },
  ]);
  const done = run as BuildRun | undefined;
  const live = done?.live;
  return {
    ...base,
    action: 'switched-back',
    outcome: live ? 'succeeded' : 'failed',
    build: done?.build.id ?? '',
    from: current.entry,
    to: previous.entry,
    ...(live ? { live } : {}),
    summary: live
      ? `${target.app}: every user back on ${live.color} (${live.image}, manifests ${live.revision}), switched by build ${done?.build.id ?? '?'}`
      : `${target.app}: the switch back to ${previous.entry.color} did not complete (build ${done?.build.id ?? '?'} ended ${done?.build.status ?? '?'}${done?.build.logs ? `; its log: ${done.build.logs}` : ''}); users stay on ${current.entry.color}`,
  };
}

/** The exit code of `kubernetes rollback`: 0 once users are back, else 1. */
export function kubernetesRollbackExit(r: KubernetesRollbackResult): ExitCode {
  return r.outcome === 'rolled-back' || r.outcome === 'succeeded' ? EXIT.ok : EXIT.failed;
}

/** Text of `kubernetes rollback`: the summary. */
export function formatKubernetesRollback(r: KubernetesRollbackResult): string {
  return r.summary;
}

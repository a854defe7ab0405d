/**
 * One run of a Kubernetes application's deploy project, as `deploy kubernetes`, `kubernetes rollback` and
 * `rollback --release N` make it: StartBuild with the request, follow the build to its end, and read
 * what serves the application now from the variables the switch exported.
 */
import type { EnvironmentConfig } from '@ias/infra/config';
import type { KubernetesTarget } from '@ias/targets';
import type { AwsClients, PlannedCall } from '../../context';
import { planned } from '../../context';
import {
  followBuild,
  getBuilds,
  outcomeOf,
  startBuild,
  type BuildOutcome,
  type BuildRequest,
  type BuildSummary,
  type PlannedRequest,
} from '../../aws/codebuild';
import type { FollowOptions } from '../../follow';
import type { ApplicationEntry } from './history';

/** Minutes a new color may take to roll out and pass its tests, besides the profile's bakes. */
const ROLLOUT_MINUTES = 15;

/** Minutes CodeBuild may take to provision the build and the switch to start, and to end. */
const BUILD_OVERHEAD_MINUTES = 15;

/**
 * How long a build is followed, in ms: a deployment runs through every step's bake and keeps the old color
 * for its retention time, watching the alarms; a switch back only waits for its color to roll out.
 */
export function buildFollowMs(env: EnvironmentConfig, request: BuildRequest): number {
  const { steps, bakeMinutes, oldColorRetentionMinutes } = env.profile.kubernetes.deployment;
  const minutes =
    request.action === 'deploy'
      ? ROLLOUT_MINUTES + steps.length * bakeMinutes + oldColorRetentionMinutes + BUILD_OVERHEAD_MINUTES
      : ROLLOUT_MINUTES + BUILD_OVERHEAD_MINUTES;
  return minutes * 60_000;
}

/** The calls of one run of project `projectName`, as `--dry-run` lists them. */
export function plannedRun(projectName: string, request: PlannedRequest): PlannedCall[] {
  return [
    planned('codebuild', startBuild(projectName, request)),
    {
      ...planned('codebuild', getBuilds(['<the build StartBuild started>'])),
      input: { ids: ['<the build StartBuild started>'], note: 'repeated until the build ends' },
    },
  ];
}

/** How a run ended. */
export interface BuildRun {
  readonly build: BuildSummary;
  readonly outcome: BuildOutcome;
  /**
   * What serves the application now, once the switch succeeded: its exported `COLOR`, `IMAGE` and
   * `REVISION`, each missing one taken from `known` (what the ledger recorded of the color switched to).
   * Undefined when it did not succeed, or when a value is neither exported nor known.
   */
  readonly live: ApplicationEntry | undefined;
}

/** Starts the project with `request`, follows the build to its end and reads what it exported. */
export async function runBuild(
  aws: AwsClients,
  target: KubernetesTarget,
  request: BuildRequest,
  options: FollowOptions & { readonly known?: ApplicationEntry; readonly onStart?: (id: string) => void },
): Promise<BuildRun> {
  const started = await aws.codebuild.send(startBuild(target.deployProject, request));
  const id = started.build?.id;
  if (id === undefined) throw new Error(`StartBuild of ${target.deployProject} answered no build ID`);
  options.onStart?.(id);
  const build = await followBuild(aws, id, options);
  const outcome = outcomeOf(build);
  const color =
    build.exported.color ??
    (request.action === 'switch-back' ? request.to : undefined) ??
    options.known?.color;
  const image =
    build.exported.image ?? (request.action === 'deploy' ? request.image : undefined) ?? options.known?.image;
  const revision =
    build.exported.revision ?? (options.known?.color === color ? options.known?.revision : undefined);
  const live =
    outcome === 'succeeded' && color !== undefined && image !== undefined && revision !== undefined
      ? { color, image, revision }
      : undefined;
  return { build, outcome, live };
}

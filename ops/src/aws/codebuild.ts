/**
 * A Kubernetes application's deploy project: the CodeBuild project inside the VPC that runs the
 * blue/green switch (the cluster's API endpoint is private, so `ias-ops` never calls it). Commands start
 * it with `ACTION` (`deploy` with `IMAGE`, or `switch-back` with `TO`), follow the build, and read the
 * variables it exports when it ends (`RESULT`, `COLOR`, `IMAGE`, `REVISION`); `deployments stop` stops
 * one, and the switch, told to stop, leaves the routing as it was or switches back.
 *
 * @see https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html
 * @see https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env.exported-variables
 */
import {
  BatchGetBuildsCommand,
  ListBuildsForProjectCommand,
  StartBuildCommand,
  StopBuildCommand,
  type Build,
  type EnvironmentVariable,
} from '@aws-sdk/client-codebuild';
import {
  COLORS,
  KUBERNETES_EXPORTED_VARIABLES,
  type Color,
  type KubernetesAction,
  type KubernetesTarget,
} from '@ias/targets';
import type { AwsClients } from '../context';
import { hasErrorName } from '../errors';
import { follow, type FollowOptions } from '../follow';

/** An environment's Kubernetes application and the project that deploys it. */
export interface DeployProject {
  /** The application's folder name. */
  readonly name: string;
  /** Its deploy project, `<prefix>-<env>-<app>-k8s-deploy`. */
  readonly projectName: string;
}

/** The project of a target. */
export function deployProjectOf(target: KubernetesTarget): DeployProject {
  return { name: target.app, projectName: target.deployProject };
}

/** What a build is asked to do: deploy an image, or send every user to a color. */
export type BuildRequest =
  | { readonly action: Extract<KubernetesAction, 'deploy'>; readonly image: string }
  | { readonly action: Extract<KubernetesAction, 'switch-back'>; readonly to: Color };

/** A request as `--dry-run` may spell it: its values may be placeholders. */
export type PlannedRequest =
  | { readonly action: BuildRequest['action'] & 'deploy'; readonly image: string }
  | { readonly action: BuildRequest['action'] & 'switch-back'; readonly to: string };

/** StartBuild of the project with the request as environment-variable overrides. */
export function startBuild(projectName: string, request: PlannedRequest): StartBuildCommand {
  const variables: EnvironmentVariable[] = [{ name: 'ACTION', value: request.action, type: 'PLAINTEXT' }];
  if (request.action === 'deploy') variables.push({ name: 'IMAGE', value: request.image, type: 'PLAINTEXT' });
  else variables.push({ name: 'TO', value: request.to, type: 'PLAINTEXT' });
  return new StartBuildCommand({ projectName, environmentVariablesOverride: variables });
}

/** The project's builds, newest first (IDs only: {@link getBuilds} describes them). */
export function listBuilds(projectName: string, nextToken?: string): ListBuildsForProjectCommand {
  return new ListBuildsForProjectCommand({
    projectName,
    sortOrder: 'DESCENDING',
    ...(nextToken !== undefined ? { nextToken } : {}),
  });
}

/** BatchGetBuilds of these IDs. */
export function getBuilds(ids: readonly string[]): BatchGetBuildsCommand {
  return new BatchGetBuildsCommand({ ids: [...ids] });
}

/** StopBuild of a build. */
export function stopBuild(id: string): StopBuildCommand {
  return new StopBuildCommand({ id });
}

/** A CodeBuild build ID: `<project>:<UUID>`. */
export function isBuildId(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(
    value,
  );
}

/** The project a build ID belongs to. */
export function projectOfBuild(id: string): string {
  return id.slice(0, id.lastIndexOf(':'));
}

/** What the switch says when it ends: its exported variables. */
export interface SwitchExports {
  /**
   * `succeeded`, `failed` or `rolled-back` (a deployment), `switched-back` (a switch back); undefined when
   * the build exported none (it stopped or crashed).
   */
  readonly result: string | undefined;
  /** The color serving now, once it went live; the color it tried otherwise (see {@link servingAfter}). */
  readonly color: Color | undefined;
  readonly image: string | undefined;
  /** The manifest revision applied. */
  readonly revision: string | undefined;
  /**
   * Why it did not go live, one line: the failure, or who switched it back (`alarm … during the
   * bake`, `the canary judge at 5 %: …`); undefined when it went live, or when the build predates it.
   */
  readonly reason: string | undefined;
}

/** One build of a deploy project, as the commands show and judge it. */
export interface BuildSummary {
  /** `<project>:<UUID>`, which `deployments stop` takes. */
  readonly id: string;
  /** CodeBuild's status: IN_PROGRESS, SUCCEEDED, FAILED, FAULT, TIMED_OUT or STOPPED. */
  readonly status: string;
  readonly inProgress: boolean;
  /** The phase it is in (BUILD while the switch runs). */
  readonly phase: string | undefined;
  readonly started: string | undefined;
  readonly ended: string | undefined;
  /** What it was asked: its `ACTION`, and `IMAGE` (deploy) or `TO` (switch-back). */
  readonly action: string | undefined;
  readonly image: string | undefined;
  readonly to: string | undefined;
  /** Who started it (an IAM identity, or the pipeline). */
  readonly initiator: string | undefined;
  /** What it exported, once ended. */
  readonly exported: SwitchExports;
  /** The console link to its logs, when CodeBuild gives one. */
  readonly logs: string | undefined;
}

function variable(list: readonly { name?: string; value?: string }[] | undefined, name: string) {
  const value = list?.find((v) => v.name === name)?.value;
  return value === undefined || value === '' ? undefined : value;
}

function colorOf(value: string | undefined): Color | undefined {
  return COLORS.find((c) => c === value);
}

/** A build as {@link BuildSummary}. */
export function summarize(build: Build): BuildSummary {
  const env = build.environment?.environmentVariables;
  const exported = build.exportedEnvironmentVariables;
  const [result, color, image, revision, reason] = KUBERNETES_EXPORTED_VARIABLES.map((n) =>
    variable(exported, n),
  );
  return {
    id: build.id ?? '',
    status: build.buildStatus ?? '',
    inProgress: build.buildStatus === 'IN_PROGRESS',
    phase: build.currentPhase,
    started: build.startTime?.toISOString(),
    ended: build.endTime?.toISOString(),
    action: variable(env, 'ACTION'),
    image: variable(env, 'IMAGE'),
    to: variable(env, 'TO'),
    initiator: build.initiator,
    exported: { result, color: colorOf(color), image, revision, reason },
    logs: build.logs?.deepLink,
  };
}

/** Describes builds, in the order of `ids`. */
export async function describeBuilds(aws: AwsClients, ids: readonly string[]): Promise<BuildSummary[]> {
  if (ids.length === 0) return [];
  const builds = (await aws.codebuild.send(getBuilds(ids))).builds ?? [];
  return ids.flatMap((id) => {
    const found = builds.find((b) => b.id === id);
    return found ? [summarize(found)] : [];
  });
}

/** The latest builds of a project, newest first; `exists` false when there is no such project. */
export async function latestBuilds(
  aws: AwsClients,
  projectName: string,
  count: number,
): Promise<{ readonly exists: boolean; readonly builds: readonly BuildSummary[] }> {
  let ids: string[];
  try {
    ids = (await aws.codebuild.send(listBuilds(projectName))).ids ?? [];
  } catch (err) {
    if (hasErrorName(err, 'ResourceNotFoundException')) return { exists: false, builds: [] };
    throw err;
  }
  return { exists: true, builds: await describeBuilds(aws, ids.slice(0, count)) };
}

/**
 * How many of a project's latest builds are read to find one in progress: a deploy project runs one build
 * at a time per caller, so a build in progress is among the newest.
 */
export const BUILDS_LOOKED_AT = 10;

/** The project's build in progress, if any (the newest). */
export async function buildInProgress(
  aws: AwsClients,
  projectName: string,
): Promise<BuildSummary | undefined> {
  const { builds } = await latestBuilds(aws, projectName, BUILDS_LOOKED_AT);
  return builds.find((b) => b.inProgress);
}

/**
 * Every build of the project started at or after `since` (ISO 8601), newest first, paging through the
 * project's history until older builds show.
 */
export async function buildsSince(
  aws: AwsClients,
  projectName: string,
  since: string,
): Promise<BuildSummary[]> {
  const found: BuildSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await aws.codebuild.send(listBuilds(projectName, nextToken));
    const builds = await describeBuilds(aws, page.ids ?? []);
    for (const build of builds) {
      if (build.started !== undefined && build.started < since) return found;
      found.push(build);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return found;
}

/** How a build ended, as the commands report it and pick their exit code. */
export type BuildOutcome = 'succeeded' | 'failed' | 'rolled-back' | 'stopped';

/**
 * The outcome of an ended build: the switch's `RESULT` when it exported one (a deployment's
 * `succeeded`, `failed` or `rolled-back`; a switch back's `switched-back`, which is its success); else
 * `stopped` for a build stopped before it could, `failed` for any other end (a crash, a time-out).
 */
export function outcomeOf(build: BuildSummary): BuildOutcome {
  switch (build.exported.result) {
    case 'succeeded':
    case 'switched-back':
      return 'succeeded';
    case 'failed':
    case 'rolled-back':
      return build.exported.result;
    default:
      return build.status === 'STOPPED' ? 'stopped' : 'failed';
  }
}

/**
 * The color serving once a build ended: its exported `COLOR` when it went live (a deployment that failed
 * or was switched back exports the color it tried, while users stay on the other).
 */
export function servingAfter(build: BuildSummary): Color | undefined {
  return outcomeOf(build) === 'succeeded' ? build.exported.color : undefined;
}

/** One progress line of a build. */
export function describeBuild(build: BuildSummary): string {
  const state = build.inProgress
    ? `${build.status} in ${build.phase ?? '?'}`
    : `${build.status}${build.exported.result ? ` (RESULT=${build.exported.result})` : ''}`;
  return `build ${build.id}: ${state}`;
}

/** Follows a build until CodeBuild ends it, reporting its phase. */
export function followBuild(aws: AwsClients, id: string, options: FollowOptions): Promise<BuildSummary> {
  return follow(
    async () => {
      const [build] = await describeBuilds(aws, [id]);
      if (build === undefined) throw new Error(`CodeBuild describes no build ${id}`);
      return build;
    },
    (b) => !b.inProgress,
    describeBuild,
    options,
  );
}

/**
 * `deployments list|continue|stop` of the Kubernetes applications, whose deployments are builds of their
 * deploy projects (CodeBuild inside the VPC, running the switch). `list` shows each project's builds in
 * progress and the last ones; `stop` stops a build with StopBuild, and the switch, told to stop, leaves
 * the routing as it was or switches every user back to the color that served; `continue` has nothing
 * to act on: the switch runs its steps and bakes by itself, holding no wait for an operator.
 */
import type { EnvironmentConfig } from '@ias/infra/config';
import { dryRun, planned, type DryRunResult, type OpsContext, type PlannedCall } from '../context';
import { badInput, unsafe } from '../errors';
import { STOP_TIMEOUT_MS, type Waits } from '../follow';
import { runSteps } from '../progress';
import {
  describeBuilds,
  followBuild,
  getBuilds,
  latestBuilds,
  listBuilds,
  outcomeOf,
  projectOfBuild,
  servingAfter,
  stopBuild,
  type BuildSummary,
  type DeployProject,
} from '../aws/codebuild';
import { deployProjects } from '../kinds';

/** A deploy project of the environment with its builds, as `deployments list` shows it. */
export type ProjectDeployments = DeployProject & {
  /** False when the project does not exist (the application's stack is not deployed). */
  readonly exists: boolean;
  /** Its builds in progress and the last ones, newest first. */
  readonly builds: readonly BuildSummary[];
};

/** The calls `deployments list` makes for a project. */
export function listProjectCalls(project: DeployProject): PlannedCall[] {
  return [
    planned('codebuild', listBuilds(project.projectName)),
    planned('codebuild', getBuilds(['<the latest IDs from ListBuildsForProject>'])),
  ];
}

/** A project's latest `count` builds (a build in progress is among the newest). */
export async function projectDeployments(
  ctx: OpsContext,
  env: EnvironmentConfig,
  project: DeployProject,
  count: number,
): Promise<ProjectDeployments> {
  const aws = await ctx.awsFor(env);
  return { ...project, ...(await latestBuilds(aws, project.projectName, count)) };
}

/** The summary line of a build, as `deployments list` shows it. */
export function buildLine(b: BuildSummary) {
  const asked = b.action === 'switch-back' ? `switch back to ${b.to ?? '?'}` : `deploy ${b.image ?? '?'}`;
  return {
    id: b.id,
    status: b.status,
    created: b.started,
    extra: [
      asked,
      b.inProgress ? `in ${b.phase ?? '?'}` : undefined,
      b.exported.result !== undefined
        ? `RESULT=${b.exported.result}${servingAfter(b) ? `, ${servingAfter(b) ?? ''} serves` : ''}`
        : undefined,
    ],
  };
}

/** What `continue` or `stop` of a build did. */
export interface BuildActionResult {
  readonly environment: string;
  readonly deploymentId: string;
  readonly controller: 'codebuild';
  readonly projectName: string;
  /** The Kubernetes application. */
  readonly app: string;
  /** `rolled-back`: the build ended without going live; `stopped`: it had gone live before the stop. */
  readonly outcome: 'rolled-back' | 'stopped';
  readonly summary: string;
}

/**
 * The environment's deploy project a build belongs to.
 *
 * @throws OpsError (exit 2) for a build of another project (another environment's, or project's)
 */
export function projectOf(ctx: OpsContext, env: EnvironmentConfig, id: string): DeployProject {
  const name = projectOfBuild(id);
  const project = deployProjects(ctx, env).find((p) => p.projectName === name);
  if (project === undefined) {
    throw badInput(
      `build ${id} belongs to ${name}, not to a deploy project of ${env.name} (${env.prefix}-${env.name}-<app>-k8s-deploy): check --env`,
    );
  }
  return project;
}

/**
 * `continue` of a build: refused (exit 4), there is nothing to continue. The switch moves users through
 * the profile's steps, each followed by its bake, by itself; it holds no wait for an operator.
 */
export function buildContinue(env: EnvironmentConfig, id: string, project: DeployProject): never {
  throw unsafe(
    `${project.name} is deployed by its deploy project ${project.projectName}, whose switch holds no wait for an operator: it moves users through the profile's steps and bakes by itself, so there is nothing to continue (stop it with "ias-ops deployments stop ${id} --env ${env.name}", which switches back)`,
  );
}

/**
 * `stop` of a build: StopBuild, then follows it until CodeBuild ends it. The switch, told to stop, leaves
 * the routing as it was or switches every user back to the color that served: `rolled-back` (exit 3)
 * unless the deployment had gone live first (`stopped`, exit 1: `kubernetes rollback` switches back).
 * Refuses (exit 4) a build that already ended.
 */
export async function buildStop(
  ctx: OpsContext,
  env: EnvironmentConfig,
  id: string,
  project: DeployProject,
  waits: Waits,
): Promise<BuildActionResult | DryRunResult> {
  if (ctx.dryRun) {
    return dryRun(planned('codebuild', getBuilds([id])), planned('codebuild', stopBuild(id)), {
      ...planned('codebuild', getBuilds([id])),
      input: { ids: [id], note: 'repeated until the build ends' },
    });
  }
  const aws = await ctx.awsFor(env);
  const [build] = await describeBuilds(aws, [id]);
  if (build === undefined) {
    throw badInput(
      `build ${id} does not exist in ${env.profile.region}: list them with "ias-ops deployments list --env ${env.name}"`,
    );
  }
  if (!build.inProgress) {
    throw unsafe(`build ${id} already ended (${build.status}): there is nothing to stop`);
  }
  let ended: BuildSummary | undefined;
  await runSteps(ctx, [
    {
      title: `stop build ${id}; the switch leaves or puts the routing back`,
      task: async (report) => {
        await aws.codebuild.send(stopBuild(id));
        ended = await followBuild(aws, id, {
          waits,
          timeoutMs: STOP_TIMEOUT_MS,
          report,
          hint: `check it with "ias-ops deployments list --env ${env.name}"`,
        });
      },
    },
  ]);
  const final = ended as BuildSummary | undefined;
  const live = final !== undefined && outcomeOf(final) === 'succeeded';
  return {
    environment: env.name,
    deploymentId: id,
    controller: 'codebuild',
    projectName: project.projectName,
    app: project.name,
    outcome: live ? 'stopped' : 'rolled-back',
    summary: live
      ? `stopped, not rolled back: build ${id} went live before it stopped (${servingAfter(final) ?? '?'} serves); "ias-ops kubernetes rollback ${project.name} --env ${env.name}" switches back`
      : `rolled back: build ${id} ended ${final?.status ?? '?'}, the switch left users on, or sent them back to, the color that served`,
  };
}

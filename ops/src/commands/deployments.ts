/**
 * `deployments list|continue|stop --env E`: an environment's deployments in flight and the two actions an
 * operator takes on one. CodeDeploy's (one group per function, one per service delivered with
 * codedeploy-blue-green, one per EC2 application, in place or blue/green): continue skips the remaining
 * wait, stop rolls back. Amazon ECS's own (the services on ecs-blue-green, ecs-linear, ecs-canary or
 * rolling): continue releases a pause hook, stop rolls back. A Kubernetes application's (builds of its deploy project): stop switches back, continue
 * is refused (./build-deployments.ts). `list` shows the canary judge's live verdict of each deployment in
 * flight too (./deployment-canary.ts).
 */
import {
  BatchGetDeploymentsCommand,
  ContinueDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type DeploymentInfo,
  type DeploymentWaitType,
} from '@aws-sdk/client-codedeploy';
import type { DeploymentState } from '@ias/delivery';
import type { EnvironmentConfig } from '@ias/infra/config';
import {
  dryRun,
  inEnvironment,
  isDryRun,
  planned,
  services,
  type AwsClients,
  type DryRunResult,
  type OpsContext,
  type PlannedCall,
} from '../context';
import { badInput, errorName, EXIT, unsafe, type ExitCode } from '../errors';
import { followCodeDeploy, STOP_TIMEOUT_MS, type Waits } from '../follow';
import { runSteps } from '../progress';
import { IN_PROGRESS, type CodeDeployGroup } from '../aws/codedeploy';
import { codeDeployGroups, deployProjects, ecsServices } from '../kinds';
import { instanceCounts, revisionOf, revisionWords } from '../kinds/ec2/deployment';
import { buildInProgress, isBuildId, type BuildSummary, type DeployProject } from '../aws/codebuild';
import {
  buildContinue,
  buildLine,
  buildStop,
  listProjectCalls,
  projectDeployments,
  projectOf,
  type ProjectDeployments,
} from './build-deployments';
import {
  canaryQueryCall,
  canaryWords,
  readCanaryLooks,
  type CanaryReading,
  type WithCanary,
} from './deployment-canary';
import {
  continueServiceDeployment,
  ECS_STOPPABLE,
  followServiceDeployment,
  isServiceDeploymentArn,
  listServiceDeploymentCalls,
  ownServiceDeployment,
  pausedHook,
  serviceDeployments,
  stoppableServiceDeployments,
  rollBackServiceDeployment,
  stopServiceDeployment,
  type EcsService,
  type ServiceDeploymentEnd,
  type ServiceDeploymentSummary,
} from '../aws/ecs-deployments';

/** How many of a group's latest deployments `deployments list` shows, besides those in progress. */
export const LAST_SHOWN = 5;

/** A CodeDeploy deployment group of the environment. */
export type Group = CodeDeployGroup;

/** One deployment, as `list` shows it. */
export interface DeploymentSummary {
  readonly id: string;
  readonly status: string;
  readonly inProgress: boolean;
  readonly created: string | undefined;
  readonly completed: string | undefined;
  readonly error: string | undefined;
  /** The deployment that rolled this one back, if any. */
  readonly rolledBackBy: string | undefined;
  /** An EC2 application's deployment: its instances by lifecycle status (`2 Succeeded, 1 InProgress`). */
  readonly instances?: readonly string[];
  /** An EC2 application's deployment: the revision it installs (`s3://<bucket>/<key> (version <v>)`). */
  readonly revision?: string;
  /**
   * An EC2 application's blue/green deployment that waits: `READY_WAIT` (the green fleet is ready for
   * the traffic) or `TERMINATION_WAIT` (the green fleet serves, the blue one is kept).
   */
  readonly waiting?: DeploymentWaitType;
}

/** The result of `deployments list`. */
export interface DeploymentsListResult {
  readonly environment: string;
  readonly region: string;
  readonly groups: readonly (Group & {
    /** False when the application or group does not exist (the stack is not deployed). */
    readonly exists: boolean;
    readonly deployments: readonly WithCanary<DeploymentSummary>[];
  })[];
  /** The services Amazon ECS deploys itself, with their service deployments. */
  readonly services: readonly (EcsService & {
    /** False when the cluster or service does not exist (not deployed, or no image delivered yet). */
    readonly exists: boolean;
    readonly deployments: readonly WithCanary<ServiceDeploymentSummary>[];
  })[];
  /** The Kubernetes applications' deploy projects, with their builds. */
  readonly projects: readonly (Omit<ProjectDeployments, 'builds'> & {
    readonly builds: readonly WithCanary<BuildSummary>[];
  })[];
}

function listCalls(g: Group) {
  const base = { applicationName: g.application, deploymentGroupName: g.deploymentGroup };
  return {
    inProgress: new ListDeploymentsCommand({ ...base, includeOnlyStatuses: IN_PROGRESS }),
    all: new ListDeploymentsCommand(base),
  };
}

function summary(d: DeploymentInfo): DeploymentSummary {
  return {
    id: d.deploymentId ?? '',
    status: d.status ?? '',
    inProgress: d.status !== undefined && IN_PROGRESS.includes(d.status),
    created: d.createTime?.toISOString(),
    completed: d.completeTime?.toISOString(),
    error: d.errorInformation?.message,
    rolledBackBy: d.rollbackInfo?.rollbackDeploymentId,
  };
}

/** An EC2 application's deployment: its instances, its revision and the wait it is held in, besides. */
function fleetSummary(d: DeploymentInfo): DeploymentSummary {
  const revision = revisionOf(d);
  const waiting = waitTypeOf(d);
  return {
    ...summary(d),
    instances: instanceCounts(d),
    ...(revision !== undefined ? { revision: revisionWords(revision) } : {}),
    ...(waiting !== undefined ? { waiting } : {}),
  };
}

async function groupDeployments(aws: AwsClients, g: Group) {
  const calls = listCalls(g);
  try {
    const [inProgress, all] = await Promise.all([
      aws.codedeploy.send(calls.inProgress),
      aws.codedeploy.send(calls.all),
    ]);
    const ids = [
      ...new Set([...(inProgress.deployments ?? []), ...(all.deployments ?? []).slice(0, LAST_SHOWN)]),
    ];
    const infos =
      ids.length > 0
        ? ((await aws.codedeploy.send(new BatchGetDeploymentsCommand({ deploymentIds: ids })))
            .deploymentsInfo ?? [])
        : [];
    const deployments = [...infos]
      .sort((a, b) => (b.createTime?.getTime() ?? 0) - (a.createTime?.getTime() ?? 0))
      .map(g.kind === 'ec2' ? fleetSummary : summary);
    return { ...g, exists: true, deployments };
  } catch (err) {
    const name = errorName(err);
    if (name === 'ApplicationDoesNotExistException' || name === 'DeploymentGroupDoesNotExistException') {
      return { ...g, exists: false, deployments: [] };
    }
    throw err;
  }
}

/** Arguments of `deployments list`. */
export interface DeploymentsListArgs {
  readonly env: string | undefined;
}

/** `deployments` with the reading of each one in flight as its `canary`. */
function withCanaries<T extends { readonly id: string; readonly inProgress: boolean }>(
  deployments: readonly T[],
  readings: ReadonlyMap<string, CanaryReading>,
): WithCanary<T>[] {
  return deployments.map((d) => {
    const canary = d.inProgress ? readings.get(d.id) : undefined;
    return canary === undefined ? d : { ...d, canary };
  });
}

/**
 * `deployments list`: per CodeDeploy group and per service Amazon ECS deploys, the deployments in progress
 * and the last {@link LAST_SHOWN}; of each one in progress, the canary judge's latest look.
 */
export const deploymentsList = inEnvironment<DeploymentsListArgs, DeploymentsListResult>(async (ctx, env) => {
  const all = codeDeployGroups(ctx, env);
  const native = ecsServices(ctx, env);
  const projects = deployProjects(ctx, env);
  if (ctx.dryRun) {
    const calls: PlannedCall[] = [];
    for (const g of all) {
      const c = listCalls(g);
      calls.push(
        planned('codedeploy', c.inProgress),
        planned('codedeploy', c.all),
        planned(
          'codedeploy',
          new BatchGetDeploymentsCommand({ deploymentIds: ['<ids from ListDeployments>'] }),
        ),
      );
    }
    for (const s of native) {
      const c = listServiceDeploymentCalls(s);
      calls.push(planned('ecs', c.active), planned('ecs', c.recent), {
        service: 'ecs',
        command: 'DescribeServiceDeployments',
        input: { serviceDeploymentArns: ['<ARNs from ListServiceDeployments>'] },
      });
    }
    for (const p of projects) calls.push(...listProjectCalls(p));
    calls.push(canaryQueryCall(env));
    return dryRun(...calls);
  }
  const aws = await ctx.awsFor(env);
  const found: DeploymentsListResult['groups'][number][] = [];
  const ecsFound: DeploymentsListResult['services'][number][] = [];
  const projectsFound: ProjectDeployments[] = [];
  let canaries: Awaited<ReturnType<typeof readCanaryLooks>> = { readings: new Map() };
  await runSteps(ctx, [
    ...all.map((g, i) => ({
      title: `${g.kind} ${g.deploymentGroup}`,
      task: async () => {
        found[i] = await groupDeployments(aws, g);
      },
    })),
    ...native.map((s, i) => ({
      title: `service ${s.serviceName} (Amazon ECS)`,
      task: async () => {
        ecsFound[i] = await serviceDeployments(aws, s, LAST_SHOWN);
      },
    })),
    ...projects.map((p, i) => ({
      title: `kubernetes ${p.name} (${p.projectName})`,
      task: async () => {
        projectsFound[i] = await projectDeployments(ctx, env, p, LAST_SHOWN);
      },
    })),
    {
      title: 'canary verdicts of the deployments in flight',
      task: async () => {
        const inFlight = [
          ...found.flatMap((g) => g.deployments),
          ...ecsFound.flatMap((s) => s.deployments),
          ...projectsFound.flatMap((p) => p.builds),
        ].filter((d) => d.inProgress);
        canaries = await readCanaryLooks(
          aws,
          env,
          inFlight.map((d) => d.id),
        );
      },
    },
  ]);
  // Written here, not by main: the listing stands (and --json's stdout stays JSON), the reason goes beside.
  if (canaries.warning !== undefined) process.stderr.write(`warning: ${canaries.warning}\n`);
  return {
    environment: env.name,
    region: env.profile.region,
    groups: found.map((g) => ({ ...g, deployments: withCanaries(g.deployments, canaries.readings) })),
    services: ecsFound.map((s) => ({ ...s, deployments: withCanaries(s.deployments, canaries.readings) })),
    projects: projectsFound.map((p) => ({ ...p, builds: withCanaries(p.builds, canaries.readings) })),
  };
});

/** Text of `deployments list`. */
export function formatDeploymentsList(r: DeploymentsListResult): string {
  return [
    `${r.environment} (${r.region})`,
    ...r.groups.flatMap((g) =>
      deploymentBlock(
        `${g.kind} ${g.name}: ${g.application} / ${g.deploymentGroup}${g.kind === 'ec2' ? ' (CodeDeploy on its Auto Scaling group)' : ''}`,
        g.exists,
        g.deployments.map((d) => ({
          ...d,
          extra: [
            d.inProgress ? 'in progress' : undefined,
            canaryWords(d.canary),
            ...fleetExtra(d, r.environment),
            d.rolledBackBy !== undefined ? `rolled back by ${d.rolledBackBy}` : undefined,
            d.error,
          ],
        })),
      ),
    ),
    ...r.services.flatMap((s) =>
      deploymentBlock(
        `service ${s.name}: ${s.clusterName} / ${s.serviceName} (Amazon ECS, ${s.strategy})`,
        s.exists,
        s.deployments.map((d) => ({
          ...d,
          extra: [
            d.stage !== undefined && d.inProgress ? `at ${d.stage}` : undefined,
            canaryWords(d.canary),
            d.paused
              ? `PAUSED for the operator until ${d.paused.expiresAt ?? '?'} (then ${d.paused.timeoutAction ?? 'ROLLBACK'}): ias-ops deployments continue|stop ${s.name} --env ${r.environment}`
              : undefined,
            d.reason,
          ],
        })),
      ),
    ),
    ...r.projects.flatMap((p) =>
      deploymentBlock(
        `kubernetes ${p.name}: ${p.projectName} (CodeBuild; stop a build with ias-ops deployments stop <id> --env ${r.environment})`,
        p.exists,
        p.builds.map((b) => {
          const line = buildLine(b);
          return { ...line, extra: [...line.extra, canaryWords(b.canary)] };
        }),
      ),
    ),
  ].join('\n');
}

/** What an EC2 application's deployment line says besides: its wait, its instances and its revision. */
function fleetExtra(d: DeploymentSummary, environment: string): (string | undefined)[] {
  const act = `ias-ops deployments continue|stop ${d.id} --env ${environment}`;
  return [
    d.waiting === 'READY_WAIT' ? `the green fleet waits for the traffic: ${act}` : undefined,
    d.waiting === 'TERMINATION_WAIT' ? `the green fleet serves, the blue one is kept: ${act}` : undefined,
    d.instances !== undefined && d.instances.length > 0 ? `instances: ${d.instances.join(', ')}` : undefined,
    d.revision,
  ];
}

/** One group's or service's lines: a blank line, its header, then a line per deployment. */
function deploymentBlock(
  header: string,
  exists: boolean,
  deployments: readonly {
    id: string;
    status: string;
    created: string | undefined;
    extra: readonly (string | undefined)[];
  }[],
): string[] {
  if (!exists) return ['', header, '  not deployed'];
  if (deployments.length === 0) return ['', header, '  no deployments'];
  return [
    '',
    header,
    ...deployments.map((d) => {
      const extra = d.extra.filter((x) => x !== undefined);
      return `  ${d.id} ${d.status} ${d.created ?? ''}${extra.length > 0 ? ` — ${extra.join('; ')}` : ''}`;
    }),
  ];
}

/** Arguments of `deployments continue` and `deployments stop`. */
export interface DeploymentArgs {
  /**
   * A CodeDeploy deployment ID (`d-…`), an Amazon ECS service deployment ARN, or a function's or
   * service's name (its deployment in progress).
   */
  readonly deploymentId: string;
  readonly env: string | undefined;
}

/** What `continue` or `stop` did. */
export interface DeploymentActionResult {
  readonly environment: string;
  readonly deploymentId: string;
  /** Who runs the deployment. */
  readonly controller: 'codedeploy' | 'ecs' | 'codebuild';
  /** CodeDeploy's application and group (controller codedeploy). */
  readonly application?: string;
  readonly deploymentGroup?: string;
  /** The cluster and service (controller ecs). */
  readonly clusterName?: string;
  readonly serviceName?: string;
  /** The deploy project and its Kubernetes application (controller codebuild). */
  readonly projectName?: string;
  readonly app?: string;
  /** `continued`; for `stop`: `rolled-back`, or `stopped` when CodeDeploy did not roll back. */
  readonly outcome: 'continued' | 'rolled-back' | 'stopped';
  /** `continue`'s wait type (CodeDeploy). */
  readonly waitType?: DeploymentWaitType;
  /** The pause hook released (Amazon ECS). */
  readonly hookId?: string;
  readonly summary: string;
}

/**
 * Reads the deployment and checks it is one of the environment's groups.
 *
 * @throws OpsError (exit 2) for an unknown id or another environment's (or project's) deployment
 */
async function ownDeployment(
  ctx: OpsContext,
  aws: AwsClients,
  env: EnvironmentConfig,
  deploymentId: string,
): Promise<DeploymentInfo & { applicationName: string; deploymentGroupName: string }> {
  let info: DeploymentInfo | undefined;
  try {
    info = (await aws.codedeploy.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo;
  } catch (err) {
    const name = errorName(err);
    if (name === 'DeploymentDoesNotExistException' || name === 'InvalidDeploymentIdException') {
      throw badInput(
        `deployment ${deploymentId} does not exist in ${env.profile.region}: list them with "ias-ops deployments list --env ${env.name}"`,
      );
    }
    throw err;
  }
  const mine = codeDeployGroups(ctx, env).find(
    (g) => g.application === info?.applicationName && g.deploymentGroup === info.deploymentGroupName,
  );
  if (info === undefined || mine === undefined) {
    throw badInput(
      `deployment ${deploymentId} belongs to ${info?.applicationName ?? '?'} / ${info?.deploymentGroupName ?? '?'}, not to a group of ${env.name} (${env.prefix}-${env.name}-…-app): check --env`,
    );
  }
  return { ...info, applicationName: mine.application, deploymentGroupName: mine.deploymentGroup };
}

/** The deployment an operator named, and the lookup that found it (for `--dry-run`). */
interface NamedDeployment {
  readonly id: string;
  /** Who runs it: CodeDeploy, Amazon ECS, or a Kubernetes application's deploy project. */
  readonly controller: DeploymentActionResult['controller'];
  /** The deploy project of a build. */
  readonly project?: DeployProject;
  readonly lookup: PlannedCall[];
}

/**
 * The deployment `given` names: a CodeDeploy ID, a service deployment ARN or a CodeBuild build ID as it
 * is, or the deployment in progress of the function, service, Kubernetes or EC2 application of that
 * name. Kubernetes and EC2 applications are named as the service whose build they run, and that name
 * stays the service's: each is also found by its own resource's name (its deploy project, its
 * deployment group).
 *
 * @throws OpsError exit 4 when that workload has no deployment in progress, exit 2 when `given` is
 * neither an ID nor a name of the project
 */
async function named(ctx: OpsContext, env: EnvironmentConfig, given: string): Promise<NamedDeployment> {
  if (isServiceDeploymentArn(given)) return { id: given, controller: 'ecs', lookup: [] };
  if (/^d-[A-Za-z0-9]+$/.test(given)) return { id: given, controller: 'codedeploy', lookup: [] };
  if (isBuildId(given)) {
    return { id: given, controller: 'codebuild', project: projectOf(ctx, env, given), lookup: [] };
  }
  const groups = codeDeployGroups(ctx, env);
  const fleets = groups.filter((g) => g.kind === 'ec2');
  const shared = groups.find((g) => g.kind !== 'ec2' && g.name === given);
  const native = ecsServices(ctx, env).find((s) => s.name === given);
  const project = deployProjects(ctx, env).find(
    (p) => p.projectName === given || (p.name === given && shared === undefined && native === undefined),
  );
  if (project !== undefined) return namedBuild(ctx, env, given, project);
  const group =
    fleets.find((g) => g.deploymentGroup === given) ??
    shared ??
    (native === undefined ? fleets.find((g) => g.name === given) : undefined);
  if (group === undefined && native === undefined) {
    const names = [...ctx.project.functions.map((f) => f.name), ...services(ctx).map((s) => s.name)];
    const projects = deployProjects(ctx, env).map((p) => p.projectName);
    const fleetGroups = fleets.map((g) => g.deploymentGroup);
    const kinds = [
      'function',
      'service',
      ...(projects.length > 0 ? ['deploy project'] : []),
      ...(fleetGroups.length > 0 ? ['EC2 deployment group'] : []),
    ];
    const listed = `${kinds.slice(0, -1).join(', ')} or ${kinds.at(-1) ?? ''} (${[...names, ...projects, ...fleetGroups].join(', ')})`;
    const what =
      projects.length > 0
        ? `a service deployment ARN, a build ID, nor a ${listed}`
        : `a service deployment ARN, nor a ${listed}`;
    throw badInput(
      `"${given}" is neither a deployment ID (d-…), ${what}: list them with "ias-ops deployments list --env ${env.name}"`,
    );
  }
  if (group !== undefined) {
    const list = listCalls(group).inProgress;
    if (ctx.dryRun) {
      return {
        id: `<the deployment of ${given} in progress>`,
        controller: 'codedeploy',
        lookup: [planned('codedeploy', list)],
      };
    }
    const id = (await (await ctx.awsFor(env)).codedeploy.send(list)).deployments?.[0];
    if (id === undefined) throw nothingInProgress(given, env.name);
    return { id, controller: 'codedeploy', lookup: [] };
  }
  const list = stoppableServiceDeployments(native ?? { clusterName: '', serviceName: '' });
  if (ctx.dryRun) {
    return {
      id: `<the service deployment of ${given} in progress>`,
      controller: 'ecs',
      lookup: [planned('ecs', list)],
    };
  }
  const id = (await (await ctx.awsFor(env)).ecs.send(list)).serviceDeployments?.[0]?.serviceDeploymentArn;
  if (id === undefined) throw nothingInProgress(given, env.name);
  return { id, controller: 'ecs', lookup: [] };
}

/** The build in progress of a Kubernetes application's deploy project. */
async function namedBuild(
  ctx: OpsContext,
  env: EnvironmentConfig,
  given: string,
  project: DeployProject,
): Promise<NamedDeployment> {
  if (ctx.dryRun) {
    return {
      id: `<the build of ${project.projectName} in progress>`,
      controller: 'codebuild',
      project,
      lookup: listProjectCalls(project),
    };
  }
  const running = await buildInProgress(await ctx.awsFor(env), project.projectName);
  if (running === undefined) throw nothingInProgress(given, env.name);
  return { id: running.id, controller: 'codebuild', project, lookup: [] };
}

function nothingInProgress(name: string, environmentName: string) {
  return unsafe(`${name} has no deployment in progress in ${environmentName}: there is nothing to act on`);
}

/**
 * The wait a deployment is held in, if any: `Ready` is a blue/green deployment whose green side is up and
 * waits to be given the traffic (READY_WAIT); `InProgress` with the termination wait started has moved the
 * traffic and keeps blue until the wait ends (TERMINATION_WAIT: continuing ends it and terminates blue now).
 */
export function waitTypeOf(info: DeploymentInfo): DeploymentWaitType | undefined {
  if (info.status === 'Ready') return 'READY_WAIT';
  if (info.status === 'InProgress' && info.instanceTerminationWaitTimeStarted === true) {
    return 'TERMINATION_WAIT';
  }
  return undefined;
}

/**
 * `deployments continue`: ContinueDeployment with the wait type the deployment's status calls for
 * ({@link waitTypeOf}); refuses (exit 4) a deployment that waits for nothing.
 */
export const deploymentsContinue = inEnvironment<DeploymentArgs, DeploymentActionResult>(
  async (ctx, env, args) => {
    const target = await named(ctx, env, args.deploymentId);
    const deploymentId = target.id;
    if (target.project !== undefined) return buildContinue(env, deploymentId, target.project);
    if (target.controller === 'ecs') {
      return withLookup(target, await serviceDeploymentContinue(ctx, env, deploymentId));
    }
    if (ctx.dryRun) {
      return dryRun(...target.lookup, planned('codedeploy', new GetDeploymentCommand({ deploymentId })), {
        service: 'codedeploy',
        command: 'ContinueDeployment',
        input: {
          deploymentId,
          deploymentWaitType:
            '<READY_WAIT when GetDeployment says Ready, TERMINATION_WAIT when blue is kept>',
        },
      });
    }
    const aws = await ctx.awsFor(env);
    const info = await ownDeployment(ctx, aws, env, deploymentId);
    const waitType = waitTypeOf(info);
    if (waitType === undefined) {
      throw unsafe(
        `deployment ${deploymentId} is ${info.status ?? '?'}${info.status === 'InProgress' ? ' and not waiting' : ''}: there is no wait to continue (only Ready, or in progress keeping blue until its termination)`,
      );
    }
    await aws.codedeploy.send(new ContinueDeploymentCommand({ deploymentId, deploymentWaitType: waitType }));
    return {
      ...codeDeployAction(env, deploymentId, info),
      outcome: 'continued',
      waitType,
      summary:
        waitType === 'READY_WAIT'
          ? `deployment ${deploymentId}: traffic goes to the replacement now (READY_WAIT continued)`
          : `deployment ${deploymentId}: the original (blue) is terminated now (TERMINATION_WAIT continued)`,
    };
  },
);

/**
 * `deployments stop`: StopDeployment with rollback, then follows the deployment until CodeDeploy reports
 * it stopped; `rolled-back` (exit 3) when traffic went back, `stopped` (exit 1) when it did not.
 * Refuses (exit 4) a deployment that already ended.
 */
export const deploymentsStop = inEnvironment<DeploymentArgs, DeploymentActionResult, [waits?: Waits]>(
  async (ctx, env, args, waits = {}) => {
    const target = await named(ctx, env, args.deploymentId);
    const deploymentId = target.id;
    if (target.project !== undefined) {
      return withLookup(target, await buildStop(ctx, env, deploymentId, target.project, waits));
    }
    if (target.controller === 'ecs') {
      return withLookup(target, await serviceDeploymentStop(ctx, env, deploymentId, waits));
    }
    const stop = new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true });
    if (ctx.dryRun) {
      return dryRun(
        ...target.lookup,
        planned('codedeploy', new GetDeploymentCommand({ deploymentId })),
        planned('codedeploy', stop),
        planned('codedeploy', new GetDeploymentCommand({ deploymentId })),
      );
    }
    const aws = await ctx.awsFor(env);
    const info = await ownDeployment(ctx, aws, env, deploymentId);
    if (info.status === undefined || !IN_PROGRESS.includes(info.status)) {
      throw unsafe(
        `deployment ${deploymentId} already ended (${info.status ?? '?'}): there is nothing to stop`,
      );
    }
    let state: DeploymentState | undefined;
    await runSteps(ctx, [
      {
        title: `stop ${deploymentId} with rollback`,
        task: async (report) => {
          await aws.codedeploy.send(stop);
          state = await followCodeDeploy(aws.codedeploy, deploymentId, {
            waits,
            timeoutMs: STOP_TIMEOUT_MS,
            report,
            hint: `check it with "ias-ops deployments list --env ${env.name}"`,
          });
        },
      },
    ]);
    const final = state as DeploymentState | undefined;
    const rolledBack = final?.status === 'rolled-back';
    return {
      ...codeDeployAction(env, deploymentId, info),
      outcome: rolledBack ? 'rolled-back' : 'stopped',
      summary: rolledBack
        ? `rolled back: ${final?.summary ?? ''}`
        : `stopped, not rolled back: ${final?.summary ?? ''}`,
    };
  },
);

/**
 * `continue` of an Amazon ECS service deployment: ContinueServiceDeployment (CONTINUE) of the pause hook
 * that holds it; refuses (exit 4) one that no pause hook holds.
 */
async function serviceDeploymentContinue(
  ctx: OpsContext,
  env: EnvironmentConfig,
  arn: string,
): Promise<DeploymentActionResult | DryRunResult> {
  if (ctx.dryRun) {
    return dryRun(
      { service: 'ecs', command: 'DescribeServiceDeployments', input: { serviceDeploymentArns: [arn] } },
      planned('ecs', continueServiceDeployment(arn, '<the AWAITING_ACTION pause hook>', 'CONTINUE')),
    );
  }
  const aws = await ctx.awsFor(env);
  const { deployment, service } = await ownServiceDeployment(aws, env, arn, ecsServices(ctx, env));
  const hook = pausedHook(deployment);
  if (hook === undefined) {
    throw unsafe(
      `service deployment ${arn} is ${deployment.status ?? '?'}${deployment.lifecycleStage ? ` at ${deployment.lifecycleStage}` : ''} and no pause hook holds it: there is nothing to continue`,
    );
  }
  await aws.ecs.send(continueServiceDeployment(arn, hook.hookId, 'CONTINUE'));
  return {
    ...ecsAction(env, arn, service),
    outcome: 'continued',
    hookId: hook.hookId,
    summary: `${service.serviceName}: the deployment goes on from ${deployment.lifecycleStage ?? 'its pause'} (pause hook ${hook.hookId} continued)`,
  };
}

/**
 * `stop` of an Amazon ECS service deployment: a paused one is released with ROLLBACK
 * (ContinueServiceDeployment), any other in progress stopped with StopServiceDeployment (ROLLBACK); then
 * followed until Amazon ECS ends it. `rolled-back` (exit 3) when the previous revision is back,
 * `stopped` (exit 1) when not. Refuses (exit 4) a deployment that already ended.
 */
async function serviceDeploymentStop(
  ctx: OpsContext,
  env: EnvironmentConfig,
  arn: string,
  waits: Waits,
): Promise<DeploymentActionResult | DryRunResult> {
  if (ctx.dryRun) {
    const describe = {
      service: 'ecs' as const,
      command: 'DescribeServiceDeployments',
      input: { serviceDeploymentArns: [arn] },
    };
    return dryRun(describe, planned('ecs', stopServiceDeployment(arn)), {
      ...describe,
      input: { ...describe.input, note: 'repeated until the deployment ends' },
    });
  }
  const aws = await ctx.awsFor(env);
  const { deployment, service } = await ownServiceDeployment(aws, env, arn, ecsServices(ctx, env));
  if (deployment.status === undefined || !ECS_STOPPABLE.includes(deployment.status)) {
    throw unsafe(
      `service deployment ${arn} is ${deployment.status ?? '?'}: only one PENDING or IN_PROGRESS can be stopped`,
    );
  }
  const hook = pausedHook(deployment);
  let end: ServiceDeploymentEnd | undefined;
  await runSteps(ctx, [
    {
      title: `roll back ${service.serviceName}'s deployment`,
      task: async (report) => {
        await rollBackServiceDeployment(aws, arn, hook);
        end = await followServiceDeployment(aws, arn, {
          waits,
          timeoutMs: STOP_TIMEOUT_MS,
          report,
          hint: `check it with "ias-ops deployments list --env ${env.name}"`,
        });
      },
    },
  ]);
  const final = end as ServiceDeploymentEnd | undefined;
  return {
    ...ecsAction(env, arn, service),
    outcome: final?.rolledBack === true ? 'rolled-back' : 'stopped',
    ...(hook ? { hookId: hook.hookId } : {}),
    summary:
      final?.rolledBack === true
        ? `rolled back: ${final.summary}`
        : `stopped, not rolled back: ${final?.summary ?? ''}`,
  };
}

/** Whose deployment `continue` or `stop` acted on: a CodeDeploy group's. */
function codeDeployAction(
  env: EnvironmentConfig,
  deploymentId: string,
  info: { applicationName: string; deploymentGroupName: string },
) {
  return {
    environment: env.name,
    deploymentId,
    controller: 'codedeploy' as const,
    application: info.applicationName,
    deploymentGroup: info.deploymentGroupName,
  };
}

/** Whose deployment `continue` or `stop` acted on: a service's that Amazon ECS deploys. */
function ecsAction(env: EnvironmentConfig, arn: string, service: EcsService) {
  return {
    environment: env.name,
    deploymentId: arn,
    controller: 'ecs' as const,
    clusterName: service.clusterName,
    serviceName: service.serviceName,
  };
}

/** A dry run's calls with the lookup of a named deployment first; any other result as it is. */
function withLookup(
  target: NamedDeployment,
  result: DeploymentActionResult | DryRunResult,
): DeploymentActionResult | DryRunResult {
  return isDryRun(result) ? dryRun(...target.lookup, ...result.calls) : result;
}

/** The exit code of `stop`: 3 rolled back, 1 stopped without rollback; `continue` 0. */
export function actionExit(r: DeploymentActionResult): ExitCode {
  switch (r.outcome) {
    case 'continued':
      return EXIT.ok;
    case 'rolled-back':
      return EXIT.rolledBack;
    case 'stopped':
      return EXIT.failed;
  }
}

/** Text of `continue` and `stop`: the summary. */
export function formatAction(r: DeploymentActionResult): string {
  return r.summary;
}

/**
 * `status --env E`: what runs in an environment and whether it is healthy: its health (composite alarm,
 * the alarms in ALARM, the canary's last run), per function (alias, deployments, alarms, composite), per
 * service (task definition, deployments, target health, composite), per Kubernetes application (what
 * serves, builds in flight), per EC2 fleet (revision, Auto Scaling groups, deployments, target health)
 * and per pipeline (last execution). Read-only.
 */
import { ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import type { EnvironmentConfig } from '@ias/infra/config';
import { monitoringNames, pipelineNames } from '@ias/targets';
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import {
  compositeHealth,
  environmentHealth,
  environmentHealthCalls,
  formatComposite,
  formatEnvironmentHealth,
  readCanary,
  readEnvironmentAlarms,
  type AlarmStates,
  type CanaryStatus,
  type CompositeHealth,
  type EnvironmentHealth,
} from '../aws/environment-health';
import {
  dryRun,
  inEnvironment,
  naming,
  pipelineRegion,
  planned,
  type AwsClients,
  type DryRunResult,
  type OpsContext,
  type PlannedCall,
} from '../context';
import { EXIT, hasErrorName, OpsError } from '../errors';
import { KINDS, type KindPlural } from '../kinds';
import type { Ec2Status } from '../kinds/ec2';
import type { FunctionStatus } from '../kinds/function';
import type { KubernetesStatus } from '../kinds/kubernetes';
import type { ServiceStatus } from '../kinds/service';

export type { Ec2Status } from '../kinds/ec2';
export type { FunctionStatus } from '../kinds/function';
export type { KubernetesStatus } from '../kinds/kubernetes';
export type { ServiceStatus } from '../kinds/service';
export type {
  AlarmInAlarm,
  CanaryStatus,
  CompositeHealth,
  CompositeState,
  EnvironmentHealth,
} from '../aws/environment-health';

/** A workload's status with the state of its composite alarm `<prefix>-<env>-<workload>-health`. */
export type WithHealth<S> = S & { readonly health: CompositeHealth };

/** A pipeline's last execution. */
export interface PipelineStatus {
  readonly pipeline: string;
  readonly exists: boolean;
  readonly lastExecution:
    | {
        readonly id: string | undefined;
        readonly status: string | undefined;
        readonly started: string | undefined;
      }
    | undefined;
}

/** The result of `status`. */
export interface StatusResult {
  readonly environment: string;
  readonly region: string;
  /** The environment's composite alarm, its alarms in ALARM and its canary's last run. */
  readonly health: EnvironmentHealth;
  readonly functions: readonly WithHealth<FunctionStatus>[];
  readonly services: readonly WithHealth<ServiceStatus>[];
  /** The Kubernetes applications, once their kind is registered (`../kinds/index.ts`). */
  readonly applications?: readonly WithHealth<KubernetesStatus>[];
  /** The EC2 applications' fleets, once their kind is registered (`../kinds/index.ts`). */
  readonly fleets?: readonly WithHealth<Ec2Status>[];
  readonly pipelines: readonly PipelineStatus[];
}

/** Arguments of `status`. */
export interface StatusArgs {
  readonly env: string | undefined;
}

function listExecutions(pipeline: string) {
  return new ListPipelineExecutionsCommand({ pipelineName: pipeline, maxResults: 1 });
}

async function pipelineStatus(aws: AwsClients, pipeline: string): Promise<PipelineStatus> {
  try {
    const listed = await aws.codepipeline.send(listExecutions(pipeline));
    const last = listed.pipelineExecutionSummaries?.[0];
    return {
      pipeline,
      exists: true,
      lastExecution:
        last === undefined
          ? undefined
          : { id: last.pipelineExecutionId, status: last.status, started: last.startTime?.toISOString() },
    };
  } catch (err) {
    if (hasErrorName(err, 'PipelineNotFoundException')) {
      return { pipeline, exists: false, lastExecution: undefined };
    }
    throw err;
  }
}

/**
 * The pipelines to show: one per function and per service, then the infrastructure pipeline (its name,
 * `<prefix>-infra-pipeline`, is the same `<prefix>-<name>-pipeline` form).
 */
function pipelineList(ctx: OpsContext, env: EnvironmentConfig): string[] {
  // A Kubernetes application is named as the service whose image it runs: one pipeline each.
  const names = [
    ...new Set([...KINDS.flatMap((k) => k.workloads(ctx.project, env).map((w) => w.name)), 'infra']),
  ];
  return names.map((n) => pipelineNames(ctx.project.prefix, n).pipeline);
}

/**
 * `status`: the environment's health, every workload (kind by kind) and pipeline of the environment,
 * concurrently.
 */
export const status = inEnvironment<StatusArgs, StatusResult>(async (ctx, env) => {
  const kinds = KINDS.map((controller) => ({
    controller,
    workloads: controller.workloads(ctx.project, env),
  }));
  const pipelines = pipelineList(ctx, env);
  const names = naming(env);
  if (ctx.dryRun) {
    const calls: PlannedCall[] = [...environmentHealthCalls(names)];
    for (const { controller, workloads } of kinds) {
      for (const w of workloads) calls.push(...controller.status.calls(w.target, env));
    }
    calls.push(...pipelines.map((p) => planned('codepipeline', listExecutions(p))));
    return dryRun(...calls);
  }
  const aws = await ctx.awsFor(env);
  const pipelineAws = ctx.clientsFor(pipelineRegion(ctx, env));
  const byKind = Object.fromEntries(kinds.map((k) => [k.controller.plural, [] as unknown[]])) as Record<
    KindPlural,
    unknown[]
  >;
  const result = { ...byKind, pipelines: [] as PipelineStatus[] };
  let alarms: AlarmStates = new Map();
  let canary: CanaryStatus | undefined;
  // Tasks fill their own slot, so the result keeps the configuration's order whatever finishes first.
  const tasks = [
    {
      title: `alarms ${monitoringNames(names).alarmPrefix}*`,
      task: async () => {
        alarms = await readEnvironmentAlarms(aws, names);
      },
    },
    {
      title: `canary ${monitoringNames(names).canary}`,
      task: async () => {
        canary = await readCanary(aws, names);
      },
    },
    ...kinds.flatMap(({ controller, workloads }) =>
      workloads.map((w, i) => ({
        title: controller.status.title(w.target),
        task: async () => {
          byKind[controller.plural][i] = await controller.status.read(aws, w.name, w.target, env);
        },
      })),
    ),
    ...pipelines.map((p, i) => ({
      title: `pipeline ${p}`,
      task: async () => {
        result.pipelines[i] = await pipelineStatus(pipelineAws, p);
      },
    })),
  ];
  if (ctx.progress) {
    await new Listr(tasks, {
      concurrent: true,
      exitOnError: true,
      // Progress goes to stderr: stdout carries the result alone.
      rendererOptions: {
        logger: new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) }),
      },
    }).run();
  } else {
    await Promise.all(tasks.map((t) => t.task()));
  }
  // Each workload's composite, from the one listing of the environment's alarms.
  for (const { controller, workloads } of kinds) {
    const entries = byKind[controller.plural];
    workloads.forEach((w, i) => {
      const alarm =
        controller.status.healthAlarm?.(w.target) ?? monitoringNames(names).workloadHealth(w.name);
      const health = compositeHealth(alarms, alarm);
      entries[i] = { ...(entries[i] as object), health };
    });
  }
  return {
    environment: env.name,
    region: env.profile.region,
    // Every task ran to its end (one that failed failed the whole): the canary has been read.
    health: environmentHealth(names, alarms, canary as CanaryStatus),
    ...(result as Omit<StatusResult, 'environment' | 'region' | 'health'>),
  };
});

/** Text of `status`. */
export function formatStatus(r: StatusResult): string {
  const lines = [`${r.environment} (${r.region})`, '', ...formatEnvironmentHealth(r.health)];
  for (const controller of KINDS) {
    lines.push('', `${controller.plural}:`);
    for (const entry of r[controller.plural] ?? []) {
      // The workload's composite right under its first line, which names it.
      const [first = '', ...rest] = controller.status.format(entry);
      lines.push(first, `    health: ${formatComposite(entry.health)}`, ...rest);
    }
  }
  lines.push('', 'pipelines:');
  for (const p of r.pipelines) {
    const last = p.lastExecution;
    lines.push(
      `  ${p.pipeline}: ${!p.exists ? 'not deployed' : last === undefined ? 'never ran' : `${last.status ?? '?'} ${last.started ?? ''} (${last.id ?? '?'})`}`,
    );
  }
  return lines.join('\n');
}

/** `status` without `--env`: every environment, in promotion order. */
export interface AllStatusResult {
  readonly environments: readonly StatusResult[];
  /**
   * Environments left out because the credentials are another account's (each profile may pin its
   * own account; one set of credentials reaches one).
   */
  readonly skipped: readonly { readonly environment: string; readonly reason: string }[];
}

/** `status [--env E]`: one environment, or every one when none is named. */
export async function statusAny(
  ctx: OpsContext,
  args: StatusArgs,
): Promise<StatusResult | AllStatusResult | DryRunResult> {
  if (args.env !== undefined) {
    return status(ctx, args);
  }
  const results: (StatusResult | DryRunResult)[] = [];
  const skipped: AllStatusResult['skipped'][number][] = [];
  for (const env of ctx.project.environments) {
    try {
      results.push(await status(ctx, { env: env.name }));
    } catch (err) {
      // Another account's environment: shown as skipped, the others still shown.
      if (err instanceof OpsError && err.exitCode === EXIT.unsafe) {
        skipped.push({ environment: env.name, reason: err.message });
        continue;
      }
      throw err;
    }
  }
  if (ctx.dryRun) {
    return dryRun(...results.flatMap((r) => ('calls' in r ? r.calls : [])));
  }
  if (results.length === 0 && skipped[0] !== undefined) {
    throw new OpsError(skipped[0].reason, EXIT.unsafe);
  }
  return { environments: results as StatusResult[], skipped };
}

/** The text of one environment's status or of every one's. */
export function formatAnyStatus(r: StatusResult | AllStatusResult): string {
  if (!('environments' in r)) return formatStatus(r);
  return [
    ...r.environments.map(formatStatus),
    ...r.skipped.map((s) => `${s.environment}: skipped, ${s.reason}`),
  ].join('\n\n');
}

/**
 * `status --env E`: what runs in an environment, per function (alias, deployments, alarms), per service
 * (task definition, deployments, target health) and per pipeline (last execution). Read-only.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { BatchGetDeploymentsCommand, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import {
  functionTarget,
  pipelineNames,
  serviceTarget,
  type FunctionTarget,
  type ServiceTarget,
} from '@ias/targets';
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import {
  dryRun,
  environment,
  pipelineRegion,
  planned,
  services,
  type AwsClients,
  type DryRunResult,
  type OpsContext,
  type PlannedCall,
} from '../context';
import { errorName, EXIT, OpsError } from '../errors';

/** How many of a function's latest deployments `status` shows. */
export const DEPLOYMENTS_SHOWN = 3;

/** A function's state in the environment. */
export interface FunctionStatus {
  readonly name: string;
  readonly functionName: string;
  /** False when the function or its alias does not exist yet. */
  readonly deployed: boolean;
  /** Traffic weight (0–1) by version on the alias `live`. */
  readonly weights: Readonly<Record<string, number>>;
  readonly deployments: readonly {
    readonly id: string;
    readonly status: string;
    readonly created: string | undefined;
    readonly error: string | undefined;
  }[];
  readonly alarms: readonly { readonly name: string; readonly state: string }[];
}

/** A service's state in the environment. */
export interface ServiceStatus {
  readonly name: string;
  readonly serviceName: string;
  readonly deployed: boolean;
  /** The task definition revision the service runs (its number). */
  readonly taskDefinitionRevision: string | undefined;
  readonly deployments: readonly {
    readonly status: string;
    readonly rolloutState: string | undefined;
    readonly taskDefinition: string | undefined;
  }[];
  readonly targetGroups: readonly {
    readonly arn: string;
    readonly health: Readonly<Record<string, number>>;
  }[];
}

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
  readonly functions: readonly FunctionStatus[];
  readonly services: readonly ServiceStatus[];
  readonly pipelines: readonly PipelineStatus[];
}

/** Arguments of `status`. */
export interface StatusArgs {
  readonly env: string | undefined;
}

function notFound(err: unknown, ...names: string[]): boolean {
  const name = errorName(err);
  return name !== undefined && names.includes(name);
}

function functionCalls(t: FunctionTarget, ids: string[] = ['<ids from ListDeployments>']) {
  return {
    alias: new GetAliasCommand({ FunctionName: t.functionName, Name: t.alias }),
    list: new ListDeploymentsCommand({
      applicationName: t.application,
      deploymentGroupName: t.deploymentGroup,
    }),
    batch: new BatchGetDeploymentsCommand({ deploymentIds: ids }),
    alarms: new DescribeAlarmsCommand({ AlarmNamePrefix: `${t.functionName}-` }),
  };
}

async function functionStatus(aws: AwsClients, name: string, t: FunctionTarget): Promise<FunctionStatus> {
  const calls = functionCalls(t);
  const [alias, listed, alarms] = await Promise.all([
    aws.lambda.send(calls.alias).catch((err: unknown) => {
      if (notFound(err, 'ResourceNotFoundException')) return undefined;
      throw err;
    }),
    aws.codedeploy.send(calls.list).catch((err: unknown) => {
      if (notFound(err, 'ApplicationDoesNotExistException', 'DeploymentGroupDoesNotExistException'))
        return undefined;
      throw err;
    }),
    aws.cloudwatch.send(calls.alarms),
  ]);
  const ids = (listed?.deployments ?? []).slice(0, DEPLOYMENTS_SHOWN);
  const details =
    ids.length > 0 ? ((await aws.codedeploy.send(functionCalls(t, ids).batch)).deploymentsInfo ?? []) : [];
  const additional = alias?.RoutingConfig?.AdditionalVersionWeights ?? {};
  const weights: Record<string, number> = {};
  if (alias?.FunctionVersion !== undefined) {
    const shifted = Object.values(additional).reduce((sum, w) => sum + w, 0);
    weights[alias.FunctionVersion] = Math.round((1 - shifted) * 1000) / 1000;
    Object.assign(weights, additional);
  }
  return {
    name,
    functionName: t.functionName,
    deployed: alias !== undefined,
    weights,
    deployments: [...details]
      .sort((a, b) => (b.createTime?.getTime() ?? 0) - (a.createTime?.getTime() ?? 0))
      .map((d) => ({
        id: d.deploymentId ?? '',
        status: d.status ?? '',
        created: d.createTime?.toISOString(),
        error: d.errorInformation?.message,
      })),
    alarms: (alarms.MetricAlarms ?? []).map((a) => ({ name: a.AlarmName ?? '', state: a.StateValue ?? '' })),
  };
}

function describeService(t: ServiceTarget) {
  return new DescribeServicesCommand({ cluster: t.clusterName, services: [t.serviceName] });
}

async function serviceStatus(aws: AwsClients, name: string, t: ServiceTarget): Promise<ServiceStatus> {
  const described = await aws.ecs.send(describeService(t)).catch((err: unknown) => {
    if (notFound(err, 'ClusterNotFoundException')) return undefined;
    throw err;
  });
  const service = described?.services?.find((s) => s.status !== 'INACTIVE');
  if (service === undefined) {
    return {
      name,
      serviceName: t.serviceName,
      deployed: false,
      taskDefinitionRevision: undefined,
      deployments: [],
      targetGroups: [],
    };
  }
  const arns = [...new Set((service.loadBalancers ?? []).flatMap((lb) => lb.targetGroupArn ?? []))];
  const targetGroups = await Promise.all(
    arns.map(async (arn) => {
      const health = await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
      const counts: Record<string, number> = {};
      for (const d of health.TargetHealthDescriptions ?? []) {
        const state = d.TargetHealth?.State ?? 'unknown';
        counts[state] = (counts[state] ?? 0) + 1;
      }
      return { arn, health: counts };
    }),
  );
  return {
    name,
    serviceName: t.serviceName,
    deployed: true,
    taskDefinitionRevision: service.taskDefinition?.split(':').pop(),
    deployments: (service.deployments ?? []).map((d) => ({
      status: d.status ?? '',
      rolloutState: d.rolloutState,
      taskDefinition: d.taskDefinition?.split('/').pop(),
    })),
    targetGroups,
  };
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
    if (notFound(err, 'PipelineNotFoundException')) {
      return { pipeline, exists: false, lastExecution: undefined };
    }
    throw err;
  }
}

/**
 * The pipelines to show: one per function and per service, then the infrastructure pipeline (its name,
 * `<prefix>-infra-pipeline`, is the same `<prefix>-<name>-pipeline` form).
 */
function pipelineList(ctx: OpsContext): string[] {
  const names = [...ctx.project.functions.map((f) => f.name), ...services(ctx).map((s) => s.name), 'infra'];
  return names.map((n) => pipelineNames(ctx.project.prefix, n).pipeline);
}

/** `status`: every function, service and pipeline of the environment, concurrently. */
export async function status(ctx: OpsContext, args: StatusArgs): Promise<StatusResult | DryRunResult> {
  const env = environment(ctx, args.env);
  const fns = ctx.project.functions.map((f) => ({ name: f.name, target: functionTarget(env, f) }));
  const svcs = services(ctx).map((s) => ({ name: s.name, target: serviceTarget(env, s) }));
  const pipelines = pipelineList(ctx);
  if (ctx.dryRun) {
    const calls: PlannedCall[] = [];
    for (const f of fns) {
      const c = functionCalls(f.target);
      calls.push(
        planned('lambda', c.alias),
        planned('codedeploy', c.list),
        planned('codedeploy', c.batch),
        planned('cloudwatch', c.alarms),
      );
    }
    for (const s of svcs) {
      calls.push(
        planned('ecs', describeService(s.target)),
        planned(
          'elbv2',
          new DescribeTargetHealthCommand({ TargetGroupArn: '<each targetGroupArn from DescribeServices>' }),
        ),
      );
    }
    calls.push(...pipelines.map((p) => planned('codepipeline', listExecutions(p))));
    return dryRun(...calls);
  }
  const aws = await ctx.awsFor(env);
  const pipelineAws = ctx.clientsFor(pipelineRegion(ctx, env));
  const result = {
    functions: [] as FunctionStatus[],
    services: [] as ServiceStatus[],
    pipelines: [] as PipelineStatus[],
  };
  // Tasks fill their own slot, so the result keeps the configuration's order whatever finishes first.
  const tasks = [
    ...fns.map((f, i) => ({
      title: `function ${f.target.functionName}`,
      task: async () => {
        result.functions[i] = await functionStatus(aws, f.name, f.target);
      },
    })),
    ...svcs.map((s, i) => ({
      title: `service ${s.target.serviceName}`,
      task: async () => {
        result.services[i] = await serviceStatus(aws, s.name, s.target);
      },
    })),
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
  return { environment: env.name, region: env.profile.region, ...result };
}

function percent(weight: number): string {
  return `${Math.round(weight * 1000) / 10} %`;
}

/** Text of `status`. */
export function formatStatus(r: StatusResult): string {
  const lines = [`${r.environment} (${r.region})`, '', 'functions:'];
  for (const f of r.functions) {
    if (!f.deployed) {
      lines.push(`  ${f.functionName}: not deployed`);
      continue;
    }
    const weights = Object.entries(f.weights)
      .map(([v, w]) => `version ${v} ${percent(w)}`)
      .join(', ');
    lines.push(`  ${f.functionName}: live → ${weights}`);
    for (const d of f.deployments) {
      lines.push(`    ${d.id} ${d.status} ${d.created ?? ''}${d.error !== undefined ? ` — ${d.error}` : ''}`);
    }
    const alarms = f.alarms.map((a) => `${a.name.slice(f.functionName.length + 1)} ${a.state}`).join(', ');
    lines.push(`    alarms: ${alarms || 'none'}`);
  }
  lines.push('', 'services:');
  for (const s of r.services) {
    if (!s.deployed) {
      lines.push(`  ${s.serviceName}: not deployed`);
      continue;
    }
    lines.push(`  ${s.serviceName}: task definition revision ${s.taskDefinitionRevision ?? '?'}`);
    for (const d of s.deployments) {
      lines.push(`    deployment ${d.status} ${d.rolloutState ?? ''} ${d.taskDefinition ?? ''}`.trimEnd());
    }
    for (const tg of s.targetGroups) {
      const health = Object.entries(tg.health)
        .map(([state, n]) => `${n} ${state}`)
        .join(', ');
      lines.push(
        `    targets ${tg.arn.split('/').slice(-2, -1)[0] ?? tg.arn}: ${health || 'none registered'}`,
      );
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

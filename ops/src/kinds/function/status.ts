/** `status` of a function: its alias's traffic by version, its last CodeDeploy deployments, its alarms. */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { BatchGetDeploymentsCommand, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import type { FunctionTarget } from '@ias/targets';
import { planned, type AwsClients } from '../../context';
import { hasErrorName } from '../../errors';
import type { KindStatus } from '../kind';

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

export async function functionStatus(
  aws: AwsClients,
  name: string,
  t: FunctionTarget,
): Promise<FunctionStatus> {
  const calls = functionCalls(t);
  const [alias, listed, alarms] = await Promise.all([
    aws.lambda.send(calls.alias).catch((err: unknown) => {
      if (hasErrorName(err, 'ResourceNotFoundException')) return undefined;
      throw err;
    }),
    aws.codedeploy.send(calls.list).catch((err: unknown) => {
      if (hasErrorName(err, 'ApplicationDoesNotExistException', 'DeploymentGroupDoesNotExistException'))
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

function percent(weight: number): string {
  return `${Math.round(weight * 1000) / 10} %`;
}

/** The function kind's part of `status`. */
export const functionStatusReader: KindStatus<FunctionTarget, FunctionStatus> = {
  title: (t) => `function ${t.functionName}`,
  calls: (t) => {
    const c = functionCalls(t);
    return [
      planned('lambda', c.alias),
      planned('codedeploy', c.list),
      planned('codedeploy', c.batch),
      planned('cloudwatch', c.alarms),
    ];
  },
  read: functionStatus,
  format: (f) => {
    if (!f.deployed) return [`  ${f.functionName}: not deployed`];
    const lines: string[] = [];
    const weights = Object.entries(f.weights)
      .map(([v, w]) => `version ${v} ${percent(w)}`)
      .join(', ');
    lines.push(`  ${f.functionName}: live → ${weights}`);
    for (const d of f.deployments) {
      lines.push(`    ${d.id} ${d.status} ${d.created ?? ''}${d.error !== undefined ? ` — ${d.error}` : ''}`);
    }
    const alarms = f.alarms.map((a) => `${a.name.slice(f.functionName.length + 1)} ${a.state}`).join(', ');
    lines.push(`    alarms: ${alarms || 'none'}`);
    return lines;
  },
};

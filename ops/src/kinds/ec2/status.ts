/**
 * `status` of an EC2 application, read from its deployment group: the Auto Scaling groups CodeDeploy
 * deploys to now (a blue/green deployment replaces the group's with a copy named `CodeDeploy_…`, so
 * they are read from the group, not named from the target), its last successful deployment and the
 * revision that installed, its last attempted one, and the health of the instances in the group's
 * target groups. Its composite alarm `<monitoringName>-health` comes from the environment's one
 * listing of alarms.
 */
import { GetDeploymentCommand, type LastDeploymentInfo } from '@aws-sdk/client-codedeploy';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { workloadHealthAlarmName, type Ec2Target } from '@ias/targets';
import { planned, type AwsClients } from '../../context';
import { hasErrorName } from '../../errors';
import type { KindStatus } from '../kind';
import {
  getDeploymentGroup,
  readDeployment,
  readDeploymentGroup,
  revisionOf,
  revisionWords,
  type FleetRevision,
} from './deployment';

/** One deployment of the group, as `status` shows it. */
export interface FleetDeploymentSummary {
  readonly id: string;
  readonly status: string;
  readonly created: string | undefined;
  readonly ended: string | undefined;
}

/** An instance in a target group, and its health there. */
export interface FleetTarget {
  /** The instance ID. */
  readonly id: string;
  /** `healthy`, `unhealthy`, `initial`, `draining`, `unused`… */
  readonly state: string;
  /** Why it is not healthy, when the load balancer says. */
  readonly reason: string | undefined;
}

/** An EC2 application's state in the environment. */
export interface Ec2Status {
  readonly name: string;
  readonly application: string;
  readonly deploymentGroup: string;
  /** False when the CodeDeploy application or group does not exist (the application's stack is not deployed). */
  readonly deployed: boolean;
  /** CodeDeploy's deployment type, as the group has it (`IN_PLACE`, `BLUE_GREEN`). */
  readonly deploymentType: string | undefined;
  /** The Auto Scaling groups the group deploys to now. */
  readonly autoScalingGroups: readonly string[];
  /** The last deployment that succeeded, and the revision it installed (undefined when not an S3 bundle). */
  readonly lastSuccessful:
    (FleetDeploymentSummary & { readonly revision: FleetRevision | undefined }) | undefined;
  /** The last deployment attempted, when it is not the last successful one (in flight, failed, stopped). */
  readonly lastAttempted: FleetDeploymentSummary | undefined;
  /** The group's target groups, each with its instances' health. */
  readonly targetGroups: readonly { readonly name: string; readonly targets: readonly FleetTarget[] }[];
}

function summaryOf(d: LastDeploymentInfo & { deploymentId: string }): FleetDeploymentSummary {
  return {
    id: d.deploymentId,
    status: d.status ?? '',
    created: d.createTime?.toISOString(),
    ended: d.endTime?.toISOString(),
  };
}

/** The instances of each target group named, by their health there; none when a group is gone. */
async function targetHealth(aws: AwsClients, names: readonly string[]): Promise<Ec2Status['targetGroups']> {
  if (names.length === 0) return [];
  const described = await aws.elbv2
    .send(new DescribeTargetGroupsCommand({ Names: [...names] }))
    .catch((err: unknown) => {
      if (hasErrorName(err, 'TargetGroupNotFoundException')) return undefined;
      throw err;
    });
  return Promise.all(
    (described?.TargetGroups ?? []).map(async (tg) => {
      const health = await aws.elbv2.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }),
      );
      return {
        name: tg.TargetGroupName ?? '',
        targets: (health.TargetHealthDescriptions ?? []).map((d: TargetHealthDescription) => ({
          id: d.Target?.Id ?? '?',
          state: d.TargetHealth?.State ?? 'unknown',
          reason: d.TargetHealth?.Reason,
        })),
      };
    }),
  );
}

async function ec2Status(aws: AwsClients, name: string, t: Ec2Target): Promise<Ec2Status> {
  const base = { name, application: t.application, deploymentGroup: t.deploymentGroup };
  const group = await readDeploymentGroup(aws, t);
  if (group === undefined) {
    return {
      ...base,
      deployed: false,
      deploymentType: undefined,
      autoScalingGroups: [],
      lastSuccessful: undefined,
      lastAttempted: undefined,
      targetGroups: [],
    };
  }
  const succeeded = group.lastSuccessfulDeployment;
  const attempted = group.lastAttemptedDeployment;
  const names = (group.loadBalancerInfo?.targetGroupInfoList ?? []).flatMap((tg) => tg.name ?? []);
  const [installed, targetGroups] = await Promise.all([
    succeeded?.deploymentId !== undefined ? readDeployment(aws, succeeded.deploymentId) : undefined,
    targetHealth(aws, names),
  ]);
  return {
    ...base,
    deployed: true,
    deploymentType: group.deploymentStyle?.deploymentType,
    autoScalingGroups: (group.autoScalingGroups ?? []).flatMap((g) => g.name ?? []),
    lastSuccessful:
      succeeded?.deploymentId !== undefined
        ? {
            ...summaryOf({ ...succeeded, deploymentId: succeeded.deploymentId }),
            revision: installed ? revisionOf(installed) : undefined,
          }
        : undefined,
    lastAttempted:
      attempted?.deploymentId !== undefined && attempted.deploymentId !== succeeded?.deploymentId
        ? summaryOf({ ...attempted, deploymentId: attempted.deploymentId })
        : undefined,
    targetGroups,
  };
}

/** A target group's instances by state: `2 healthy (i-1, i-2), 1 unhealthy (i-3: Target.Timeout)`. */
function formatTargets(targets: readonly FleetTarget[]): string {
  const byState = new Map<string, FleetTarget[]>();
  for (const target of targets) byState.set(target.state, [...(byState.get(target.state) ?? []), target]);
  return [...byState]
    .map(
      ([state, list]) =>
        `${list.length} ${state} (${list.map((x) => (x.reason !== undefined ? `${x.id}: ${x.reason}` : x.id)).join(', ')})`,
    )
    .join(', ');
}

/** The EC2 kind's part of `status`. */
export const ec2StatusReader: KindStatus<Ec2Target, Ec2Status> = {
  title: (t) => `ec2 ${t.app} (${t.deploymentGroup})`,
  calls: (t) => [
    planned('codedeploy', getDeploymentGroup(t)),
    planned('codedeploy', new GetDeploymentCommand({ deploymentId: '<its lastSuccessfulDeployment>' })),
    planned('elbv2', new DescribeTargetGroupsCommand({ Names: ['<its loadBalancerInfo target groups>'] })),
    planned('elbv2', new DescribeTargetHealthCommand({ TargetGroupArn: '<each from DescribeTargetGroups>' })),
  ],
  read: ec2Status,
  healthAlarm: (t) => workloadHealthAlarmName(t.monitoringName),
  format: (s) => {
    if (!s.deployed) {
      return [`  ${s.name}: not deployed (no deployment group ${s.application} / ${s.deploymentGroup})`];
    }
    const ok = s.lastSuccessful;
    const lines = [
      ok === undefined
        ? `  ${s.name}: no successful deployment yet (${s.deploymentGroup})`
        : `  ${s.name}: ${ok.revision ? revisionWords(ok.revision) : 'a revision that is not an S3 bundle'}, deployed by ${ok.id} (${ok.ended ?? ok.created ?? '?'})`,
      `    fleet: ${s.autoScalingGroups.join(', ') || 'no Auto Scaling group'} (${s.deploymentType ?? '?'})`,
    ];
    const last = s.lastAttempted;
    if (last !== undefined) {
      lines.push(`    last attempted: ${last.id} ${last.status} ${last.created ?? ''}`.trimEnd());
    }
    for (const tg of s.targetGroups) {
      lines.push(`    targets ${tg.name}: ${formatTargets(tg.targets) || 'none registered'}`);
    }
    return lines;
  },
};

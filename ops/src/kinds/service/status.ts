/** `status` of a service: the revision it runs, its ECS deployments, its targets' health. */
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ServiceTarget } from '@ias/targets';
import { describeService } from '../../aws/ecs';
import { planned, type AwsClients } from '../../context';
import { hasErrorName } from '../../errors';
import type { KindStatus } from '../kind';

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

export async function serviceStatus(aws: AwsClients, name: string, t: ServiceTarget): Promise<ServiceStatus> {
  const described = await aws.ecs.send(describeService(t)).catch((err: unknown) => {
    if (hasErrorName(err, 'ClusterNotFoundException')) return undefined;
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

/** The service kind's part of `status`. */
export const serviceStatusReader: KindStatus<ServiceTarget, ServiceStatus> = {
  title: (t) => `service ${t.serviceName}`,
  calls: (t) => [
    planned('ecs', describeService(t)),
    planned(
      'elbv2',
      new DescribeTargetHealthCommand({ TargetGroupArn: '<each targetGroupArn from DescribeServices>' }),
    ),
  ],
  read: serviceStatus,
  format: (s) => {
    if (!s.deployed) return [`  ${s.serviceName}: not deployed`];
    const lines = [`  ${s.serviceName}: task definition revision ${s.taskDefinitionRevision ?? '?'}`];
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
    return lines;
  },
};

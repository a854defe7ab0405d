/**
 * `status` of a Kubernetes application: what the ledger last recorded serving it (color, image, manifest
 * revision), and the builds of its deploy project in progress (a deployment or a switch back in flight).
 * Its composite alarm `<monitoringName>-health` comes from the environment's one listing of alarms.
 */
import { listReleases } from '@ias/delivery';
import type { EnvironmentConfig } from '@ias/infra/config';
import { ledgerTableName, workloadHealthAlarmName, type KubernetesTarget } from '@ias/targets';
import { planned, type AwsClients, type PlannedCall } from '../../context';
import {
  getBuilds,
  latestBuilds,
  listBuilds,
  BUILDS_LOOKED_AT,
  type BuildSummary,
} from '../../aws/codebuild';
import type { KindStatus } from '../kind';
import type { ApplicationEntry } from './history';

/** A Kubernetes application's state in the environment. */
export interface KubernetesStatus {
  readonly name: string;
  readonly clusterName: string;
  readonly namespace: string;
  readonly deployProject: string;
  /** False when its deploy project does not exist (the application's stack is not deployed). */
  readonly deployed: boolean;
  /** What the latest release records serving it; undefined before its first recorded switch. */
  readonly serving: (ApplicationEntry & { readonly release: number }) | undefined;
  /** Its deploy project's builds in progress: deployments or switches back in flight. */
  readonly inProgress: readonly BuildSummary[];
}

function ledgerQuery(table: string): PlannedCall {
  return {
    service: 'dynamodb',
    command: 'Query',
    input: { TableName: table, KeyConditionExpression: 'pk = :pk', ScanIndexForward: false, Limit: 1 },
  };
}

async function kubernetesStatus(
  aws: AwsClients,
  name: string,
  t: KubernetesTarget,
  env: EnvironmentConfig,
): Promise<KubernetesStatus> {
  const [[latest], builds] = await Promise.all([
    listReleases(aws.dynamodb, ledgerTableName(env.prefix, env.name), 1),
    latestBuilds(aws, t.deployProject, BUILDS_LOOKED_AT),
  ]);
  const entry = latest?.applications?.[t.app];
  return {
    name,
    clusterName: t.clusterName,
    namespace: t.namespace,
    deployProject: t.deployProject,
    deployed: builds.exists,
    serving: entry && latest ? { ...entry, release: latest.number } : undefined,
    inProgress: builds.builds.filter((b) => b.inProgress),
  };
}

/** A build in flight, in a few words. */
export function formatBuildInFlight(b: BuildSummary): string {
  const what = b.action === 'switch-back' ? `switch back to ${b.to ?? '?'}` : `deploy ${b.image ?? '?'}`;
  return `${b.id} ${b.status} ${b.phase ?? ''} since ${b.started ?? '?'} — ${what}`;
}

/** The Kubernetes kind's part of `status`. */
export const kubernetesStatusReader: KindStatus<KubernetesTarget, KubernetesStatus> = {
  title: (t) => `kubernetes ${t.app} (${t.deployProject})`,
  calls: (t, env) => [
    ledgerQuery(ledgerTableName(env.prefix, env.name)),
    planned('codebuild', listBuilds(t.deployProject)),
    planned('codebuild', getBuilds([`<the latest ${BUILDS_LOOKED_AT} IDs from ListBuildsForProject>`])),
  ],
  read: kubernetesStatus,
  healthAlarm: (t) => workloadHealthAlarmName(t.monitoringName),
  format: (s) => {
    if (!s.deployed) return [`  ${s.name}: not deployed (no deploy project ${s.deployProject})`];
    const lines = [
      s.serving === undefined
        ? `  ${s.name}: no switch recorded in the ledger yet (${s.clusterName}, namespace ${s.namespace})`
        : `  ${s.name}: ${s.serving.color} serves ${s.serving.image} (manifests ${s.serving.revision}, release ${s.serving.release})`,
    ];
    for (const b of s.inProgress) lines.push(`    in flight: ${formatBuildInFlight(b)}`);
    return lines;
  },
};

import { join } from 'node:path';
import { type KubernetesStrategy, kubernetesTarget, type TargetEnvironment } from '@ias/targets';
import { loadKubernetesManifest } from '../../../src/kinds/kubernetes/manifest.js';
import type { KubernetesAppInput, KubernetesObject } from '../../../src/kinds/kubernetes/manifests.js';

/** The fixture kubernetes.json (requests 250m/256Mi, limits 1/512Mi, /health and /ready). */
export const MANIFEST_FILE = join(__dirname, 'fixtures', 'kubernetes.json');

/** An image pinned by digest. */
export const IMAGE = `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ias-dev-inventory-api@sha256:${'a'.repeat(64)}`;

/** The dev environment with the given Kubernetes strategy. */
export function environment(strategy: KubernetesStrategy = 'service-switch'): TargetEnvironment {
  return {
    prefix: 'ias',
    name: 'dev',
    profile: {
      lambda: { deployment: 'all-at-once' },
      service: { deployment: { strategy: 'ecs-blue-green', traffic: 'all-at-once' } },
      kubernetes: {
        enabled: true,
        deployment: {
          strategy,
          steps: strategy === 'ingress-switch' ? [10, 100] : [100],
          bakeMinutes: 5,
          oldColorRetentionMinutes: 30,
        },
      },
    },
  };
}

/** inventory-api's manifest input in dev: blue serving, 2 to 4 pods at 70 % CPU. */
export function appInput(
  strategy: KubernetesStrategy = 'service-switch',
  overrides: Partial<KubernetesAppInput> = {},
): KubernetesAppInput {
  return {
    prefix: 'ias',
    target: kubernetesTarget(environment(strategy), { name: 'inventory-api' }),
    manifest: loadKubernetesManifest(MANIFEST_FILE),
    container: { containerPort: 3000, environment: { LOG_LEVEL: 'info' } },
    replicas: { min: 2, max: 4, cpuTargetPercent: 70 },
    config: { PGHOST: 'db.example', PGDATABASE: 'inventory', PGSSLMODE: 'verify-full' },
    servingColor: 'blue',
    ...overrides,
  };
}

/** The object of `kind` (and `name`, when several), or a failure naming what the set holds. */
export function find(objects: readonly KubernetesObject[], kind: string, name?: string): Json {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) {
    throw new Error(
      `no ${kind} ${name ?? ''} among ${objects.map((o) => `${o.kind} ${o.metadata.name}`).join(', ')}`,
    );
  }
  return found as unknown as Json;
}

/** `kind name` of each object, in order. */
export function kindsAndNames(objects: readonly KubernetesObject[]): string[] {
  return objects.map((o) => `${o.kind} ${o.metadata.name}`);
}

/** A JSON object the tests walk into without casting at every step. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test access into generated JSON
export type Json = Record<string, any>;

import type { WorkloadKindId } from '@ias/targets';
import type { WorkloadKind, Workloads } from './kind';
import { FUNCTION_WORKLOAD } from './function';
import { SERVICE_WORKLOAD } from './service';
import { KUBERNETES_WORKLOAD } from './kubernetes';
import { EC2_WORKLOAD } from './ec2';

export type * from './kind';

/**
 * Every kind of workload the infrastructure builds, by `@ias/targets`' kind id, in the order the
 * stages build them: a new kind is one folder under `kinds/` and one line here.
 */
export const KINDS = {
  function: FUNCTION_WORKLOAD,
  service: SERVICE_WORKLOAD,
  kubernetes: KUBERNETES_WORKLOAD,
  ec2: EC2_WORKLOAD,
} as const satisfies Record<WorkloadKindId, WorkloadKind>;

/** The kinds, in registry order. */
export const KIND_LIST: readonly WorkloadKind[] = Object.values(KINDS);

/** A kind's stacks in an environment (or its pipeline stacks), by workload name, for every kind. */
export type ByKind<Part extends 'stack' | 'pipeline'> = {
  readonly [K in keyof typeof KINDS]: ReadonlyMap<
    string,
    (typeof KINDS)[K] extends WorkloadKind<infer S, infer P> ? (Part extends 'stack' ? S : P) : never
  >;
};

/** The project's workloads, each kind's list and nothing else of the configuration. */
export function workloadsOf(config: Workloads): Workloads {
  // Object.fromEntries loses the keys' types; each entry is the kind's own list under its own key.
  return Object.fromEntries(
    KIND_LIST.map((kind) => [kind.workloadsKey, config[kind.workloadsKey]]),
  ) as Workloads;
}

/**
 * `targets [--env E] [--kind K]`: every workload of every environment with its `@ias/targets` target, the
 * names the deploy workflows act on, and the environment's supply-chain threshold they gate on. Read from
 * the profiles and manifests only: no AWS call.
 */
import type { EnvironmentConfig } from '@ias/infra/config';
import { WORKLOAD_KIND_IDS, type WorkloadKindId } from '@ias/targets';
import { environment, type OpsContext } from '../context';
import { badInput } from '../errors';
import { KIND_CONTROLLERS } from '../kinds';

/** Arguments of `targets`. */
export interface TargetsArgs {
  /** @default - every environment */
  readonly env?: string;
  /** @default - every kind */
  readonly kind?: string;
}

/** One workload in one environment. */
export interface TargetEntry {
  readonly kind: WorkloadKindId;
  /** The workload's folder name. */
  readonly name: string;
  readonly environment: string;
  /**
   * The environment's supply-chain gate threshold (its profile's `supplyChain.failOn`): a finding of the
   * artifact at or above it stops the deployment, as the pipelines' SupplyChainGate does.
   */
  readonly failOn: EnvironmentConfig['profile']['supplyChain']['failOn'];
  /** `WORKLOAD_KINDS[kind].target(env, definition, delivery account)`. */
  readonly target: unknown;
}

/** `--kind`'s value, checked. */
function kindOf(kind: string | undefined): readonly WorkloadKindId[] {
  if (kind === undefined) return WORKLOAD_KIND_IDS;
  const found = WORKLOAD_KIND_IDS.find((k) => k === kind);
  if (found === undefined) {
    throw badInput(`unknown kind "${kind}": use one of ${WORKLOAD_KIND_IDS.join(', ')}`);
  }
  return [found];
}

/**
 * `targets`: one entry per workload per environment, environments in promotion order, then by name (and
 * kind, for a function and a service of the same name).
 *
 * @throws OpsError (exit 2) on an unknown environment or kind
 */
export async function targets(ctx: OpsContext, args: TargetsArgs): Promise<TargetEntry[]> {
  const kinds = kindOf(args.kind);
  const envs = args.env === undefined ? ctx.project.environments : [environment(ctx, args.env)];
  return Promise.resolve(
    envs.flatMap((env) =>
      kinds
        .flatMap((k) => KIND_CONTROLLERS[k].workloads(ctx.project, env))
        .sort((a, b) => a.name.localeCompare(b.name) || kinds.indexOf(a.kind) - kinds.indexOf(b.kind))
        .map((w) => ({
          kind: w.kind,
          name: w.name,
          environment: env.name,
          failOn: env.profile.supplyChain.failOn,
          target: w.target,
        })),
    ),
  );
}

/** Text of `targets`: a table, one row per entry. */
export function formatTargets(entries: readonly TargetEntry[]): string {
  const rows = [
    ['ENVIRONMENT', 'KIND', 'NAME', 'DEPLOYS'],
    ...entries.map((e) => [e.environment, e.kind, e.name, KIND_CONTROLLERS[e.kind].describe(e.target)]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The live verdict `deployments list` shows of each deployment in flight: the canary judge's latest
 * look at it, which the watchers keep in the environment's release ledger table under the
 * deployment's ID (`canary#<id>`, canary/evidence.ts of @ias/delivery). A deployment no watcher
 * judges (yet) has none.
 *
 * Reading it never fails the listing: a look that cannot be read (no permission, no table yet, a
 * bad item) shows as `?`, and the command says why in one warning line.
 */
import {
  canaryLookQuery,
  latestCanaryLook,
  summarizeCanaryLook,
  type CanaryLookSummary,
} from '@ias/delivery/canary';
import type { EnvironmentConfig } from '@ias/infra/config';
import { ledgerTableName } from '@ias/targets';
import type { AwsClients, PlannedCall } from '../context';

/** What `deployments list` knows of a deployment's canary. */
export type CanaryReading =
  /** A watcher judged it: its latest look. */
  | { readonly state: 'judged'; readonly look: CanaryLookSummary }
  /** No look kept: not judged yet, or not judged at all. */
  | { readonly state: 'none' }
  /** The look could not be read: why. */
  | { readonly state: 'unreadable'; readonly reason: string };

/** A deployment as `deployments list` shows it, with its canary's reading when it is in flight. */
export type WithCanary<T> = T & {
  /** The canary judge's latest look. @default - absent for a deployment that ended */
  readonly canary?: CanaryReading;
};

/** What `--dry-run` lists for the readings: one Query per deployment in flight. */
export function canaryQueryCall(env: EnvironmentConfig): PlannedCall {
  return {
    service: 'dynamodb',
    command: 'Query',
    input: canaryLookQuery(ledgerTableName(env.prefix, env.name), '<each deployment in flight>'),
  };
}

function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const message = err.message.split('\n')[0] ?? '';
  return err.name && err.name !== 'Error' && err.name !== 'DeliveryError'
    ? `${err.name}: ${message}`
    : message;
}

/**
 * The latest look of each of `ids` (deployments in flight), and one warning line when any could not
 * be read. Never throws for a read: each failure is that deployment's `unreadable` reading.
 */
export async function readCanaryLooks(
  aws: AwsClients,
  env: EnvironmentConfig,
  ids: readonly string[],
): Promise<{ readonly readings: ReadonlyMap<string, CanaryReading>; readonly warning?: string }> {
  const table = ledgerTableName(env.prefix, env.name);
  const unique = [...new Set(ids)];
  const readings = new Map<string, CanaryReading>(
    await Promise.all(
      unique.map(async (id): Promise<[string, CanaryReading]> => {
        try {
          const look = await latestCanaryLook(aws.dynamodb, table, id);
          return [
            id,
            look === undefined ? { state: 'none' } : { state: 'judged', look: summarizeCanaryLook(look) },
          ];
        } catch (err) {
          return [id, { state: 'unreadable', reason: reasonOf(err) }];
        }
      }),
    ),
  );
  const reasons = [
    ...new Set([...readings.values()].flatMap((r) => (r.state === 'unreadable' ? [r.reason] : []))),
  ];
  const unreadable = [...readings.values()].filter((r) => r.state === 'unreadable').length;
  if (unreadable === 0) return { readings };
  const why =
    reasons.length === 1 ? reasons[0] : `${reasons[0] ?? ''}; and ${reasons.length - 1} other error(s)`;
  return {
    readings,
    warning: `the canary verdict of ${unreadable} deployment${unreadable === 1 ? '' : 's'} in flight could not be read from ${table}, shown as ? (${why})`,
  };
}

/**
 * A deployment's canary in a few words (`canary fail 3/10`, `canary pass 6/10 (promoting)`,
 * `canary -` when no look is kept, `canary ?` when it could not be read); undefined when there is
 * no reading (a deployment that ended). The action is said when the verdict does not imply it.
 */
export function canaryWords(reading: CanaryReading | undefined): string | undefined {
  if (reading === undefined) return undefined;
  if (reading.state === 'none') return 'canary -';
  if (reading.state === 'unreadable') return 'canary ?';
  const { verdict, action, look, looks } = reading.look;
  const doing =
    action === 'promote'
      ? ' (promoting)'
      : action === 'continue'
        ? ' (going on)'
        : action === 'rollback' && verdict !== 'fail'
          ? ' (rolling back)'
          : '';
  return `canary ${verdict} ${look}/${looks}${doing}`;
}

/**
 * The fields of the log lines the infrastructure's CloudWatch Logs metric filters match, shared by
 * the service (pino) and the functions (Powertools Logger) so that both write the same contract:
 *
 * - a line written because something failed carries `errorType` ({@link errorType});
 * - an allocation refused for lack of stock: `event: "allocation.shortage"` ({@link shortageLogFields});
 * - a query slower than `SLOW_QUERY_MS`: `event: "db.slow-query"` ({@link slowQueryLogFields}).
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 */
import { DatabaseError } from 'pg';
import type { ShortageError } from './errors';
import type { SlowQuery } from './query-observers';

/** The `event` field's values. */
export const LOG_EVENTS = {
  /** An allocation refused for lack of stock (HTTP 409, or an `AllocationShortage` event). */
  allocationShortage: 'allocation.shortage',
  /** A query slower than `SLOW_QUERY_MS`. */
  slowQuery: 'db.slow-query',
} as const;

const TYPE_NAME = /^[A-Z][A-Za-z0-9_$]*$/;

/**
 * What kind of failure `error` is, for the `errorType` field: the `name` a class gives its errors
 * (ours, Node's `TypeError`, the AWS SDK's exceptions; it survives minified bundles, where class
 * names do not), else the class name; `DatabaseError` for PostgreSQL's errors (whose `name` is the
 * protocol message's, `error`); `NonError` for a thrown value that is no Error.
 */
export function errorType(error: unknown): string {
  if (error instanceof DatabaseError) return 'DatabaseError';
  if (!(error instanceof Error)) return 'NonError';
  if (error.name !== 'Error' && TYPE_NAME.test(error.name)) return error.name;
  const className = error.constructor.name;
  return TYPE_NAME.test(className) ? className : 'Error';
}

/**
 * The fields of the warn line for an allocation refused for lack of stock: the first short line's
 * `sku`, `requested` and `available` (one line per refusal, whatever the number of short lines),
 * every short line in `shortages`, and the order when known.
 */
export function shortageLogFields(
  error: ShortageError,
  orderId?: string,
): {
  event: typeof LOG_EVENTS.allocationShortage;
  orderId?: string;
  sku?: string;
  requested?: number;
  available?: number;
  shortages: ShortageError['shortages'];
} {
  const [first] = error.shortages;
  return {
    event: LOG_EVENTS.allocationShortage,
    ...(orderId === undefined ? {} : { orderId }),
    sku: first?.sku,
    requested: first?.requested,
    available: first?.available,
    shortages: error.shortages,
  };
}

/** The fields of the warn line for a slow query. */
export function slowQueryLogFields(query: SlowQuery): {
  event: typeof LOG_EVENTS.slowQuery;
  durationMs: number;
  statement: string;
} {
  return { event: LOG_EVENTS.slowQuery, durationMs: query.durationMs, statement: query.statement };
}

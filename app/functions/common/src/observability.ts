import type { Logger } from '@aws-lambda-powertools/logger';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import {
  errorType,
  shortageLogFields,
  slowQueryLogFields,
  type DatabaseSettings,
  type QueryObserver,
  type ShortageError,
  type SlowQuery,
} from '@ias/core';

// The functions' side of the log contract the infrastructure's metric filters match (see
// log-events.ts in @ias/core), written with Powertools Logger: JSON lines with `level`, `message`
// and these fields at the top.

/**
 * Logs a failure at error: `message`, the error (Powertools prints its name, message and stack)
 * and its `errorType`, with `fields`. Only for failures: an expected outcome (a shortage, a
 * conflict, a rejected file) is no error and carries no errorType.
 */
export function logFailure(
  logger: Logger,
  message: string,
  error: unknown,
  fields: Readonly<Record<string, unknown>> = {},
): void {
  logger.error(message, { ...fields, errorType: errorType(error), error });
}

/** Logs an allocation refused for lack of stock at warn, as event `allocation.shortage`. */
export function logShortage(logger: Logger, error: ShortageError, orderId: string): void {
  logger.warn('allocation refused: not enough stock', shortageLogFields(error, orderId));
}

/** What a pool calls for a slow query: a warn line, event `db.slow-query`. */
export function slowQueryLogger(logger: Logger): (query: SlowQuery) => void {
  return (query) => logger.warn('slow query', slowQueryLogFields(query));
}

/** Where the queries go, as X-Ray shows it: no password, nothing but what the settings name. */
export function databaseTarget(settings: DatabaseSettings): {
  host?: string;
  port: number;
  database?: string;
  user?: string;
} {
  if (settings.DATABASE_URL) {
    const url = new URL(settings.DATABASE_URL);
    return {
      host: url.hostname,
      port: Number(url.port || 5432),
      database: decodeURIComponent(url.pathname.slice(1)) || undefined,
      user: decodeURIComponent(url.username) || undefined,
    };
  }
  return {
    host: settings.PGHOST,
    port: settings.PGPORT,
    database: settings.PGDATABASE,
    user: settings.PGUSER,
  };
}

/**
 * The observer that records each query as an X-Ray subsegment of the current (sub)segment, the
 * way the X-Ray SDK's SQL patchers do (`database@host`, namespace `remote`, `sql` data): the query
 * text with its `$n` placeholders, never the values. Queries outside a segment are not recorded.
 *
 * Why not `aws-xray-sdk-postgres`: it reads `Client.queryQueue`, which pg 8 deprecates (a warning
 * in every execution environment's log) and pg 9 removes; this observer rides on the pool's own
 * query wrapper (see `observeQueries` in @ias/core), which works the same bundled.
 *
 * @see https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html#api-segmentdocuments-sql
 */
export function xraySubsegments(
  tracer: Pick<Tracer, 'getSegment'>,
  settings: DatabaseSettings,
): QueryObserver {
  const target = databaseTarget(settings);
  const name = `${target.database ?? 'postgres'}@${target.host ?? 'localhost'}`;
  const sql = {
    url: `postgresql://${target.host}:${target.port}/${target.database ?? ''}`,
    database_type: 'PostgreSQL',
    user: target.user,
  };
  return (query) => {
    const parent = tracer.getSegment();
    if (!parent) return undefined;
    const subsegment = parent.addNewSubsegment(name);
    subsegment.namespace = 'remote';
    subsegment.addSqlData({
      ...sql,
      ...(query.name ? { preparation: 'statement' } : {}),
      sanitized_query: query.text ?? query.name,
    });
    return (error) => subsegment.close(error);
  };
}

/**
 * The observers of a function's queries: X-Ray subsegments when the tracer is on (in Lambda, with
 * active tracing and `POWERTOOLS_TRACE_ENABLED` not false), none otherwise (tests, local runs).
 */
export function tracedQueries(
  tracer: Pick<Tracer, 'getSegment' | 'isTracingEnabled'>,
  settings: DatabaseSettings,
): QueryObserver[] {
  return tracer.isTracingEnabled() ? [xraySubsegments(tracer, settings)] : [];
}

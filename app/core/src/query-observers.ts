import type { Pool, PoolClient } from 'pg';

/** A query as observers see it: its SQL text or name, never its parameter values. */
export interface ObservedQuery {
  /** The SQL text, as written (parameters are `$1`, `$2`…: values travel apart). */
  readonly text?: string;
  /** The prepared statement's name, for named queries (`{ name, text, values }`). */
  readonly name?: string;
  /**
   * What logs show: the name of a named query, else the first 80 characters of the SQL text with
   * its runs of whitespace (the indentation of multi-line SQL) collapsed to one space.
   */
  readonly statement: string;
}

/**
 * Watches queries: called as a query is sent; what it returns, if anything, is called once the
 * query has ended, with its error when it failed. An observer never changes a query's outcome: what
 * it throws is swallowed.
 */
export type QueryObserver = (query: ObservedQuery) => ((error?: Error) => void) | undefined;

/** A query slower than the threshold of {@link slowQueries}. */
export interface SlowQuery {
  /** Wall time from sending the query to its answer (or error), whole milliseconds. */
  readonly durationMs: number;
  /** {@link ObservedQuery.statement}. */
  readonly statement: string;
}

/** Longest {@link ObservedQuery.statement} taken from SQL text. */
export const STATEMENT_LENGTH = 80;

const OBSERVED = Symbol('ias.observedQueries');

interface ObservedClient extends PoolClient {
  [OBSERVED]?: true;
}

/**
 * Makes every query run on `pool` from now on pass through `observers`: each client is wrapped the
 * first time the pool hands it out (pool.query and pool.connect alike, clients connected before
 * included), by replacing its own `query` with one that calls the observers around the original.
 * Streams and cursors (queries with `submit`) go through unobserved; so does the end of a query
 * whose callback is inside its config object (no code here writes one).
 */
export function observeQueries(pool: Pool, ...observers: QueryObserver[]): void {
  if (observers.length === 0) return;
  pool.on('acquire', (client: ObservedClient) => {
    if (client[OBSERVED]) return;
    client[OBSERVED] = true;
    // What the client's query is now: the prototype's, or a tracer's patch of it.
    const original = client.query as (...args: unknown[]) => unknown;
    const observed = function (this: PoolClient, ...args: unknown[]): unknown {
      const config = args[0] as { text?: unknown; name?: unknown; submit?: unknown } | string | undefined;
      if (typeof config === 'object' && config !== null && typeof config.submit === 'function') {
        return original.apply(this, args);
      }
      const ends = startObservers(observers, describeQuery(config));
      const end = (error?: Error) => {
        for (const e of ends) {
          try {
            e(error);
          } catch {
            // An observer must not turn a query into a failure.
          }
        }
      };
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = function (this: unknown, error: Error | null, ...rest: unknown[]) {
          end(error ?? undefined);
          return (callback as (...a: unknown[]) => unknown).call(this, error, ...rest);
        };
      }
      let result: unknown;
      try {
        result = original.apply(this, args);
      } catch (error) {
        // Refused before it was sent (a null query, a client that is closing).
        end(error as Error);
        throw error;
      }
      if (
        typeof callback !== 'function' &&
        typeof (result as PromiseLike<unknown> | undefined)?.then === 'function'
      ) {
        (result as PromiseLike<unknown>).then(
          () => end(),
          (error: Error) => end(error),
        );
      }
      return result;
    };
    client.query = observed as PoolClient['query'];
  });
}

function startObservers(
  observers: readonly QueryObserver[],
  query: ObservedQuery,
): ((error?: Error) => void)[] {
  const ends: ((error?: Error) => void)[] = [];
  for (const observer of observers) {
    try {
      const end = observer(query);
      if (end) ends.push(end);
    } catch {
      // As above: observing is best effort.
    }
  }
  return ends;
}

function describeQuery(config: { text?: unknown; name?: unknown } | string | undefined): ObservedQuery {
  const text =
    typeof config === 'string' ? config : typeof config?.text === 'string' ? config.text : undefined;
  const name = typeof config === 'object' && typeof config?.name === 'string' ? config.name : undefined;
  const statement = name ?? (text ?? '').replace(/\s+/g, ' ').trim().slice(0, STATEMENT_LENGTH);
  return { text, name, statement };
}

/**
 * The observer that reports queries slower than `thresholdMs` to `onSlowQuery` (one
 * `performance.now()` pair per query). Failed queries count too: a lock wait that ends in a
 * timeout is as slow as one that succeeds.
 */
export function slowQueries(thresholdMs: number, onSlowQuery: (query: SlowQuery) => void): QueryObserver {
  return ({ statement }) => {
    const start = performance.now();
    return () => {
      const elapsed = performance.now() - start;
      if (elapsed > thresholdMs) {
        onSlowQuery({ durationMs: Math.round(elapsed), statement });
      }
    };
  };
}

import {
  errorType,
  InventoryRepository,
  isMigrated,
  migrateDatabase,
  observeQueries,
  slowQueries,
  slowQueryLogFields,
  type SignerFactory,
} from '@ias/core';
import type { FastifyInstance, FastifyLoggerOptions } from 'fastify';
import type { Pool } from 'pg';
import { buildApp } from './app';
import type { InventoryApiSettings } from './settings';
import type { Tracing } from './tracing';

/** A started service. */
export interface RunningServer {
  readonly app: FastifyInstance;
  readonly pool: Pool;
  /** The URL it listens on. */
  readonly url: string;
  /** Stops taking requests, lets in-flight ones finish, closes the pool. */
  close(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** Signs the IAM tokens of the migrations' owner connection. @default - the AWS SDK's signer */
  readonly signer?: SignerFactory;
  /** Started tracing, whose hook names each request's span by its route. @default - no tracing */
  readonly tracing?: Tracing;
}

/**
 * Starts the API on `pool` with `settings`: pending migrations first when `MIGRATE_ON_START` (as the
 * owner role `DB_OWNER_USER` on a connection of its own when set, see `migrateDatabase`). Every
 * query on `pool` slower than `SLOW_QUERY_MS`, the migrations' included, logs `slow query` at warn
 * with the `db.slow-query` fields (see `slowQueryLogFields`) on the request log's logger.
 *
 * @param logger the request log: true for JSON lines on stdout at `LOG_LEVEL`, false for none, or
 *   Fastify's logger options (a test's stream), at `LOG_LEVEL` unless they set a level
 */
export async function startServer(
  pool: Pool,
  settings: InventoryApiSettings,
  logger: boolean | FastifyLoggerOptions = true,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const repository = new InventoryRepository(pool);
  const app = buildApp({
    repository,
    logger: logger === false ? false : { level: settings.LOG_LEVEL, ...(logger === true ? {} : logger) },
    readiness: async () => {
      try {
        await repository.ping();
        return (await isMigrated(pool))
          ? { ready: true }
          : { ready: false, reason: 'migrations not applied' };
      } catch (err) {
        return { ready: false, reason: `database unreachable: ${(err as Error).message}` };
      }
    },
  });
  observeQueries(
    pool,
    slowQueries(settings.SLOW_QUERY_MS, (query) => app.log.warn(slowQueryLogFields(query), 'slow query')),
  );
  if (options.tracing) {
    app.addHook('onRequest', options.tracing.onRequest);
  }
  if (settings.MIGRATE_ON_START) {
    await migrateDatabase(settings, pool, options);
  }
  const url = await app.listen({ port: settings.PORT, host: settings.HOST });
  return {
    app,
    pool,
    url,
    async close() {
      await app.close();
      await pool.end();
    },
  };
}

/**
 * Ends the process cleanly on SIGTERM (ECS stopping the task) or SIGINT: stop accepting, drain
 * in-flight requests, close the pool, exit 0; exit 1 if draining outlasts the timeout
 * (`shutdown timed out`, errorType `ShutdownTimeout`) or closing fails (`shutdown failed`, with the
 * error's errorType), both logged at error.
 *
 * @param exit ends the process (a test's stand-in)
 * @returns the shutdown the signals run, for a caller to run itself
 */
export function closeOnSignals(
  server: Pick<RunningServer, 'app' | 'close'>,
  timeoutMs: number,
  exit: (code: number) => void = (code) => process.exit(code),
): (signal: string) => void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    server.app.log.info({ signal }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      server.app.log.error({ timeoutMs, errorType: 'ShutdownTimeout' }, 'shutdown timed out');
      exit(1);
    }, timeoutMs);
    timer.unref();
    server
      .close()
      .then(() => {
        server.app.log.info('shut down');
        exit(0);
      })
      .catch((err: unknown) => {
        server.app.log.error({ err, errorType: errorType(err) }, 'shutdown failed');
        exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return shutdown;
}

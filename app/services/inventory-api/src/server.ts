import { InventoryRepository, isMigrated, migrateDatabase, type SignerFactory } from '@ias/core';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { buildApp } from './app';
import type { InventoryApiSettings } from './settings';

/** A started service. */
export interface RunningServer {
  readonly app: FastifyInstance;
  readonly pool: Pool;
  /** The URL it listens on. */
  readonly url: string;
  /** Stops taking requests, lets in-flight ones finish, closes the pool. */
  close(): Promise<void>;
}

/**
 * Starts the API on `pool` with `settings`: pending migrations first when `MIGRATE_ON_START` (as the
 * owner role `DB_OWNER_USER` on a connection of its own when set, see `migrateDatabase`).
 */
export async function startServer(
  pool: Pool,
  settings: InventoryApiSettings,
  logger = true,
  options: { readonly signer?: SignerFactory } = {},
): Promise<RunningServer> {
  if (settings.MIGRATE_ON_START) {
    await migrateDatabase(settings, pool, options);
  }
  const repository = new InventoryRepository(pool);
  const app = buildApp({
    repository,
    logger: logger ? { level: settings.LOG_LEVEL } : false,
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
 * in-flight requests, close the pool, exit 0; exit 1 if draining outlasts the timeout.
 */
export function closeOnSignals(server: RunningServer, timeoutMs: number): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    server.app.log.info({ signal }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      server.app.log.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    server
      .close()
      .then(() => {
        server.app.log.info('shut down');
        process.exit(0);
      })
      .catch((err: unknown) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

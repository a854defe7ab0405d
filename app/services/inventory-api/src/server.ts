import { InventoryRepository, isMigrated, migrate } from '@ias/core';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { buildApp } from './app';

/** Settings of the service, from the environment. */
export interface ServerSettings {
  /** `PORT`, default 3000. */
  readonly port: number;
  /** `HOST`, default 0.0.0.0 (all interfaces, as a container needs). */
  readonly host: string;
  /** `MIGRATE_ON_START` (default true): apply pending migrations before serving. */
  readonly migrateOnStart: boolean;
  /** `SHUTDOWN_TIMEOUT_MS` (default 25000): how long in-flight requests may take after SIGTERM. */
  readonly shutdownTimeoutMs: number;
}

/** Reads {@link ServerSettings}, failing with one message per bad variable. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const port = Number(env.PORT ?? 3000);
  const shutdownTimeoutMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? 25_000);
  const problems: string[] = [];
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    problems.push(`PORT must be 1-65535, got ${env.PORT}`);
  if (!Number.isInteger(shutdownTimeoutMs) || shutdownTimeoutMs < 0) {
    problems.push(
      `SHUTDOWN_TIMEOUT_MS must be a whole number of milliseconds, got ${env.SHUTDOWN_TIMEOUT_MS}`,
    );
  }
  if (problems.length > 0) {
    throw new Error(problems.join('; '));
  }
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    migrateOnStart: (env.MIGRATE_ON_START ?? 'true') !== 'false',
    shutdownTimeoutMs,
  };
}

/** A started service. */
export interface RunningServer {
  readonly app: FastifyInstance;
  readonly pool: Pool;
  /** The URL it listens on. */
  readonly url: string;
  /** Stops taking requests, lets in-flight ones finish, closes the pool. */
  close(): Promise<void>;
}

/** Starts the API on `pool` with `settings`. */
export async function startServer(
  pool: Pool,
  settings: ServerSettings,
  logger = true,
): Promise<RunningServer> {
  if (settings.migrateOnStart) {
    await migrate(pool);
  }
  const repository = new InventoryRepository(pool);
  const app = buildApp({
    repository,
    logger: logger ? { level: process.env.LOG_LEVEL ?? 'info' } : false,
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
  const url = await app.listen({ port: settings.port, host: settings.host });
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

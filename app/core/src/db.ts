import { Pool, type PoolConfig } from 'pg';

/**
 * Connection settings from the environment, as the task definition or function configuration
 * injects them:
 *
 * - `DATABASE_URL` (`postgres://user:password@host:5432/inventory?sslmode=require`), or
 * - libpq's variables, which `pg` reads itself: `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`,
 *   `PGDATABASE` (ECS injects `PGPASSWORD` and friends from the Secrets Manager secret's JSON keys);
 * - `DB_POOL_MAX`: connections per process (default 10).
 */
export function poolConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PoolConfig {
  const max = env.DB_POOL_MAX === undefined ? 10 : Number(env.DB_POOL_MAX);
  if (!Number.isInteger(max) || max < 1) {
    throw new Error(
      `DB_POOL_MAX must be a whole number of at least 1, got ${JSON.stringify(env.DB_POOL_MAX)}`,
    );
  }
  const config: PoolConfig = { max, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 };
  if (env.DATABASE_URL) {
    return { ...config, connectionString: env.DATABASE_URL };
  }
  if (!env.PGHOST) {
    throw new Error(
      'no database configured: set DATABASE_URL, or PGHOST with PGUSER, PGPASSWORD and PGDATABASE',
    );
  }
  return config;
}

/** A connection pool configured from the environment (see {@link poolConfigFromEnv}). */
export function createPool(env: NodeJS.ProcessEnv = process.env): Pool {
  return new Pool(poolConfigFromEnv(env));
}

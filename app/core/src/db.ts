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
  // Read from the given environment (not only process.env, where pg would look), so that callers
  // can add credentials fetched at start-up without writing them into the process environment.
  return {
    ...config,
    host: env.PGHOST,
    port: env.PGPORT ? Number(env.PGPORT) : undefined,
    user: env.PGUSER,
    password: env.PGPASSWORD,
    database: env.PGDATABASE,
    ssl: sslFromMode(env.PGSSLMODE),
  };
}

/**
 * libpq's PGSSLMODE as a `pg` ssl setting. Verification uses Node's trust store plus
 * NODE_EXTRA_CA_CERTS (the functions point it at the RDS authorities the Lambda runtime ships).
 */
function sslFromMode(mode: string | undefined): PoolConfig['ssl'] {
  switch (mode) {
    case undefined:
    case 'disable':
      return undefined;
    case 'no-verify':
      return { rejectUnauthorized: false };
    case 'prefer':
    case 'require':
    case 'verify-ca':
    case 'verify-full':
      return true;
    default:
      throw new Error(
        `PGSSLMODE must be disable, no-verify, prefer, require, verify-ca or verify-full, got ${JSON.stringify(mode)}`,
      );
  }
}

/** A connection pool configured from the environment (see {@link poolConfigFromEnv}). */
export function createPool(env: NodeJS.ProcessEnv = process.env): Pool {
  return new Pool(poolConfigFromEnv(env));
}

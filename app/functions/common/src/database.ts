import {
  createPool,
  InventoryRepository,
  migrateDatabase,
  type DatabaseSettings,
  type PoolOptions,
} from '@ias/core';
import type { Pool } from 'pg';
import { slowQueryLogger, tracedQueries } from './observability';
import type { Powertools } from './powertools';

let shared: Promise<{ pool: Pool; repository: InventoryRepository }> | undefined;

/**
 * The repository of this execution environment: one pool, created on first use from the settings
 * (`DATABASE_URL` locally; deployed, `PG*` with `DB_AUTH=iam`, logging in as the application role
 * with a fresh IAM token per new connection), reused by every invocation, with pending migrations
 * applied once (as the owner role `DB_OWNER_USER` when set; they are idempotent and serialized by
 * an advisory lock, so a function deployed before the service still finds its tables). The pool's
 * queries are observed as `options` say (see {@link observedRepository}).
 */
export function sharedRepository(
  settings: DatabaseSettings,
  options: Pick<PoolOptions, 'signer' | 'onSlowQuery' | 'observers'> = {},
): Promise<InventoryRepository> {
  shared ??= (async () => {
    const pool = createPool(settings, options);
    try {
      await migrateDatabase(settings, pool, { signer: options.signer });
    } catch (err) {
      await pool.end();
      throw err;
    }
    return { pool, repository: new InventoryRepository(pool) };
  })().catch((err: unknown) => {
    shared = undefined; // let the next invocation try again
    throw err;
  });
  return shared.then((s) => s.repository);
}

/** Closes the shared pool (local runs and tests). */
export async function closeSharedRepository(): Promise<void> {
  const current = shared;
  shared = undefined;
  if (current) {
    await (await current).pool.end();
  }
}

/**
 * The {@link sharedRepository} as a function's handler gets it: every query slower than
 * `SLOW_QUERY_MS` logged at warn by the function's logger (event `db.slow-query`), and every query
 * an X-Ray subsegment when its tracer is on (see `tracedQueries`).
 */
export function observedRepository(
  tools: Pick<Powertools, 'logger' | 'tracer'>,
  settings: DatabaseSettings,
): () => Promise<InventoryRepository> {
  const options = {
    onSlowQuery: slowQueryLogger(tools.logger),
    observers: tracedQueries(tools.tracer, settings),
  };
  return () => sharedRepository(settings, options);
}

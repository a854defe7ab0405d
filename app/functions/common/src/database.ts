import { createPool, InventoryRepository, migrate } from '@ias/core';
import type { Pool } from 'pg';

let shared: Promise<{ pool: Pool; repository: InventoryRepository }> | undefined;

/**
 * The repository of this execution environment: one pool, created on first use from the
 * environment (`DATABASE_URL` or `PG*`, see `@ias/core`'s `poolConfigFromEnv`), reused by every
 * invocation, with pending migrations applied once (they are idempotent and serialized by an
 * advisory lock, so a function deployed before the service still finds its tables).
 */
export function sharedRepository(env: NodeJS.ProcessEnv = process.env): Promise<InventoryRepository> {
  shared ??= (async () => {
    const pool = createPool({ DB_POOL_MAX: '2', ...env });
    await migrate(pool);
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

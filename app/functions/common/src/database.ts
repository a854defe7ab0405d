import {
  createPool,
  InventoryRepository,
  migrateDatabase,
  type DatabaseSettings,
  type SignerFactory,
} from '@ias/core';
import type { Pool } from 'pg';

let shared: Promise<{ pool: Pool; repository: InventoryRepository }> | undefined;

/**
 * The repository of this execution environment: one pool, created on first use from the settings
 * (`DATABASE_URL` locally; deployed, `PG*` with `DB_AUTH=iam`, logging in as the application role
 * with a fresh IAM token per new connection), reused by every invocation, with pending migrations
 * applied once (as the owner role `DB_OWNER_USER` when set; they are idempotent and serialized by
 * an advisory lock, so a function deployed before the service still finds its tables).
 */
export function sharedRepository(
  settings: DatabaseSettings,
  options: { readonly signer?: SignerFactory } = {},
): Promise<InventoryRepository> {
  shared ??= (async () => {
    const pool = createPool(settings, options);
    try {
      await migrateDatabase(settings, pool, options);
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

import { InventoryRepository, isMigrated, migrate } from '@ias/core';
import { createTestDatabase } from '@ias/local';
import type { FastifyInstance } from 'fastify';
import { Pool } from 'pg';
import { inject } from 'vitest';
import { buildApp } from '../src/app';

/** The API on a fresh, migrated database of the run's embedded PostgreSQL. */
export interface TestApi {
  readonly app: FastifyInstance;
  readonly pool: Pool;
  close(): Promise<void>;
}

export async function testApi(poolSize = 10): Promise<TestApi> {
  const url = await createTestDatabase(inject('postgresAdminUrl'), 'api');
  const pool = new Pool({ connectionString: url, max: poolSize });
  await migrate(pool);
  const repository = new InventoryRepository(pool);
  const app = buildApp({
    repository,
    readiness: async () =>
      (await isMigrated(pool)) ? { ready: true } : { ready: false, reason: 'migrations not applied' },
  });
  await app.ready();
  return {
    app,
    pool,
    async close() {
      await app.close();
      await pool.end();
    },
  };
}

/** Sum of on_hand and allocated over the whole stock table, and the rows breaking the invariant. */
export async function stockInvariant(pool: Pool): Promise<{ broken: number; negative: number }> {
  const { rows } = await pool.query<{ broken: string; negative: string }>(
    `SELECT count(*) FILTER (WHERE allocated > on_hand) AS broken,
            count(*) FILTER (WHERE allocated < 0 OR on_hand < 0) AS negative FROM stock`,
  );
  return { broken: Number(rows[0]?.broken), negative: Number(rows[0]?.negative) };
}

import { createTestDatabase } from '@ias/local';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConflictError } from '../src/errors';
import { isMigrated, latestVersion, migrate } from '../src/migrate';
import { InventoryRepository, requestHash } from '../src/repository';

let pool: Pool;
let repo: InventoryRepository;
beforeAll(async () => {
  pool = new Pool({ connectionString: await createTestDatabase(inject('postgresAdminUrl'), 'core'), max: 8 });
  repo = new InventoryRepository(pool);
});
afterAll(() => pool.end());

describe('migrations', () => {
  it('report an empty database as not migrated, apply once, and are idempotent under concurrent starts', async () => {
    expect(await isMigrated(pool)).toBe(false);
    const runs = await Promise.all([migrate(pool), migrate(pool), migrate(pool)]);
    expect(runs.flat()).toEqual([latestVersion()]);
    expect(await migrate(pool)).toEqual([]);
    expect(await isMigrated(pool)).toBe(true);
  });

  it('make the database itself refuse allocated > on hand', async () => {
    await expect(
      pool.query(`INSERT INTO stock (sku, warehouse, on_hand, allocated) VALUES ('X', 'W', 1, 2)`),
    ).rejects.toThrow(/stock_available_not_negative/);
  });
});

describe('importStock', () => {
  it('applies every row in one transaction', async () => {
    const n = await repo.importStock([
      { row: 2, sku: 'IMP-1', warehouse: 'A', onHand: 5 },
      { row: 3, sku: 'IMP-1', warehouse: 'B', onHand: 6 },
    ]);
    expect(n).toBe(2);
    expect((await repo.getStock('IMP-1'))?.available).toBe(11);
  });

  it('rejects the whole import, naming the rows, when a level would fall below what is allocated', async () => {
    await repo.allocate({ orderId: 'imp-order', lines: [{ sku: 'IMP-1', quantity: 4 }] });
    const attempt = repo.importStock([
      { row: 2, sku: 'IMP-2', warehouse: 'A', onHand: 9 },
      { row: 3, sku: 'IMP-1', warehouse: 'B', onHand: 0 },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toMatchObject({
      details: { rows: [{ row: 3, message: 'onHand 0 for IMP-1 in B is below the 4 already allocated' }] },
    });
    expect(await repo.getStock('IMP-2')).toBeUndefined();
    expect((await repo.getStock('IMP-1'))?.warehouses.find((w) => w.warehouse === 'B')?.onHand).toBe(6);
  });
});

describe('requestHash', () => {
  it('ignores line order but not quantities or the preferred warehouse', () => {
    const a = requestHash({
      orderId: 'o',
      lines: [
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 2 },
      ],
    });
    expect(
      requestHash({
        orderId: 'o',
        lines: [
          { sku: 'B', quantity: 2 },
          { sku: 'A', quantity: 1 },
        ],
      }),
    ).toBe(a);
    expect(
      requestHash({
        orderId: 'o',
        lines: [
          { sku: 'A', quantity: 1 },
          { sku: 'B', quantity: 3 },
        ],
      }),
    ).not.toBe(a);
    expect(
      requestHash({
        orderId: 'o',
        lines: [
          { sku: 'A', quantity: 1 },
          { sku: 'B', quantity: 2 },
        ],
        preferredWarehouse: 'W',
      }),
    ).not.toBe(a);
  });
});

import { createTestDatabase } from '@ias/local';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConflictError } from '../src/errors';
import { isMigrated, latestVersion, migrate } from '../src/migrate';
import { MIGRATIONS } from '../src/migrations';
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
    expect(runs.flat()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(latestVersion()).toBe(2);
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

describe('allocate: the warehouse rule (database function allocate_order)', () => {
  beforeAll(async () => {
    await repo.importStock([
      { row: 2, sku: 'RULE-A', warehouse: 'W1', onHand: 5 },
      { row: 3, sku: 'RULE-A', warehouse: 'W2', onHand: 8 },
      { row: 4, sku: 'RULE-A', warehouse: 'W3', onHand: 6 },
      { row: 5, sku: 'RULE-B', warehouse: 'W1', onHand: 1 },
      { row: 6, sku: 'RULE-T', warehouse: 'b', onHand: 4 },
      { row: 7, sku: 'RULE-T', warehouse: 'B', onHand: 4 },
    ]);
    // W2 has 2 of its 8 allocated: available W1 5, W2 6, W3 6.
    await repo.allocate({
      orderId: 'rule-setup',
      lines: [{ sku: 'RULE-A', quantity: 2 }],
      preferredWarehouse: 'W2',
    });
  });

  it('takes from the preferred warehouse first', async () => {
    const { allocation } = await repo.allocate({
      orderId: 'rule-1',
      lines: [{ sku: 'RULE-A', quantity: 4 }],
      preferredWarehouse: 'W1',
    });
    expect(allocation.lines).toEqual([{ sku: 'RULE-A', warehouse: 'W1', quantity: 4 }]);
    await repo.release(allocation.allocationId);
  });

  it('then from the most available, ties broken by warehouse code, splitting the line', async () => {
    const { allocation } = await repo.allocate({
      orderId: 'rule-2',
      lines: [{ sku: 'RULE-A', quantity: 14 }],
    });
    // W2 and W3 tie at 6 available; W2 comes first by code; W1 gives the rest.
    expect(allocation.lines).toEqual([
      { sku: 'RULE-A', warehouse: 'W2', quantity: 6 },
      { sku: 'RULE-A', warehouse: 'W3', quantity: 6 },
      { sku: 'RULE-A', warehouse: 'W1', quantity: 2 },
    ]);
    await repo.release(allocation.allocationId);
  });

  it('breaks ties by byte order of the warehouse code, whatever the database collation', async () => {
    const { allocation } = await repo.allocate({
      orderId: 'rule-3',
      lines: [{ sku: 'RULE-T', quantity: 1 }],
    });
    expect(allocation.lines).toEqual([{ sku: 'RULE-T', warehouse: 'B', quantity: 1 }]);
    await repo.release(allocation.allocationId);
  });

  it('ignores a preferred warehouse that has none available', async () => {
    const { allocation } = await repo.allocate({
      orderId: 'rule-4',
      lines: [{ sku: 'RULE-B', quantity: 1 }],
      preferredWarehouse: 'W9',
    });
    expect(allocation.lines).toEqual([{ sku: 'RULE-B', warehouse: 'W1', quantity: 1 }]);
    await repo.release(allocation.allocationId);
  });

  it('lists every shortage, allocates nothing and frees the order ID', async () => {
    const attempt = repo.allocate({
      orderId: 'rule-5',
      lines: [
        { sku: 'RULE-A', quantity: 17 },
        { sku: 'RULE-B', quantity: 2 },
        { sku: 'RULE-NONE', quantity: 1 },
      ],
    });
    // RULE-A is exactly met (5 + 6 + 6 available); RULE-B and RULE-NONE fall short.
    await expect(attempt).rejects.toMatchObject({
      shortages: [
        { sku: 'RULE-B', requested: 2, available: 1 },
        { sku: 'RULE-NONE', requested: 1, available: 0 },
      ],
    });
    expect((await repo.getStock('RULE-A'))?.available).toBe(17);
    const retry = await repo.allocate({ orderId: 'rule-5', lines: [{ sku: 'RULE-B', quantity: 1 }] });
    expect(retry.created).toBe(true);
  });
});

describe('allocation IDs', () => {
  it('are version-7 UUIDs that sort by creation time', async () => {
    await repo.setStock('ID-1', 'W1', 10);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push(
        (await repo.allocate({ orderId: `id-${i}`, lines: [{ sku: 'ID-1', quantity: 1 }] })).allocation
          .allocationId,
      );
      await new Promise((r) => setTimeout(r, 2));
    }
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    const ms = parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16);
    expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
  });
});

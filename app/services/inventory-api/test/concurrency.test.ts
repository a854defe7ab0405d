import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockInvariant, testApi, type TestApi } from './helpers';

let api: TestApi;
let base: string;
beforeAll(async () => {
  api = await testApi(20);
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
});
afterAll(() => api.close());

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** Runs `tasks` with at most `limit` in flight. */
async function pooled<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await (tasks[i] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

/** For every stock row: allocated equals the sum of the live allocation lines that point at it. */
async function ledgerMismatches(): Promise<number> {
  const { rows } = await api.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM stock s
     LEFT JOIN (
       SELECT l.sku, l.warehouse, sum(l.quantity) AS q FROM allocation_lines l
       JOIN allocations a ON a.id = l.allocation_id AND a.status = 'allocated'
       GROUP BY l.sku, l.warehouse
     ) live ON live.sku = s.sku AND live.warehouse = s.warehouse
     WHERE s.allocated <> coalesce(live.q, 0)`,
  );
  return Number(rows[0]?.n);
}

describe('allocation under concurrency', () => {
  it('200 concurrent allocations of one unit against a stock of 50: exactly 50 succeed, the rest 409', async () => {
    await call('PUT', '/stock/RACE/W1', { onHand: 20 });
    await call('PUT', '/stock/RACE/W2', { onHand: 30 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call('POST', '/allocations', { orderId: `race-${i}`, lines: [{ sku: 'RACE', quantity: 1 }] }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(50);
    expect(statuses.filter((s) => s === 409)).toHaveLength(150);
    for (const r of results.filter((r) => r.status === 409)) {
      expect(r.json).toEqual({
        error: 'insufficient stock',
        shortages: [{ sku: 'RACE', requested: 1, available: 0 }],
      });
    }
    const stock = await call('GET', '/stock/RACE');
    expect(stock.json).toMatchObject({
      available: 0,
      warehouses: [
        { warehouse: 'W1', onHand: 20, allocated: 20, available: 0 },
        { warehouse: 'W2', onHand: 30, allocated: 30, available: 0 },
      ],
    });
    expect(await ledgerMismatches()).toBe(0);
  });

  it('the same orderId sent 50 times at once allocates once', async () => {
    await call('PUT', '/stock/DUP/W1', { onHand: 100 });
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        call('POST', '/allocations', { orderId: 'dup-order', lines: [{ sku: 'DUP', quantity: 7 }] }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(49);
    expect(new Set(results.map((r) => (r.json as { allocationId: string }).allocationId)).size).toBe(1);
    expect((await call('GET', '/stock/DUP')).json).toMatchObject({ available: 93 });
  });

  it('a storm of allocate / release / set-stock keeps available = on-hand − allocated ≥ 0 throughout', async () => {
    const skus = ['S1', 'S2', 'S3', 'S4'];
    const warehouses = ['A', 'B', 'C'];
    for (const sku of skus) {
      for (const wh of warehouses) {
        await call('PUT', `/stock/${sku}/${wh}`, { onHand: 10 });
      }
    }
    // A deterministic pseudo-random sequence keeps failures reproducible.
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const created: string[] = [];
    const statuses = new Map<string, number[]>();
    const record = (op: string, status: number) => statuses.set(op, [...(statuses.get(op) ?? []), status]);

    let sampling = true;
    const samples: { broken: number; negative: number }[] = [];
    const sampler = (async () => {
      while (sampling) {
        samples.push(await stockInvariant(api.pool));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const tasks = Array.from({ length: 600 }, (_, i) => {
      const kind = random(10);
      return async () => {
        if (kind < 5) {
          const count = 1 + random(3);
          const chosen = [...skus].sort(() => random(3) - 1).slice(0, count);
          const r = await call('POST', '/allocations', {
            orderId: `storm-${i}`,
            lines: chosen.map((sku) => ({ sku, quantity: 1 + random(4) })),
            ...(random(2) === 0 ? { preferredWarehouse: warehouses[random(3)] } : {}),
          });
          if (r.status === 201) created.push((r.json as { allocationId: string }).allocationId);
          record('allocate', r.status);
        } else if (kind < 8) {
          const id = created[random(Math.max(created.length, 1))];
          if (id) record('release', (await call('DELETE', `/allocations/${id}`)).status);
        } else {
          const r = await call('PUT', `/stock/${skus[random(4)]}/${warehouses[random(3)]}`, {
            onHand: random(15),
          });
          record('set', r.status);
        }
      };
    });
    await pooled(tasks, 32);
    sampling = false;
    await sampler;

    expect([...new Set(statuses.get('allocate'))].sort()).toEqual(expect.arrayContaining([201]));
    for (const [op, list] of statuses) {
      const allowed = { allocate: [201, 409], release: [200], set: [200, 409] }[op] ?? [];
      expect({ op, unexpected: list.filter((s) => !allowed.includes(s)) }).toEqual({ op, unexpected: [] });
    }
    expect(samples.length).toBeGreaterThan(5);
    expect(samples.every((s) => s.broken === 0 && s.negative === 0)).toBe(true);
    expect(await stockInvariant(api.pool)).toEqual({ broken: 0, negative: 0 });
    expect(await ledgerMismatches()).toBe(0);
  });
});

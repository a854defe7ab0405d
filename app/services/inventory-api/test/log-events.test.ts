import { InventoryRepository, migrate, parseSettings } from '@ias/core';
import { createTestDatabase, freePort } from '@ias/local';
import Fastify from 'fastify';
import { Client, Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { buildApp } from '../src/app';
import { closeOnSignals, startServer, type RunningServer } from '../src/server';
import { inventoryApiSettings } from '../src/settings';

// The log lines the infrastructure's metric filters match (see log-events.ts in @ias/core), as the
// service writes them: pino JSON, one line each.

type Line = Record<string, unknown>;

/** A pino destination keeping each line, parsed. */
function captured(): { lines: Line[]; stream: { write(line: string): void } } {
  const lines: Line[] = [];
  return { lines, stream: { write: (line) => void lines.push(JSON.parse(line) as Line) } };
}

const WARN = 40;
const ERROR = 50;

let url: string;
let pool: Pool;
beforeAll(async () => {
  url = await createTestDatabase(inject('postgresAdminUrl'), 'logs');
  pool = new Pool({ connectionString: url, max: 4 });
  await migrate(pool);
  await new InventoryRepository(pool).setStock('LOG-1', 'W1', 3);
});
afterAll(() => pool.end());

describe('the request log', () => {
  const log = captured();
  const app = () =>
    buildApp({
      repository: new InventoryRepository(pool),
      readiness: async () => ({ ready: true }),
      logger: { level: 'info', stream: log.stream },
    });

  it('logs a refused allocation once at warn, as allocation.shortage with the sku and quantities', async () => {
    const res = await app().inject({
      method: 'POST',
      url: '/allocations',
      payload: { orderId: 'log-short', lines: [{ sku: 'LOG-1', quantity: 5 }] },
    });
    expect(res.statusCode).toBe(409);
    const lines = log.lines.filter((l) => l.event === 'allocation.shortage');
    expect(lines).toEqual([
      expect.objectContaining({
        level: WARN,
        msg: 'allocation refused: not enough stock',
        event: 'allocation.shortage',
        orderId: 'log-short',
        sku: 'LOG-1',
        requested: 5,
        available: 3,
        shortages: [{ sku: 'LOG-1', requested: 5, available: 3 }],
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('errorType');
  });

  it('gives no errorType to the other 4xx answers: validation, not found, conflict', async () => {
    const api = app();
    log.lines.length = 0;
    const statuses = [
      (await api.inject({ method: 'PUT', url: '/stock/LOG-1/W1', payload: { onHand: -1 } })).statusCode,
      (await api.inject({ method: 'GET', url: '/stock/NOPE' })).statusCode,
      (
        await api.inject({
          method: 'POST',
          url: '/allocations',
          payload: { orderId: 'log-ok', lines: [{ sku: 'LOG-1', quantity: 1 }] },
        })
      ).statusCode,
      (
        await api.inject({
          method: 'POST',
          url: '/allocations',
          payload: { orderId: 'log-ok', lines: [{ sku: 'LOG-1', quantity: 2 }] },
        })
      ).statusCode,
    ];
    expect(statuses).toEqual([400, 404, 201, 409]);
    expect(log.lines.length).toBeGreaterThan(0);
    expect(log.lines.filter((l) => 'errorType' in l || (l.level as number) >= WARN)).toEqual([]);
  });

  it('logs a 500 at error with errorType, the class of the failure', async () => {
    // A database without the tables: the query fails with PostgreSQL's error.
    const empty = new Pool({
      connectionString: await createTestDatabase(inject('postgresAdminUrl'), 'logs500'),
    });
    const failing = captured();
    const api = buildApp({
      repository: new InventoryRepository(empty),
      readiness: async () => ({ ready: true }),
      logger: { level: 'info', stream: failing.stream },
    });
    try {
      expect((await api.inject({ method: 'GET', url: '/stock/LOG-1' })).statusCode).toBe(500);
    } finally {
      await empty.end();
    }
    expect(failing.lines.filter((l) => (l.level as number) >= ERROR)).toEqual([
      expect.objectContaining({
        level: ERROR,
        msg: 'request failed',
        errorType: 'DatabaseError',
        err: expect.objectContaining({ message: 'relation "stock" does not exist' }),
      }),
    ]);
  });
});

describe('slow queries', () => {
  let server: RunningServer | undefined;
  afterAll(() => server?.close());

  it('log one warn line as db.slow-query with the duration and statement, never the values', async () => {
    const log = captured();
    const settings = parseSettings(
      inventoryApiSettings,
      {
        DATABASE_URL: url,
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        SLOW_QUERY_MS: '100',
        MIGRATE_ON_START: 'false',
      },
      'test',
    );
    server = await startServer(new Pool({ connectionString: url, max: 2 }), settings, { stream: log.stream });
    // Hold the stock row, so that the allocation waits for the lock inside the database.
    const blocker = new Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT * FROM stock WHERE sku = 'LOG-1' FOR UPDATE`);
    const allocation = fetch(`${server.url}/allocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: 'log-slow-secret-order', lines: [{ sku: 'LOG-1', quantity: 1 }] }),
    });
    await waitingForLock(blocker);
    await new Promise((r) => setTimeout(r, 150));
    await blocker.query('COMMIT');
    await blocker.end();
    expect((await allocation).status).toBe(201);
    const slow = log.lines.filter((l) => l.event === 'db.slow-query');
    expect(slow).toEqual([
      {
        level: WARN,
        time: expect.any(Number),
        pid: expect.any(Number),
        hostname: expect.any(String),
        msg: 'slow query',
        event: 'db.slow-query',
        durationMs: expect.any(Number),
        statement: 'allocate-order',
      },
    ]);
    // Logged because it outlasted SLOW_QUERY_MS: the lock was held 150 ms after it waited.
    expect(slow[0]?.durationMs).toBeGreaterThan(100);
    expect(JSON.stringify(log.lines)).not.toContain('log-slow-secret-order');
  });
});

describe('shutdown', () => {
  const signalled = async (close: () => Promise<void>, timeoutMs: number) => {
    const log = captured();
    const app = Fastify({ logger: { level: 'info', stream: log.stream } });
    const exit = vi.fn<(code: number) => void>();
    closeOnSignals({ app, close }, timeoutMs, exit)('SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalled());
    return { lines: log.lines.filter((l) => (l.level as number) >= ERROR), code: exit.mock.calls[0]?.[0] };
  };

  it('logs a failed close at error with the errorType of its failure', async () => {
    const result = await signalled(() => Promise.reject(new TypeError('pool.end is not a function')), 60_000);
    expect(result).toEqual({
      code: 1,
      lines: [expect.objectContaining({ msg: 'shutdown failed', errorType: 'TypeError' })],
    });
  });

  it('logs a drain that outlasts the timeout at error, as ShutdownTimeout', async () => {
    const result = await signalled(() => new Promise(() => undefined), 20);
    expect(result).toEqual({
      code: 1,
      lines: [
        expect.objectContaining({ msg: 'shutdown timed out', errorType: 'ShutdownTimeout', timeoutMs: 20 }),
      ],
    });
  });
});

/** Until a query of `blocker`'s database waits for a lock (the other session's allocation). */
async function waitingForLock(blocker: Client): Promise<void> {
  await vi.waitFor(
    async () => {
      // A transaction sees one snapshot of the statistics unless told to drop it.
      await blocker.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await blocker.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
      );
      expect(rows[0]?.n).toBeGreaterThan(0);
    },
    { timeout: 10_000, interval: 20 },
  );
}

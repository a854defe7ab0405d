import { createTestDatabase } from '@ias/local';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool } from '../src/db';
import { ConflictError, ShortageError } from '../src/errors';
import { errorType, LOG_EVENTS, shortageLogFields, slowQueryLogFields } from '../src/log-events';
import { observeQueries, slowQueries, type ObservedQuery, type SlowQuery } from '../src/query-observers';
import { databaseSettings, parseSettings } from '../src/settings';

let url: string;
const pools: Pool[] = [];
beforeAll(async () => {
  url = await createTestDatabase(inject('postgresAdminUrl'), 'observe');
});
afterAll(() => Promise.all(pools.map((p) => p.end())));

/** A pool of the test database whose queries pass through `observe`. */
function observedPool(...observers: Parameters<typeof observeQueries>[1][]): Pool {
  const pool = new Pool({ connectionString: url, max: 2 });
  pools.push(pool);
  observeQueries(pool, ...observers);
  return pool;
}

describe('slowQueries', () => {
  it('reports a query slower than the threshold once, with its duration and SQL text, never its values', async () => {
    const slow: SlowQuery[] = [];
    const pool = observedPool(slowQueries(40, (q) => slow.push(q)));
    await pool.query('SELECT pg_sleep($1), $2::text AS secret', [0.08, 'secret-value-123']);
    await pool.query('SELECT 1');
    expect(slow).toEqual([
      { durationMs: expect.any(Number), statement: 'SELECT pg_sleep($1), $2::text AS secret' },
    ]);
    expect(slow[0]?.durationMs).toBeGreaterThanOrEqual(75);
    expect(Number.isInteger(slow[0]?.durationMs)).toBe(true);
    expect(JSON.stringify(slow)).not.toContain('secret-value-123');
  });

  it('names a named query by its name, and times queries on a checked-out client too', async () => {
    const slow: SlowQuery[] = [];
    const pool = observedPool(slowQueries(40, (q) => slow.push(q)));
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query({ name: 'sleepy', text: 'SELECT pg_sleep($1)', values: [0.06] });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(slow.map((q) => q.statement)).toEqual(['sleepy']);
  });

  it('shows at most 80 characters of the SQL text, its indentation collapsed', async () => {
    const seen: ObservedQuery[] = [];
    const pool = observedPool((q) => void seen.push(q));
    const text = `SELECT pg_sleep(0),
                  ${Array.from({ length: 20 }, (_, i) => `${i} AS column_${i}`).join(',\n                  ')}`;
    await pool.query(text);
    expect(seen[0]?.statement).toHaveLength(80);
    expect(seen[0]?.statement).toBe(
      'SELECT pg_sleep(0), 0 AS column_0, 1 AS column_1, 2 AS column_2, 3 AS column_3, ',
    );
    expect(seen[0]?.text).toBe(text);
  });

  it('counts a failed query, tells the observers its error, and leaves the failure to the caller', async () => {
    const slow: SlowQuery[] = [];
    const ended: (Error | undefined)[] = [];
    const pool = observedPool(
      slowQueries(40, (q) => slow.push(q)),
      () => (error) => void ended.push(error),
      () => {
        throw new Error('a broken observer');
      },
    );
    // The sleep runs before the division fails (a constant 1 / 0 would fail at planning).
    const failing = 'SELECT 1 / (count(*) - count(*)) FROM pg_sleep(0.06)';
    await expect(pool.query(failing)).rejects.toThrow('division by zero');
    expect(slow.map((q) => q.statement)).toEqual([failing]);
    expect(ended.map((e) => e && errorType(e))).toEqual(['DatabaseError']);
    expect((await pool.query<{ n: number }>('SELECT 2 AS n')).rows[0]?.n).toBe(2);
  });

  it('ends the observation of a query refused before it is sent, leaving the throw to the caller', async () => {
    const ended: (Error | undefined)[] = [];
    const pool = observedPool(() => (error) => void ended.push(error));
    const client = await pool.connect();
    try {
      expect(() => client.query(null as unknown as string)).toThrow(TypeError);
    } finally {
      client.release();
    }
    expect(ended.map((e) => e && errorType(e))).toEqual(['TypeError']);
  });

  it('are reported by createPool with SLOW_QUERY_MS when given onSlowQuery', async () => {
    const slow: SlowQuery[] = [];
    const settings = parseSettings(databaseSettings, { DATABASE_URL: url, SLOW_QUERY_MS: '30' }, 'test');
    const pool = createPool(settings, { onSlowQuery: (q) => slow.push(q) });
    pools.push(pool);
    await pool.query('SELECT pg_sleep(0.05)');
    await pool.query('SELECT 1');
    expect(slow.map((q) => q.statement)).toEqual(['SELECT pg_sleep(0.05)']);
  });
});

describe('SLOW_QUERY_MS', () => {
  it('defaults to 500 and is optional when deployed', () => {
    expect(parseSettings(databaseSettings, { DATABASE_URL: url }, 'test').SLOW_QUERY_MS).toBe(500);
    expect(databaseSettings.shape.SLOW_QUERY_MS.meta()).toEqual({ description: expect.any(String) });
  });

  it.each(['0', '600001', '1.5', 'fast'])('fails on %j, naming the setting', (value) => {
    expect(() => parseSettings(databaseSettings, { DATABASE_URL: url, SLOW_QUERY_MS: value }, 'x')).toThrow(
      `SLOW_QUERY_MS: must be a whole number from 1 to 600000 (got ${JSON.stringify(value)})`,
    );
  });
});

describe('log fields', () => {
  it('name each failure by its class', async () => {
    class UnnamedError extends Error {}
    const pool = observedPool();
    const dbError: unknown = await pool.query('SELECT 1 / 0').catch((e: unknown) => e);
    expect(errorType(dbError)).toBe('DatabaseError');
    expect(errorType(new TypeError('x'))).toBe('TypeError');
    expect(errorType(new Error('x'))).toBe('Error');
    expect(errorType(new UnnamedError('x'))).toBe('UnnamedError');
    expect(errorType(new ConflictError('x'))).toBe('ConflictError');
    expect(errorType('a string')).toBe('NonError');
    expect(errorType(undefined)).toBe('NonError');
  });

  it('describe a shortage by its first short line, every short line and the order', () => {
    const error = new ShortageError([
      { sku: 'A', requested: 5, available: 2 },
      { sku: 'B', requested: 1, available: 0 },
    ]);
    expect(shortageLogFields(error, 'order-1')).toEqual({
      event: 'allocation.shortage',
      orderId: 'order-1',
      sku: 'A',
      requested: 5,
      available: 2,
      shortages: error.shortages,
    });
    expect(shortageLogFields(error)).not.toHaveProperty('orderId');
  });

  it('describe a slow query by its duration and statement only', () => {
    expect(slowQueryLogFields({ durationMs: 612, statement: 'allocate-order' })).toEqual({
      event: LOG_EVENTS.slowQuery,
      durationMs: 612,
      statement: 'allocate-order',
    });
    expect(LOG_EVENTS.slowQuery).toBe('db.slow-query');
  });
});

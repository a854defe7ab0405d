import { Tracer } from '@aws-lambda-powertools/tracer';
import { createPool, InventoryRepository, migrate, parseSettings, refineDatabaseSettings } from '@ias/core';
import { createTestDatabase } from '@ias/local';
import { Segment, type Subsegment } from 'aws-xray-sdk-core';
import { Client, type Pool } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { z } from 'zod';
import { closeSharedRepository, observedRepository } from '../src/database';
import { logFailure, tracedQueries, xraySubsegments } from '../src/observability';
import { functionSettingsShape } from '../src/settings';
import { capturedLogger } from './support/captured-logger';

const schema = z.object(functionSettingsShape).superRefine(refineDatabaseSettings);
let url: string;
const pools: Pool[] = [];
beforeAll(async () => {
  url = await createTestDatabase(inject('postgresAdminUrl'), 'fnobserve');
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await closeSharedRepository();
});

let capture: ReturnType<typeof capturedLogger> | undefined;
afterEach(() => capture?.restore());

describe('logFailure', () => {
  it('logs at error with the errorType of the failure, the error and the fields', () => {
    capture = capturedLogger('fn-test');
    logFailure(capture.logger, 'order failed', new TypeError('boom'), { messageId: 'm1' });
    capture.restore();
    expect(capture.lines).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'order failed',
        service: 'fn-test',
        errorType: 'TypeError',
        messageId: 'm1',
        error: expect.objectContaining({ name: 'TypeError', message: 'boom' }),
      }),
    ]);
  });
});

describe('the observed repository of a function', () => {
  it('logs a query slower than SLOW_QUERY_MS at warn as db.slow-query, without its values', async () => {
    capture = capturedLogger('fn-test');
    const settings = parseSettings(schema, { DATABASE_URL: url, SLOW_QUERY_MS: '100' }, 'fn');
    const repository = await observedRepository({ logger: capture.logger, tracer: new Tracer() }, settings)();
    await repository.setStock('FN-SLOW', 'W1', 2);
    // Hold the row: the allocation waits for the lock inside the database.
    const blocker = new Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT * FROM stock WHERE sku = 'FN-SLOW' FOR UPDATE`);
    const allocation = repository.allocate({
      orderId: 'fn-slow-secret',
      lines: [{ sku: 'FN-SLOW', quantity: 1 }],
    });
    await waitingForLock(blocker);
    await new Promise((r) => setTimeout(r, 150));
    await blocker.query('COMMIT');
    await blocker.end();
    await allocation;
    capture.restore();
    const slow = capture.lines.filter((l) => l.event === 'db.slow-query');
    expect(slow).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'slow query',
        event: 'db.slow-query',
        durationMs: expect.any(Number),
        statement: 'allocate-order',
      }),
    ]);
    // Logged because it outlasted SLOW_QUERY_MS: the lock was held 150 ms after it waited.
    expect(slow[0]?.durationMs).toBeGreaterThan(100);
    expect(JSON.stringify(capture.lines)).not.toContain('fn-slow-secret');
  });
});

describe('X-Ray subsegments of queries', () => {
  it('are made only when the tracer is on: never in tests or local runs', () => {
    const settings = parseSettings(schema, { DATABASE_URL: url }, 'fn');
    // The tests' environment: outside Lambda, POWERTOOLS_TRACE_ENABLED=false.
    expect(tracedQueries(new Tracer(), settings)).toEqual([]);
    const on = { isTracingEnabled: () => true, getSegment: () => undefined };
    expect(tracedQueries(on, settings)).toHaveLength(1);
  });

  it('record each query under the current segment as the X-Ray SDK does, the SQL without its values', async () => {
    const settings = parseSettings(schema, { DATABASE_URL: url }, 'fn');
    const segment = new Segment('allocate-order');
    const pool = createPool(settings, {
      observers: [xraySubsegments({ getSegment: () => segment }, settings)],
    });
    pools.push(pool);
    await migrate(pool);
    segment.subsegments = [];
    await expect(
      new InventoryRepository(pool).allocate({ orderId: 'xray-1', lines: [{ sku: 'NONE', quantity: 1 }] }),
    ).rejects.toThrow('insufficient stock');
    await expect(pool.query('SELECT $1::int / 0', [7])).rejects.toThrow('division by zero');
    const { hostname, port, pathname, username } = new URL(url);
    const database = pathname.slice(1);
    const subsegments = (segment.subsegments ?? []) as (Subsegment & Record<string, unknown>)[];
    expect(subsegments.map((s) => s.name)).toEqual([`${database}@${hostname}`, `${database}@${hostname}`]);
    expect(subsegments[0]).toMatchObject({
      namespace: 'remote',
      end_time: expect.any(Number),
      sql: {
        url: `postgresql://${hostname}:${port}/${database}`,
        database_type: 'PostgreSQL',
        user: username,
        preparation: 'statement',
        sanitized_query: 'SELECT allocate_order($1, $2, $3, $4, $5) AS result',
      },
    });
    expect(subsegments[0]).not.toHaveProperty('in_progress');
    expect(subsegments[0]?.fault).toBeUndefined();
    expect(subsegments[1]).toMatchObject({
      end_time: expect.any(Number),
      fault: true,
      sql: { sanitized_query: 'SELECT $1::int / 0' },
    });
    expect(subsegments[1]?.sql).not.toHaveProperty('preparation');
    expect(JSON.stringify(subsegments)).not.toContain('xray-1');
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

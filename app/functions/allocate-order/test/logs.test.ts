import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InventoryRepository, migrate } from '@ias/core';
import { EventBridgePublisher, powertools } from '@ias/fn-common';
import { createTestDatabase } from '@ias/local';
import type { Context, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Pool } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { capturedLogger } from '../../common/test/support/captured-logger';
import { createHandler } from '../src/handler';

// The log lines of allocate-order that the infrastructure's metric filters match.

const eventBridge = mockClient(EventBridgeClient);
let pool: Pool;
let repo: InventoryRepository;
beforeAll(async () => {
  pool = new Pool({
    connectionString: await createTestDatabase(inject('postgresAdminUrl'), 'fnlogs'),
    max: 2,
  });
  await migrate(pool);
  repo = new InventoryRepository(pool);
  await repo.setStock('LOG-1', 'W1', 2);
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
});
afterAll(() => pool.end());

let capture: ReturnType<typeof capturedLogger>;
afterEach(() => capture.restore());

const context = { functionName: 'allocate-order', awsRequestId: 'req-1' } as Context;
const record = (messageId: string, body: unknown): SQSRecord =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1700000000000',
      SenderId: 'sender',
      ApproximateFirstReceiveTimestamp: '1700000000000',
    },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:ap-northeast-1:123456789012:ias-dev-orders',
    awsRegion: 'ap-northeast-1',
  }) as SQSRecord;

/** Runs the handler on `records`, its logger captured; the lines at warn and above. */
async function run(repository: () => Promise<InventoryRepository>, ...records: SQSRecord[]) {
  capture = capturedLogger('allocate-order');
  const handler = createHandler({
    tools: { ...powertools('allocate-order'), logger: capture.logger },
    repository,
    publisher: new EventBridgePublisher(
      new EventBridgeClient({ region: 'ap-northeast-1' }),
      'bus',
      'inventory',
    ),
  });
  const response = await handler({ Records: records }, context);
  capture.restore();
  return { response, lines: capture.lines.filter((l) => l.level === 'WARN' || l.level === 'ERROR') };
}

describe('allocate-order logs', () => {
  it('a refused allocation once at warn, as allocation.shortage with the sku and quantities', async () => {
    const { lines } = await run(
      async () => repo,
      record('s1', { orderId: 'short-1', lines: [{ sku: 'LOG-1', quantity: 9 }] }),
    );
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'allocation refused: not enough stock',
        event: 'allocation.shortage',
        orderId: 'short-1',
        sku: 'LOG-1',
        requested: 9,
        available: 2,
        shortages: [{ sku: 'LOG-1', requested: 9, available: 2 }],
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('errorType');
  });

  it('no errorType for an allocation or a conflict: expected outcomes', async () => {
    const { response, lines } = await run(
      async () => repo,
      record('a1', { orderId: 'ok-1', lines: [{ sku: 'LOG-1', quantity: 1 }] }),
      record('a2', { orderId: 'ok-1', lines: [{ sku: 'LOG-1', quantity: 2 }] }),
    );
    expect(response).toEqual({ batchItemFailures: [] });
    expect(lines).toEqual([]);
  });

  it('each failed record at error with the errorType of its failure, then the records returned', async () => {
    const { response, lines } = await run(
      async () => {
        throw new TypeError('pool is not a function');
      },
      record('f1', { orderId: 'fail-1', lines: [{ sku: 'LOG-1', quantity: 1 }] }),
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'f1' }] });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'order failed: returned to the queue',
        errorType: 'TypeError',
        messageId: 'f1',
        orderId: 'fail-1',
        error: expect.objectContaining({ name: 'TypeError', message: 'pool is not a function' }),
      }),
      expect.objectContaining({ level: 'WARN', message: 'records returned to the queue', failed: 1 }),
    ]);
    expect(lines[1]).not.toHaveProperty('errorType');
  });
});

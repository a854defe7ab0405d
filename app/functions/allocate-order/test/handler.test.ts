import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InventoryRepository, migrate } from '@ias/core';
import { EventBridgePublisher, powertools } from '@ias/fn-common';
import { createTestDatabase } from '@ias/local';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Pool } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createHandler } from '../src/handler';

const eventBridge = mockClient(EventBridgeClient);
let pool: Pool;
let repo: InventoryRepository;

beforeAll(async () => {
  pool = new Pool({
    connectionString: await createTestDatabase(inject('postgresAdminUrl'), 'allocate'),
    max: 4,
  });
  await migrate(pool);
  repo = new InventoryRepository(pool);
  await repo.setStock('SKU-1', 'W1', 5);
});
afterAll(() => pool.end());
beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
});

const context = { functionName: 'allocate-order', awsRequestId: 'req-1' } as Context;
const record = (messageId: string, body: unknown): SQSRecord =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
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
const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

function handler(repository = async () => repo) {
  return createHandler({
    tools: powertools('allocate-order-test'),
    repository,
    publisher: new EventBridgePublisher(
      new EventBridgeClient({ region: 'ap-northeast-1' }),
      'ias-dev-events',
      'inventory',
    ),
  });
}

function published(): { DetailType?: string; Detail: Record<string, unknown> }[] {
  return eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((e) => ({
      DetailType: e.DetailType,
      Detail: JSON.parse(e.Detail ?? '{}') as Record<string, unknown>,
    }));
}

describe('allocate-order', () => {
  it('allocates, publishes OrderAllocated, and reports no failure', async () => {
    const res = await handler()(
      sqsEvent(record('m1', { orderId: 'fn-1', lines: [{ sku: 'SKU-1', quantity: 2 }] })),
      context,
    );
    expect(res).toEqual({ batchItemFailures: [] });
    expect(published()).toEqual([
      {
        DetailType: 'OrderAllocated',
        Detail: expect.objectContaining({
          orderId: 'fn-1',
          status: 'allocated',
          lines: [{ sku: 'SKU-1', warehouse: 'W1', quantity: 2 }],
        }),
      },
    ]);
    expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).toMatchObject({
      EventBusName: 'ias-dev-events',
      Source: 'inventory',
    });
    expect((await repo.getStock('SKU-1'))?.available).toBe(3);
  });

  it('is idempotent on orderId: a redelivered message allocates nothing more', async () => {
    const msg = record('m2', { orderId: 'fn-1', lines: [{ sku: 'SKU-1', quantity: 2 }] });
    expect(await handler()(sqsEvent(msg), context)).toEqual({ batchItemFailures: [] });
    expect((await repo.getStock('SKU-1'))?.available).toBe(3);
  });

  it('publishes a shortage as AllocationShortage and does not retry it', async () => {
    const res = await handler()(
      sqsEvent(record('m3', { orderId: 'fn-2', lines: [{ sku: 'SKU-1', quantity: 99 }] })),
      context,
    );
    expect(res).toEqual({ batchItemFailures: [] });
    expect(published()).toEqual([
      {
        DetailType: 'AllocationShortage',
        Detail: { orderId: 'fn-2', shortages: [{ sku: 'SKU-1', requested: 99, available: 3 }] },
      },
    ]);
  });

  it('returns only the malformed records as batch item failures, processing the rest', async () => {
    const res = await handler()(
      sqsEvent(
        record('bad-json', '{not json'),
        record('bad-shape', { orderId: 'fn-3', lines: [{ sku: 'SKU-1', quantity: 0 }] }),
        record('good', { orderId: 'fn-4', lines: [{ sku: 'SKU-1', quantity: 1 }] }),
      ),
      context,
    );
    expect(res).toEqual({
      batchItemFailures: [{ itemIdentifier: 'bad-json' }, { itemIdentifier: 'bad-shape' }],
    });
    expect(published().map((e) => e.DetailType)).toEqual(['OrderAllocated']);
    expect((await repo.getStock('SKU-1'))?.available).toBe(2);
  });

  it('publishes an orderId reused with different lines as AllocationRejected', async () => {
    const res = await handler()(
      sqsEvent(record('m5', { orderId: 'fn-1', lines: [{ sku: 'SKU-1', quantity: 1 }] })),
      context,
    );
    expect(res).toEqual({ batchItemFailures: [] });
    expect(published()).toEqual([
      {
        DetailType: 'AllocationRejected',
        Detail: { orderId: 'fn-1', reason: 'order fn-1 was already allocated with different lines' },
      },
    ]);
  });

  it('returns every record to the queue when the database is unreachable', async () => {
    const down = handler(async () => {
      throw new Error('connect ECONNREFUSED');
    });
    const res = await down(
      sqsEvent(
        record('d1', { orderId: 'fn-6', lines: [{ sku: 'SKU-1', quantity: 1 }] }),
        record('d2', { orderId: 'fn-7', lines: [{ sku: 'SKU-1', quantity: 1 }] }),
      ),
      context,
    );
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'd1' }, { itemIdentifier: 'd2' }] });
  });

  it('returns the record to the queue when EventBridge refuses the event', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
    const res = await handler()(
      sqsEvent(record('e1', { orderId: 'fn-8', lines: [{ sku: 'SKU-1', quantity: 1 }] })),
      context,
    );
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'e1' }] });
    // The allocation itself committed; the retry will find it and publish again (idempotent).
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '2' }] });
    expect(
      await handler()(
        sqsEvent(record('e1', { orderId: 'fn-8', lines: [{ sku: 'SKU-1', quantity: 1 }] })),
        context,
      ),
    ).toEqual({
      batchItemFailures: [],
    });
    expect((await repo.getStock('SKU-1'))?.available).toBe(1);
  });
});

import { Readable } from 'node:stream';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { InventoryRepository, migrate } from '@ias/core';
import { EventBridgePublisher, powertools } from '@ias/fn-common';
import { createTestDatabase } from '@ias/local';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Pool } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { parseStockCsv } from '../src/csv';
import { createHandler, decodeKey } from '../src/handler';
import { S3ObjectSource } from '../src/objects';

const s3 = mockClient(S3Client);
const eventBridge = mockClient(EventBridgeClient);
let pool: Pool;
let repo: InventoryRepository;

beforeAll(async () => {
  pool = new Pool({
    connectionString: await createTestDatabase(inject('postgresAdminUrl'), 'import'),
    max: 4,
  });
  await migrate(pool);
  repo = new InventoryRepository(pool);
});
afterAll(() => pool.end());
beforeEach(() => {
  s3.reset();
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
});

const context = { functionName: 'import-stock', awsRequestId: 'req-1' } as Context;

function s3Event(key: string, bucket = 'ias-dev-stock-imports') {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'ap-northeast-1',
        eventTime: '2026-11-24T00:00:00.000Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:EXAMPLE' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'i' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'import',
          bucket: { name: bucket, ownerIdentity: { principalId: 'EXAMPLE' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key, size: 10, eTag: 'e', sequencer: '0' },
        },
      },
    ],
  };
}

function serve(key: string, text: string) {
  s3.on(GetObjectCommand, { Key: key }).resolves({
    ContentLength: Buffer.byteLength(text),
    Body: sdkStreamMixin(Readable.from([Buffer.from(text)])),
  });
}

const handler = () =>
  createHandler({
    tools: powertools('import-stock-test'),
    repository: async () => repo,
    publisher: new EventBridgePublisher(
      new EventBridgeClient({ region: 'ap-northeast-1' }),
      'ias-dev-events',
      'inventory',
    ),
    objects: new S3ObjectSource(new S3Client({ region: 'ap-northeast-1' })),
  });

const published = () =>
  eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail ?? '{}') as unknown }));

describe('import-stock', () => {
  it('applies a good file in one transaction and publishes StockImported', async () => {
    serve('drops/stock 1.csv', 'sku,warehouse,onHand\nIMP-A,TOKYO,10\nIMP-A,OSAKA,4\nIMP-B,TOKYO,0\n');
    const result = await handler()(s3Event('drops/stock+1.csv'), context);
    expect(result).toEqual({
      files: [{ bucket: 'ias-dev-stock-imports', key: 'drops/stock 1.csv', status: 'imported', rows: 3 }],
    });
    expect((await repo.getStock('IMP-A'))?.available).toBe(14);
    expect(published()).toEqual([
      { type: 'StockImported', detail: expect.objectContaining({ status: 'imported', rows: 3 }) },
    ]);
  });

  it('takes the EventBridge "Object Created" event the infrastructure routes to it', async () => {
    serve('drops/eb.csv', 'sku,warehouse,onHand\nIMP-EB,TOKYO,7\n');
    const result = await handler()(
      {
        version: '0',
        id: '17793124-05d4-b198-2fde-7ededc63b103',
        'detail-type': 'Object Created',
        source: 'aws.s3',
        account: '123456789012',
        time: '2026-11-24T00:00:00Z',
        region: 'ap-northeast-1',
        resources: ['arn:aws:s3:::ias-dev-stock-imports'],
        detail: {
          version: '0',
          bucket: { name: 'ias-dev-stock-imports' },
          object: { key: 'drops/eb.csv', size: 30, etag: 'e', sequencer: '0' },
          'request-id': 'r',
          requester: '123456789012',
          'source-ip-address': '127.0.0.1',
          reason: 'PutObject',
        },
      },
      context,
    );
    expect(result).toEqual({
      files: [{ bucket: 'ias-dev-stock-imports', key: 'drops/eb.csv', status: 'imported', rows: 1 }],
    });
    expect((await repo.getStock('IMP-EB'))?.available).toBe(7);
  });

  it('rejects a file with bad rows whole, naming every row and reason, and applies nothing', async () => {
    serve(
      'bad.csv',
      'sku,warehouse,onHand\nIMP-A,TOKYO,99\nIMP-C,,5\nIMP-D,TOKYO,-1\nIMP-A,TOKYO,3\nIMP-E,TOKYO,2,extra\n',
    );
    const result = await handler()(s3Event('bad.csv'), context);
    expect(result.files[0]).toEqual({
      bucket: 'ias-dev-stock-imports',
      key: 'bad.csv',
      status: 'rejected',
      errors: [
        { row: 3, message: expect.stringContaining('warehouse must be') },
        { row: 4, message: 'onHand must be a whole number from 0 to 1000000000, got "-1"' },
        { row: 5, message: 'IMP-A in TOKYO already appears on row 2' },
        { row: 6, message: 'expected 3 columns, found 4' },
      ],
    });
    expect((await repo.getStock('IMP-A'))?.warehouses.find((w) => w.warehouse === 'TOKYO')?.onHand).toBe(10);
    expect(await repo.getStock('IMP-C')).toBeUndefined();
    expect(published().map((e) => e.type)).toEqual(['StockImportRejected']);
  });

  it('rejects a file that would set stock below what is allocated, naming the row', async () => {
    await repo.allocate({ orderId: 'imp-alloc', lines: [{ sku: 'IMP-A', quantity: 8 }] });
    serve('below.csv', 'sku,warehouse,onHand\nIMP-B,TOKYO,50\nIMP-A,TOKYO,1\n');
    const result = await handler()(s3Event('below.csv'), context);
    expect(result.files[0]).toMatchObject({
      status: 'rejected',
      errors: [{ row: 3, message: expect.stringContaining('is below the') }],
    });
    expect((await repo.getStock('IMP-B'))?.available).toBe(0);
  });

  it('rejects a wrong header and an empty file', async () => {
    serve('header.csv', 'sku,qty\nA,1\n');
    serve('empty.csv', 'sku,warehouse,onHand\n');
    const result = await handler()(
      { Records: [...s3Event('header.csv').Records, ...s3Event('empty.csv').Records] },
      context,
    );
    expect(result.files.map((f) => (f.status === 'rejected' ? f.errors : []))).toEqual([
      [{ row: 1, message: 'the header must be exactly "sku,warehouse,onHand"' }],
      [{ row: 2, message: 'the file has no stock rows' }],
    ]);
  });

  it('fails the invocation (to be retried) when S3 cannot be read', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    await expect(handler()(s3Event('missing.csv'), context)).rejects.toThrow('gone');
  });

  it('fails with a parse error on an event that is not an S3 event', async () => {
    await expect(handler()({ Records: [{ eventSource: 'aws:sqs' }] }, context)).rejects.toThrow();
  });
});

describe('parseStockCsv and decodeKey', () => {
  it('accepts a BOM, blank lines and surrounding spaces', () => {
    expect(parseStockCsv('\uFEFFsku,warehouse,onHand\n\n A , B , 3 \n')).toEqual({
      ok: true,
      rows: [{ row: 2, sku: 'A', warehouse: 'B', onHand: 3 }],
    });
  });

  it('decodes S3 event keys', () => {
    expect(decodeKey('a+b%2Fc.csv')).toBe('a b/c.csv');
  });
});

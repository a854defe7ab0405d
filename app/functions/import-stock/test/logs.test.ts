import { NoSuchKey } from '@aws-sdk/client-s3';
import type { InventoryRepository } from '@ias/core';
import { powertools, type EventPublisher } from '@ias/fn-common';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { capturedLogger } from '../../common/test/support/captured-logger';
import { createHandler } from '../src/handler';
import type { ObjectSource } from '../src/objects';

// The log lines of import-stock that the infrastructure's metric filters match.

const context = { functionName: 'import-stock', awsRequestId: 'req-1' } as Context;
const event = {
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '123456789012',
  time: '2026-11-24T00:00:00Z',
  region: 'ap-northeast-1',
  resources: ['arn:aws:s3:::ias-dev-stock-imports'],
  id: '1',
  version: '0',
  detail: {
    version: '0',
    bucket: { name: 'ias-dev-stock-imports' },
    object: { key: 'drops/stock.csv', size: 10, etag: 'e', sequencer: '0' },
    'request-id': 'r',
    requester: '123456789012',
    reason: 'PutObject',
  },
};
const publisher: EventPublisher = { publish: async () => undefined };

let capture: ReturnType<typeof capturedLogger>;
afterEach(() => capture.restore());

/** Runs the handler on `event` with `objects`, its logger captured: its outcome and its error lines. */
async function run(objects: ObjectSource) {
  capture = capturedLogger('import-stock');
  const handler = createHandler({
    tools: { ...powertools('import-stock'), logger: capture.logger },
    repository: async () => ({ importStock: async () => 0 }) as unknown as InventoryRepository,
    publisher,
    objects,
  });
  const outcome = await handler(event, context).then(
    (answer) => ({ answer }),
    (error: unknown) => ({ error }),
  );
  capture.restore();
  return { outcome, errors: capture.lines.filter((l) => l.level === 'ERROR') };
}

describe('import-stock logs', () => {
  it('a failed invocation at error with the errorType of its failure', async () => {
    const { outcome, errors } = await run({
      read: async () => {
        throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
      },
    });
    expect(outcome).toEqual({ error: expect.any(NoSuchKey) });
    expect(errors).toEqual([
      expect.objectContaining({
        message: 'import failed: the invocation fails, for Lambda to retry',
        errorType: 'NoSuchKey',
        objects: [{ bucket: 'ias-dev-stock-imports', key: 'drops/stock.csv' }],
        error: expect.objectContaining({ name: 'NoSuchKey' }),
      }),
    ]);
  });

  it('a rejected file without errorType: an expected outcome, not a failure', async () => {
    const { outcome, errors } = await run({ read: async () => 'not,a,stock,file\n' });
    expect(outcome).toMatchObject({ answer: { files: [{ status: 'rejected' }] } });
    expect(errors).toEqual([expect.objectContaining({ message: 'stock file rejected: nothing applied' })]);
    expect(errors[0]).not.toHaveProperty('errorType');
  });
});

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { parse } from '@aws-lambda-powertools/parser';
import { S3EventNotificationEventBridgeSchema, S3Schema } from '@aws-lambda-powertools/parser/schemas/s3';
import { ConflictError, type InventoryRepository } from '@ias/core';
import { logFailure, type EventPublisher, type Powertools } from '@ias/fn-common';
import type { Context } from 'aws-lambda';
import { parseStockCsv, type RowError } from './csv';
import { FileTooLargeError, type ObjectSource } from './objects';

/** What the handler needs, injected so that tests run it against a real database and stubbed AWS. */
export interface ImportStockDeps {
  readonly tools: Powertools;
  readonly repository: () => Promise<InventoryRepository>;
  readonly publisher: EventPublisher;
  readonly objects: ObjectSource;
}

/** The outcome for one file. */
export type FileResult =
  | { readonly bucket: string; readonly key: string; readonly status: 'imported'; readonly rows: number }
  | {
      readonly bucket: string;
      readonly key: string;
      readonly status: 'rejected';
      readonly errors: readonly RowError[];
    };

/** S3 URL-encodes keys in event notifications, with `+` for spaces. */
export function decodeKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/**
 * The objects an event names. Two shapes arrive: S3 event notifications (`Records[]`, keys
 * URL-encoded), and the `Object Created` events the bucket sends to EventBridge, which is how the
 * infrastructure wires the trigger (keys as they are).
 */
export function objectsOf(event: unknown): { bucket: string; key: string }[] {
  if (event && typeof event === 'object' && 'detail-type' in event) {
    const e = parse(event, undefined, S3EventNotificationEventBridgeSchema);
    return [{ bucket: e.detail.bucket.name, key: e.detail.object.key }];
  }
  return parse(event, undefined, S3Schema).Records.map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeKey(r.s3.object.key),
  }));
}

/**
 * `import-stock`: for each CSV file dropped in the bucket (S3 ObjectCreated, as an EventBridge event
 * or an S3 event notification), sets every
 * stock level it lists in one transaction. A file with any bad row is rejected whole, with the row
 * numbers and reasons, and nothing is applied; rejection is a business outcome (published as
 * `StockImportRejected`, logged as an error without `errorType`), not a failure to retry. Only
 * failures a retry may cure (S3 or database unavailable) make the invocation fail, logged first as
 * `import failed: …` at error with their `errorType` (see log-events.ts in @ias/core).
 */
export function createHandler(deps: ImportStockDeps) {
  const { logger, metrics } = deps.tools;

  async function importFile(bucket: string, key: string): Promise<FileResult> {
    let text: string;
    try {
      text = await deps.objects.read(bucket, key);
    } catch (err) {
      if (err instanceof FileTooLargeError) {
        return { bucket, key, status: 'rejected', errors: [{ row: 0, message: err.message }] };
      }
      throw err;
    }
    const parsed = parseStockCsv(text);
    if (!parsed.ok) {
      return { bucket, key, status: 'rejected', errors: parsed.errors };
    }
    try {
      const rows = await (await deps.repository()).importStock(parsed.rows);
      return { bucket, key, status: 'imported', rows };
    } catch (err) {
      if (err instanceof ConflictError) {
        return {
          bucket,
          key,
          status: 'rejected',
          errors: (err.details.rows as RowError[] | undefined) ?? [{ row: 0, message: err.message }],
        };
      }
      throw err;
    }
  }

  return async (event: unknown, context: Context): Promise<{ files: FileResult[] }> => {
    logger.addContext(context);
    const objects = objectsOf(event);
    const files: FileResult[] = [];
    try {
      for (const object of objects) {
        const result = await importFile(object.bucket, object.key);
        files.push(result);
        if (result.status === 'imported') {
          logger.info('stock file imported', { bucket: result.bucket, key: result.key, rows: result.rows });
          metrics.addMetric('StockRowsImported', MetricUnit.Count, result.rows);
          await deps.publisher.publish([{ detailType: 'StockImported', detail: { ...result } }]);
        } else {
          logger.error('stock file rejected: nothing applied', {
            bucket: result.bucket,
            key: result.key,
            errors: result.errors,
          });
          metrics.addMetric('StockFilesRejected', MetricUnit.Count, 1);
          await deps.publisher.publish([{ detailType: 'StockImportRejected', detail: { ...result } }]);
        }
      }
      return { files };
    } catch (err) {
      logFailure(logger, 'import failed: the invocation fails, for Lambda to retry', err, {
        objects,
        done: files.length,
      });
      throw err;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

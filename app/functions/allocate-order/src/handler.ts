import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/batch/parser';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { allocationRequestSchema, type AllocationRequest, type InventoryRepository } from '@ias/core';
import { logFailure, logShortage, type EventPublisher, type Powertools } from '@ias/fn-common';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { allocateOrder, type OrderOutcome } from './allocate';

/** What the handler needs, injected so that tests run it against a real database and stubbed AWS. */
export interface AllocateOrderDeps {
  readonly tools: Powertools;
  readonly repository: () => Promise<InventoryRepository>;
  readonly publisher: EventPublisher;
}

/**
 * `allocate-order`: consumes order events from SQS (`{ orderId, lines, preferredWarehouse? }` as
 * the message body) and allocates each, idempotently on its orderId. Returns SQS partial batch
 * failures: only records that failed for a reason a retry may cure (malformed body, database or
 * EventBridge errors) are returned to the queue, and after the queue's maxReceiveCount they go to
 * the dead-letter queue. Shortages are published as `AllocationShortage` events, not retried.
 * A record that fails in the handler logs `order failed: returned to the queue` at error with its
 * `errorType`; a shortage logs `allocation refused: not enough stock` at warn as event
 * `allocation.shortage` (see log-events.ts in @ias/core).
 */
export function createHandler(deps: AllocateOrderDeps) {
  const { logger, metrics, tracer } = deps.tools;
  const processor = new BatchProcessor(EventType.SQS, {
    parser,
    innerSchema: allocationRequestSchema,
    transformer: 'json',
    logger,
  });

  const recordHandler = async (record: SQSRecord): Promise<string> => {
    const order = record.body as unknown as AllocationRequest; // parsed by the processor's innerSchema
    let result: OrderOutcome;
    try {
      result = await allocateOrder(await deps.repository(), order);
      await deps.publisher.publish([result.event]);
    } catch (err) {
      logFailure(logger, 'order failed: returned to the queue', err, {
        messageId: record.messageId,
        orderId: order.orderId,
      });
      throw err;
    }
    if (result.outcome === 'shortage') {
      logShortage(logger, result.shortage, order.orderId);
    }
    metrics.addMetric(
      { allocated: 'OrdersAllocated', shortage: 'OrdersShort', conflict: 'OrdersRejected' }[result.outcome],
      MetricUnit.Count,
      1,
    );
    logger.info('order processed', {
      orderId: order.orderId,
      outcome: result.outcome,
      ...(result.outcome === 'allocated' ? { repeated: result.repeated } : {}),
    });
    return result.outcome;
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.addContext(context);
    const segment = tracer.getSegment();
    const subsegment = segment?.addNewSubsegment('## allocate-order');
    if (subsegment) tracer.setSegment(subsegment);
    try {
      const response = await processPartialResponse(event, recordHandler, processor, {
        context,
        // A batch where every record failed is answered like any other: each record returns to
        // the queue on its own, instead of the invocation failing as a whole.
        throwOnFullBatchFailure: false,
      });
      const failed = response.batchItemFailures.length;
      metrics.addMetric('RecordsFailed', MetricUnit.Count, failed);
      if (failed > 0) {
        logger.warn('records returned to the queue', {
          failed,
          ids: response.batchItemFailures.map((f) => f.itemIdentifier),
        });
      }
      return response;
    } finally {
      metrics.publishStoredMetrics();
      if (subsegment && segment) {
        subsegment.close();
        tracer.setSegment(segment);
      }
    }
  };
}

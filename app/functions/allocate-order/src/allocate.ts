import type { AllocationRequest, InventoryRepository } from '@ias/core';
import { ConflictError, ShortageError } from '@ias/core';
import type { BusinessEvent } from '@ias/fn-common';

/** What allocating one order event came to. */
export type OrderOutcome =
  | { readonly outcome: 'allocated'; readonly event: BusinessEvent; readonly repeated: boolean }
  | { readonly outcome: 'shortage'; readonly event: BusinessEvent; readonly shortage: ShortageError }
  | { readonly outcome: 'conflict'; readonly event: BusinessEvent };

/**
 * Allocates one order. Business outcomes come back as events to publish, never as errors, so the
 * message is not retried: a shortage stays a shortage until stock arrives, and an orderId reused
 * with different lines stays a conflict. Errors that a retry may cure (database down) are thrown.
 */
export async function allocateOrder(
  repo: InventoryRepository,
  order: AllocationRequest,
): Promise<OrderOutcome> {
  try {
    const { allocation, created } = await repo.allocate(order);
    return {
      outcome: 'allocated',
      repeated: !created,
      event: { detailType: 'OrderAllocated', detail: { ...allocation } },
    };
  } catch (err) {
    if (err instanceof ShortageError) {
      return {
        outcome: 'shortage',
        shortage: err,
        event: {
          detailType: 'AllocationShortage',
          detail: { orderId: order.orderId, shortages: err.shortages },
        },
      };
    }
    if (err instanceof ConflictError) {
      return {
        outcome: 'conflict',
        event: { detailType: 'AllocationRejected', detail: { orderId: order.orderId, reason: err.message } },
      };
    }
    throw err;
  }
}

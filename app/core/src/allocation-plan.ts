import type { Shortage } from './errors';
import type { RequestLine } from './schemas';

/** What a warehouse holds of one sku. */
export interface StockLevel {
  readonly sku: string;
  readonly warehouse: string;
  readonly onHand: number;
  readonly allocated: number;
}

/** A part of a requested line, taken from one warehouse. */
export interface AllocatedLine {
  readonly sku: string;
  readonly warehouse: string;
  readonly quantity: number;
}

/** The outcome of planning: every line met in full, or the shortages. */
export type AllocationPlan =
  | { readonly ok: true; readonly lines: readonly AllocatedLine[] }
  | { readonly ok: false; readonly shortages: readonly Shortage[] };

/**
 * Chooses warehouses for every line. The rule:
 *
 * 1. the preferred warehouse first, if the order names one and it has the sku available;
 * 2. then the other warehouses by most available first (ties by warehouse code, so the result is
 *    deterministic);
 * 3. a line takes what each warehouse in that order has until it is met, so it may be split.
 *
 * All or nothing: if any line cannot be met in full, the plan lists every shortage (what was
 * requested and what all warehouses together have available) and allocates nothing.
 */
export function planAllocation(
  lines: readonly RequestLine[],
  stock: readonly StockLevel[],
  preferredWarehouse?: string,
): AllocationPlan {
  const allocated: AllocatedLine[] = [];
  const shortages: Shortage[] = [];
  for (const line of lines) {
    const candidates = stock
      .filter((s) => s.sku === line.sku && s.onHand - s.allocated > 0)
      .map((s) => ({ warehouse: s.warehouse, available: s.onHand - s.allocated }))
      .sort(
        (a, b) =>
          Number(b.warehouse === preferredWarehouse) - Number(a.warehouse === preferredWarehouse) ||
          b.available - a.available ||
          a.warehouse.localeCompare(b.warehouse),
      );
    const total = candidates.reduce((n, c) => n + c.available, 0);
    if (total < line.quantity) {
      shortages.push({ sku: line.sku, requested: line.quantity, available: total });
      continue;
    }
    let remaining = line.quantity;
    for (const c of candidates) {
      if (remaining === 0) {
        break;
      }
      const take = Math.min(remaining, c.available);
      allocated.push({ sku: line.sku, warehouse: c.warehouse, quantity: take });
      remaining -= take;
    }
  }
  return shortages.length > 0 ? { ok: false, shortages } : { ok: true, lines: allocated };
}

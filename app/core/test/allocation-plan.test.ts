import { describe, expect, it } from 'vitest';
import { planAllocation, type StockLevel } from '../src/allocation-plan';

const level = (sku: string, warehouse: string, onHand: number, allocated = 0): StockLevel => ({
  sku,
  warehouse,
  onHand,
  allocated,
});

describe('planAllocation (the warehouse rule)', () => {
  const stock = [level('A', 'W1', 5), level('A', 'W2', 8, 2), level('A', 'W3', 6), level('B', 'W1', 1)];

  it('takes from the preferred warehouse first', () => {
    const plan = planAllocation([{ sku: 'A', quantity: 4 }], stock, 'W1');
    expect(plan).toEqual({ ok: true, lines: [{ sku: 'A', warehouse: 'W1', quantity: 4 }] });
  });

  it('then from the most available, ties broken by warehouse code, splitting the line', () => {
    // Available: W1 5, W2 6, W3 6 → W2 and W3 tie at 6; W2 comes first by code.
    const plan = planAllocation([{ sku: 'A', quantity: 14 }], stock);
    expect(plan).toEqual({
      ok: true,
      lines: [
        { sku: 'A', warehouse: 'W2', quantity: 6 },
        { sku: 'A', warehouse: 'W3', quantity: 6 },
        { sku: 'A', warehouse: 'W1', quantity: 2 },
      ],
    });
  });

  it('ignores a preferred warehouse that has none available', () => {
    const plan = planAllocation([{ sku: 'B', quantity: 1 }], stock, 'W9');
    expect(plan).toEqual({ ok: true, lines: [{ sku: 'B', warehouse: 'W1', quantity: 1 }] });
  });

  it('lists every shortage and allocates nothing when any line falls short', () => {
    const plan = planAllocation(
      [
        { sku: 'A', quantity: 17 },
        { sku: 'B', quantity: 2 },
        { sku: 'C', quantity: 1 },
      ],
      stock,
    );
    // A is exactly met (5 + 6 + 6 available); B and C fall short.
    expect(plan).toEqual({
      ok: false,
      shortages: [
        { sku: 'B', requested: 2, available: 1 },
        { sku: 'C', requested: 1, available: 0 },
      ],
    });
  });
});

import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { ConflictError, ShortageError, type Shortage } from './errors';
import type { AllocationRequest } from './schemas';

/** One (sku, warehouse) stock row as the API shows it. */
export interface StockRow {
  readonly sku: string;
  readonly warehouse: string;
  readonly onHand: number;
  readonly allocated: number;
  readonly available: number;
}

/** Every warehouse's stock of one sku. */
export interface SkuStock {
  readonly sku: string;
  /** Available across all warehouses. */
  readonly available: number;
  readonly warehouses: readonly Omit<StockRow, 'sku'>[];
}

/** A part of a requested line, taken from one warehouse. */
export interface AllocatedLine {
  readonly sku: string;
  readonly warehouse: string;
  readonly quantity: number;
}

/** What the database function `allocate_order` answers. */
type AllocateResult =
  | { outcome: 'created'; allocationId: string; lines: AllocatedLine[] }
  | { outcome: 'existing' | 'conflict'; allocationId: string }
  | { outcome: 'shortage'; shortages: Shortage[] };

/** An allocation as the API shows it. */
export interface Allocation {
  readonly allocationId: string;
  readonly orderId: string;
  readonly status: 'allocated' | 'released';
  readonly lines: readonly AllocatedLine[];
}

/** A stock level to import, with the CSV row it came from. */
export interface StockImportRow {
  readonly row: number;
  readonly sku: string;
  readonly warehouse: string;
  readonly onHand: number;
}

interface StockDbRow {
  sku: string;
  warehouse: string;
  on_hand: number;
  allocated: number;
}

const toStockRow = (r: StockDbRow): StockRow => ({
  sku: r.sku,
  warehouse: r.warehouse,
  onHand: r.on_hand,
  allocated: r.allocated,
  available: r.on_hand - r.allocated,
});

/**
 * Identifies a request's content for idempotency: the same lines (in any order) and preferred
 * warehouse give the same hash.
 */
export function requestHash(request: AllocationRequest): string {
  const canonical = {
    lines: [...request.lines].sort((a, b) => a.sku.localeCompare(b.sku)).map((l) => [l.sku, l.quantity]),
    preferredWarehouse: request.preferredWarehouse ?? null,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/**
 * The inventory in PostgreSQL. Every method is one transaction; rows are locked in
 * (sku, warehouse) order so that concurrent allocations, releases and imports never deadlock, and
 * the table's CHECK constraint keeps `allocated <= on_hand` whatever happens.
 */
export class InventoryRepository {
  constructor(private readonly pool: Pool) {}

  /** Runs `work` in a transaction; rolls back on any error. */
  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Sets the on-hand quantity of a sku in a warehouse, creating the row if needed.
   *
   * @throws ConflictError when `onHand` is below what is already allocated there
   */
  async setStock(sku: string, warehouse: string, onHand: number): Promise<StockRow> {
    const { rows } = await this.pool.query<StockDbRow>(
      `INSERT INTO stock (sku, warehouse, on_hand) VALUES ($1, $2, $3)
       ON CONFLICT (sku, warehouse) DO UPDATE SET on_hand = EXCLUDED.on_hand, updated_at = now()
         WHERE stock.allocated <= EXCLUDED.on_hand
       RETURNING sku, warehouse, on_hand, allocated`,
      [sku, warehouse, onHand],
    );
    const row = rows[0];
    if (row) {
      return toStockRow(row);
    }
    const current = await this.pool.query<{ allocated: number }>(
      'SELECT allocated FROM stock WHERE sku = $1 AND warehouse = $2',
      [sku, warehouse],
    );
    const allocated = current.rows[0]?.allocated ?? 0;
    throw new ConflictError(
      `onHand ${onHand} is below the ${allocated} already allocated for ${sku} in ${warehouse}: release allocations first`,
      { sku, warehouse, allocated },
    );
  }

  /** Every warehouse's stock of `sku`, or undefined when the sku is unknown. */
  async getStock(sku: string): Promise<SkuStock | undefined> {
    const { rows } = await this.pool.query<StockDbRow>(
      'SELECT sku, warehouse, on_hand, allocated FROM stock WHERE sku = $1 ORDER BY warehouse',
      [sku],
    );
    if (rows.length === 0) {
      return undefined;
    }
    const warehouses = rows.map((r) => ({
      warehouse: r.warehouse,
      onHand: r.on_hand,
      allocated: r.allocated,
      available: r.on_hand - r.allocated,
    }));
    return { sku, available: warehouses.reduce((n, w) => n + w.available, 0), warehouses };
  }

  /**
   * Allocates an order, all or nothing, idempotent on its orderId, in one round trip to the
   * database function `allocate_order` (migration 002, which holds the warehouse rule).
   *
   * @returns the allocation, and whether this call created it (false: a repeat of the same request)
   * @throws ShortageError when a line cannot be met in full (nothing changes)
   * @throws ConflictError when the orderId was allocated with different lines
   */
  async allocate(request: AllocationRequest): Promise<{ allocation: Allocation; created: boolean }> {
    const { rows } = await this.pool.query<{ result: AllocateResult }>({
      name: 'allocate-order',
      text: 'SELECT allocate_order($1, $2, $3, $4, $5) AS result',
      values: [
        request.orderId,
        requestHash(request),
        request.lines.map((l) => l.sku),
        request.lines.map((l) => l.quantity),
        request.preferredWarehouse ?? null,
      ],
    });
    const result = rows[0]?.result;
    switch (result?.outcome) {
      case 'created':
        return {
          allocation: {
            allocationId: result.allocationId,
            orderId: request.orderId,
            status: 'allocated',
            // Rebuilt so the fields keep the API's order (jsonb sorts object keys).
            lines: result.lines.map(({ sku, warehouse, quantity }) => ({ sku, warehouse, quantity })),
          },
          created: true,
        };
      case 'existing': {
        const allocation = await this.getAllocation(result.allocationId);
        if (!allocation) {
          throw new Error(
            `allocation ${result.allocationId} of order ${request.orderId} vanished while being read`,
          );
        }
        return { allocation, created: false };
      }
      case 'conflict':
        throw new ConflictError(`order ${request.orderId} was already allocated with different lines`, {
          allocationId: result.allocationId,
        });
      case 'shortage':
        throw new ShortageError(result.shortages);
      default:
        throw new Error(`allocate_order returned an unexpected result: ${JSON.stringify(result)}`);
    }
  }

  /** An allocation by ID, or undefined. */
  async getAllocation(id: string): Promise<Allocation | undefined> {
    return this.loadAllocation(this.pool, id);
  }

  /**
   * Releases an allocation: its quantities return to available stock. Releasing a released
   * allocation changes nothing.
   *
   * @returns the allocation, or undefined when there is none with that ID
   */
  async release(id: string): Promise<Allocation | undefined> {
    return this.transaction(async (c) => {
      const allocation = await this.loadAllocation(c, id, { lock: true });
      if (!allocation || allocation.status === 'released') {
        return allocation;
      }
      const lines = [...allocation.lines].sort(
        (a, b) => a.sku.localeCompare(b.sku) || a.warehouse.localeCompare(b.warehouse),
      );
      const columns = columnsOf(lines);
      // Lock in the same order as allocate() does, then give the quantities back.
      await c.query(
        `SELECT 1 FROM stock s JOIN unnest($1::text[], $2::text[]) AS v(sku, warehouse)
           ON s.sku = v.sku AND s.warehouse = v.warehouse
         ORDER BY s.sku, s.warehouse FOR UPDATE OF s`,
        [columns[0], columns[1]],
      );
      await c.query(
        `UPDATE stock s SET allocated = s.allocated - v.quantity, updated_at = now()
         FROM unnest($1::text[], $2::text[], $3::int[]) AS v(sku, warehouse, quantity)
         WHERE s.sku = v.sku AND s.warehouse = v.warehouse`,
        columns,
      );
      await c.query(`UPDATE allocations SET status = 'released', released_at = now() WHERE id = $1`, [id]);
      return { ...allocation, status: 'released' };
    });
  }

  /**
   * Sets many stock levels in one transaction: all of them or none.
   *
   * @throws ConflictError listing every row whose onHand is below what is already allocated
   */
  async importStock(rows: readonly StockImportRow[]): Promise<number> {
    return this.transaction(async (c) => {
      const sorted = [...rows].sort(
        (a, b) => a.sku.localeCompare(b.sku) || a.warehouse.localeCompare(b.warehouse),
      );
      const current = await c.query<{ sku: string; warehouse: string; allocated: number }>(
        `SELECT s.sku, s.warehouse, s.allocated FROM stock s
         JOIN unnest($1::text[], $2::text[]) AS v(sku, warehouse) ON s.sku = v.sku AND s.warehouse = v.warehouse
         ORDER BY s.sku, s.warehouse FOR UPDATE OF s`,
        [sorted.map((r) => r.sku), sorted.map((r) => r.warehouse)],
      );
      const allocatedBy = new Map(current.rows.map((r) => [`${r.sku}\u0000${r.warehouse}`, r.allocated]));
      const below = rows
        .map((r) => ({ ...r, allocated: allocatedBy.get(`${r.sku}\u0000${r.warehouse}`) ?? 0 }))
        .filter((r) => r.onHand < r.allocated);
      if (below.length > 0) {
        throw new ConflictError('stock levels below what is already allocated', {
          rows: below.map((r) => ({
            row: r.row,
            message: `onHand ${r.onHand} for ${r.sku} in ${r.warehouse} is below the ${r.allocated} already allocated`,
          })),
        });
      }
      await c.query(
        `INSERT INTO stock (sku, warehouse, on_hand)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[])
         ON CONFLICT (sku, warehouse) DO UPDATE SET on_hand = EXCLUDED.on_hand, updated_at = now()`,
        [sorted.map((r) => r.sku), sorted.map((r) => r.warehouse), sorted.map((r) => r.onHand)],
      );
      return rows.length;
    });
  }

  /** Fails unless the database answers. */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** Reads an allocation and its lines; with `lock`, holds its row until the transaction ends. */
  private async loadAllocation(
    db: Pool | PoolClient,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<Allocation | undefined> {
    const head = await db.query<{ id: string; order_id: string; status: 'allocated' | 'released' }>(
      `SELECT id, order_id, status FROM allocations WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    const row = head.rows[0];
    if (!row) {
      return undefined;
    }
    const lines = await db.query<AllocatedLine>(
      'SELECT sku, warehouse, quantity FROM allocation_lines WHERE allocation_id = $1 ORDER BY line_no',
      [id],
    );
    return { allocationId: row.id, orderId: row.order_id, status: row.status, lines: lines.rows };
  }
}

function columnsOf(lines: readonly AllocatedLine[]): [string[], string[], number[]] {
  return [lines.map((l) => l.sku), lines.map((l) => l.warehouse), lines.map((l) => l.quantity)];
}

import { parse as parseCsv } from 'csv-parse/sync';
import { MAX_QUANTITY, skuSchema, warehouseSchema, type StockImportRow } from '@ias/core';

/** A problem with one row of the file (row 1 is the header). */
export interface RowError {
  readonly row: number;
  readonly message: string;
}

/** The parsed file: every row, or every problem. */
export type ParsedStockFile =
  | { readonly ok: true; readonly rows: readonly StockImportRow[] }
  | { readonly ok: false; readonly errors: readonly RowError[] };

/** The header the file must start with. */
export const HEADER = ['sku', 'warehouse', 'onHand'] as const;

/**
 * Parses a stock CSV: a header `sku,warehouse,onHand`, then one row per (sku, warehouse). Every
 * bad row is reported with its number and reason (not just the first), so the file can be fixed in
 * one go; a file with any bad row is rejected whole.
 */
export function parseStockCsv(text: string): ParsedStockFile {
  let records: string[][];
  try {
    records = parseCsv(text, { skip_empty_lines: true, trim: true, relax_column_count: true, bom: true });
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    return {
      ok: false,
      errors: [{ row: line ?? 0, message: `not readable as CSV: ${(err as Error).message}` }],
    };
  }
  const [header, ...data] = records;
  if (!header || header.join(',') !== HEADER.join(',')) {
    return { ok: false, errors: [{ row: 1, message: `the header must be exactly "${HEADER.join(',')}"` }] };
  }
  if (data.length === 0) {
    return { ok: false, errors: [{ row: 2, message: 'the file has no stock rows' }] };
  }

  const rows: StockImportRow[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  data.forEach((cells, i) => {
    const row = i + 2;
    if (cells.length !== HEADER.length) {
      errors.push({ row, message: `expected ${HEADER.length} columns, found ${cells.length}` });
      return;
    }
    const [sku = '', warehouse = '', onHandText = ''] = cells;
    const problems: string[] = [];
    const skuCheck = skuSchema.safeParse(sku);
    if (!skuCheck.success) problems.push(skuCheck.error.issues[0]?.message ?? 'bad sku');
    const whCheck = warehouseSchema.safeParse(warehouse);
    if (!whCheck.success) problems.push(whCheck.error.issues[0]?.message ?? 'bad warehouse');
    const onHand = /^\d+$/.test(onHandText) ? Number(onHandText) : Number.NaN;
    if (!Number.isInteger(onHand) || onHand > MAX_QUANTITY) {
      problems.push(`onHand must be a whole number from 0 to ${MAX_QUANTITY}, got "${onHandText}"`);
    }
    const key = `${sku}\u0000${warehouse}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(`${sku} in ${warehouse} already appears on row ${first}`);
    } else {
      seen.set(key, row);
    }
    if (problems.length > 0) {
      errors.push({ row, message: problems.join('; ') });
    } else {
      rows.push({ row, sku, warehouse, onHand });
    }
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rows };
}

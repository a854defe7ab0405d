import { z } from 'zod';
import { ValidationError, type Issue } from './errors';

const CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const code = (what: string) =>
  z
    .string(`${what} must be a string`)
    .regex(CODE, `${what} must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);

/** A stock-keeping unit code. */
export const skuSchema = code('sku');
/** A warehouse code. */
export const warehouseSchema = code('warehouse');

/** Largest quantity a line or a stock level may hold (fits PostgreSQL integer with room to add). */
export const MAX_QUANTITY = 1_000_000_000;

/** Body of `PUT /stock/{sku}/{warehouse}`. */
export const setStockSchema = z
  .object({
    onHand: z
      .number('onHand must be a number')
      .int('onHand must be a whole number')
      .min(0, 'onHand must be 0 or more')
      .max(MAX_QUANTITY),
  })
  .strict();

/** One requested line of an allocation. */
export const requestLineSchema = z
  .object({
    sku: skuSchema,
    quantity: z
      .number('quantity must be a number')
      .int('quantity must be a whole number')
      .positive('quantity must be more than 0')
      .max(MAX_QUANTITY),
  })
  .strict();

/** Body of `POST /allocations` and of an order event. */
export const allocationRequestSchema = z
  .object({
    orderId: z
      .string('orderId must be a string')
      .regex(/^[\x21-\x7e]{1,128}$/, 'orderId must be 1 to 128 printable ASCII characters without spaces'),
    lines: z
      .array(requestLineSchema, 'lines must be an array')
      .min(1, 'lines must hold at least one line')
      .max(100, 'lines may hold at most 100 lines')
      .superRefine((lines, ctx) => {
        const seen = new Set<string>();
        lines.forEach((line, i) => {
          if (seen.has(line.sku)) {
            ctx.addIssue({
              code: 'custom',
              path: [i, 'sku'],
              message: `sku ${line.sku} appears more than once: merge the lines`,
            });
          }
          seen.add(line.sku);
        });
      }),
    preferredWarehouse: warehouseSchema.optional(),
  })
  .strict();

/** An allocation ID (a UUID). */
export const allocationIdSchema = z.uuid('id must be an allocation ID (a UUID)');

export type SetStockRequest = z.infer<typeof setStockSchema>;
export type AllocationRequest = z.infer<typeof allocationRequestSchema>;
export type RequestLine = z.infer<typeof requestLineSchema>;

/** Turns zod issues into the API's `{ path, message }` form, paths prefixed by `at`. */
export function toIssues(error: z.ZodError, at: readonly (string | number)[] = []): Issue[] {
  return error.issues.map((issue) => ({
    path: [...at, ...issue.path].map(String).join('.'),
    message: issue.message,
  }));
}

/**
 * Validates `input` against `schema`.
 *
 * @param at path prefix for the issues (e.g. `['sku']` for a URL parameter)
 * @throws ValidationError with every issue found
 */
export function parse<T>(schema: z.ZodType<T>, input: unknown, at: readonly (string | number)[] = []): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ValidationError(toIssues(result.error, at));
  }
  return result.data;
}

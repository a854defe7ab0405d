/**
 * The judge's input: one side of a canary deployment (the canary or its baseline) as per-minute
 * CloudWatch-like figures, oldest minute first, and its validation.
 */
import { z } from 'zod';
import { DeliveryError } from '../errors.js';

/** A latency percentile of a minute: milliseconds, finite and positive. */
const latencyMs = z
  .number({ error: 'must be a number of milliseconds' })
  .positive('must be a positive number of milliseconds');

/** A count of a minute: a whole number, zero or more. */
const count = z
  .number({ error: 'must be a whole number' })
  .int('must be a whole number')
  .nonnegative('must be zero or more');

const isCount = (value: unknown) => Number.isInteger(value) && (value as number) >= 0;

/**
 * One minute of one side: the requests it served, how many failed, and its latency percentiles
 * (absent when CloudWatch has none for the minute, e.g. no request). Unknown fields are refused, so
 * that a misspelt `p99ms` is an error rather than a metric silently left out.
 */
export const canaryMinuteSchema = z
  .strictObject({
    requests: count,
    errors: count,
    p50Ms: latencyMs.optional(),
    p99Ms: latencyMs.optional(),
  })
  // Compared only when both counts are valid: a bad count is its own, single, problem.
  .refine((m) => !(isCount(m.requests) && isCount(m.errors)) || m.errors <= m.requests, {
    path: ['errors'],
    error: (issue) => {
      const m = issue.input as { errors: number; requests: number };
      return `must not exceed requests (${m.errors} errors in ${m.requests} requests)`;
    },
  });

/** One minute of one side of a canary deployment. */
export type CanaryMinute = z.output<typeof canaryMinuteSchema>;

/** One side of a canary deployment: `{ "minutes": [ … ] }`, one object a minute, oldest first. */
export const canarySeriesSchema = z.strictObject({
  minutes: z.array(canaryMinuteSchema, { error: 'must be an array of minutes' }),
});

/** One side of a canary deployment, minute by minute. */
export type CanarySeries = z.output<typeof canarySeriesSchema>;

/** A zod path as a reader of the JSON writes it: `minutes[3].errors`. */
function jsonPath(path: readonly PropertyKey[]): string {
  const text = path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${String(part)}`))
    .join('');
  return text === '' ? '(root)' : text;
}

/**
 * `raw` as a validated series. `where` names it in the message (a file, or `baseline`/`canary`).
 *
 * @throws DeliveryError `BAD_INPUT`, one line: `<where>: <field>: <problem>`, the first problem and
 *   how many more there are (never the whole file)
 */
export function parseCanarySeries(raw: unknown, where: string): CanarySeries {
  const result = canarySeriesSchema.safeParse(raw);
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues;
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})` : '';
  throw new DeliveryError(
    'BAD_INPUT',
    `${where}: ${jsonPath(first?.path ?? [])}: ${first?.message ?? 'invalid'}${more}`,
  );
}

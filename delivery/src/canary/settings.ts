/**
 * How the canary judge decides: its significance level, the margins (minimum effect sizes) of each
 * metric, and the least data it tests; the defaults and why they are what they are.
 */
import { z } from 'zod';
import { DeliveryError } from '../errors.js';

/** The minimum effect sizes of a metric, as canary/baseline ratios. */
export interface MetricMargins {
  /** The metric fails once the canary is shown worse than this many times the baseline. */
  readonly failMargin: number;
  /** The metric passes once the canary is shown better than this many times the baseline. */
  readonly passMargin: number;
}

/** The error rate's margins, and what decides a canary without errors. */
export interface ErrorRateOptions extends MetricMargins {
  /**
   * An error rate too low to be worth comparing: a canary that had no error passes the metric once
   * its (1 − alpha) upper bound, `1 − alpha^(1/requests)`, is at or below it, whatever the baseline
   * had. Without it a canary and a baseline that both had no error could never pass (the relative
   * test has no error to condition on).
   */
  readonly ceiling: number;
}

/** How the judge decides. */
export interface JudgeSettings {
  /** The family-wise significance level of the fail tests, and the level of each pass test. */
  readonly alpha: number;
  readonly errorRate: ErrorRateOptions;
  readonly p50: MetricMargins;
  readonly p99: MetricMargins;
  /** Fewer minutes than this with a percentile on both sides, and that percentile is not tested. */
  readonly minPairedMinutes: number;
}

/** What a caller may change of {@link DEFAULT_JUDGE_SETTINGS}, field by field. */
export interface JudgeOptions {
  /** @default 0.05 */
  readonly alpha?: number;
  /** @default - failMargin 1.1, passMargin 2.5, ceiling 0.001 */
  readonly errorRate?: Partial<ErrorRateOptions>;
  /** @default - failMargin 1.1, passMargin 1.3 */
  readonly p50?: Partial<MetricMargins>;
  /** @default - failMargin 1.05, passMargin 1.3 */
  readonly p99?: Partial<MetricMargins>;
  /** @default 5 */
  readonly minPairedMinutes?: number;
}

/**
 * The defaults, chosen for the targets of `npm run bench -w @ias/delivery` (generated traffic with
 * known truth: a 10 % canary of 1,000 requests over 10 minutes beside 9,000 baseline requests, 1 %
 * of them failing), where they give ≤ 1 % failures of a canary that is its baseline, ≥ 80 % passes
 * of it, and ≥ 95 % failures of a canary with 3× the errors or 1.5× the p99:
 *
 * - `alpha` 0.05. Holm runs the first fail test at alpha/3. Against a 3× error rate (~30 canary
 *   errors beside ~90 baseline ones) the exact power of the conditional test at 0.01/3 is 95.0 %
 *   with no margin at all and 85 % with a 1.2× margin: 0.01 cannot reach the target. A canary that
 *   is the same as its baseline fails far less often than alpha (0.2–0.5 % in the bench), since
 *   alpha bounds the failures of a canary *at* its fail margins.
 * - error rate: fail margin 1.1× (at 0.05/3 the exact power against 3× is 96.9 %, with 0.5 % false
 *   failures; 1.2× would give 94.2 %); pass margin 2.5× (the ~10 errors of a healthy canary show
 *   "below 2.5×" at 95 % confidence 93 % of the time, "below 2×" only 70 %); ceiling 0.1 % (a 99.9 %
 *   success objective: a canary with no error passes from 2,995 requests, `ln 0.05 / ln 0.999`).
 * - p99: fail margin 1.05×, pass margin 1.3×. A minute's p99 of ~100 canary requests is one of its
 *   slowest two: ln(canary/baseline) spreads by 0.2–0.3 from minute to minute, so over 10 minutes at
 *   alpha/3 the test fails nothing under ~1.25× anyway, and a wider margin costs the 1.5× detection
 *   (1.1×: 93 %, 1.05×: 98 % in the bench).
 * - p50: fail margin 1.1×, pass margin 1.3× (a minute's median is steadier than its p99).
 * - 5 paired minutes at least: the fewest with which a one-sided signed-rank p-value can go below
 *   0.05 (1/32); a fail at alpha/3 needs 6 (1/64).
 */
export const DEFAULT_JUDGE_SETTINGS: JudgeSettings = {
  alpha: 0.05,
  errorRate: { failMargin: 1.1, passMargin: 2.5, ceiling: 0.001 },
  p50: { failMargin: 1.1, passMargin: 1.3 },
  p99: { failMargin: 1.05, passMargin: 1.3 },
  minPairedMinutes: 5,
};

const margins = z.strictObject({
  failMargin: z.number().min(1, 'must be at least 1 (a ratio canary/baseline)').optional(),
  passMargin: z.number().min(1, 'must be at least 1 (a ratio canary/baseline)').optional(),
});

const optionsSchema = z.strictObject({
  alpha: z.number().gt(0, 'must be between 0 and 1').lt(1, 'must be between 0 and 1').optional(),
  errorRate: margins
    .extend({
      ceiling: z.number().gt(0, 'must be between 0 and 1').lt(1, 'must be between 0 and 1').optional(),
    })
    .optional(),
  p50: margins.optional(),
  p99: margins.optional(),
  minPairedMinutes: z.number().int('must be a whole number').min(2, 'must be at least 2').optional(),
});

/**
 * The defaults with `options` over them, checked.
 *
 * @throws DeliveryError `BAD_INPUT` naming the option (`options.p99.failMargin: …`)
 */
export function resolveSettings(options: JudgeOptions): JudgeSettings {
  const result = optionsSchema.safeParse(options);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new DeliveryError(
      'BAD_INPUT',
      `options.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const d = DEFAULT_JUDGE_SETTINGS;
  const o = result.data;
  return {
    alpha: o.alpha ?? d.alpha,
    errorRate: { ...d.errorRate, ...o.errorRate },
    p50: { ...d.p50, ...o.p50 },
    p99: { ...d.p99, ...o.p99 },
    minPairedMinutes: o.minPairedMinutes ?? d.minPairedMinutes,
  };
}

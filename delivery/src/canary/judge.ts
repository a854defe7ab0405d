/**
 * The canary judge: given the per-minute series of a canary and of its baseline over the same minutes,
 * decides `pass`, `fail` or `inconclusive` on the evidence, with the statistics of each metric.
 *
 * Each metric present (the error rate always; p50 and p99 latency when the series have them) is
 * tested twice, one-sided, against margins (minimum effect sizes) so that a trivial difference
 * neither fails a release nor is needed to pass one:
 *
 * - worse: "canary ≤ failMargin × baseline" is rejected → the metric fails. These tests form one
 *   family, corrected with Holm–Bonferroni at `alpha`: the chance that a canary no worse than its
 *   margins fails any metric is at most `alpha`.
 * - not worse: "canary ≥ passMargin × baseline" is rejected at `alpha` → the metric passes. The
 *   overall pass needs every metric to pass (an intersection–union test), which keeps the chance of
 *   passing a canary worse than a pass margin at most `alpha` with no correction. A canary without
 *   any error may also pass the error rate on its own bound (the error rate's `ceiling`, settings.ts).
 *
 * Overall: `fail` if any metric fails; `pass` if every metric present passes; else `inconclusive`
 * (too few data, or a difference between the margins).
 *
 * @see https://en.wikipedia.org/wiki/Holm%E2%80%93Bonferroni_method
 * @see Berger (1982), "Multiparameter hypothesis testing and acceptance sampling" (intersection–union tests)
 */
import { DeliveryError } from '../errors.js';
import { testErrorRate } from './error-rate.js';
import { testLatency, type Percentile } from './latency.js';
import { parseCanarySeries, type CanarySeries } from './series.js';
import { type JudgeOptions, type JudgeSettings, type MetricMargins, resolveSettings } from './settings.js';

/** A verdict: of the whole canary, or of one metric. */
export type CanaryVerdict = 'pass' | 'fail' | 'inconclusive';

/** A metric the judge compares. */
export type CanaryMetric = 'error-rate' | Percentile;

/** One metric's statistics and verdict. */
export interface MetricJudgement {
  readonly metric: CanaryMetric;
  /** The test used, in words. */
  readonly test: string;
  /** The canary/baseline ratio estimate; `null` when a side had no data for it. */
  readonly effect: number | null;
  /** P-value of "the canary is at most `failMargin` × the baseline" (small: it is worse). */
  readonly pValueWorse: number;
  /** P-value of "the canary is at least `passMargin` × the baseline" (small: it is not worse). */
  readonly pValueNotWorse: number;
  /**
   * The Holm-adjusted level `pValueWorse` was held to (alpha / 3 for the smallest of three metrics);
   * `null` when too few data to test (the metric still counts in the family).
   */
  readonly adjustedAlpha: number | null;
  readonly failMargin: number;
  readonly passMargin: number;
  /** The data behind it: requests per side (error rate), minutes with the percentile per side (latency). */
  readonly samples: { readonly baseline: number; readonly canary: number };
  /** The errors per side. @default - absent for latency */
  readonly errors?: { readonly baseline: number; readonly canary: number };
  /** The minutes with the percentile on both sides. @default - absent for the error rate */
  readonly pairedMinutes?: number;
  readonly verdict: CanaryVerdict;
  /** Why, in one sentence. */
  readonly reason: string;
}

/** The judge's answer. */
export interface CanaryJudgement {
  readonly verdict: CanaryVerdict;
  /** The metrics present: the error rate, then p50 and p99 when either series has them. */
  readonly metrics: readonly MetricJudgement[];
  /** Why, in one sentence. */
  readonly reason: string;
  /** The settings the verdict was reached with. */
  readonly settings: JudgeSettings;
}

/** A metric's test result, before the Holm step and the verdict. */
interface Tested {
  readonly metric: CanaryMetric;
  readonly test: string;
  readonly effect: number | null;
  readonly pValueWorse: number;
  readonly pValueNotWorse: number;
  readonly margins: MetricMargins;
  /** False when too few data to run a test. */
  readonly tested: boolean;
  readonly samples: { readonly baseline: number; readonly canary: number };
  readonly errors?: { readonly baseline: number; readonly canary: number };
  readonly pairedMinutes?: number;
  /** Passes without the relative test (the error rate's ceiling), with why. @default - no */
  readonly passedAbsolutely?: string;
  /** Why it could not be tested. @default - it was */
  readonly untestedReason?: string;
}

/**
 * Holm–Bonferroni step-down over the metrics present: the i-th smallest `pValueWorse` (from 0) is held
 * to alpha / (m − i), and the first one not rejected stops the rejections. A metric present but with
 * too few data to test counts in `m` (its p-value is 1), so the family does not shrink, and the level
 * rise, while the evidence is thin — as when a watcher judges the first minutes.
 */
function holm(tested: readonly Tested[], alpha: number): { level: number; rejected: boolean }[] {
  const order = tested.map((_, i) => i).sort((a, b) => tested[a].pValueWorse - tested[b].pValueWorse);
  const steps = tested.map(() => ({ level: alpha, rejected: false }));
  let rejecting = true;
  order.forEach((index, rank) => {
    const t = tested[index];
    const level = alpha / (tested.length - rank);
    rejecting = rejecting && t.tested && t.pValueWorse <= level;
    steps[index] = { level, rejected: rejecting };
  });
  return steps;
}

/** A ratio as text: `1.52×`. */
const ratio = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(2)}×`);
/** A p-value as text, two significant digits. */
const p = (value: number) => (value < 1e-4 ? value.toExponential(1) : value.toPrecision(2));

function percent(value: number): string {
  return `${(value * 100).toPrecision(2)} %`;
}

/** A metric's verdict and reason, from its test and its Holm step. */
function decide(t: Tested, step: { level: number; rejected: boolean }, alpha: number): MetricJudgement {
  const { failMargin, passMargin } = t.margins;
  const base = {
    metric: t.metric,
    test: t.test,
    effect: t.effect,
    pValueWorse: t.pValueWorse,
    pValueNotWorse: t.pValueNotWorse,
    adjustedAlpha: t.tested ? step.level : null,
    failMargin,
    passMargin,
    samples: t.samples,
    ...(t.errors && { errors: t.errors }),
    ...(t.pairedMinutes !== undefined && { pairedMinutes: t.pairedMinutes }),
  };
  if (!t.tested) {
    return { ...base, verdict: 'inconclusive', reason: t.untestedReason ?? 'not tested' };
  }
  if (step.rejected) {
    return {
      ...base,
      verdict: 'fail',
      reason: `worse than ${failMargin}× the baseline: estimated ${ratio(t.effect)}, p = ${p(t.pValueWorse)} ≤ ${p(step.level)} (Holm)`,
    };
  }
  if (t.pValueNotWorse <= alpha) {
    return {
      ...base,
      verdict: 'pass',
      reason: `below ${passMargin}× the baseline: estimated ${ratio(t.effect)}, p = ${p(t.pValueNotWorse)} ≤ ${p(alpha)}`,
    };
  }
  if (t.passedAbsolutely !== undefined) {
    return { ...base, verdict: 'pass', reason: t.passedAbsolutely };
  }
  return {
    ...base,
    verdict: 'inconclusive',
    reason: `estimated ${ratio(t.effect)}: neither shown worse than ${failMargin}× (p = ${p(t.pValueWorse)} > ${p(step.level)}) nor below ${passMargin}× (p = ${p(t.pValueNotWorse)} > ${p(alpha)})`,
  };
}

/** The series' totals of requests and errors. */
function totals(series: CanarySeries) {
  return series.minutes.reduce(
    (sum, m) => ({ requests: sum.requests + m.requests, errors: sum.errors + m.errors }),
    { requests: 0, errors: 0 },
  );
}

/** The error rate's test result. */
function errorRateTested(baseline: CanarySeries, canary: CanarySeries, settings: JudgeSettings): Tested {
  const b = totals(baseline);
  const c = totals(canary);
  const { ceiling } = settings.errorRate;
  const r = testErrorRate(b, c, settings.errorRate, settings.alpha);
  const bound = r.canaryRateUpperBound;
  const empty = [b.requests === 0 && 'the baseline', c.requests === 0 && 'the canary'].filter(Boolean);
  return {
    metric: 'error-rate',
    test: 'conditional binomial test of two Poisson rates (exposure: requests)',
    effect: r.effect,
    pValueWorse: r.pValueWorse,
    pValueNotWorse: r.pValueNotWorse,
    margins: settings.errorRate,
    tested: empty.length === 0,
    samples: r.requests,
    errors: r.errors,
    ...(empty.length > 0 && { untestedReason: `no request on ${empty.join(' nor on ')}` }),
    ...(bound !== undefined &&
      bound <= ceiling && {
        passedAbsolutely: `no error in ${c.requests} canary requests: its rate is below ${percent(bound)} at ${percent(1 - settings.alpha)} confidence, under the ${percent(ceiling)} ceiling`,
      }),
  };
}

/** A latency percentile's test result, or undefined when neither series has it. */
function latencyTested(
  baseline: CanarySeries,
  canary: CanarySeries,
  percentile: Percentile,
  settings: JudgeSettings,
): Tested | undefined {
  const field = percentile === 'p50' ? 'p50Ms' : 'p99Ms';
  if (![...baseline.minutes, ...canary.minutes].some((m) => m[field] !== undefined)) return undefined;
  const r = testLatency(
    baseline.minutes,
    canary.minutes,
    percentile,
    settings[percentile],
    settings.minPairedMinutes,
  );
  return {
    metric: percentile,
    test: 'Wilcoxon signed-rank test of ln(canary/baseline), paired by minute',
    effect: r.effect,
    pValueWorse: r.pValueWorse,
    pValueNotWorse: r.pValueNotWorse,
    margins: settings[percentile],
    tested: r.tested,
    samples: r.minutes,
    pairedMinutes: r.pairedMinutes,
    ...(!r.tested && {
      untestedReason: `${r.pairedMinutes} minute${r.pairedMinutes === 1 ? '' : 's'} with ${percentile} on both sides, ${settings.minPairedMinutes} needed`,
    }),
  };
}

/** The overall verdict and its reason. */
function overall(metrics: readonly MetricJudgement[]): { verdict: CanaryVerdict; reason: string } {
  const failed = metrics.filter((m) => m.verdict === 'fail');
  if (failed.length > 0) {
    return { verdict: 'fail', reason: failed.map((m) => `${m.metric} ${m.reason}`).join('; ') };
  }
  const open = metrics.filter((m) => m.verdict !== 'pass');
  if (open.length === 0) {
    return { verdict: 'pass', reason: `every metric passed (${metrics.map((m) => m.metric).join(', ')})` };
  }
  return { verdict: 'inconclusive', reason: open.map((m) => `${m.metric}: ${m.reason}`).join('; ') };
}

/**
 * Judges a canary against its baseline over the same minutes.
 *
 * @param baseline - the version serving the rest of the traffic, minute by minute
 * @param canary - the new version, over the same minutes
 * @param options - changes to {@link DEFAULT_JUDGE_SETTINGS}
 * @throws DeliveryError `BAD_INPUT` naming the series (`baseline`, `canary`) or option and the field,
 *   when a series is invalid, the two differ in length, or an option is out of range
 */
export function judgeCanary(baseline: unknown, canary: unknown, options: JudgeOptions = {}): CanaryJudgement {
  const settings = resolveSettings(options);
  const b = parseCanarySeries(baseline, 'baseline');
  const c = parseCanarySeries(canary, 'canary');
  if (b.minutes.length !== c.minutes.length) {
    throw new DeliveryError(
      'BAD_INPUT',
      `baseline has ${b.minutes.length} minutes and canary ${c.minutes.length}: the two series must cover the same minutes, oldest first`,
    );
  }
  const tested = [
    errorRateTested(b, c, settings),
    latencyTested(b, c, 'p50', settings),
    latencyTested(b, c, 'p99', settings),
  ].filter((t): t is Tested => t !== undefined);
  const steps = holm(tested, settings.alpha);
  const metrics = tested.map((t, i) => decide(t, steps[i], settings.alpha));
  return { ...overall(metrics), metrics, settings };
}

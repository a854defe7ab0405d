import { describe, expect, it } from 'vitest';
import {
  type CanaryMinute,
  type CanarySeries,
  DEFAULT_JUDGE_SETTINGS,
  DeliveryError,
  judgeCanary,
} from '../../src/index.js';

/** What a side serves each minute, and how its latency compares with the baseline's. */
interface Side {
  readonly requests: number;
  /** Errors each minute, or one count per minute. */
  readonly errors: number | readonly number[];
  /** Its p50 and p99 as multiples of the baseline's. @default 1 */
  readonly p50Factor?: number;
  readonly p99Factor?: number;
  /** A wobble of its own, so that no two minutes tie. @default 0 */
  readonly wobble?: number;
}

/**
 * `minutes` minutes of a side: the shared trend moves both sides' latency alike (a busier minute is
 * slower on both), the side's wobble apart.
 */
function series(minutes: number, side: Side): CanarySeries {
  return {
    minutes: Array.from({ length: minutes }, (_, i): CanaryMinute => {
      const trend = 1 + 0.2 * Math.sin(i / 2);
      const own = 1 + (side.wobble ?? 0) * Math.sin(2.7 * i + 1);
      return {
        requests: side.requests,
        errors: typeof side.errors === 'number' ? side.errors : (side.errors[i] ?? 0),
        p50Ms: 100 * trend * own * (side.p50Factor ?? 1),
        p99Ms: 250 * trend * own * (side.p99Factor ?? 1),
      };
    }),
  };
}

/** A 10 % canary's baseline: 900 requests a minute, 1 % failing. */
const BASELINE = series(10, { requests: 900, errors: 9 });
/** A healthy 10 % canary: 100 requests a minute, 1 % failing, latency within a few percent. */
const HEALTHY: Side = { requests: 100, errors: 1, wobble: 0.03 };

const metric = (judgement: ReturnType<typeof judgeCanary>, name: string) =>
  judgement.metrics.find((m) => m.metric === name);

describe('judgeCanary', () => {
  it('passes identical series, every metric with its statistics', () => {
    const judgement = judgeCanary(BASELINE, BASELINE);
    expect(judgement.verdict).toBe('pass');
    expect(judgement.reason).toBe('every metric passed (error-rate, p50, p99)');
    expect(judgement.metrics.map((m) => [m.metric, m.verdict])).toEqual([
      ['error-rate', 'pass'],
      ['p50', 'pass'],
      ['p99', 'pass'],
    ]);
    expect(metric(judgement, 'error-rate')).toMatchObject({
      test: expect.stringContaining('conditional binomial'),
      effect: 1,
      samples: { baseline: 9000, canary: 9000 },
      errors: { baseline: 90, canary: 90 },
      pValueWorse: expect.any(Number),
      adjustedAlpha: expect.any(Number),
    });
    expect(metric(judgement, 'p99')).toMatchObject({
      test: expect.stringContaining('Wilcoxon signed-rank'),
      effect: 1,
      pairedMinutes: 10,
      samples: { baseline: 10, canary: 10 },
    });
    expect(judgement.settings).toEqual(DEFAULT_JUDGE_SETTINGS);
  });

  it('passes a healthy 10 % canary beside its baseline', () => {
    const judgement = judgeCanary(BASELINE, series(10, HEALTHY));
    expect(judgement.verdict).toBe('pass');
    expect(metric(judgement, 'error-rate')?.effect).toBeCloseTo(1.04, 2);
  });

  it('fails a canary with 3× the errors, on the error rate alone', () => {
    const judgement = judgeCanary(BASELINE, series(10, { ...HEALTHY, errors: 3 }));
    expect(judgement.verdict).toBe('fail');
    const errorRate = metric(judgement, 'error-rate');
    expect(errorRate).toMatchObject({ verdict: 'fail', errors: { baseline: 90, canary: 30 } });
    expect(errorRate?.effect).toBeCloseTo(3, 0);
    // The smallest p-value of three is held to alpha / 3.
    expect(errorRate?.adjustedAlpha).toBeCloseTo(DEFAULT_JUDGE_SETTINGS.alpha / 3, 10);
    expect(errorRate?.pValueWorse).toBeLessThan(1e-4);
    expect(judgement.metrics.filter((m) => m.verdict === 'fail').map((m) => m.metric)).toEqual([
      'error-rate',
    ]);
    expect(judgement.reason).toMatch(/^error-rate worse than 1\.1× the baseline: estimated 3\.\d\d×, p = /);
  });

  it('fails a canary whose p99 is 1.5× the baseline, its p50 unchanged', () => {
    const judgement = judgeCanary(BASELINE, series(10, { ...HEALTHY, p99Factor: 1.5 }));
    expect(judgement.verdict).toBe('fail');
    expect(metric(judgement, 'p99')).toMatchObject({ verdict: 'fail', pValueWorse: 1 / 1024 });
    expect(metric(judgement, 'p99')?.effect).toBeCloseTo(1.5, 1);
    expect(metric(judgement, 'p50')?.verdict).toBe('pass');
  });

  it('answers inconclusive on thin evidence: 2 minutes, 30 requests', () => {
    const judgement = judgeCanary(
      series(2, { requests: 135, errors: 1 }),
      series(2, { requests: 15, errors: 0 }),
    );
    expect(judgement.verdict).toBe('inconclusive');
    expect(judgement.metrics.map((m) => m.verdict)).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
    expect(metric(judgement, 'p99')).toMatchObject({
      adjustedAlpha: null,
      pValueWorse: 1,
      pValueNotWorse: 1,
      reason: '2 minutes with p99 on both sides, 5 needed',
    });
    expect(judgement.reason).toContain('error-rate: estimated ');
    expect(judgement.reason).toContain('p50: 2 minutes with p50 on both sides, 5 needed');
  });

  it('tolerates minutes without requests: they are left out of the pairs, and their figures ignored', () => {
    const canary = series(10, HEALTHY);
    const quiet = { requests: 0, errors: 0 };
    const withGaps: CanarySeries = {
      minutes: canary.minutes.map((m, i) => (i === 2 || i === 7 ? quiet : m)),
    };
    // A baseline minute without requests but with a stray percentile: not a pair either.
    const baseline: CanarySeries = {
      minutes: BASELINE.minutes.map((m, i) => (i === 4 ? { requests: 0, errors: 0, p99Ms: 9999 } : m)),
    };
    const judgement = judgeCanary(baseline, withGaps);
    expect(judgement.verdict).toBe('pass');
    expect(metric(judgement, 'p99')).toMatchObject({ pairedMinutes: 7, samples: { baseline: 9, canary: 8 } });
    expect(metric(judgement, 'error-rate')?.samples).toEqual({ baseline: 8100, canary: 800 });
  });

  it('leaves out the latency metrics when neither series has them', () => {
    const counts = (s: CanarySeries) => ({
      minutes: s.minutes.map(({ requests, errors }) => ({ requests, errors })),
    });
    const judgement = judgeCanary(counts(BASELINE), counts(series(10, HEALTHY)));
    expect(judgement.metrics.map((m) => m.metric)).toEqual(['error-rate']);
    expect(judgement.verdict).toBe('pass');
  });

  it('applies the Holm correction: fails at the raw alpha with one metric, not once three are tested', () => {
    // 19 canary errors in 1,000 requests beside 90 in 9,000: p ≈ 0.026, between alpha/3 and alpha.
    const errors = [2, 2, 2, 2, 2, 2, 2, 2, 2, 1];
    const counts = (s: CanarySeries) => ({
      minutes: s.minutes.map(({ requests, errors: e }) => ({ requests, errors: e })),
    });
    const alone = judgeCanary(counts(BASELINE), counts(series(10, { ...HEALTHY, errors })));
    const pValue = alone.metrics[0]?.pValueWorse ?? NaN;
    expect(pValue).toBeGreaterThan(DEFAULT_JUDGE_SETTINGS.alpha / 3);
    expect(pValue).toBeLessThanOrEqual(DEFAULT_JUDGE_SETTINGS.alpha);
    expect(alone).toMatchObject({
      verdict: 'fail',
      metrics: [{ adjustedAlpha: DEFAULT_JUDGE_SETTINGS.alpha }],
    });

    const withLatency = judgeCanary(BASELINE, series(10, { ...HEALTHY, errors }));
    expect(withLatency.verdict).toBe('inconclusive');
    expect(metric(withLatency, 'error-rate')).toMatchObject({
      verdict: 'inconclusive',
      pValueWorse: pValue,
      adjustedAlpha: DEFAULT_JUDGE_SETTINGS.alpha / 3,
    });
  });

  it('steps down: a second metric is held to alpha / 2 once the first is rejected', () => {
    const judgement = judgeCanary(BASELINE, series(10, { ...HEALTHY, errors: 4, p99Factor: 1.6 }));
    expect(judgement.verdict).toBe('fail');
    expect(judgement.metrics.map((m) => [m.metric, m.verdict, m.adjustedAlpha])).toEqual([
      ['error-rate', 'fail', DEFAULT_JUDGE_SETTINGS.alpha / 3],
      ['p50', 'pass', DEFAULT_JUDGE_SETTINGS.alpha],
      ['p99', 'fail', DEFAULT_JUDGE_SETTINGS.alpha / 2],
    ]);
  });

  describe('with no error on either side', () => {
    it('passes once the canary served enough requests for its rate to be under the ceiling', () => {
      const judgement = judgeCanary(
        series(10, { requests: 2700, errors: 0 }),
        series(10, { requests: 300, errors: 0 }),
      );
      expect(metric(judgement, 'error-rate')).toMatchObject({
        verdict: 'pass',
        pValueWorse: 1,
        pValueNotWorse: 1,
        reason:
          'no error in 3000 canary requests: its rate is below 0.10 % at 95 % confidence, under the 0.10 % ceiling',
      });
    });

    it('answers inconclusive with fewer', () => {
      const judgement = judgeCanary(
        series(10, { requests: 900, errors: 0 }),
        series(10, { requests: 100, errors: 0 }),
      );
      expect(metric(judgement, 'error-rate')?.verdict).toBe('inconclusive');
      expect(judgement.verdict).toBe('inconclusive');
    });
  });

  it('takes options over the defaults', () => {
    const judgement = judgeCanary(BASELINE, series(10, { ...HEALTHY, p99Factor: 1.5 }), {
      p99: { failMargin: 2 },
    });
    expect(metric(judgement, 'p99')).toMatchObject({
      verdict: 'inconclusive',
      failMargin: 2,
      passMargin: 1.3,
    });
    expect(judgement.settings.p99).toEqual({ failMargin: 2, passMargin: 1.3 });
  });

  describe('fails on bad input, naming the series and the field', () => {
    const minute = { requests: 10, errors: 0, p50Ms: 10, p99Ms: 20 };
    it.each([
      [
        { minutes: [minute, { ...minute, requests: -1 }] },
        'canary: minutes[1].requests: must be zero or more',
      ],
      [{ minutes: [{ ...minute, errors: 1.5 }] }, 'canary: minutes[0].errors: must be a whole number'],
      [
        { minutes: [{ ...minute, errors: 11 }] },
        'canary: minutes[0].errors: must not exceed requests (11 errors in 10 requests)',
      ],
      [
        { minutes: [{ ...minute, p99Ms: 0 }] },
        'canary: minutes[0].p99Ms: must be a positive number of milliseconds',
      ],
      [
        { minutes: [{ ...minute, p50Ms: '12' }] },
        'canary: minutes[0].p50Ms: must be a number of milliseconds',
      ],
      [{ minutes: [{ ...minute, p99ms: 20 }] }, 'canary: minutes[0]: Unrecognized key: "p99ms"'],
      [{ minute: [] }, 'canary: minutes: must be an array of minutes (and 1 more problem)'],
    ])('fails on %j', (canary, message) => {
      expect(() => judgeCanary({ minutes: [minute] }, canary)).toThrow(
        new DeliveryError('BAD_INPUT', message),
      );
    });

    it('fails when the two series differ in length', () => {
      expect(() => judgeCanary(series(3, HEALTHY), series(2, HEALTHY))).toThrow(
        'baseline has 3 minutes and canary 2: the two series must cover the same minutes, oldest first',
      );
    });

    it('fails on an option out of range', () => {
      expect(() => judgeCanary(BASELINE, BASELINE, { p99: { failMargin: 0.9 } })).toThrow(
        'options.p99.failMargin: must be at least 1 (a ratio canary/baseline)',
      );
      expect(() => judgeCanary(BASELINE, BASELINE, { alpha: 1 })).toThrow(
        'options.alpha: must be between 0 and 1',
      );
    });
  });
});

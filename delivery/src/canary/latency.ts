/**
 * The latency comparison: a percentile (p50, p99) is one noisy figure a minute per side, and both
 * sides ride the same traffic (the day's trend, a burst, a slow dependency), so the two are compared
 * minute by minute: `d = ln(canary / baseline)` for each minute where both sides have the percentile,
 * and the Wilcoxon signed-rank test on the `d`s. The shared swings cancel in each `d`; the rank test
 * asks nothing of their distribution but symmetry, and one wild minute counts as one rank.
 *
 * @see https://en.wikipedia.org/wiki/Wilcoxon_signed-rank_test
 * @see https://en.wikipedia.org/wiki/Hodges%E2%80%93Lehmann_estimator (the effect reported)
 */
import wilcoxon from '@stdlib/stats-wilcoxon';
import type { CanaryMinute } from './series.js';

/** A latency percentile the judge compares. */
export type Percentile = 'p50' | 'p99';

/** What a latency comparison found. */
export interface LatencyTest {
  /** The minutes where both sides had requests and the percentile (the pairs tested). */
  readonly pairedMinutes: number;
  /** The minutes of each side with requests and the percentile. */
  readonly minutes: { readonly baseline: number; readonly canary: number };
  /**
   * The canary/baseline ratio: `exp` of the Hodges–Lehmann estimate of the median `d` (the median of
   * the pairwise means of the `d`s, the estimate that goes with the signed-rank test); `null` with no pair.
   */
  readonly effect: number | null;
  /** P-value of "median d ≤ ln(failMargin)" (small: the canary is slower by more than the margin). */
  readonly pValueWorse: number;
  /** P-value of "median d ≥ ln(passMargin)" (small: the canary is not that much slower). */
  readonly pValueNotWorse: number;
  /** False when fewer than `minPairedMinutes` pairs: the p-values are then 1, no test was run. */
  readonly tested: boolean;
}

const FIELD: Readonly<Record<Percentile, 'p50Ms' | 'p99Ms'>> = { p50: 'p50Ms', p99: 'p99Ms' };

/** The percentile of a minute that served requests, else undefined (a figure without requests is ignored). */
function valueOf(minute: CanaryMinute, percentile: Percentile): number | undefined {
  return minute.requests > 0 ? minute[FIELD[percentile]] : undefined;
}

/** The median of sorted numbers. */
function medianOfSorted(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The Hodges–Lehmann estimate of the centre of `d`: the median of the Walsh averages (dᵢ + dⱼ)/2, i ≤ j. */
function hodgesLehmann(d: readonly number[]): number {
  const walsh: number[] = [];
  for (let i = 0; i < d.length; i += 1) {
    for (let j = i; j < d.length; j += 1) walsh.push((d[i] + d[j]) / 2);
  }
  return medianOfSorted(walsh.sort((a, b) => a - b));
}

/**
 * One-sided p-value of the signed-rank test that the median of `d` exceeds `shift` (`greater`) or
 * falls below it (`less`). The data are shifted here rather than with the library's `mu` option: its
 * one-sample path drops the zeros of `d` before subtracting `mu` (so a minute where both sides were
 * equal would be lost whenever `mu` is not 0), while zeros of `d − shift` are the ones to drop.
 * With fewer than two non-zero differences there is nothing to rank: p = 1.
 */
function signedRankPValue(d: readonly number[], shift: number, alternative: 'greater' | 'less'): number {
  const shifted = d.map((v) => v - shift);
  if (shifted.filter((v) => v !== 0).length < 2) return 1;
  // Exact distribution below 50 pairs without ties or zeros, else the normal approximation with
  // continuity and tie corrections (the library's choice, as R's wilcox.test makes it).
  return wilcoxon(shifted, { alternative }).pValue;
}

/**
 * Compares a latency percentile of the canary with the baseline's, minute by minute.
 *
 * @param minPairedMinutes - fewer pairs than this and no test is run (both p-values 1)
 */
export function testLatency(
  baseline: readonly CanaryMinute[],
  canary: readonly CanaryMinute[],
  percentile: Percentile,
  margins: { readonly failMargin: number; readonly passMargin: number },
  minPairedMinutes: number,
): LatencyTest {
  const d: number[] = [];
  let baselineMinutes = 0;
  let canaryMinutes = 0;
  for (let i = 0; i < baseline.length; i += 1) {
    const b = valueOf(baseline[i], percentile);
    const c = valueOf(canary[i], percentile);
    if (b !== undefined) baselineMinutes += 1;
    if (c !== undefined) canaryMinutes += 1;
    if (b !== undefined && c !== undefined) d.push(Math.log(c / b));
  }
  const minutes = { baseline: baselineMinutes, canary: canaryMinutes };
  const effect = d.length > 0 ? Math.exp(hodgesLehmann(d)) : null;
  if (d.length < minPairedMinutes) {
    return { pairedMinutes: d.length, minutes, effect, pValueWorse: 1, pValueNotWorse: 1, tested: false };
  }
  return {
    pairedMinutes: d.length,
    minutes,
    effect,
    pValueWorse: signedRankPValue(d, Math.log(margins.failMargin), 'greater'),
    pValueNotWorse: signedRankPValue(d, Math.log(margins.passMargin), 'less'),
    tested: true,
  };
}

/**
 * Generated canary traffic with known truth, for the canary bench: a seeded, reproducible model of
 * what a 10 % canary and its baseline see minute by minute.
 *
 * The model, per trial:
 *
 * - The day's trend: `1 + 0.6·sin(2π·t/1440)` at a minute `t` of the day drawn at random, times a
 *   burst factor per minute (log-normal, 0.25 spread, mean 1), shared by both sides (one stream of
 *   users split at random between the versions). It shapes each minute's traffic; the window's
 *   expected volume is the scenario's (so that "1,000 canary requests" holds at any hour).
 * - Quiet minutes: each minute has no request at all, on either side, with probability 0.03 (a
 *   low-traffic gap); the volume goes to the other minutes.
 * - Requests: Poisson each minute and side, at the side's share of the minute's rate.
 * - Errors: Poisson at the side's error rate times its requests (at most its requests).
 * - Latency: every request's duration is drawn, log-normal with the side's true p50 and p99, scaled
 *   by the minute's load (`load^0.3`, shared: a busy minute is slower on both sides) and by a jitter
 *   of the side for the minute (log-normal, 0.05 spread: a host, a cache); a minute's p50 and p99
 *   are the percentiles of its requests, as CloudWatch defines them (see {@link percentile}), so
 *   a minute of 100 requests has a much noisier p99 than one of 900.
 */

/** A seeded uniform generator on [0, 1): mulberry32 (32-bit state, enough for a bench). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws from the distributions the model needs, on one uniform stream. */
export class Draws {
  private spare: number | undefined;

  constructor(readonly uniform: () => number) {}

  /** A standard normal (Box–Muller, the second value of each pair kept for the next call). */
  normal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    const u = 1 - this.uniform(); // (0, 1]: log(0) is never taken
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** A Poisson count (Knuth's product of uniforms, in pieces of mean ≤ 30 so that e^-mean stays representable). */
  poisson(mean: number): number {
    let count = 0;
    for (let left = mean; left > 0; left -= 30) {
      const limit = Math.exp(-Math.min(left, 30));
      let product = this.uniform();
      while (product > limit) {
        count += 1;
        product *= this.uniform();
      }
    }
    return count;
  }
}

/** One side's truth: what its requests really are. */
export interface SideTruth {
  /** Probability that a request fails. */
  readonly errorRate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** A scenario: the two sides' truths and the canary's expected volume over the window. */
export interface Scenario {
  readonly baseline: SideTruth;
  readonly canary: SideTruth;
  /** Expected canary requests over the window. */
  readonly canaryRequests: number;
  /** The canary's share of the traffic (0.1: the baseline serves 9× the canary). */
  readonly canaryShare: number;
  readonly minutes: number;
}

/** One minute of one side as the judge reads it. */
export interface Minute {
  readonly requests: number;
  readonly errors: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
}

/** A generated trial: both sides' minutes, and what a whole-alias (or load balancer) metric sees. */
export interface Trial {
  readonly baseline: Minute[];
  readonly canary: Minute[];
  /** Both versions together, minute by minute: the alias's or the load balancer's figures. */
  readonly whole: Minute[];
}

const Z99 = 2.3263478740408408; // the standard normal's 0.99 quantile, a constant of the model
const DAY_MINUTES = 1440;
const QUIET_MINUTE = 0.03;
const BURST_SPREAD = 0.25;
const SIDE_JITTER = 0.05;
const LOAD_EXPONENT = 0.3;

/**
 * The percentile `q` of sorted values as CloudWatch defines it: the value that a share `q` of the
 * values lies below, i.e. the (⌊q·n⌋ + 1)-th smallest (the largest of 100 for p99, the 892nd of 900).
 * The nearest rank (⌈q·n⌉-th: the 99th of 100) would read the smaller side's p99 low.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html
 */
function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Generates one trial of `scenario`. */
export function generateTrial(scenario: Scenario, draws: Draws): Trial {
  const start = draws.uniform() * DAY_MINUTES;
  const weights: number[] = [];
  for (let m = 0; m < scenario.minutes; m += 1) {
    const trend = 1 + 0.6 * Math.sin((2 * Math.PI * (start + m)) / DAY_MINUTES);
    const burst = Math.exp(BURST_SPREAD * draws.normal() - (BURST_SPREAD * BURST_SPREAD) / 2);
    weights.push(draws.uniform() < QUIET_MINUTE ? 0 : trend * burst);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const meanWeight = total / Math.max(1, weights.filter((w) => w > 0).length);
  const trial: Trial = { baseline: [], canary: [], whole: [] };
  for (const weight of weights) {
    const canaryMean = total > 0 ? (scenario.canaryRequests * weight) / total : 0;
    const baselineMean = (canaryMean * (1 - scenario.canaryShare)) / scenario.canaryShare;
    const load = weight > 0 ? (weight / meanWeight) ** LOAD_EXPONENT : 1;
    const sides = [
      { truth: scenario.baseline, mean: baselineMean },
      { truth: scenario.canary, mean: canaryMean },
    ].map(({ truth, mean }) => {
      const requests = draws.poisson(mean);
      const errors = Math.min(requests, draws.poisson(requests * truth.errorRate));
      const mu = Math.log(truth.p50Ms * load) + SIDE_JITTER * draws.normal();
      const sigma = Math.log(truth.p99Ms / truth.p50Ms) / Z99;
      const latencies = new Float64Array(requests);
      for (let i = 0; i < requests; i += 1) latencies[i] = Math.exp(mu + sigma * draws.normal());
      return { requests, errors, latencies };
    });
    const [b, c] = sides as [(typeof sides)[0], (typeof sides)[0]];
    const merged = new Float64Array(b.requests + c.requests);
    merged.set(b.latencies);
    merged.set(c.latencies, b.requests);
    for (const [side, into] of [
      [b, trial.baseline],
      [c, trial.canary],
      [{ requests: merged.length, errors: b.errors + c.errors, latencies: merged }, trial.whole],
    ] as const) {
      const sorted = side.latencies.sort();
      into.push(
        side.requests === 0
          ? { requests: 0, errors: 0 }
          : {
              requests: side.requests,
              errors: side.errors,
              p50Ms: percentile(sorted, 0.5),
              p99Ms: percentile(sorted, 0.99),
            },
      );
    }
  }
  return trial;
}

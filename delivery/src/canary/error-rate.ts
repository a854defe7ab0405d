/**
 * The error-rate comparison: errors are rare events, counted against the requests each side served,
 * so the two sides are compared as Poisson rates with the conditional binomial test.
 *
 * Given `x_c` canary errors in `n_c` requests and `x_b` baseline errors in `n_b`, and conditioning
 * on the total `x_c + x_b`, the canary's share of the errors is binomial, `Binomial(x_c + x_b, p)`
 * with `p = r·n_c / (r·n_c + n_b)` when the canary's rate is `r` times the baseline's. Testing
 * `r ≤ m` against `r > m` then uses `p0 = m·n_c / (m·n_c + n_b)` and the upper tail; testing
 * `r ≥ m` against `r < m`, the lower tail. The test is exact at any count, which matters at the
 * ten or so errors a 10 % canary sees in ten minutes, where normal approximations mislead.
 *
 * @see https://en.wikipedia.org/wiki/Poisson_distribution#Ratio_of_two_Poisson_rates (the conditional test)
 * @see Przyborowski & Wileński (1940), "Homogeneity of results in testing samples from Poisson series"
 */
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';

/** What the error-rate comparison found. */
export interface ErrorRateTest {
  /** `x_c / n_c` over `x_b / n_b`, each count plus ½ so that a side with no error gives a finite ratio; `null` when a side served no request. */
  readonly effect: number | null;
  /** P-value of "the canary's rate is at most `failMargin` × the baseline's" (small: it is worse). */
  readonly pValueWorse: number;
  /** P-value of "the canary's rate is at least `passMargin` × the baseline's" (small: it is not worse). */
  readonly pValueNotWorse: number;
  /**
   * When the canary had no error: the (1 − alpha) upper bound of its error rate, `1 − alpha^(1/n_c)`
   * (the exact Clopper–Pearson bound for zero events). @default - absent when the canary had errors
   */
  readonly canaryRateUpperBound?: number;
  readonly requests: { readonly baseline: number; readonly canary: number };
  readonly errors: { readonly baseline: number; readonly canary: number };
}

/** P(X ≥ x) for X ~ Binomial(n, p), as the lower tail of n − X (exact where 1 − cdf would round to 0). */
function upperTail(x: number, n: number, p: number): number {
  return x <= 0 ? 1 : binomialCdf(n - x, n, 1 - p);
}

/** The share of the errors the canary would have if its rate were `ratio` × the baseline's. */
function canaryShare(ratio: number, canaryRequests: number, baselineRequests: number): number {
  return (ratio * canaryRequests) / (ratio * canaryRequests + baselineRequests);
}

/**
 * Compares the canary's error rate with the baseline's over the whole window.
 *
 * With no error on either side the conditional test has nothing to condition on (both p-values are
 * 1): the judge then falls back on the canary's own upper bound (see {@link ErrorRateTest.canaryRateUpperBound}).
 */
export function testErrorRate(
  baseline: { readonly requests: number; readonly errors: number },
  canary: { readonly requests: number; readonly errors: number },
  margins: { readonly failMargin: number; readonly passMargin: number },
  alpha: number,
): ErrorRateTest {
  const requests = { baseline: baseline.requests, canary: canary.requests };
  const errors = { baseline: baseline.errors, canary: canary.errors };
  const upperBound =
    canary.errors === 0 && canary.requests > 0 ? 1 - alpha ** (1 / canary.requests) : undefined;
  const bound = upperBound === undefined ? {} : { canaryRateUpperBound: upperBound };
  if (baseline.requests === 0 || canary.requests === 0) {
    return { effect: null, pValueWorse: 1, pValueNotWorse: 1, ...bound, requests, errors };
  }
  const total = baseline.errors + canary.errors;
  const effect = (canary.errors + 0.5) / canary.requests / ((baseline.errors + 0.5) / baseline.requests);
  const failShare = canaryShare(margins.failMargin, canary.requests, baseline.requests);
  const passShare = canaryShare(margins.passMargin, canary.requests, baseline.requests);
  return {
    effect,
    pValueWorse: upperTail(canary.errors, total, failShare),
    pValueNotWorse: total === 0 ? 1 : binomialCdf(canary.errors, total, passShare),
    ...bound,
    requests,
    errors,
  };
}

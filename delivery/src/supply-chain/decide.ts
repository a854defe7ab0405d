import { z } from 'zod';
import { DeliveryError } from '../errors.js';
import { describeIssues } from '../schemas.js';
import {
  describeException,
  exceptionMatches,
  exceptionSchema,
  isExpired,
  type SupplyChainException,
} from './exceptions.js';
import {
  atOrAbove,
  describeFinding,
  type FailOn,
  failOnSchema,
  type Finding,
  SEVERITIES,
  type Severity,
} from './findings.js';

/** What {@link decide} weighs. */
export interface DecideOptions {
  /** Every finding of the scan (or audit), whatever its severity. */
  readonly findings: readonly Finding[];
  /** The least severe finding that blocks, e.g. `HIGH` (HIGH and CRITICAL block). */
  readonly failOn: FailOn;
  /** The accepted findings (see `loadExceptions`). */
  readonly exceptions: readonly SupplyChainException[];
  /** The day the gate runs, YYYY-MM-DD (UTC): exceptions that expired before it no longer hold. */
  readonly today: string;
}

/** A finding at or above the threshold that an exception lets through. */
export interface ExceptedFinding {
  readonly finding: Finding;
  readonly exception: SupplyChainException;
}

/** An exception whose `expires` day has passed, with the findings it would still accept. */
export interface ExpiredException {
  readonly exception: SupplyChainException;
  /**
   * The findings it names that no other, current exception accepts: any of them fails the gate;
   * none, and it is only a warning (the finding is gone; remove the exception).
   */
  readonly matches: readonly Finding[];
}

/** The gate's decision on a set of findings. */
export interface GateDecision {
  /** Whether the gate lets the artifact through: nothing blocking, no expired exception still in use. */
  readonly pass: boolean;
  readonly failOn: FailOn;
  /** The findings at or above the threshold that no current exception accepts. */
  readonly blocking: readonly Finding[];
  /** The findings at or above the threshold that a current exception accepts. */
  readonly excepted: readonly ExceptedFinding[];
  /** How many findings are below the threshold (`UNDEFINED` included). */
  readonly below: number;
  /** Every expired exception, matching a finding (fails the gate) or not (a warning). */
  readonly expiredExceptions: readonly ExpiredException[];
  /** How many findings there are of each severity. */
  readonly counts: Readonly<Record<Severity, number>>;
  /** The lines a pipeline action prints: threshold, counts, blocking findings, exceptions, result. */
  readonly summary: readonly string[];
}

const decideInputSchema = z.object({
  failOn: failOnSchema,
  today: z.iso.date('must be a date YYYY-MM-DD'),
  exceptions: z.array(exceptionSchema),
});

const RENEW = 'renew it with a new reason or fix the finding';

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * Decides whether a set of findings passes the gate.
 *
 * A finding blocks when its severity is `failOn` or above (`UNDEFINED` never blocks, but is counted)
 * unless a current exception matches it: the same id, and the same package when the exception names
 * one. An exception holds through its `expires` day. An expired exception that still matches a finding
 * (of any severity) that no current exception covers fails the gate, naming it and its expiry, so that
 * someone renews it with a new reason or fixes the finding; one that matches nothing is a warning.
 *
 * Throws {@link DeliveryError} `BAD_INPUT` for a bad `failOn`, `today` or exception.
 */
export function decide(options: DecideOptions): GateDecision {
  const parsed = decideInputSchema.safeParse(options);
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `supply-chain gate: ${describeIssues(parsed.error)}`);
  }
  const { failOn, today } = parsed.data;
  const { findings, exceptions } = options;
  const current = exceptions.filter((exception) => !isExpired(exception, today));
  const accepting = (finding: Finding) => current.find((exception) => exceptionMatches(exception, finding));

  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  const blocking: Finding[] = [];
  const excepted: ExceptedFinding[] = [];
  let below = 0;
  for (const finding of findings) {
    counts[finding.severity] += 1;
    if (!atOrAbove(finding.severity, failOn)) {
      below += 1;
      continue;
    }
    const exception = accepting(finding);
    if (exception) {
      excepted.push({ finding, exception });
    } else {
      blocking.push(finding);
    }
  }
  const expiredExceptions = exceptions
    .filter((exception) => isExpired(exception, today))
    .map((exception) => ({
      exception,
      matches: findings.filter((finding) => exceptionMatches(exception, finding) && !accepting(finding)),
    }));
  const stale = expiredExceptions.filter((expired) => expired.matches.length > 0);
  const pass = blocking.length === 0 && stale.length === 0;

  const summary = [
    `threshold: fail on ${failOn} or above (UNDEFINED never blocks)`,
    `findings: ${findings.length} (${SEVERITIES.map((severity) => `${severity} ${counts[severity]}`).join(', ')})`,
    ...blocking.map((finding) => `blocking: ${describeFinding(finding)}`),
    ...excepted.map(
      ({ finding, exception }) =>
        `excepted: ${describeFinding(finding)} — exception ${describeException(exception)} until ${exception.expires}: ${exception.reason}`,
    ),
    ...stale.map(
      ({ exception, matches }) =>
        `expired exception: ${describeException(exception)} expired ${exception.expires} and still matches ${plural(matches.length, 'finding')} (${matches.map((finding) => `${finding.id} ${finding.severity}`).join(', ')}): ${RENEW}`,
    ),
    ...expiredExceptions
      .filter((expired) => expired.matches.length === 0)
      .map(
        ({ exception }) =>
          `warning: exception ${describeException(exception)} expired ${exception.expires} and matches no finding: remove it`,
      ),
    resultLine(pass, failOn, blocking, stale, excepted.length, below),
  ];
  return { pass, failOn, blocking, excepted, below, expiredExceptions, counts, summary };
}

/** The last summary line: the verdict and what it rests on. */
function resultLine(
  pass: boolean,
  failOn: FailOn,
  blocking: readonly Finding[],
  stale: readonly ExpiredException[],
  excepted: number,
  below: number,
): string {
  const rest = `${excepted} excepted, ${below} below ${failOn}`;
  if (pass) {
    return `result: PASSED — no finding at or above ${failOn} without a current exception; ${rest}`;
  }
  const reasons = [
    blocking.length > 0
      ? `${plural(blocking.length, 'finding')} at or above ${failOn} (${[...new Set(blocking.map((finding) => finding.id))].join(', ')})`
      : undefined,
    stale.length > 0
      ? `${plural(stale.length, 'expired exception')} still in use (${stale.map(({ exception }) => `${describeException(exception)}, expired ${exception.expires}`).join('; ')})`
      : undefined,
  ].filter((reason) => reason !== undefined);
  return `result: BLOCKED by ${reasons.join(' and ')}; ${rest}`;
}

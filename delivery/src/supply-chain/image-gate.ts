import type { ECRClient } from '@aws-sdk/client-ecr';
import { z } from 'zod';
import { DeliveryError, describeError, isAwsError, oneLine } from '../errors.js';
import { describeIssues } from '../schemas.js';
import { now as realNow, sleep as realSleep } from '../time.js';
import { decide, type GateDecision } from './decide.js';
import { exceptionSchema, type SupplyChainException } from './exceptions.js';
import { type FailOn, failOnSchema } from './findings.js';
import { type ImageScan, readImageScan } from './ecr-scan.js';

/**
 * How the image gate ended:
 * - `PASSED`: the scan finished and {@link decide} let the image through;
 * - `BLOCKED`: the scan finished and a finding (or an expired exception) blocks the image;
 * - `FAILED`: no decision could be made: the scan ended without findings (FAILED,
 *   SCAN_ELIGIBILITY_EXPIRED, FINDINGS_UNAVAILABLE, UNSUPPORTED_IMAGE, …), the caller may not read it,
 *   or the image does not exist;
 * - `TIMED_OUT`: the scan had not finished by the deadline.
 */
export type ImageGateOutcome = 'PASSED' | 'BLOCKED' | 'FAILED' | 'TIMED_OUT';

/** What {@link gateImage} checks and how long it waits. */
export interface ImageGateOptions {
  /** Reads the image's scan (DescribeImageScanFindings). */
  readonly ecr: ECRClient;
  /** The repository, e.g. `ias-dev-inventory-api`. */
  readonly repository: string;
  /** The image's digest, `sha256:<64 hex>`. */
  readonly digest: string;
  /**
   * The registry (account id) of the repository.
   * @default - the caller's account
   */
  readonly registryId?: string;
  /** The least severe finding that blocks, e.g. `HIGH`. */
  readonly failOn: FailOn;
  /** The accepted findings (see `loadExceptions`). */
  readonly exceptions: readonly SupplyChainException[];
  /** The day the gate runs, YYYY-MM-DD (UTC), for the exceptions' expiry. */
  readonly today: string;
  /** How long to wait for the scan to finish, in seconds from the first look (0: look once). */
  readonly deadlineSeconds: number;
  /**
   * Pause between two looks while the scan runs, in ms.
   * @default 10000
   */
  readonly intervalMs?: number;
  /**
   * Waits `ms` milliseconds (tests pass a fake one).
   * @default - a real timer
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * The current time in ms since the epoch (tests pass a fake one).
   * @default - the real time
   */
  readonly now?: () => number;
}

/** The image gate's result: the decision when the scan finished, else why there is none. */
export interface ImageGateResult {
  readonly outcome: ImageGateOutcome;
  /** Whether the image may go on (`outcome` is `PASSED`). */
  readonly pass: boolean;
  /** One line saying why: the failure message of a pipeline action. */
  readonly detail: string;
  /**
   * The scan's last status (`COMPLETE`, `ACTIVE`, `IN_PROGRESS`, `SCAN_NOT_FOUND`, …).
   * @default - none: the scan could not be read
   */
  readonly scanStatus?: string;
  /**
   * The decision on the scan's findings.
   * @default - none: the scan did not finish with findings
   */
  readonly decision?: GateDecision;
  /** The lines to print: the image and its scan, then the decision's summary or why there is none. */
  readonly summary: readonly string[];
  /** How many times the scan was read. */
  readonly looks: number;
}

// Statuses of a scan that has findings to decide on: basic scanning's COMPLETE; enhanced scanning's
// ACTIVE (continuous scanning has scanned the image and keeps watching it).
const DONE: readonly string[] = ['COMPLETE', 'ACTIVE'];
// Statuses worth waiting through: the scan is queued or running, or not started yet right after a push.
const WAITING: readonly string[] = ['IN_PROGRESS', 'PENDING', 'SCAN_NOT_FOUND'];

const gateInputSchema = z.object({
  repository: z
    .string()
    // ECR's own rule is stricter (separators between letters and digits); ECR answers the rest.
    .regex(
      /^[a-z0-9][a-z0-9._/-]{1,255}$/,
      'must be an ECR repository name (2-256 lowercase letters, digits, . _ - and /)',
    ),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be an image digest sha256:<64 hex digits>'),
  registryId: z
    .string()
    .regex(/^[0-9]{12}$/, 'must be a 12-digit account id')
    .optional(),
  failOn: failOnSchema,
  exceptions: z.array(exceptionSchema),
  today: z.iso.date('must be a date YYYY-MM-DD'),
  deadlineSeconds: z.number().int('must be whole seconds').min(0).max(86_400),
  intervalMs: z.number().int().min(1).optional(),
});

/**
 * Waits for the ECR scan of an image, then decides on its findings ({@link decide}).
 *
 * Reads the scan every `intervalMs` while it is IN_PROGRESS or PENDING, or not found yet (the scan
 * on push has not started), the last look at the deadline; after it, the outcome is `TIMED_OUT`. It
 * stops at the first look that finds the scan ended without findings (FAILED, SCAN_ELIGIBILITY_EXPIRED,
 * FINDINGS_UNAVAILABLE, or any status it does not know), naming the status and ECR's description; a
 * caller that may not read the scan is told the permission it needs. Throttling and server-side errors
 * (already retried by the SDK) count as a look without an answer.
 *
 * Throws {@link DeliveryError} `BAD_INPUT` for bad options, naming each.
 */
export async function gateImage(options: ImageGateOptions): Promise<ImageGateResult> {
  const parsed = gateInputSchema.safeParse(options);
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `image gate: ${describeIssues(parsed.error)}`);
  }
  const { ecr, repository, digest, registryId, failOn, exceptions, today, deadlineSeconds } = options;
  const now = options.now ?? realNow;
  const sleep = options.sleep ?? realSleep;
  const intervalMs = options.intervalMs ?? 10_000;
  const subject = `image ${repository}@${digest}`;
  const deadline = now() + deadlineSeconds * 1000;
  let looks = 0;
  let last = 'no answer yet';
  for (;;) {
    looks += 1;
    let scan: ImageScan | undefined;
    try {
      scan = await readImageScan({ ecr, repository, digest, ...(registryId ? { registryId } : {}) });
    } catch (error) {
      if (!transient(error)) {
        return failed(subject, looks, unreadable(error, subject, repository));
      }
      last = `last look failed: ${describeError(error)}`;
    }
    if (scan) {
      const said = scan.description ? `: ${scan.description}` : '';
      last = `status ${scan.status}${said}`;
      if (DONE.includes(scan.status)) {
        const decision = decide({ findings: scan.findings, failOn, exceptions, today });
        const verdict = decision.summary[decision.summary.length - 1] ?? '';
        return {
          outcome: decision.pass ? 'PASSED' : 'BLOCKED',
          pass: decision.pass,
          detail: oneLine(`${subject}: ${verdict}`),
          scanStatus: scan.status,
          decision,
          summary: [`${subject}: scan ${scan.status}`, ...decision.summary],
          looks,
        };
      }
      if (!WAITING.includes(scan.status)) {
        return failed(
          subject,
          looks,
          `the scan of ${subject} ended ${scan.status}${said || ' (no description)'}: there are no findings to decide on; push the image again or start a scan, then rerun the gate`,
          scan.status,
        );
      }
    }
    const time = now();
    if (time >= deadline) {
      const message = `the scan of ${subject} did not finish in ${deadlineSeconds} s (${last}); rerun the gate later, or raise its deadline`;
      return {
        outcome: 'TIMED_OUT',
        pass: false,
        detail: oneLine(message),
        ...(scan ? { scanStatus: scan.status } : {}),
        summary: [`${subject}: ${oneLine(message)}`, 'result: TIMED_OUT'],
        looks,
      };
    }
    await sleep(Math.max(1, Math.min(intervalMs, deadline - time)));
  }
}

/** The result of a gate that could not decide: `message` says why. */
function failed(subject: string, looks: number, message: string, scanStatus?: string): ImageGateResult {
  const detail = oneLine(message);
  return {
    outcome: 'FAILED',
    pass: false,
    detail,
    ...(scanStatus ? { scanStatus } : {}),
    summary: [`${subject}: ${detail}`, 'result: FAILED'],
    looks,
  };
}

/** Why the scan could not be read, with what to do about it. */
function unreadable(error: unknown, subject: string, repository: string): string {
  if (isAwsError(error, 'AccessDeniedException') || isAwsError(error, 'AccessDenied')) {
    return `not allowed to read the scan of ${subject}: the caller needs ecr:DescribeImageScanFindings on repository ${repository} (${describeError(error)})`;
  }
  if (isAwsError(error, 'RepositoryNotFoundException') || isAwsError(error, 'ImageNotFoundException')) {
    return `cannot read the scan of ${subject}: ${describeError(error)}; check the repository, the digest and the region`;
  }
  return `cannot read the scan of ${subject}: ${describeError(error)}`;
}

/** A fault worth another look: the service's side, or throttling (the SDK already retried it). */
function transient(error: unknown): boolean {
  const fault = (error as { $fault?: string } | undefined)?.$fault;
  return fault === 'server' || isAwsError(error, 'ThrottlingException');
}

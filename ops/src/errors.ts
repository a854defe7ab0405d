/**
 * The exit codes of `ias-ops`, one per outcome a script needs to tell apart.
 *
 * Documented in `ias-ops --help` and the README; a test pins them.
 */
export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** An AWS call or the plan failed. */
  failed: 1,
  /** Bad input: unknown environment, function, service, parameter, or a bad argument. */
  badInput: 2,
  /** A deployment was rolled back (the deploy commands), or a canary judged inconclusive (`canary judge`). */
  rolledBack: 3,
  /** Refused as unsafe: nothing was changed. */
  unsafe: 4,
  /** No AWS credentials or region. */
  noCredentials: 5,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The help text's table of exit codes (also pasted in the README). */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0  success',
  '  1  failed (an AWS call or the plan failed)',
  '  2  bad input (unknown environment, function, service or parameter; bad arguments)',
  '  3  rolled back (the deploy commands); inconclusive (canary judge)',
  '  4  refused as unsafe (nothing was changed)',
  '  5  no AWS credentials or region',
].join('\n');

/**
 * An error `ias-ops` reports as one line on stderr (no stack trace: the message says what is wrong and how
 * to fix it) and ends with `exitCode`.
 */
export class OpsError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'OpsError';
  }
}

/** Bad input (exit 2). */
export function badInput(message: string): OpsError {
  return new OpsError(message, EXIT.badInput);
}

/** Refused as unsafe (exit 4). */
export function unsafe(message: string): OpsError {
  return new OpsError(message, EXIT.unsafe);
}

/** The message for missing credentials or region (exit 5). */
export const NO_CREDENTIALS_MESSAGE =
  'no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and AWS_REGION ' +
  "(the region defaults to the environment profile's region)";

/** The SDK's error name, if `err` has one (AWS service errors carry the exception's name). */
export function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/** True when `err` is an AWS error of one of these names (e.g. a resource not found). */
export function hasErrorName(err: unknown, ...names: string[]): boolean {
  const name = errorName(err);
  return name !== undefined && names.includes(name);
}

/**
 * Turns any error into an {@link OpsError}: the SDK's credential-chain failure and a missing region
 * become exit 5, with the one plain message; anything else not already an OpsError is a failure (exit 1)
 * whose message names the AWS error.
 */
export function toOpsError(err: unknown): OpsError {
  if (err instanceof OpsError) {
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (errorName(err) === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new OpsError(NO_CREDENTIALS_MESSAGE, EXIT.noCredentials);
  }
  if (/region is missing/i.test(message)) {
    return new OpsError(NO_CREDENTIALS_MESSAGE, EXIT.noCredentials);
  }
  const name = errorName(err);
  const prefix = name !== undefined && name !== 'Error' ? `${name}: ` : '';
  return new OpsError(`${prefix}${message.split('\n')[0]}`, EXIT.failed);
}

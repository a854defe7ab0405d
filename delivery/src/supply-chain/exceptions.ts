import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DeliveryError } from '../errors.js';
import { describeIssues } from '../schemas.js';
import { findingIdSchema } from './findings.js';

/** Where the repository keeps its exceptions, relative to its root. */
export const EXCEPTIONS_FILE = 'supply-chain/exceptions.json';

/**
 * One accepted finding: the gate lets it through until the end of its `expires` day (UTC), then
 * fails on it again until the exception is renewed with a new reason or the finding fixed.
 *
 * Unknown keys are refused, so that a misspelt `package` cannot widen an exception to every package.
 */
export const exceptionSchema = z.strictObject({
  /** The CVE or GitHub advisory id the exception accepts. */
  finding: findingIdSchema,
  /** Only in this package (optional): without it, the finding is accepted in every package. */
  package: z.string().trim().min(1, 'must name a package, or be left out').optional(),
  /** Why the finding is accepted: what makes it harmless here, or what is waited for. */
  reason: z.string().trim().min(1, 'must say why the finding is accepted'),
  /** The last day the exception holds, YYYY-MM-DD. */
  expires: z.iso.date('must be a date YYYY-MM-DD'),
});

/** One accepted finding (see {@link exceptionSchema}). */
export type SupplyChainException = z.output<typeof exceptionSchema>;

/** The exceptions file: `{ "exceptions": [ … ] }`. */
export const exceptionsFileSchema = z.strictObject({
  exceptions: z.array(exceptionSchema),
});

/**
 * Checks the exceptions read from `source` (a path, for the messages).
 *
 * Throws {@link DeliveryError} `BAD_INPUT` naming the file and every problem with its path
 * (`exceptions.0.expires: must be a date YYYY-MM-DD`).
 */
export function parseExceptions(raw: unknown, source = EXCEPTIONS_FILE): SupplyChainException[] {
  const result = exceptionsFileSchema.safeParse(raw);
  if (!result.success) {
    const count = result.error.issues.length;
    throw new DeliveryError(
      'BAD_INPUT',
      `${source}: ${count} problem${count === 1 ? '' : 's'} in the supply-chain exceptions; fix each and run again: ${describeIssues(result.error)}`,
    );
  }
  return result.data.exceptions;
}

/**
 * Reads and checks the exceptions file at `path`.
 *
 * Throws {@link DeliveryError} `BAD_INPUT` when the file is missing, is not JSON, or does not match
 * (see {@link parseExceptions}).
 */
export async function loadExceptions(
  path: string,
  read: (path: string) => Promise<string> = (file) => readFile(file, 'utf8'),
): Promise<SupplyChainException[]> {
  let text: string;
  try {
    text = await read(path);
  } catch (error) {
    const missing = (error as { code?: string }).code === 'ENOENT';
    throw new DeliveryError(
      'BAD_INPUT',
      missing
        ? `${path}: no such exceptions file (the repository keeps it at ${EXCEPTIONS_FILE})`
        : `${path}: cannot read the exceptions file: ${(error as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseExceptions(raw, path);
}

/** Whether `exception` names `finding`: the same id (any case), and the same package when it names one. */
export function exceptionMatches(
  exception: SupplyChainException,
  finding: { readonly id: string; readonly package?: string },
): boolean {
  return (
    exception.finding.toUpperCase() === finding.id.toUpperCase() &&
    (exception.package === undefined || exception.package === finding.package)
  );
}

/** Whether `exception` has expired on `today` (YYYY-MM-DD): it holds through its `expires` day. */
export function isExpired(exception: SupplyChainException, today: string): boolean {
  return exception.expires < today;
}

/** `CVE-… (package x)`, the way messages name an exception. */
export function describeException(exception: SupplyChainException): string {
  return `${exception.finding}${exception.package ? ` (package ${exception.package})` : ''}`;
}

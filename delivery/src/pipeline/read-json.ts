import type { z } from 'zod';
import { DeliveryError } from '../errors.js';
import { describeIssues } from '../schemas.js';

/** How {@link readJson} names a JSON text in its errors. */
export interface JsonText {
  /** What the text is, e.g. `UserParameters` or `release.json`. */
  readonly name: string;
  /**
   * Where the text came from, put first in every message, e.g. `input artifact Release`.
   * @default - nothing: messages start with the name
   */
  readonly source?: string;
  /**
   * The message when there is no text at all: what the caller most likely forgot.
   * @default - `<source> has no <name>`
   */
  readonly missing?: string;
  /**
   * One message for text that is not JSON or does not match, instead of the details: for a text only
   * this code writes (a continuation token), where the details would not help a person.
   * @default - `<source>: <name> is not JSON: <why>`, or `<source>: invalid <name>: <path>: <issue>; …`
   */
  readonly unreadable?: string;
}

/**
 * `text` parsed as JSON and checked against `schema`: the one reader of the JSON a pipeline job is
 * given (its UserParameters, its input artifacts' files, its continuation token). Throws `BAD_INPUT`
 * naming the text as `what` says.
 */
export function readJson<S extends z.ZodType>(
  text: string | undefined,
  schema: S,
  what: JsonText,
): z.output<S> {
  const prefix = what.source ? `${what.source}: ` : '';
  if (text === undefined) {
    throw new DeliveryError('BAD_INPUT', what.missing ?? `${what.source ?? 'the input'} has no ${what.name}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DeliveryError(
      'BAD_INPUT',
      what.unreadable ?? `${prefix}${what.name} is not JSON: ${(error as Error).message}`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      what.unreadable ?? `${prefix}invalid ${what.name}: ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}

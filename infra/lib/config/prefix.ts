import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError } from './errors';

/** The rule a prefix must follow, worded for error messages and docs. */
export const PREFIX_RULE =
  'a lowercase letter first, then lowercase letters, digits or hyphens, 2 to 10 characters in all';

/**
 * What makes a prefix usable inside S3 bucket and ECR repository names (both lowercase-only).
 */
export const PREFIX_PATTERN = /^[a-z][a-z0-9-]{1,9}$/;

/** Matches a `Prefix: <abbr>` line; the value is everything after the colon, trimmed. */
const PREFIX_LINE = /^[ \t]*Prefix:[ \t]*(.*?)[ \t]*$/gm;

/**
 * Reads the project prefix from the text of README.md.
 *
 * The README holds the prefix on exactly one line of the form `Prefix: <abbr>`; nothing else in the
 * repository writes it down.
 *
 * @param readmeText the README's contents
 * @param readmeName how to name the file in messages (e.g. `README.md`)
 * @throws ConfigError naming the file, the line to write and the rule, when the line is missing,
 *   repeated with different values, or holds an invalid prefix
 */
export function parsePrefix(readmeText: string, readmeName = 'README.md'): string {
  const values = [...readmeText.matchAll(PREFIX_LINE)].map((m) => m[1] ?? '');
  const howToFix = `write one line "Prefix: <abbr>" in ${readmeName}, e.g. "Prefix: ias", where <abbr> is ${PREFIX_RULE}`;
  if (values.length === 0) {
    throw new ConfigError(`${readmeName} has no "Prefix:" line: ${howToFix}.`);
  }
  const distinct = [...new Set(values)];
  if (distinct.length > 1) {
    throw new ConfigError(
      `${readmeName} has ${values.length} "Prefix:" lines with different values (${distinct
        .map((v) => JSON.stringify(v))
        .join(', ')}): keep only one; ${howToFix}.`,
    );
  }
  const prefix = distinct[0] ?? '';
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new ConfigError(
      `${readmeName} has an invalid prefix ${JSON.stringify(prefix)} on its "Prefix:" line: ${howToFix}.`,
    );
  }
  return prefix;
}

/**
 * Reads the project prefix from a README.md file on disk.
 *
 * @param readmePath path of the root README.md
 * @throws ConfigError when the file cannot be read or its prefix line is missing or invalid
 */
export function readPrefix(readmePath: string): string {
  const name = basename(readmePath);
  let text: string;
  try {
    text = readFileSync(readmePath, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(
      `${name} could not be read at ${readmePath} (${reason}): the project prefix is written there as one line "Prefix: <abbr>", where <abbr> is ${PREFIX_RULE}.`,
    );
  }
  return parsePrefix(text, name);
}

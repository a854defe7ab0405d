import { z } from 'zod';

/** A Lambda function name (not an ARN): 1-64 letters, digits, hyphens or underscores. */
export const functionNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a Lambda function name: 1-64 letters, digits, - or _');

/** A Lambda alias name: 1-128 letters, digits, hyphens or underscores, not all digits. */
export const aliasNameSchema = z
  .string()
  .regex(
    /^(?![0-9]+$)[A-Za-z0-9_-]{1,128}$/,
    'must be a Lambda alias name: 1-128 letters, digits, - or _, not all digits',
  );

/** A published Lambda version: a positive integer as a string (`$LATEST` is not one). */
export const versionSchema = z
  .string()
  .regex(/^[1-9][0-9]*$/, 'must be a published version number (1, 2, …)');

/** Formats zod issues as `path: message; path: message` (never echoing the input values). */
export function describeIssues(error: z.ZodError, root?: string): string {
  return error.issues
    .map((issue) => {
      const path = [root, ...issue.path.map(String)].filter((part) => part !== undefined && part !== '');
      return `${path.length > 0 ? path.join('.') : '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

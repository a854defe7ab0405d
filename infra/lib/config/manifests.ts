import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { z } from 'zod';

/** One folder's manifest, read and validated. */
export interface ManifestEntry<T> {
  /** The folder name. */
  readonly name: string;
  /** The folder. */
  readonly dir: string;
  /** The manifest file, relative to the repository root (for messages). */
  readonly where: string;
  /** The validated manifest. */
  readonly data: T;
}

/**
 * Every folder of `parentDir` (sorted) that holds `file`: its name checked against `namePattern`,
 * its JSON parsed and validated by `schema`. Folders without the file are not manifests and are
 * skipped; every problem is added to `problems` as a line `  - <file>: <path>: <message>`, and the
 * folder is left out.
 */
export function readManifests<S extends z.ZodType>(options: {
  readonly parentDir: string;
  readonly repoRoot: string;
  readonly file: string;
  readonly namePattern: RegExp;
  /** What a bad folder name is told, e.g. "must be 3 to 40 lowercase letters, …". */
  readonly nameRule: string;
  readonly schema: S;
  readonly problems: string[];
}): ManifestEntry<z.output<S>>[] {
  const { parentDir, repoRoot, file, problems } = options;
  const found: ManifestEntry<z.output<S>>[] = [];
  const folders = existsSync(parentDir) ? readdirSync(parentDir, { withFileTypes: true }) : [];
  for (const entry of folders.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(parentDir, entry.name, file);
    if (!existsSync(path)) {
      continue;
    }
    const where = relative(repoRoot, path);
    if (!options.namePattern.test(entry.name)) {
      problems.push(`  - ${where}: the folder name ${options.nameRule}`);
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      problems.push(`  - ${where}: not valid JSON (${(err as Error).message})`);
      continue;
    }
    const result = options.schema.safeParse(raw);
    if (!result.success) {
      for (const issue of result.error.issues) {
        problems.push(`  - ${where}: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
      }
      continue;
    }
    found.push({ name: entry.name, dir: join(parentDir, entry.name), where, data: result.data });
  }
  return found;
}

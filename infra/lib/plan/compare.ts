import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

/**
 * A 64-hex asset hash (file and image assets), with the publishing destination's suffix that CDK
 * Pipelines derives from it (`:current_account-<region>-<8 hex>`): a refactor may move both without
 * changing anything deployed.
 */
// eslint-disable-next-line security/detect-unsafe-regex -- the group is optional, not repeated: no nested repetition
const ASSET_HASH = /[0-9a-f]{64}(:[A-Za-z0-9_-]+-[0-9a-f]{8})?/g;

/** The templates of a cloud assembly, by stack name, with asset hashes masked. */
export function readTemplates(outdir: string): Map<string, unknown> {
  if (!existsSync(join(outdir, 'manifest.json'))) {
    throw new Error(
      `no cloud assembly in ${outdir}: synthesize one first (npm run synth, or cdk synth -o DIR)`,
    );
  }
  const templates = new Map<string, unknown>();
  const visit = (dir: string): void => {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      artifacts?: Record<
        string,
        { type: string; properties?: { templateFile?: string; directoryName?: string } }
      >;
    };
    for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
      if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
        const text = readFileSync(join(dir, artifact.properties.templateFile), 'utf8');
        const name = (artifact.properties as { stackName?: string }).stackName ?? id;
        templates.set(name, JSON.parse(text.replace(ASSET_HASH, '<asset-hash>')));
      }
      if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
        const nested = join(dir, artifact.properties.directoryName);
        if (statSync(nested).isDirectory()) {
          visit(nested);
        }
      }
    }
  };
  visit(outdir);
  return templates;
}

/** Where two values first differ, as JSON paths (at most `limit`). */
function differences(before: unknown, after: unknown, path: string, found: string[], limit: number): void {
  if (found.length >= limit || isDeepStrictEqual(before, after)) {
    return;
  }
  if (
    before &&
    after &&
    typeof before === 'object' &&
    typeof after === 'object' &&
    !Array.isArray(before) === !Array.isArray(after)
  ) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of [...keys].sort()) {
      const b = (before as Record<string, unknown>)[key];
      const a = (after as Record<string, unknown>)[key];
      if (b === undefined) {
        found.push(`${path}.${key}: added`);
      } else if (a === undefined) {
        found.push(`${path}.${key}: removed`);
      } else {
        differences(b, a, `${path}.${key}`, found, limit);
      }
      if (found.length >= limit) {
        return;
      }
    }
    return;
  }
  found.push(`${path}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`.slice(0, 300));
}

/**
 * Every difference between two assemblies' templates, asset hashes aside: stacks added or
 * removed, and per stack the first differing paths. Empty when a change kept the templates.
 */
export function compareAssemblies(before: string, after: string, limitPerStack = 10): string[] {
  const a = readTemplates(before);
  const b = readTemplates(after);
  const lines: string[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (!b.has(name)) {
      lines.push(`${name}: stack removed`);
    } else if (!a.has(name)) {
      lines.push(`${name}: stack added`);
    } else {
      const found: string[] = [];
      differences(a.get(name), b.get(name), name, found, limitPerStack);
      lines.push(...found);
    }
  }
  return lines;
}

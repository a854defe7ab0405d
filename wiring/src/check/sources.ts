import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { resolveString } from './resolve';
import type { Workload } from './workloads';

/** A file of a CodeBuild project's source, parsed, or why it cannot be read. */
export type SourceFile = { readonly value: unknown } | { readonly problem: string };

/**
 * The folder a CodeBuild project's S3 source is published from (a CDK file asset of the assembly),
 * or why there is none: the project takes its source from elsewhere, or the asset is not on disk.
 */
function sourceFolder(workload: Workload): { folder: string } | { problem: string } {
  const source = workload.resource.Properties?.Source as { Type?: unknown; Location?: unknown } | undefined;
  if (workload.kind !== 'build' || source?.Type !== 'S3' || source.Location === undefined) {
    return { problem: 'it has no S3 source' };
  }
  // `<bucket>/<object key>`: the key is the asset's, the bucket the bootstrap's.
  const location = resolveString(workload.scope, source.Location);
  const key = location.slice(location.indexOf('/') + 1);
  const folder = workload.scope.assembly.assets?.[key];
  if (folder === undefined || !existsSync(folder) || !statSync(folder).isDirectory()) {
    return { problem: `its source s3://${location} is no folder asset of the assembly` };
  }
  return { folder };
}

/** A JSON file of a CodeBuild project's S3 source, as the assembly holds it (the asset's folder). */
export function sourceJson(workload: Workload, file: string): SourceFile {
  if (file.split('/').includes('..')) {
    return { problem: `${file} is outside its source` };
  }
  const found = sourceFolder(workload);
  if ('problem' in found) {
    return found;
  }
  const path = join(found.folder, file);
  if (!existsSync(path)) {
    return { problem: `its source has no ${file}` };
  }
  try {
    return { value: JSON.parse(readFileSync(path, 'utf8')) as unknown };
  } catch (error) {
    return { problem: `${file} of its source is not JSON (${(error as Error).message})` };
  }
}

/**
 * Every scalar of a JSON value by dot path, arrays by index (`alarms.0`, `target.clusterName`): what
 * a recording's `${source:FILE:PATH}` tokens name.
 */
export function flattenJson(value: unknown, path: string, out: Map<string, string>): void {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    out.set(path, String(value));
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      flattenJson(child, path ? `${path}.${key}` : key, out);
    }
  }
}

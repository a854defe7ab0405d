import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { WORKLOAD_KINDS } from '@ias/targets';
import { z } from 'zod';
import { ConfigError } from './errors';
import { readManifests } from './manifests';

/** The file that makes a folder under app/functions a delivered function (`function.json`). */
export const MANIFEST_FILE = WORKLOAD_KINDS.function.manifestFile;

const FUNCTION_NAME = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

const sqsTrigger = z
  .object({
    type: z.literal('sqs'),
    /** Messages per invocation. */
    batchSize: z.number().int().min(1).max(10_000).default(10),
    /** Receives before a message moves to the dead-letter queue. */
    maxReceiveCount: z.number().int().min(1).max(1000).default(3),
  })
  .strict();

const s3Trigger = z
  .object({
    type: z.literal('s3'),
    /** Only objects under this key prefix. */
    prefix: z.string().max(1024).default(''),
    /** Only objects whose key ends so. */
    suffix: z.string().max(1024).default(''),
  })
  .strict();

/** `app/functions/<name>/function.json`: what the infrastructure needs to know of a function. */
export const functionManifestSchema = z
  .object({
    /** One line on what the function does. */
    description: z.string().min(1).max(256),
    /** `file.export` inside the bundle. */
    handler: z
      .string()
      .regex(/^[A-Za-z0-9_/.-]+\.[A-Za-z_$][\w$]*$/, 'must be file.export, e.g. index.handler')
      .default('index.handler'),
    /** MB of memory (128 to 10240). */
    memorySize: z.number().int().min(128).max(10_240).default(512),
    /** Seconds before an invocation times out (1 to 900). */
    timeoutSeconds: z.number().int().min(1).max(900).default(30),
    /** What invokes it. */
    trigger: z.discriminatedUnion('type', [sqsTrigger, s3Trigger]),
    /**
     * Event file, relative to the function folder, that the traffic hooks invoke each new version
     * with before it takes traffic. It must be answered without side effects (see `withSmokeProbe`
     * in @ias/fn-common).
     */
    smokeEvent: z.string().min(1),
  })
  .strict();

/** A validated function manifest. */
export type FunctionManifest = z.output<typeof functionManifestSchema>;

/** A function found under app/functions. */
export interface FunctionDefinition {
  /** The folder name: the function becomes `<prefix>-<env>-<name>`. */
  readonly name: string;
  /** The folder, relative to the repository root (its pipeline watches it). */
  readonly folder: string;
  /** The manifest. */
  readonly manifest: FunctionManifest;
  /** The smoke event (compact JSON), which the traffic hooks invoke each new version with. */
  readonly smokeEvent: string;
}

/** SSM standard parameters, where the smoke event is kept for the hooks, hold up to 4 KB. */
const SMOKE_EVENT_MAX_BYTES = 4096;

/**
 * Every function under `functionsDir`: each folder holding a `function.json`. Adding a function is
 * adding such a folder; nothing else is edited.
 *
 * @throws ConfigError listing every problem of every manifest, with file and path
 */
export function loadFunctions(functionsDir: string, repoRoot: string): FunctionDefinition[] {
  const found: FunctionDefinition[] = [];
  const problems: string[] = [];
  const manifests = readManifests({
    parentDir: functionsDir,
    repoRoot,
    file: MANIFEST_FILE,
    namePattern: FUNCTION_NAME,
    nameRule: 'must be 3 to 40 lowercase letters, digits or hyphens (it becomes part of resource names)',
    schema: functionManifestSchema,
    problems,
  });
  for (const { name, dir, where, data } of manifests) {
    const smoke = join(dir, data.smokeEvent);
    if (!existsSync(smoke)) {
      problems.push(`  - ${where}: smokeEvent: ${relative(repoRoot, smoke)} does not exist`);
      continue;
    }
    let smokeEvent: string;
    try {
      smokeEvent = JSON.stringify(JSON.parse(readFileSync(smoke, 'utf8')));
    } catch (err) {
      problems.push(
        `  - ${where}: smokeEvent: ${relative(repoRoot, smoke)} is not valid JSON (${(err as Error).message})`,
      );
      continue;
    }
    if (Buffer.byteLength(smokeEvent) > SMOKE_EVENT_MAX_BYTES) {
      problems.push(
        `  - ${where}: smokeEvent: ${relative(repoRoot, smoke)} is ${Buffer.byteLength(smokeEvent)} bytes; keep it under ${SMOKE_EVENT_MAX_BYTES} (a probe, not a workload)`,
      );
      continue;
    }
    found.push({ name, folder: relative(repoRoot, dir), manifest: data, smokeEvent });
  }
  if (problems.length > 0) {
    throw new ConfigError(
      [
        `${problems.length} problem${problems.length === 1 ? '' : 's'} in the function manifests; fix each and run again:`,
        ...problems,
      ].join('\n'),
    );
  }
  return found;
}

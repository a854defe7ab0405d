import { mkdir, mkdtemp, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { DeliveryError } from '../../errors.js';
import { describeIssues } from '../../schemas.js';
import type { EcsLifecycleHooks } from './appspec.js';
import {
  containerNameSchema,
  containerPortSchema,
  ecsLifecycleHooksSchema,
  renderEcsAppSpec,
  renderImageDefinitions,
  renderImageDetail,
} from './appspec.js';
import { imageUriSchema } from './image-uri.js';
import type { TaskDefinitionReader } from './taskdef.js';
import { describeTemplate, renderTaskDefinition } from './taskdef.js';

/** One environment the build prepares a deployment for. */
export interface BuildEnvironment {
  /** The environment's name (`dev`, `staging`, `prod`): it names its files. */
  readonly name: string;
  /** The service's task definition family there, e.g. `ias-dev-inventory-api`. */
  readonly family: string;
  /**
   * The CodeDeploy lifecycle hooks of its deployment.
   * @default - no hooks
   */
  readonly hooks?: EcsLifecycleHooks;
}

/** Options of {@link writeBuildFiles}. */
export interface WriteBuildFilesOptions {
  /** The folder to write into (created if missing; files already there are kept unless overwritten). */
  readonly outDir: string;
  /** The image the build pushed, tagged with the commit (or pinned by digest). */
  readonly imageUri: string;
  /** The container the load balancer targets. */
  readonly containerName: string;
  /** That container's port. */
  readonly containerPort: number;
  /**
   * The Fargate platform version written into the appspecs.
   * @default 'LATEST'
   */
  readonly platformVersion?: string;
  /** The environments to prepare, each once. */
  readonly environments: readonly BuildEnvironment[];
  /** Reads each environment's task definition (the template of its `taskdef-<env>.json`). */
  readonly ecs: TaskDefinitionReader;
}

/** An environment name, as it appears in the files' names. */
const environmentNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be an environment name such as dev');

/** A task definition family: 1-255 letters, digits, hyphens or underscores. */
export const familySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be a task definition family: 1-255 letters, digits, - or _');

const environmentsSchema = z
  .array(
    z.strictObject({
      name: environmentNameSchema,
      family: familySchema,
      hooks: ecsLifecycleHooksSchema.optional(),
    }),
  )
  .min(1, 'must list at least one environment')
  .refine((list) => new Set(list.map((entry) => entry.name)).size === list.length, {
    message: 'must name each environment once',
  });

const platformVersionField = z
  .string()
  .regex(/^(LATEST|[0-9]+\.[0-9]+\.[0-9]+)$/, 'must be LATEST or a version such as 1.4.0')
  .optional();

/** The inputs of {@link writeBuildFiles} other than the ECS reader. */
export const buildFilesInputSchema = z.object({
  outDir: z.string().min(1, 'must name a folder'),
  imageUri: imageUriSchema,
  containerName: containerNameSchema,
  containerPort: containerPortSchema,
  platformVersion: platformVersionField,
  environments: environmentsSchema,
});

/** The inputs of {@link writeBuildFiles} other than the ECS reader, validated. */
export type BuildFilesInput = z.output<typeof buildFilesInputSchema>;

/**
 * Writes the deployment inputs of a container build into `outDir`:
 * - `imageDetail.json` (`{ ImageURI }`, for CodeDeployToECS),
 * - `imagedefinitions.json` (`[{ name, imageUri }]`, for the ECS rolling deploy action),
 * - per environment, `taskdef-<env>.json` (its family's latest task definition with the container's
 *   image set to `<IMAGE1_NAME>`) and `appspec-<env>.yaml` (the CodeDeploy ECS appspec with its hooks).
 *
 * Everything is read and rendered first, then written to a temporary folder beside `outDir` and moved
 * into place, so a failure leaves `outDir` as it was. Returns the names of the files written, sorted.
 * Throws {@link DeliveryError}: `BAD_INPUT` on an invalid input (quoting the bad value),
 * `SERVICE_MISSING` when a family does not exist, `CONTAINER_MISSING` when a task definition has no
 * container `containerName`.
 */
export async function writeBuildFiles(options: WriteBuildFilesOptions): Promise<string[]> {
  const { ecs, ...rest } = options;
  const parsed = buildFilesInputSchema.safeParse(rest);
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `invalid build files input: ${describeIssues(parsed.error)}`);
  }
  const input = parsed.data;
  const files = new Map<string, string>([
    ['imageDetail.json', json(renderImageDetail(input.imageUri))],
    [
      'imagedefinitions.json',
      json(renderImageDefinitions([{ name: input.containerName, imageUri: input.imageUri }])),
    ],
  ]);
  for (const environment of input.environments) {
    const template = await describeTemplate(ecs, environment.family);
    files.set(
      `taskdef-${environment.name}.json`,
      json(renderTaskDefinition(template, { containerName: input.containerName })),
    );
    files.set(
      `appspec-${environment.name}.yaml`,
      renderEcsAppSpec({
        containerName: input.containerName,
        containerPort: input.containerPort,
        platformVersion: input.platformVersion,
        hooks: environment.hooks,
      }),
    );
  }
  await writeAllOrNothing(resolve(input.outDir), files);
  return [...files.keys()].sort();
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes the files to a temporary folder beside `outDir`, then moves them in (one rename each, or of the folder). */
async function writeAllOrNothing(outDir: string, files: ReadonlyMap<string, string>): Promise<void> {
  const parent = dirname(outDir);
  await mkdir(parent, { recursive: true });
  // Beside outDir, so the renames stay on one file system (a rename across file systems fails).
  const staging = await mkdtemp(join(parent, `.${basename(outDir)}-`));
  try {
    for (const [name, content] of files) {
      await writeFile(join(staging, name), content, 'utf8');
    }
    if (await moveFolder(staging, outDir)) {
      return;
    }
    for (const name of await readdir(staging)) {
      await rename(join(staging, name), join(outDir, name));
    }
    await rmdir(staging);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Renames `from` to `to` when `to` does not exist yet; false when it does (then files move one by one). */
async function moveFolder(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      await mkdir(to, { recursive: true });
      return false;
    }
    throw error;
  }
}

/**
 * Reads {@link writeBuildFiles}' inputs the way `write-build-files.ts` takes them: environment variables
 * `IMAGE_URI`, `CONTAINER_NAME`, `CONTAINER_PORT`, `ENVIRONMENTS` (JSON), `PLATFORM_VERSION` and
 * `OUT_DIR` (default `build-files`), the out dir also as the one positional argument.
 *
 * Throws {@link DeliveryError} `BAD_INPUT` naming every bad variable.
 */
export function readBuildFilesInput(
  env: Readonly<Record<string, string | undefined>>,
  args: readonly string[] = [],
): BuildFilesInput {
  if (args.length > 1 || args.some((arg) => arg.startsWith('-'))) {
    throw new DeliveryError(
      'BAD_INPUT',
      `unexpected arguments ${JSON.stringify(args)}: the only argument is the out dir; everything else comes from environment variables`,
    );
  }
  const result = cliEnvironmentSchema.safeParse({ ...env, OUT_DIR: args[0] ?? env['OUT_DIR'] });
  if (!result.success) {
    throw new DeliveryError('BAD_INPUT', `invalid input: ${describeIssues(result.error)}`);
  }
  const values = result.data;
  return {
    outDir: values.OUT_DIR,
    imageUri: values.IMAGE_URI,
    containerName: values.CONTAINER_NAME,
    containerPort: values.CONTAINER_PORT,
    platformVersion: values.PLATFORM_VERSION,
    environments: values.ENVIRONMENTS,
  };
}

const required = { error: 'is required' };

const cliEnvironmentSchema = z.object({
  IMAGE_URI: z.string(required).pipe(imageUriSchema),
  CONTAINER_NAME: z.string(required).pipe(containerNameSchema),
  CONTAINER_PORT: z
    .string(required)
    .regex(/^[0-9]{1,5}$/, 'must be a port number')
    .transform(Number)
    .pipe(containerPortSchema),
  PLATFORM_VERSION: platformVersionField,
  ENVIRONMENTS: z
    .string(required)
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({
          code: 'custom',
          message: 'must be JSON: [{"name":"dev","family":"<task definition family>","hooks":{…}}]',
        });
        return z.NEVER;
      }
    })
    .pipe(environmentsSchema),
  OUT_DIR: z.string().min(1).default('build-files'),
});

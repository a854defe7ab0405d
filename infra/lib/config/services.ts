import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { WORKLOAD_KINDS } from '@ias/targets';
import { z } from 'zod';
import { ConfigError } from './errors';
import { readManifests } from './manifests';

/** The file that makes a folder under app/services a delivered service (`service.json`). */
export const SERVICE_MANIFEST_FILE = WORKLOAD_KINDS.service.manifestFile;

const SERVICE_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/** `app/services/<name>/service.json`: what the infrastructure needs to know of a service. */
export const serviceManifestSchema = z
  .object({
    /** One line on what the service does. */
    description: z.string().min(1).max(256),
    /** The port the container listens on (the image's EXPOSE). */
    containerPort: z.number().int().min(1024).max(65_535).default(3000),
    /** Path the load balancer checks; 2xx only when the service can serve (database reachable). */
    healthCheckPath: z
      .string()
      .regex(/^\/[A-Za-z0-9/_.-]*$/, 'must be a path such as /ready')
      .default('/ready'),
    /** The Dockerfile, relative to the service folder; built from the repository root. */
    dockerfile: z.string().min(1).default('Dockerfile'),
    /** The Dockerfile stage that is deployed. */
    target: z.string().min(1).default('production'),
    /** Plain settings (no secrets: those come from Secrets Manager and SSM). */
    environment: z
      .record(
        z.string().regex(ENV_NAME, 'must be an environment variable name such as LOG_LEVEL'),
        z.string(),
      )
      .default({}),
    /**
     * Settings injected from SSM parameters of the environment, by variable name: the value is the
     * parameter's path under `/<prefix>/<env>/` (seed 002's `secrets` list).
     */
    parameters: z
      .record(
        z.string().regex(ENV_NAME, 'must be an environment variable name such as FEATURE_FLAGS'),
        z
          .string()
          .regex(/^[a-z0-9][a-z0-9/_.-]*$/, 'must be a path under /<prefix>/<env>/, e.g. api/feature-flags'),
      )
      .default({}),
    /**
     * The API's synthetic check, relative to the service folder: a CommonJS `.js` file whose
     * `handler` the CloudWatch Synthetics runtime calls with `API_URL` set, alone in its folder
     * (the folder is the canary's code). One service per project may have one: the canary is the
     * environment's, named `<prefix>-<env>`.
     */
    canary: z
      .string()
      .regex(
        /^[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\.js$/,
        'must be a .js file in a folder of its own, e.g. canary/api-canary.js',
      )
      .optional(),
  })
  .strict();

/** A validated service manifest. */
export type ServiceManifest = z.output<typeof serviceManifestSchema>;

/** A container service found under app/services. */
export interface ServiceDefinition {
  /** The folder name: the service becomes `<prefix>-<env>-<name>`. */
  readonly name: string;
  /** The folder, relative to the repository root (its pipeline watches it). */
  readonly folder: string;
  /** The manifest. */
  readonly manifest: ServiceManifest;
}

/**
 * Every service under `servicesDir`: each folder holding a `service.json`. Adding a service is
 * adding such a folder (with its Dockerfile); nothing else is edited.
 *
 * @throws ConfigError listing every problem of every manifest, with file and path
 */
export function loadServices(servicesDir: string, repoRoot: string): ServiceDefinition[] {
  const found: ServiceDefinition[] = [];
  const problems: string[] = [];
  const manifests = readManifests({
    parentDir: servicesDir,
    repoRoot,
    file: SERVICE_MANIFEST_FILE,
    namePattern: SERVICE_NAME,
    nameRule: 'must be 3 to 30 lowercase letters, digits or hyphens (it becomes part of resource names)',
    schema: serviceManifestSchema,
    problems,
  });
  for (const { name, dir, where, data } of manifests) {
    const dockerfile = join(dir, data.dockerfile);
    if (!existsSync(dockerfile)) {
      problems.push(`  - ${where}: dockerfile: ${relative(repoRoot, dockerfile)} does not exist`);
      continue;
    }
    if (data.canary !== undefined && !existsSync(join(dir, data.canary))) {
      problems.push(`  - ${where}: canary: ${relative(repoRoot, join(dir, data.canary))} does not exist`);
      continue;
    }
    found.push({ name, folder: relative(repoRoot, dir), manifest: data });
  }
  const withCanary = found.filter((s) => s.manifest.canary !== undefined).map((s) => s.name);
  if (withCanary.length > 1) {
    problems.push(
      `  - services ${withCanary.join(', ')} each name a canary: an environment has one canary (<prefix>-<env>); keep it on the service that is the API`,
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(
      [
        `${problems.length} problem${problems.length === 1 ? '' : 's'} in the service manifests; fix each and run again:`,
        ...problems,
      ].join('\n'),
    );
  }
  return found;
}

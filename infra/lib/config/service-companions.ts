import type { z } from 'zod';
import { ConfigError } from './errors';
import { readManifests } from './manifests';
import type { ServiceDefinition } from './services';

/** A workload that runs a container service's build elsewhere: a manifest beside its `service.json`. */
export interface ServiceCompanion<Manifest> {
  /** The folder name, which is the service's. */
  readonly name: string;
  /** The folder, relative to the repository root. */
  readonly folder: string;
  readonly manifest: Manifest;
  /** The container service whose build it runs (build once): its port, settings and parameters. */
  readonly service: ServiceDefinition;
}

/** What {@link loadServiceCompanions} reads. */
export interface ServiceCompanionKind<Schema extends z.ZodType> {
  /** The manifest's file name, e.g. `kubernetes.json`. */
  readonly file: string;
  readonly schema: Schema;
  /** The kind in the problems' words, e.g. `Kubernetes` (`… in the Kubernetes manifests`). */
  readonly what: string;
  /** Why it needs the service, e.g. `a Kubernetes application runs its service's image`. */
  readonly needsService: string;
}

/**
 * Every folder under `servicesDir` with `kind.file`, which must be a container service's too (its
 * `service.json` gives the build, port and settings the companion runs).
 *
 * @throws ConfigError listing every problem of every manifest, with file and path
 */
export function loadServiceCompanions<Schema extends z.ZodType>(
  servicesDir: string,
  repoRoot: string,
  services: readonly ServiceDefinition[],
  kind: ServiceCompanionKind<Schema>,
): ServiceCompanion<z.output<Schema>>[] {
  const problems: string[] = [];
  const found: ServiceCompanion<z.output<Schema>>[] = [];
  const manifests = readManifests({
    parentDir: servicesDir,
    repoRoot,
    file: kind.file,
    namePattern: /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/,
    nameRule: 'must be 3 to 30 lowercase letters, digits or hyphens (it becomes part of resource names)',
    schema: kind.schema,
    problems,
  });
  for (const { name, where, data } of manifests) {
    const service = services.find((s) => s.name === name);
    if (!service) {
      problems.push(
        `  - ${where}: the folder has no service.json: ${kind.needsService}; add the service manifest or remove ${kind.file}`,
      );
      continue;
    }
    found.push({ name, folder: service.folder, manifest: data, service });
  }
  if (problems.length > 0) {
    throw new ConfigError(
      [
        `${problems.length} problem${problems.length === 1 ? '' : 's'} in the ${kind.what} manifests; fix each and run again:`,
        ...problems,
      ].join('\n'),
    );
  }
  return found;
}

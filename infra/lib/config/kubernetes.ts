import { kubernetesManifestSchema, type KubernetesManifest } from '@ias/delivery';
import { KUBERNETES_MANIFEST_FILE } from '@ias/targets';
import { ConfigError } from './errors';
import { readManifests } from './manifests';
import type { ServiceDefinition } from './services';

/** A Kubernetes application: a service folder that also holds a `kubernetes.json`. */
export interface KubernetesDefinition {
  /** The folder name, which is the service's: the application runs the service's image. */
  readonly name: string;
  /** The folder, relative to the repository root. */
  readonly folder: string;
  readonly manifest: KubernetesManifest;
  /** The container service whose build makes the image (build once): its port and settings. */
  readonly service: ServiceDefinition;
}

/**
 * Every Kubernetes application under `servicesDir`: each folder with a `kubernetes.json`, which must
 * be a container service's too (its `service.json` gives the image's build, port and settings).
 *
 * @throws ConfigError listing every problem of every manifest, with file and path
 */
export function loadKubernetes(
  servicesDir: string,
  repoRoot: string,
  services: readonly ServiceDefinition[],
): KubernetesDefinition[] {
  const problems: string[] = [];
  const found: KubernetesDefinition[] = [];
  const manifests = readManifests({
    parentDir: servicesDir,
    repoRoot,
    file: KUBERNETES_MANIFEST_FILE,
    namePattern: /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/,
    nameRule: 'must be 3 to 30 lowercase letters, digits or hyphens (it becomes part of resource names)',
    schema: kubernetesManifestSchema,
    problems,
  });
  for (const { name, where, data } of manifests) {
    const service = services.find((s) => s.name === name);
    if (!service) {
      problems.push(
        `  - ${where}: the folder has no service.json: a Kubernetes application runs its service's image; add the service manifest or remove ${KUBERNETES_MANIFEST_FILE}`,
      );
      continue;
    }
    found.push({ name, folder: service.folder, manifest: data, service });
  }
  if (problems.length > 0) {
    throw new ConfigError(
      [
        `${problems.length} problem${problems.length === 1 ? '' : 's'} in the Kubernetes manifests; fix each and run again:`,
        ...problems,
      ].join('\n'),
    );
  }
  return found;
}

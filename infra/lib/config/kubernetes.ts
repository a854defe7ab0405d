import { kubernetesManifestSchema, type KubernetesManifest } from '@ias/delivery';
import { KUBERNETES_MANIFEST_FILE } from '@ias/targets';
import { loadServiceCompanions, type ServiceCompanion } from './service-companions';
import type { ServiceDefinition } from './services';

/**
 * A Kubernetes application: a service folder that also holds a `kubernetes.json`; it runs the
 * service's image.
 */
export type KubernetesDefinition = ServiceCompanion<KubernetesManifest>;

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
  return loadServiceCompanions(servicesDir, repoRoot, services, {
    file: KUBERNETES_MANIFEST_FILE,
    schema: kubernetesManifestSchema,
    what: 'Kubernetes',
    needsService: "a Kubernetes application runs its service's image",
  });
}

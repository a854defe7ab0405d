import { reviewCopy, type DeployFile } from '@ias/delivery';
import { kubernetesTarget } from '@ias/targets';
import type { KubernetesDefinition } from '../../config/kubernetes';
import type { EnvironmentConfig } from '../../config/load';
import { kubernetesDeployFile } from './deploy-file';

/**
 * What synth writes for review under `k8s/<env>/` for each Kubernetes application where the profile
 * turns Kubernetes on: `<app>.yaml`, the objects its deploys apply (blue serving, a placeholder
 * image; the settings read from SSM at each deploy shown by their parameter), and
 * `<app>.deploy.json`, the deploy file its deploy project runs with (the same one as in its source).
 */
export function kubernetesReviewFiles(
  env: EnvironmentConfig,
  apps: readonly KubernetesDefinition[],
): { path: string; text: string }[] {
  if (!env.profile.kubernetes.enabled) return [];
  return apps.flatMap((app) => {
    const deployFile: DeployFile = kubernetesDeployFile(env, app);
    const target = kubernetesTarget(env, app);
    const copy = reviewCopy({
      ...deployFile.input,
      target: { ...target, switches: deployFile.target.switches },
      config: {
        ...deployFile.input.config,
        ...Object.fromEntries(Object.entries(deployFile.parameters).map(([k, p]) => [k, `<from SSM ${p}>`])),
      },
    });
    return [
      { path: copy.path, text: copy.yaml },
      {
        path: copy.path.replace(/\.yaml$/, '.deploy.json'),
        text: `${JSON.stringify(deployFile, null, 2)}\n`,
      },
    ];
  });
}

/**
 * Kubernetes applications on the environment's EKS cluster: blue/green colors switched by the
 * application's deploy project (CodeBuild inside the VPC, the cluster's endpoint being private); `ias-ops`
 * starts, follows and stops its builds, and reads what serves from the release ledger.
 */
import type { EnvironmentConfig, ProjectConfig } from '@ias/infra/config';
import { kubernetesTarget, type KubernetesTarget, type KubernetesTargetDefinition } from '@ias/targets';
import { deployProjectOf } from '../../aws/codebuild';
import type { OpsContext } from '../../context';
import { applicationIn } from '../application-in';
import type { KindController } from '../kind';
import { kubernetesRestore } from './restore';
import { kubernetesStatusReader, type KubernetesStatus } from './status';

export type { KubernetesStatus } from './status';

/**
 * The project's Kubernetes applications (service folders that also hold a `kubernetes.json`), none in
 * an environment whose profile turns the kind off.
 */
export function kubernetesApplications(
  project: ProjectConfig,
  env: EnvironmentConfig,
): readonly KubernetesTargetDefinition[] {
  if (!env.profile.kubernetes.enabled) return [];
  // Read through its definition's one field the target needs: ProjectConfig gains `kubernetes` with
  // the infrastructure side of the kind.
  return (project as { readonly kubernetes?: readonly KubernetesTargetDefinition[] }).kubernetes ?? [];
}

/**
 * The environment named `env` and the target there of the Kubernetes application named `name`.
 *
 * @throws OpsError (exit 2) naming the known environments or applications, or when the environment's
 * profile turns the kind off
 */
export function kubernetesIn(
  ctx: OpsContext,
  env: string | undefined,
  name: string,
): { readonly env: EnvironmentConfig; readonly target: KubernetesTarget } {
  return applicationIn(ctx, env, name, {
    what: 'Kubernetes',
    section: 'kubernetes',
    manifest: 'a kubernetes.json',
    applications: kubernetesApplications,
    target: kubernetesTarget,
  });
}

/** The Kubernetes kind's controller. */
export const kubernetesController: KindController<KubernetesTarget, KubernetesStatus, 'kubernetes'> = {
  id: 'kubernetes',
  plural: 'applications',
  workloads: (project, env) =>
    kubernetesApplications(project, env).map((k) => ({
      kind: 'kubernetes',
      name: k.name,
      target: kubernetesTarget(env, k, project.delivery?.account),
    })),
  describe: (t) =>
    `${t.clusterName} / ${t.namespace} / ${t.app} through ${t.deployProject} (${t.strategy ?? 'no strategy'})`,
  status: kubernetesStatusReader,
  deployment: (w) => ({ controller: 'codebuild', project: deployProjectOf(w.target) }),
  restore: kubernetesRestore,
};

/**
 * What `ias-ops` does with one kind of workload, behind one interface: the commands that act on every
 * workload of an environment (`targets`, `status`, `deployments`, `rollback --release`) iterate the
 * registry in `./index.ts` and leave each kind's AWS calls to its controller.
 */
import type { EnvironmentConfig, ProjectConfig } from '@ias/infra/config';
import type { WorkloadKindId } from '@ias/targets';

/** One workload of a kind in one environment. */
export interface Workload<Target> {
  readonly kind: WorkloadKindId;
  /** Its folder name (`app/functions/<name>`, `app/services/<name>`). */
  readonly name: string;
  /** Its `@ias/targets` target in the environment (`WORKLOAD_KINDS[kind].target`). */
  readonly target: Target;
}

/** One kind's controller: how the CLI finds, names and acts on its workloads. */
export interface KindController<Target = unknown> {
  /** The registry key, as `@ias/targets`' `WORKLOAD_KINDS` has it. */
  readonly id: WorkloadKindId;
  /**
   * The project's workloads of this kind in `env`, in name order, each with its target (its
   * `roleArn` for the pipelines' account, `project.delivery.account`, when the environment is elsewhere).
   */
  workloads(project: ProjectConfig, env: EnvironmentConfig): readonly Workload<Target>[];
  /** What a target deploys, in a few words (the `targets` table). */
  describe(target: Target): string;
}

/**
 * What `ias-ops` does with one kind of workload, behind one interface: the commands that act on every
 * workload of an environment (`targets`, `status`, `deployments`, `rollback --release`) iterate the
 * registry in `./index.ts` and leave each kind's AWS calls to its controller.
 */
import type { LedgerRelease } from '@ias/delivery';
import type { EnvironmentConfig, ProjectConfig } from '@ias/infra/config';
import type { WorkloadKindId } from '@ias/targets';
import type { DeployProject } from '../aws/codebuild';
import type { CodeDeployGroup } from '../aws/codedeploy';
import type { EcsService } from '../aws/ecs-deployments';
import type { AwsClients, PlannedCall } from '../context';
import type { RestorePlan } from '../restore-plan';

/**
 * One workload of a kind in one environment. `Kind` is the registry key; a kind that `@ias/targets`
 * does not list yet names its own until it is registered.
 */
export interface Workload<Target, Kind extends string = WorkloadKindId> {
  readonly kind: Kind;
  /** Its folder name (`app/functions/<name>`, `app/services/<name>`). */
  readonly name: string;
  /** Its `@ias/targets` target in the environment (`WORKLOAD_KINDS[kind].target`). */
  readonly target: Target;
}

/** The key of a kind's entries in the results of `status` and `rollback --release`, and their heading. */
export type KindPlural = 'functions' | 'services' | 'applications' | 'fleets';

/** A kind's part of `status`: one workload's state, read-only. */
export interface KindStatus<Target, Status> {
  /** The progress title of one workload. */
  title(target: Target): string;
  /** The calls that read one workload, as `--dry-run` prints them. */
  calls(target: Target, env: EnvironmentConfig): PlannedCall[];
  /** Reads one workload's state. */
  read(aws: AwsClients, name: string, target: Target, env: EnvironmentConfig): Promise<Status>;
  /** Its lines in the text of `status`. */
  format(status: Status): string[];
  /**
   * The name of its composite alarm. @default - `<prefix>-<env>-<name>-health`
   * (`monitoringNames(naming).workloadHealth(name)`)
   */
  healthAlarm?(target: Target): string;
}

/**
 * Who runs a workload's deployments (the strategy table's `cliController`) and what `deployments
 * list|continue|stop` act on: its CodeDeploy group (a function's, a service's, an EC2 application's),
 * its service for Amazon ECS's own deployments, or the CodeBuild project that runs a Kubernetes
 * application's switch inside the VPC.
 */
export type DeploymentHandle =
  | { readonly controller: 'codedeploy'; readonly group: CodeDeployGroup }
  | { readonly controller: 'ecs'; readonly service: EcsService }
  | { readonly controller: 'codebuild'; readonly project: DeployProject };

/** A kind's part of `rollback --release N`: what the release recorded of it, and the plan to put it back. */
export interface KindRestore<Target> {
  /**
   * When its writes run, against the configuration's (parameters, secrets): a service's new tasks
   * read the configuration as they start, so they roll out after it is restored.
   */
  readonly phase: 'before-configuration' | 'after-configuration';
  /** The names the release recorded of this kind (its `functions`, `services`, `applications` or `fleets` map). */
  recorded(release: LedgerRelease): readonly string[];
  /** The name of a target, as the ledger records it. */
  physicalName(target: Target): string;
  /** Reads the workloads' state, refuses what is unsafe, and adds the writes to `plan`. */
  plan(
    aws: AwsClients,
    targets: readonly Target[],
    release: LedgerRelease,
    plan: RestorePlan,
    env: EnvironmentConfig,
  ): Promise<void>;
  /**
   * Its calls in the `--dry-run` of release `number`, which is not read: each item a placeholder.
   * @default - none besides those `rollback` lists itself (functions' and services')
   */
  dryRunCalls?(number: number): PlannedCall[];
}

/** One kind's controller: how the CLI finds, names and acts on its workloads. */
export interface KindController<Target = unknown, Status = unknown, Kind extends string = WorkloadKindId> {
  /** The registry key, as `@ias/targets`' `WORKLOAD_KINDS` has it. */
  readonly id: Kind;
  /** The key of its entries in the results of `status` and `rollback --release`. */
  readonly plural: KindPlural;
  /**
   * The project's workloads of this kind in `env`, in the project's order, each with its target (its
   * `roleArn` for the pipelines' account, `project.delivery.account`, when the environment is elsewhere).
   */
  workloads(project: ProjectConfig, env: EnvironmentConfig): readonly Workload<Target, Kind>[];
  /** What a target deploys, in a few words (the `targets` table). */
  describe(target: Target): string;
  /** Its part of `status`. */
  readonly status: KindStatus<Target, Status>;
  /** Who runs a workload's deployments, and on what. */
  deployment(workload: Workload<Target, Kind>, env: EnvironmentConfig): DeploymentHandle;
  /** Its part of `rollback --release N`. */
  readonly restore: KindRestore<Target>;
}

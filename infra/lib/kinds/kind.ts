import type { Stack, Stage } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Naming, WorkloadKindId } from '@ias/targets';
import type { DeliveryCode } from '../config/delivery-code';
import type { FunctionDefinition } from '../config/functions';
import type { KubernetesDefinition } from '../config/kubernetes';
import type { Ec2Definition } from '../config/ec2';
import type { PersonaName } from '../config/governance-schema';
import type { EnvironmentConfig } from '../config/load';
import type { ServiceDefinition } from '../config/services';
import type { PipelinePartsProps } from '../pipelines/pipeline-parts';
import type { ConfigParameter } from '../stacks/config-stack';
import type { DataStack } from '../stacks/data-stack';
import type { FoundationStack } from '../stacks/foundation-stack';
import type { NetworkStack } from '../stacks/network-stack';
import type { ObservabilityStack } from '../stacks/observability-stack';

/**
 * The workloads of a project, as its configuration holds them (one list per kind); each kind reads
 * its own list.
 */
export interface Workloads {
  /** The Lambda functions (every manifest under app/functions). @default - none */
  readonly functions?: readonly FunctionDefinition[];
  /** The container services (every manifest under app/services). @default - none */
  readonly services?: readonly ServiceDefinition[];
  /** The Kubernetes applications (every kubernetes.json under app/services). @default - none */
  readonly kubernetes?: readonly KubernetesDefinition[];
  /** The EC2 applications (every ec2.json under app/services). @default - none */
  readonly ec2?: readonly Ec2Definition[];
}

/** A workload's definition as every kind has it: its folder name. */
export interface WorkloadDefinition {
  /** The folder name, which names the workload everywhere. */
  readonly name: string;
}

/** What an environment's stage offers a kind's stacks. */
export interface WorkloadEnvironment {
  /** The environment. */
  readonly config: EnvironmentConfig;
  /** Its names. */
  readonly naming: Naming;
  /** The delivery code the workloads' helper functions run. */
  readonly deliveryCode: DeliveryCode;
  readonly foundation: FoundationStack;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly observability: ObservabilityStack;
  /**
   * The environment stack the kind's stacks come after ({@link WorkloadKind.after}), whose
   * resources they name or read.
   */
  readonly after: Stack;
  /** The pipelines' account, when the environment is in another. @default - the environment's */
  readonly toolingAccount?: string;
  /** The pipelines' region. @default - the environment's */
  readonly pipelineRegion?: string;
  /** The persona roles the environment's account holds (`<prefix>-<env>-<persona>`). @default - none */
  readonly personas?: readonly PersonaName[];
}

/** What every application pipeline of the delivery stage shares, the steps' code included. */
export interface PipelineContext extends PipelinePartsProps {
  /** The delivery code the pipeline steps run. */
  readonly deliveryCode: DeliveryCode;
}

/** An acknowledged policy-gate finding, as `Validations.acknowledge` takes it. */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/**
 * What a kind's delivery may do in an environment's account, on the delivery role the pipelines of
 * another account assume there (`<prefix>-<env>-delivery`).
 */
export interface DeliveryAccessGrants {
  /** The pipelines' own roles (names in the tooling account) that may assume the delivery role. */
  readonly pipelineRoles: readonly string[];
  /** The delivery steps' statements, before the release ledger's. */
  readonly steps: readonly iam.PolicyStatement[];
  /** CodePipeline's own deploy actions' statements, after the release ledger's. */
  readonly deploy: readonly iam.PolicyStatement[];
  /** Why the role needs `Resource::*`, when these grants do; the ledger's reason otherwise. */
  readonly wildcardReason?: string;
  /** Findings of {@link deploy}, acknowledged after the wildcard. */
  readonly deployAcknowledgements: readonly Acknowledgement[];
  /** The workloads' stacks the role creates or updates (`<prefix>-<env>-<stack>`). */
  readonly stackNames: readonly string[];
  /** Other findings, acknowledged after the stacks'. */
  readonly acknowledgements: readonly Acknowledgement[];
}

/** What a kind's deployments from GitHub Actions may do in one environment. */
export interface GithubDeployGrants {
  /** The deploy statements, before the release ledger's. */
  readonly statements: readonly iam.PolicyStatement[];
  /** Why the role needs `Resource::*` for them. @default - it does not */
  readonly wildcardReason?: string;
  /** The policy-gate findings its other patterns raise, each with its reason. @default - none */
  readonly acknowledgements?: readonly { readonly id: string; readonly reason: string }[];
}

/** A workload's stack, as every kind builds it: with its operators' monitoring. */
export interface WatchedWorkloadStack extends Stack {
  readonly monitoring: {
    /** `<prefix>-<env>-<workload>`: the name its dashboard and alarms start with. */
    readonly name: string;
    /** `<prefix>-<env>-<workload>-health`: the composite alarm that notifies while the workload is unwell. */
    readonly health: cloudwatch.IAlarm;
  };
}

/**
 * One kind of workload, as infrastructure: what it adds to each environment's stage, to the
 * delivery stage, to the roles that deliver it, and to the plan. The stages, the access stacks and
 * the plan iterate the registry (`kinds/index.ts`); nothing outside a kind's folder asks which kind
 * it is.
 */
export interface WorkloadKind<
  WorkloadStack extends WatchedWorkloadStack = WatchedWorkloadStack,
  PipelineStack extends Stack = Stack,
> {
  /** The registry key, as `@ias/targets`' `WORKLOAD_KINDS` has it. */
  readonly id: WorkloadKindId;
  /** Where the project configuration lists its workloads. */
  readonly workloadsKey: keyof Workloads;
  /** Its workloads in the project configuration. */
  definitions(workloads: Workloads): readonly WorkloadDefinition[];

  /**
   * The environment stack whose resources the kind's stacks name or read, and after which they
   * are built and deployed: `deployment` (hooks, deployment configuration) or `configuration`
   * (the parameters they read).
   */
  readonly after: 'deployment' | 'configuration';
  /** The ECR repositories the foundation stack holds for these workloads. @default - none */
  imageRepositories(workloads: Workloads): readonly string[];
  /** The SSM parameters the config stack holds for these workloads, by path under the environment's. */
  parameters(workloads: Workloads, naming: Naming): Record<string, ConfigParameter>;
  /** Adds one stack per workload to an environment's stage, by workload name. */
  addStacks(stage: Stage, workloads: Workloads, env: WorkloadEnvironment): ReadonlyMap<string, WorkloadStack>;

  /**
   * Whether each workload has a pipeline of its own ({@link addPipelines}); false for a kind that
   * another kind's pipeline delivers (a Kubernetes application, by its service's). @default true
   */
  readonly ownPipelines?: boolean;
  /** Adds one pipeline stack per workload to the delivery stage, by workload name. */
  addPipelines(
    stage: Stage,
    workloads: Workloads,
    context: PipelineContext,
  ): ReadonlyMap<string, PipelineStack>;

  /** Its grants on the delivery role of an environment in another account than the pipelines. */
  deliveryAccess(
    stack: Stack,
    env: EnvironmentConfig,
    workloads: Workloads,
    toolingAccount: string,
  ): DeliveryAccessGrants;
  /** Its grants on GitHub Actions' deploy role of one environment. */
  githubDeploy(stack: Stack, env: EnvironmentConfig, workloads: Workloads): GithubDeployGrants;

  /**
   * Files synth writes beside the assembly for review, by path under it (a Kubernetes application's
   * manifests and deploy file under `k8s/<env>/`). @default - none
   */
  reviewFiles?(env: EnvironmentConfig, workloads: Workloads): readonly { path: string; text: string }[];

  /** Its lines in an environment's section of the plan. */
  planLines(env: EnvironmentConfig, workloads: Workloads): readonly string[];
  /** How its pipelines deploy to an environment, in the plan's words. */
  planDeployWords(env: EnvironmentConfig): string;
}

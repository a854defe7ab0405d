import type { TargetEnvironment } from '../environment';
import { FUNCTION_MANIFEST_FILE, FUNCTIONS_FOLDER, functionStackId, functionTarget } from './function/target';
import { SERVICE_MANIFEST_FILE, SERVICES_FOLDER, serviceStackId, serviceTarget } from './service/target';
import {
  KUBERNETES_FOLDER,
  KUBERNETES_MANIFEST_FILE,
  kubernetesStackId,
  kubernetesTarget,
} from './kubernetes/target';
import { EC2_FOLDER, EC2_MANIFEST_FILE, ec2StackId, ec2Target } from './ec2/target';

/**
 * A kind of workload as names see it: where its folders live, which file makes a folder one, and
 * how its stack and per-environment target are named. Each layer (infra, delivery, ops) keeps its
 * own registry of what it does with a kind, keyed by the same {@link WorkloadKindId}.
 */
export interface WorkloadKindNames<Definition, Target> {
  /** The registry key, also the word the plan and the CLI use. */
  readonly id: WorkloadKindId;
  /** The folder under the repository root holding one folder per workload, e.g. `app/functions`. */
  readonly folder: string;
  /** The manifest that makes a folder a workload of this kind, e.g. `function.json`. */
  readonly manifestFile: string;
  /** The construct id of a workload's stack in its environment's stage. */
  readonly stackId: (name: string) => string;
  /** Everything the pipelines and the CLI need to know of one workload in one environment. */
  readonly target: (env: TargetEnvironment, definition: Definition, toolingAccount?: string) => Target;
}

/** The kinds of workload the platform delivers. */
export const WORKLOAD_KIND_IDS = ['function', 'service', 'kubernetes', 'ec2'] as const;

/** One kind of workload. */
export type WorkloadKindId = (typeof WORKLOAD_KIND_IDS)[number];

/** Lambda functions: `app/functions/<name>/function.json`, shifted by CodeDeploy on the alias `live`. */
export const FUNCTION_KIND = {
  id: 'function',
  folder: FUNCTIONS_FOLDER,
  manifestFile: FUNCTION_MANIFEST_FILE,
  stackId: functionStackId,
  target: functionTarget,
} as const satisfies WorkloadKindNames<
  Parameters<typeof functionTarget>[1],
  ReturnType<typeof functionTarget>
>;

/** Container services on Amazon ECS: `app/services/<name>/service.json`, behind a load balancer. */
export const SERVICE_KIND = {
  id: 'service',
  folder: SERVICES_FOLDER,
  manifestFile: SERVICE_MANIFEST_FILE,
  stackId: serviceStackId,
  target: serviceTarget,
} as const satisfies WorkloadKindNames<Parameters<typeof serviceTarget>[1], ReturnType<typeof serviceTarget>>;

/**
 * Kubernetes applications on the environment's EKS cluster: `app/services/<name>/kubernetes.json`
 * beside the service's `service.json`, running the image the service's build makes.
 */
export const KUBERNETES_KIND = {
  id: 'kubernetes',
  folder: KUBERNETES_FOLDER,
  manifestFile: KUBERNETES_MANIFEST_FILE,
  stackId: kubernetesStackId,
  target: kubernetesTarget,
} as const satisfies WorkloadKindNames<
  Parameters<typeof kubernetesTarget>[1],
  ReturnType<typeof kubernetesTarget>
>;

/**
 * EC2 applications in an Auto Scaling group: `app/services/<name>/ec2.json` beside the service's
 * `service.json`, running the bundle the service's build makes, deployed by CodeDeploy's agent.
 */
export const EC2_KIND = {
  id: 'ec2',
  folder: EC2_FOLDER,
  manifestFile: EC2_MANIFEST_FILE,
  stackId: ec2StackId,
  target: ec2Target,
} as const satisfies WorkloadKindNames<Parameters<typeof ec2Target>[1], ReturnType<typeof ec2Target>>;

/** Every kind, by id: a new kind is one line here and one folder under `kinds/`. */
export const WORKLOAD_KINDS = {
  function: FUNCTION_KIND,
  service: SERVICE_KIND,
  kubernetes: KUBERNETES_KIND,
  ec2: EC2_KIND,
} as const satisfies Record<WorkloadKindId, { readonly id: WorkloadKindId }>;

import type { ProjectConfig } from '@ias/infra/config';
import {
  ec2Target,
  functionTarget,
  kubernetesTarget,
  Naming,
  pipelineNames,
  SERVICE_STRATEGIES,
  serviceTarget,
  trafficHookNames,
  canaryWatcherNames,
} from '@ias/targets';
import type { AssemblyModel, CfnResource, StackModel, StageModel } from './assembly';
import type { CheckName } from './check';
import { instancesWorkload } from './instances';
import { KUBERNETES_DEPLOY, kubernetesWorkloads } from './kubernetes';
import { knownParameterValue, resolve, resolveString, UnresolvableError, type ResolveScope } from './resolve';

/**
 * What runs: a Lambda function, an ECS task, a CodeBuild project, a Kubernetes application's pods, or
 * the EC2 instances a launch template starts.
 */
export type WorkloadKind = 'function' | 'task' | 'build' | 'pods' | 'instances';

/** The role each kind's code acts as (its label among the workload's roles). */
export const CODE_ROLE: Readonly<Record<WorkloadKind, string>> = {
  function: 'role',
  task: 'task role',
  build: 'service role',
  pods: 'pod role',
  instances: 'instance role',
};

/** Something found wrong while reading a workload from the assembly, reported as its finding. */
export interface WorkloadProblem {
  readonly check: CheckName;
  /** What would fail at run time. */
  readonly fails: string;
  /** What is missing. */
  readonly missing: string;
}

/** A secret a CSI driver mounts as a file in the workload's containers. */
export interface MountedSecret {
  /** The secret's ARN. */
  readonly secret: string;
  /** Whether the file follows the secret's new versions (else it keeps what was read at start). */
  readonly refreshed: boolean;
}

/** A connection the workload opens besides those to AWS APIs and to its database. */
export interface WorkloadConnection {
  /** What it connects to, in a finding's words (`the Kubernetes API of ias-dev-eks`). */
  readonly name: string;
  /** The security groups of what it connects to. */
  readonly groups: readonly string[];
  readonly port: number;
}

/** An identity a workload acts as. */
export interface WorkloadRole {
  /** What the role is to the workload: `role`, `task role`, `execution role`, `service role`. */
  readonly label: string;
  /** The role's ARN, resolved. */
  readonly arn: string;
  /** The role's name. */
  readonly name: string;
}

/** Where a workload runs in a VPC: its security groups and subnets, resolved. */
export interface WorkloadNetwork {
  readonly securityGroups: readonly string[];
  readonly subnets: readonly string[];
}

/** One workload found in the assembly, with everything the checks read of it. */
export interface Workload {
  /** Its physical name (function, task family, project), how findings name it. */
  readonly name: string;
  readonly kind: WorkloadKind;
  /** The recordings its code's calls are in (`wiring/calls/*.json`), by workload id: the first names its contract. */
  readonly recordings: readonly string[];
  readonly stage: StageModel;
  readonly scope: ResolveScope;
  readonly logicalId: string;
  readonly resource: CfnResource;
  readonly roles: readonly WorkloadRole[];
  /** Its environment variables; a value injected from a secret or parameter is `<from VALUEFROM>`. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Variables injected from Secrets Manager or SSM, by name: where from (ECS `Secrets`: the secret's
   * or parameter's ARN; an EC2 instance's `NAME=ssm:<parameter>` settings: the parameter's name).
   */
  readonly injected: Readonly<Record<string, string>>;
  /** Secrets mounted as files (a Kubernetes application's database login), by path. @default - none */
  readonly mounted?: Readonly<Record<string, MountedSecret>>;
  readonly network?: WorkloadNetwork;
  /** Connections it opens besides those to AWS APIs and its database. @default - none */
  readonly connects?: readonly WorkloadConnection[];
  /**
   * Where its settings come from besides its environment, when the check reads them (the deploy file
   * of a Kubernetes deploy project's source): its configuration is checked even without a schema.
   * @default - its environment only
   */
  readonly settingsFrom?: string;
  /** What reading it from the assembly found wrong. @default - nothing */
  readonly problems?: readonly WorkloadProblem[];
}

/**
 * Which recording each named workload runs, from the same naming module the infrastructure uses:
 * a rename in one place renames here too.
 */
export function workloadRegistry(project: ProjectConfig): Map<string, string[]> {
  const registry = new Map<string, string[]>();
  for (const env of project.environments) {
    const naming = new Naming(env.prefix, env.name);
    for (const fn of project.functions ?? []) {
      registry.set(functionTarget(env, fn).functionName, [`fn:${fn.name}`]);
    }
    const hooks = trafficHookNames(naming);
    registry.set(hooks.preTraffic, ['delivery:traffic-hook']);
    registry.set(hooks.postTraffic, ['delivery:traffic-hook']);
    registry.set(naming.name('db-roles'), ['platform:db-roles']);
    registry.set(canaryWatcherNames(naming).function, ['delivery:canary-watcher']);
    for (const svc of project.services ?? []) {
      const target = serviceTarget(env, svc);
      registry.set(target.serviceName, [`svc:${svc.name}`]);
      // CodeDeploy's ECS hook reports back to CodeDeploy; Amazon ECS's own hook only answers ECS.
      const hookedBy =
        SERVICE_STRATEGIES[target.strategy].controller === 'CODE_DEPLOY' ? 'codedeploy' : 'ecs';
      registry.set(target.greenCheck, [`delivery:green-check:${hookedBy}`]);
      if (target.canaryGate !== undefined) {
        registry.set(target.canaryGate, [`delivery:canary-gate:${hookedBy}`]);
      }
    }
    // Its pods are found through it: the deploy file of its source says what they run.
    for (const app of project.kubernetes ?? []) {
      registry.set(kubernetesTarget(env, app).deployProject, [KUBERNETES_DEPLOY]);
    }
    for (const app of project.ec2 ?? []) {
      const target = ec2Target(env, app);
      // The instances run the service's bundle (its contract: settings schema, database client),
      // and the revision's hooks.
      registry.set(target.launchTemplateName, [`svc:${app.name}`, `ec2:${app.name}`]);
      // The blue/green group's custom resource.
      registry.set(target.groupResourceFunction, [EC2_DEPLOYMENT_GROUP]);
    }
  }
  for (const fn of project.functions ?? []) {
    const names = pipelineNames(project.prefix, fn.name);
    registry.set(names.steps, ['delivery:pipeline-step:lambda']);
    registry.set(names.build, ['build:lambda-build']);
    // The check project logs in to CodeArtifact (its buildspec), then runs check-function.ts.
    registry.set(names.check, ['build:lambda-check', 'build:check-function']);
  }
  for (const svc of project.services ?? []) {
    const names = pipelineNames(project.prefix, svc.name);
    registry.set(names.steps, ['delivery:pipeline-step:service']);
    registry.set(names.build, ['build:service-build']);
  }
  return registry;
}

/** The recording of an EC2 application's blue/green deployment group's custom resource. */
export const EC2_DEPLOYMENT_GROUP = 'delivery:ec2-deployment-group';

/**
 * aws-cdk-lib's own provider functions (auto-deleting objects, restricting the default security
 * group, the log-retention helper, AwsCustomResource's single function — which makes the one call
 * its resource names, here StartCanary, granted by the statement given with it): CDK's code, not
 * ours, and granted by CDK for what it does.
 */
const CDK_HELPER =
  /^Custom[A-Za-z0-9]*(CustomResourceProvider|Provider)Handler|^LogRetention[0-9A-F]{8}|^AWS679f53fac002430cb0da5b7982bd2287/;

/**
 * The recording of a CodeBuild project whose buildspec is in the template itself (CDK Pipelines'
 * synth, diff, self-mutation and asset projects, which have no names): its `aws …` commands,
 * read from the synthesized buildspec when the check runs.
 */
export const INLINE_BUILDSPEC = 'build:inline-buildspec';

/** The infrastructure pipeline's projects, which CDK Pipelines creates without names. */
/**
 * The handler of aws-cdk-lib's custom-resource provider framework: CDK's code, which only invokes
 * our handler (checked as a workload of its own) and answers CloudFormation.
 */
const CDK_PROVIDER_FRAMEWORK = 'framework.onEvent';

function unnamedProject(resource: CfnResource): string | undefined {
  const source = resource.Properties?.Source as { BuildSpec?: unknown } | undefined;
  return resource.Type === 'AWS::CodeBuild::Project' &&
    resource.Properties?.Name === undefined &&
    source?.BuildSpec
    ? INLINE_BUILDSPEC
    : undefined;
}

function roleOf(scope: ResolveScope, label: string, arnValue: unknown): WorkloadRole | undefined {
  if (arnValue === undefined) {
    return undefined;
  }
  const arn = resolveString(scope, arnValue);
  const name = arn.split('/').pop() ?? arn;
  return { label, arn, name };
}

/** What each kind's reader gives; the stage, scope and resource are common to all. */
export type WorkloadSpecifics = Pick<
  Workload,
  'kind' | 'roles' | 'environment' | 'injected' | 'network' | 'problems'
>;

/** A VPC placement: the security groups and subnets, resolved. */
function placement(scope: ResolveScope, groups: unknown, subnets: unknown): WorkloadNetwork {
  return { securityGroups: strings(scope, groups), subnets: strings(scope, subnets) };
}

function strings(scope: ResolveScope, value: unknown): string[] {
  const resolved = resolve(scope, value ?? []);
  return Array.isArray(resolved) ? resolved.map(String) : [String(resolved)];
}

function functionWorkload(scope: ResolveScope, resource: CfnResource): WorkloadSpecifics {
  const props = resource.Properties ?? {};
  const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const environment = Object.fromEntries(
    Object.entries(variables).map(([k, v]) => [k, resolveString(scope, v)]),
  );
  const vpc = props.VpcConfig as { SecurityGroupIds?: unknown; SubnetIds?: unknown } | undefined;
  return {
    kind: 'function',
    roles: [roleOf(scope, 'role', props.Role)].filter((r): r is WorkloadRole => r !== undefined),
    environment,
    injected: {},
    network: vpc && placement(scope, vpc.SecurityGroupIds, vpc.SubnetIds),
  };
}

interface ContainerDefinition {
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
}

function taskWorkload(scope: ResolveScope, resource: CfnResource, logicalId: string): WorkloadSpecifics {
  const props = resource.Properties ?? {};
  const containers = (props.ContainerDefinitions ?? []) as ContainerDefinition[];
  const environment: Record<string, string> = {};
  const injected: Record<string, string> = {};
  for (const container of containers) {
    for (const { Name, Value } of container.Environment ?? []) {
      environment[Name] = resolveString(scope, Value);
    }
    for (const { Name, ValueFrom } of container.Secrets ?? []) {
      const from = resolveString(scope, ValueFrom);
      injected[Name] = from;
      // A parameter the assembly creates has a value the check knows; a secret's stays unknown.
      const parameter = /:parameter(\/.+)$/.exec(from)?.[1];
      environment[Name] = (parameter && knownParameterValue(scope, parameter)) ?? `<from ${from}>`;
    }
  }
  // The service that runs this task definition gives the network placement.
  // (by reference, or by family: a CODE_DEPLOY service names the family, CodeDeploy the revision).
  const family = props.Family === undefined ? undefined : resolveString(scope, props.Family);
  const service = Object.values(scope.stack.template.Resources ?? {}).find(
    (r) =>
      r.Type === 'AWS::ECS::Service' &&
      (JSON.stringify(r.Properties?.TaskDefinition) === JSON.stringify({ Ref: logicalId }) ||
        (family !== undefined && resolve(scope, r.Properties?.TaskDefinition) === family)),
  );
  const awsvpc = (
    service?.Properties?.NetworkConfiguration as
      { AwsvpcConfiguration?: { SecurityGroups?: unknown; Subnets?: unknown } } | undefined
  )?.AwsvpcConfiguration;
  return {
    kind: 'task',
    roles: [
      roleOf(scope, 'task role', props.TaskRoleArn),
      roleOf(scope, 'execution role', props.ExecutionRoleArn),
    ].filter((r): r is WorkloadRole => r !== undefined),
    environment,
    injected,
    network: awsvpc && placement(scope, awsvpc.SecurityGroups, awsvpc.Subnets),
  };
}

function buildWorkload(scope: ResolveScope, resource: CfnResource): WorkloadSpecifics {
  const props = resource.Properties ?? {};
  const variables = ((props.Environment as { EnvironmentVariables?: { Name: string; Value: unknown }[] })
    ?.EnvironmentVariables ?? []) as { Name: string; Value: unknown }[];
  const vpc = props.VpcConfig as { SecurityGroupIds?: unknown; Subnets?: unknown } | undefined;
  return {
    kind: 'build',
    roles: [roleOf(scope, 'service role', props.ServiceRole)].filter(
      (r): r is WorkloadRole => r !== undefined,
    ),
    environment: Object.fromEntries(variables.map(({ Name, Value }) => [Name, resolveString(scope, Value)])),
    injected: {},
    network: vpc && placement(scope, vpc.SecurityGroupIds, vpc.Subnets),
  };
}

/** Each workload's resource type, the property that names it, and its reader. */
const READERS: Readonly<
  Record<
    string,
    {
      readonly name: string;
      readonly read: (scope: ResolveScope, resource: CfnResource, logicalId: string) => WorkloadSpecifics;
    }
  >
> = {
  'AWS::Lambda::Function': { name: 'FunctionName', read: functionWorkload },
  'AWS::ECS::TaskDefinition': { name: 'Family', read: taskWorkload },
  'AWS::CodeBuild::Project': { name: 'Name', read: buildWorkload },
  'AWS::EC2::LaunchTemplate': { name: 'LaunchTemplateName', read: instancesWorkload },
};

/** A workload the assembly holds that no recording covers: a finding of its own. */
export interface UnknownWorkload {
  readonly stage: StageModel;
  readonly name: string;
  readonly type: string;
}

/** Every workload of every stage, and those the registry does not know. */
export function findWorkloads(
  assembly: AssemblyModel,
  registry: ReadonlyMap<string, readonly string[]>,
): { workloads: Workload[]; unknown: UnknownWorkload[] } {
  const workloads: Workload[] = [];
  const unknown: UnknownWorkload[] = [];
  for (const stage of assembly.stages) {
    for (const stack of stage.stacks) {
      collect(assembly, stage, stack, registry, workloads, unknown);
    }
  }
  return { workloads, unknown };
}

function collect(
  assembly: AssemblyModel,
  stage: StageModel,
  stack: StackModel,
  registry: ReadonlyMap<string, readonly string[]>,
  workloads: Workload[],
  unknown: UnknownWorkload[],
): void {
  const scope: ResolveScope = { assembly, stack };
  for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
    const make = READERS[resource.Type]?.read;
    if (!make || CDK_HELPER.test(logicalId) || resource.Properties?.Handler === CDK_PROVIDER_FRAMEWORK) {
      continue;
    }
    const rawName = resource.Properties?.[READERS[resource.Type]?.name ?? 'Name'];
    const name = rawName === undefined ? `${stack.stackName}/${logicalId}` : resolveString(scope, rawName);
    const known = registry.get(name);
    const pipelineProject = unnamedProject(resource);
    const recordings = known ?? (pipelineProject ? [pipelineProject] : undefined);
    if (!recordings) {
      unknown.push({ stage, name, type: resource.Type });
      continue;
    }
    try {
      const workload: Workload = {
        name,
        recordings,
        stage,
        scope,
        logicalId,
        resource,
        ...make(scope, resource, logicalId),
      };
      if (recordings[0] === KUBERNETES_DEPLOY) {
        const { project, pods } = kubernetesWorkloads(workload);
        workloads.push(project, ...(pods ? [pods] : []));
      } else {
        workloads.push(workload);
      }
    } catch (err) {
      if (err instanceof UnresolvableError) {
        unknown.push({ stage, name: `${name} (${err.message})`, type: resource.Type });
        continue;
      }
      throw err;
    }
  }
}

import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { AssemblyModel } from './assembly';
import { attribute, encryptionKeyOf, reference, resourcesOfType, secretArnBase } from './facts';
import { identityPolicies, resourcePolicy, type NamedPolicy, type PolicyDocument } from './policies';
import type { ExpandedCall } from './recordings';
import { resolve, resolveString } from './resolve';
import type { Workload, WorkloadRole } from './workloads';

/** One permission a workload needs at run time. */
export interface Need {
  /**
   * Which of the workload's roles makes the call (`role`, `task role`, `execution role`, …), or the
   * ARN of another role whose credentials it uses (an assumed role, a proxy's, CodePipeline's).
   */
  readonly role: string;
  /** `service:Action`. */
  readonly action: string;
  readonly resource: string;
  /** Condition keys the request carries (kms:ViaService, iam:PassedToService). */
  readonly context?: Readonly<Record<string, string>>;
  /** Why it is needed, in a finding's words: the call its code makes, or what the runtime does. */
  readonly why: string;
}

/** The service a passed role goes to, for `iam:PassedToService`. */
const PASSED_TO: Readonly<Record<string, string>> = {
  ecs: 'ecs-tasks.amazonaws.com',
  cloudformation: 'cloudformation.amazonaws.com',
  lambda: 'lambda.amazonaws.com',
  codedeploy: 'codedeploy.amazonaws.com',
};

/** Condition keys AWS sets on a request whatever its input (CodeArtifact's bearer token). */
const REQUEST_CONTEXT: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'sts:GetServiceBearerToken': { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' },
};

/** What a call on a KMS-encrypted resource needs of the key, by the call's verb. */
function keyActions(action: string): string[] {
  const verb = action.split(':')[1] ?? '';
  if (/^(Put|Send|Create|Update|BatchWrite|Upload|CompleteMultipart)/.test(verb)) {
    return ['kms:GenerateDataKey', 'kms:Decrypt'];
  }
  return ['kms:Decrypt'];
}

/**
 * What using a resource under a customer managed key needs of that key, through the resource's
 * service (`kms:ViaService`); nothing when the assembly encrypts it with no customer key.
 */
export function keyNeeds(
  assembly: AssemblyModel,
  resource: string,
  role: string,
  actions: readonly string[],
  why: string,
): Need[] {
  const encrypted = encryptionKeyOf(assembly, resource);
  return encrypted
    ? actions.map((action) => ({
        role,
        action,
        resource: encrypted.key,
        context: { 'kms:ViaService': encrypted.via },
        why,
      }))
    : [];
}

/** The permissions the code's recorded calls need: each call, its key use and the roles it passes. */
export function callNeeds(assembly: AssemblyModel, calls: readonly ExpandedCall[], ownRole: string): Need[] {
  const needs: Need[] = [];
  for (const call of calls) {
    const role = call.principal ?? ownRole;
    const why = call.principal
      ? `its code calls ${call.action} as ${call.principal}`
      : `its code calls ${call.action}`;
    for (const resource of call.resources) {
      needs.push({ role, action: call.action, resource, context: REQUEST_CONTEXT[call.action], why });
      if (resource !== '*') {
        needs.push(
          ...keyNeeds(
            assembly,
            resource,
            role,
            keyActions(call.action),
            `its code calls ${call.action} on ${resource}, encrypted with that key`,
          ),
        );
      }
    }
    for (const passed of call.passRoles) {
      const to = PASSED_TO[call.action.split(':')[0] ?? ''];
      needs.push({
        role,
        action: 'iam:PassRole',
        resource: passed,
        context: to ? { 'iam:PassedToService': to } : undefined,
        why: `its code hands the role on in ${call.action}`,
      });
    }
  }
  return needs;
}

/** What the Lambda runtime does with the function's role: logs, VPC interfaces, queue polling. */
export function functionRuntimeNeeds(workload: Workload): Need[] {
  const { assembly } = workload.scope;
  const props = workload.resource.Properties ?? {};
  const needs: Need[] = [];
  const logging = resolve(workload.scope, props.LoggingConfig) as { LogGroup?: string } | undefined;
  const { partition, region, account } = workload.scope.stack;
  const logGroup = logging?.LogGroup ?? `/aws/lambda/${workload.name}`;
  for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
    needs.push({
      role: 'role',
      action,
      resource: `arn:${partition}:logs:${region}:${account}:log-group:${logGroup}:log-stream:stand-in`,
      why: `Lambda writes its logs to ${logGroup}`,
    });
  }
  if (workload.network) {
    needs.push({
      role: 'role',
      action: 'ec2:CreateNetworkInterface',
      resource: '*',
      why: 'Lambda attaches the function to its VPC with its role',
    });
  }
  const functionArn = `arn:${partition}:lambda:${region}:${account}:function:${workload.name}`;
  for (const mapping of resourcesOfType(assembly, 'AWS::Lambda::EventSourceMapping', workload.stage.stacks)) {
    const target = resolveString(mapping.scope, mapping.resource.Properties?.FunctionName);
    if (target !== workload.name && target !== functionArn && !target.startsWith(`${functionArn}:`)) {
      continue;
    }
    const source = resolveString(mapping.scope, mapping.resource.Properties?.EventSourceArn);
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) {
      needs.push({ role: 'role', action, resource: source, why: `Lambda polls ${source} for it` });
    }
    needs.push(
      ...keyNeeds(
        assembly,
        source,
        'role',
        ['kms:Decrypt'],
        `Lambda reads ${source}, encrypted with that key`,
      ),
    );
  }
  return needs;
}

/** What Amazon ECS does with the task's execution role: pull the image, write logs, inject secrets. */
export function taskRuntimeNeeds(workload: Workload): Need[] {
  const { assembly } = workload.scope;
  const needs: Need[] = [];
  const { partition, region, account } = workload.scope.stack;
  const containers = resolve(workload.scope, workload.resource.Properties?.ContainerDefinitions ?? []) as {
    Image?: string;
    LogConfiguration?: { LogDriver?: string; Options?: Record<string, string> };
  }[];
  // Before its first delivery the image is `none`: the pipeline pushes to the repository named
  // like the service (the task family), so that is the one the tasks will pull from.
  const ownRepository = resourcesOfType(assembly, 'AWS::ECR::Repository', workload.stage.stacks).find(
    (r) => reference(r) === workload.name,
  );
  for (const container of containers) {
    const uri = container.Image?.includes('.dkr.ecr.')
      ? container.Image
      : ownRepository
        ? attribute(ownRepository, 'RepositoryUri')
        : '';
    const image = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/.exec(uri);
    if (image) {
      const repository = `arn:${partition}:ecr:${image[2]}:${image[1]}:repository/${image[3]}`;
      needs.push({
        role: 'execution role',
        action: 'ecr:GetAuthorizationToken',
        resource: '*',
        why: 'ECS pulls the image from ECR',
      });
      for (const action of ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']) {
        needs.push({
          role: 'execution role',
          action,
          resource: repository,
          why: `ECS pulls the image from ${image[3]}`,
        });
      }
    }
    const group =
      container.LogConfiguration?.LogDriver === 'awslogs'
        ? container.LogConfiguration.Options?.['awslogs-group']
        : undefined;
    if (group) {
      for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
        needs.push({
          role: 'execution role',
          action,
          resource: `arn:${partition}:logs:${region}:${account}:log-group:${group}:log-stream:stand-in`,
          why: `ECS writes the container's logs to ${group}`,
        });
      }
    }
  }
  for (const [variable, from] of Object.entries(workload.injected)) {
    if (from.includes(':secretsmanager:')) {
      const secret = secretArnBase(from);
      needs.push({
        role: 'execution role',
        action: 'secretsmanager:GetSecretValue',
        resource: secret,
        why: `ECS injects ${variable} from the secret`,
      });
      needs.push(
        ...keyNeeds(
          assembly,
          secret,
          'execution role',
          ['kms:Decrypt'],
          `ECS injects ${variable} from a secret encrypted with that key`,
        ),
      );
    } else {
      const parameter = from.startsWith('arn:')
        ? from
        : `arn:${partition}:ssm:${region}:${account}:parameter${from.startsWith('/') ? '' : '/'}${from}`;
      needs.push({
        role: 'execution role',
        action: 'ssm:GetParameters',
        resource: parameter,
        why: `ECS injects ${variable} from the parameter`,
      });
    }
  }
  return needs;
}

/**
 * What the secrets store CSI driver's AWS provider does as a Kubernetes application's pods (their
 * Pod Identity role): read each mounted secret, and decrypt it through Secrets Manager.
 */
export function podRuntimeNeeds(workload: Workload): Need[] {
  const { assembly } = workload.scope;
  return Object.entries(workload.mounted ?? {}).flatMap(([path, { secret }]) => [
    {
      role: 'pod role',
      action: 'secretsmanager:GetSecretValue',
      resource: secret,
      why: `the secrets provider mounts ${path} from the secret as its pods`,
    },
    ...keyNeeds(
      assembly,
      secret,
      'pod role',
      ['kms:Decrypt'],
      `the secrets provider mounts ${path} from a secret encrypted with that key`,
    ),
  ]);
}

/** A need the policies do not grant. */
export interface Denial {
  readonly need: Need;
  readonly role?: WorkloadRole;
  /** `ImplicitlyDenied`, `ExplicitlyDenied`, or why the simulation could not run. */
  readonly result: string;
}

/** Evaluates needs with a real IAM policy evaluator against the role's and the resource's policies. */
export async function evaluate(workload: Workload, needs: readonly Need[]): Promise<Denial[]> {
  const { assembly } = workload.scope;
  const cache = new Map<string, NamedPolicy[]>();
  const denials: Denial[] = [];
  const seen = new Set<string>();
  for (const need of needs) {
    const key = `${need.role} ${need.action} ${need.resource} ${JSON.stringify(need.context ?? {})}`;
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    const role = need.role.startsWith('arn:')
      ? { label: 'role', arn: need.role, name: need.role.split('/').pop() ?? need.role }
      : workload.roles.find((r) => r.label === need.role);
    if (!role) {
      denials.push({ need, result: `the workload has no ${need.role}` });
      continue;
    }
    let policies = cache.get(role.arn);
    if (!policies) {
      policies = identityPolicies(assembly, role);
      cache.set(role.arn, policies);
    }
    const result = await simulate(assembly, role, policies, need, workload.scope.stack.account);
    if (result !== 'Allowed') {
      denials.push({ need, role, result });
    }
  }
  return denials;
}

async function simulate(
  assembly: AssemblyModel,
  role: WorkloadRole,
  policies: readonly NamedPolicy[],
  need: Need,
  account: string,
): Promise<string> {
  const resource = need.resource === '*' ? undefined : resourcePolicy(assembly, need.resource);
  return simulateRequest({
    identityPolicies: policies,
    resourcePolicy: resource?.policy,
    principal: role.arn,
    action: need.action,
    resource: need.resource,
    account,
    context: need.context,
  });
}

/** One request to evaluate: who asks for what, under which policies. */
export interface SimulatedRequest {
  readonly identityPolicies: readonly NamedPolicy[];
  readonly resourcePolicy?: PolicyDocument;
  /** The principal's ARN. */
  readonly principal: string;
  /** `service:Action`. */
  readonly action: string;
  readonly resource: string;
  /** The account of the principal, and of the resource when its ARN names none. */
  readonly account: string;
  readonly context?: Readonly<Record<string, string>>;
}

/**
 * Evaluates one request with `@cloud-copilot/iam-simulate` (over TLS, as every SDK call is):
 * `Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied`, or why it could not be evaluated.
 */
export async function simulateRequest(request: SimulatedRequest): Promise<string> {
  const response = await runSimulation(
    {
      identityPolicies: request.identityPolicies.map((p) => ({ name: p.name, policy: p.policy as never })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy as never,
      request: {
        action: request.action,
        principal: request.principal,
        resource: {
          accountId: resourceAccount(request.resource) ?? request.account,
          resource: request.resource,
        },
        contextVariables: { 'aws:SecureTransport': 'true', ...(request.context ?? {}) },
      },
    },
    {},
  );
  if (response.resultType === 'error') {
    return `not evaluable: ${JSON.stringify(response.errors).slice(0, 300)}`;
  }
  return response.overallResult;
}

function resourceAccount(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

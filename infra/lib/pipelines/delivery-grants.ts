import { ArnFormat, Aws, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ledgerTableName as ledgerTable } from '@ias/targets';
import type { Naming } from '@ias/targets';
import type { FunctionTarget, ServiceTarget } from '@ias/targets';

/**
 * What the delivery steps may do in an environment's account, as policy statements scoped to the
 * named functions and services: the same statements whether they go on a pipeline's own roles
 * (one account) or on the environment's delivery role that those roles assume (separate accounts).
 * Resources are formatted in `stack`'s account and region.
 */

/** The CDK bootstrap's qualifier and CloudFormation execution role in `stack`'s account and region. */
export function bootstrapOf(stack: Stack): { qualifier: string; execRoleArn: string } {
  const qualifier =
    (stack.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') as string | undefined) ?? 'hnb659fds';
  const execRoleArn = stack.formatArn({
    service: 'iam',
    region: '',
    resource: 'role',
    resourceName: `cdk-${qualifier}-cfn-exec-role-${stack.account}-${stack.region}`,
  });
  return { qualifier, execRoleArn };
}

function functionArn(stack: Stack, name: string): string {
  return stack.formatArn({
    service: 'lambda',
    resource: 'function',
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

function stackArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${name}/*` });
}

/** Passing the CDK bootstrap's execution role to CloudFormation, and nothing else. */
function passExecutionRole(stack: Stack): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [bootstrapOf(stack).execRoleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
  });
}

/** CheckLambdaFunction: look up each function, create its stack if missing (seed 003). */
export function functionCheckStatements(
  stack: Stack,
  targets: readonly FunctionTarget[],
): iam.PolicyStatement[] {
  const { qualifier } = bootstrapOf(stack);
  return [
    new iam.PolicyStatement({
      actions: ['lambda:GetFunction'],
      resources: targets.map((t) => functionArn(stack, t.functionName)),
    }),
    new iam.PolicyStatement({
      actions: [
        'cloudformation:DescribeStacks',
        'cloudformation:DescribeStackEvents',
        'cloudformation:CreateStack',
      ],
      resources: targets.map((t) => stackArn(stack, t.stackName)),
    }),
    passExecutionRole(stack),
    // The template's file assets (if any) must already be in the bootstrap bucket; it checks, read-only.
    new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [`arn:${Aws.PARTITION}:s3:::cdk-${qualifier}-assets-${stack.account}-${stack.region}/*`],
    }),
  ];
}

/** CreateAppSpecFile and Deploy: update, publish and deploy these functions, nothing else. */
export function functionStepStatements(
  stack: Stack,
  targets: readonly FunctionTarget[],
): iam.PolicyStatement[] {
  const codedeploy = (resource: string, names: string[]) =>
    names.map((resourceName) =>
      stack.formatArn({
        service: 'codedeploy',
        resource,
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
  return [
    new iam.PolicyStatement({
      actions: [
        'lambda:GetFunction',
        'lambda:GetFunctionConfiguration',
        'lambda:UpdateFunctionCode',
        'lambda:PublishVersion',
        'lambda:GetAlias',
      ],
      resources: targets.flatMap((t) => [
        functionArn(stack, t.functionName),
        `${functionArn(stack, t.functionName)}:${t.alias}`,
      ]),
    }),
    new iam.PolicyStatement({
      actions: ['codedeploy:CreateDeployment', 'codedeploy:GetDeployment'],
      resources: codedeploy(
        'deploymentgroup',
        targets.map((t) => `${t.application}/${t.deploymentGroup}`),
      ),
    }),
    // StopDeployment takes a deployment ID and no resource: IAM authorizes it on `*` only, so a
    // statement naming the deployment group would never let a timed-out deployment be stopped.
    // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html
    new iam.PolicyStatement({ actions: ['codedeploy:StopDeployment'], resources: ['*'] }),
    new iam.PolicyStatement({
      actions: ['codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision'],
      resources: codedeploy(
        'application',
        targets.map((t) => t.application),
      ),
    }),
    new iam.PolicyStatement({
      actions: ['codedeploy:GetDeploymentConfig'],
      resources: codedeploy('deploymentconfig', [...new Set(targets.map((t) => t.deploymentConfig))]),
    }),
  ];
}

/** EnsureService and RecordImage: these services' stacks and image parameters only. */
export function serviceStepStatements(
  stack: Stack,
  targets: readonly ServiceTarget[],
): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: [
        'cloudformation:DescribeStacks',
        'cloudformation:DescribeStackEvents',
        'cloudformation:UpdateStack',
      ],
      resources: targets.map((t) => stackArn(stack, t.stackName)),
    }),
    new iam.PolicyStatement({
      actions: ['ssm:GetParameter', 'ssm:PutParameter'],
      resources: targets.map((t) =>
        stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: t.imageParameter.slice(1) }),
      ),
    }),
    // UpdateStack keeps the stack's role (the CDK bootstrap's execution role), which it passes.
    passExecutionRole(stack),
  ];
}

/** CodePipeline's (or a workflow's) ECS and CodeDeploy-to-ECS deploys of these services. */
export function serviceDeployStatements(
  stack: Stack,
  targets: readonly ServiceTarget[],
): iam.PolicyStatement[] {
  const codedeploy = (resource: string, resourceName: string) =>
    stack.formatArn({
      service: 'codedeploy',
      resource,
      resourceName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  return [
    new iam.PolicyStatement({
      actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
      resources: targets.map((s) =>
        stack.formatArn({
          service: 'ecs',
          resource: 'service',
          resourceName: `${s.clusterName}/${s.serviceName}`,
        }),
      ),
    }),
    new iam.PolicyStatement({
      // Task definitions are registered before they have an ARN; AWS does not scope these.
      actions: [
        'ecs:RegisterTaskDefinition',
        'ecs:DescribeTaskDefinition',
        'ecs:DescribeTasks',
        'ecs:ListTasks',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: ['*'],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }),
    new iam.PolicyStatement({
      actions: [
        'codedeploy:CreateDeployment',
        'codedeploy:GetDeployment',
        'codedeploy:GetApplication',
        'codedeploy:GetApplicationRevision',
        'codedeploy:GetDeploymentGroup',
        'codedeploy:RegisterApplicationRevision',
        'codedeploy:GetDeploymentConfig',
      ],
      resources: [
        ...targets.flatMap((s) => [
          codedeploy('application', s.application),
          codedeploy('deploymentgroup', `${s.application}/${s.deploymentGroup}`),
        ]),
        ...[...new Set(targets.map((s) => s.deploymentConfig))].map((name) =>
          codedeploy('deploymentconfig', name),
        ),
      ],
    }),
  ];
}

/** The reason to give for the unscoped resources of {@link serviceDeployStatements}. */
export const SERVICE_DEPLOY_WILDCARD_REASON =
  'ecs:RegisterTaskDefinition/DescribeTaskDefinition/DescribeTasks/ListTasks (not scoped by AWS), iam:PassRole only to ecs-tasks.amazonaws.com, for the ECS deploys, and secretsmanager:ListSecrets for the release ledger (names and version IDs, never values)';

/** The ledger table of an environment (see `delivery/src/ledger.ts`). */
export function ledgerTableName(naming: Naming): string {
  return ledgerTable(naming.prefix, naming.env);
}

/**
 * Recording a release in an environment's ledger: read and append to its table (through the
 * environment key, by DynamoDB only), and read the versions of its parameters and secrets.
 */
export function ledgerStatements(stack: Stack, namings: readonly Naming[]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem'],
      resources: namings.map((n) =>
        stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: ledgerTableName(n) }),
      ),
    }),
    new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com` } },
    }),
    new iam.PolicyStatement({
      actions: ['ssm:GetParametersByPath'],
      resources: namings.flatMap((n) => [
        stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${n.prefix}/${n.env}` }),
        stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${n.prefix}/${n.env}/*` }),
      ]),
    }),
    // ListSecrets takes no resource; the ledger reads names and version IDs, never values.
    new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }),
  ];
}

/** The acknowledgements of {@link ledgerStatements}'s wildcards, for the role they go on. */
export function ledgerAcknowledgements(stack: Stack, namings: readonly Naming[], account: string) {
  return [
    {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:kms:${stack.region}:${account}:key/*]`,
      reason:
        "The environment key, through DynamoDB only (kms:ViaService), for its ledger table; the key's ID is not known here",
    },
    ...namings.map((n) => ({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:ssm:${stack.region}:${account}:parameter/${n.prefix}/${n.env}/*]`,
      reason: "Reading the versions of the environment's own parameters, for the release ledger",
    })),
  ];
}

import { ArnFormat, Aws, Duration, RemovalPolicy, Validations, type Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { LAMBDA_STRATEGIES, type FunctionTarget, type Naming, type trafficHookNames } from '@ias/targets';
import type { FunctionDefinition } from '../../config/functions';
import type { AlarmTopic } from '../../constructs/alarm-topic';
import { placement, SubnetGroup, VPC_NETWORK_INTERFACE_ACTIONS } from '../../constructs/network';
import { FunctionAlarms, type DeploymentAlarmThresholds } from './function-alarms';
import { FunctionDeployment } from './function-deployment';
import { FunctionTrigger } from './function-trigger';
import { bootstrapOf, codeDeployArn, passExecutionRole, stackArn } from '../../stacks/arns';

export type { DeploymentAlarmThresholds } from './function-alarms';

/**
 * The code every function starts with. The infrastructure never carries application code: this
 * bootstrap only says so when invoked, until the function's pipeline deploys the real bundle.
 * Being constant, it never changes the template, so re-deploying the infrastructure leaves the
 * deployed code (and the alias, which CodeDeploy moves) alone.
 */
export const BOOTSTRAP_CODE = `exports.handler = async () => {
  throw new Error('no application code deployed yet: run this function\\'s pipeline');
};
`;

/** Props of {@link DeliveredFunction}. */
export interface DeliveredFunctionProps {
  /** Names of the environment. */
  readonly naming: Naming;
  /** The function's folder and manifest. */
  readonly definition: FunctionDefinition;
  /** The VPC; the function runs in its private subnets. */
  readonly vpc: ec2.IVpc;
  /** The workloads' security group (reaches the database proxy and the database). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Settings passed as environment variables (no secret values: references only). */
  readonly environment: Readonly<Record<string, string>>;
  /** Key for the log group and the queues. */
  readonly encryptionKey: kms.IKey;
  /** Log retention. */
  readonly logRetention: logs.RetentionDays;
  /** Keep the log group, queues and bucket on `cdk destroy`. */
  readonly retainData: boolean;
  /** Where the alarms report. */
  readonly alarmTopic: AlarmTopic;
  /** How CodeDeploy shifts the alias. */
  readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  /** When CodeDeploy stops and rolls back. */
  readonly alarmThresholds: DeploymentAlarmThresholds;
  /** Where an S3-triggered function's bucket sends its access logs. */
  readonly accessLogBucket: s3.IBucket;
  /**
   * The environment's traffic hooks, by name: a function's stack can then be created on its own
   * (by its pipeline's CheckLambdaFunction step) without a reference into another stack.
   */
  readonly trafficHooks: ReturnType<typeof trafficHookNames>;
  /** The event the traffic hooks invoke a new version with (JSON; answered without side effects). */
  readonly smokeEvent: string;
}

/** A function of `stack`'s account and region, by name. */
function functionArn(stack: Stack, name: string): string {
  return stack.formatArn({
    service: 'lambda',
    resource: 'function',
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * One Lambda function as the infrastructure layer defines it (seed 003, seed 000): the function
 * on ARM64 in the private subnets, its log group, the alias `live` that every trigger invokes, its
 * trigger ({@link FunctionTrigger}: SQS queue with a dead-letter queue, or an S3 bucket whose object
 * events reach it through EventBridge), the alarms on the alias ({@link FunctionAlarms}), and the
 * CodeDeploy application and deployment group that shift the alias and roll back on failure or
 * alarm ({@link FunctionDeployment}).
 */
export class DeliveredFunction extends Construct {
  readonly function: lambda.Function;
  readonly alias: lambda.Alias;
  readonly logGroup: logs.LogGroup;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly application: codedeploy.LambdaApplication;
  readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  /** CodeDeploy's service role for this deployment group (seed 003 §5.1.3, narrowed). */
  readonly deployRole: iam.Role;
  /** The SSM parameter holding the smoke event. */
  readonly smokeEventParameter: ssm.StringParameter;
  /** The SQS trigger and its dead-letter queue, for SQS-triggered functions. */
  readonly queue?: sqs.Queue;
  readonly deadLetterQueue?: sqs.Queue;
  /** The bucket files are dropped in, for S3-triggered functions. */
  readonly bucket?: s3.Bucket;

  /** CheckLambdaFunction: look up each function, create its stack if missing (seed 003). */
  static checkStatements(stack: Stack, targets: readonly FunctionTarget[]): iam.PolicyStatement[] {
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

  /**
   * CreateAppSpecFile and Deploy: update, publish and deploy these functions, nothing else; the
   * CodeDeploy calls for the targets CodeDeploy shifts, the judged step's for the others
   * ({@link judgedDeployStatements}).
   */
  static deliverStatements(stack: Stack, targets: readonly FunctionTarget[]): iam.PolicyStatement[] {
    const controlled = (controller: string) =>
      targets.filter((t) => LAMBDA_STRATEGIES[t.strategy].controller === controller);
    return [
      ...DeliveredFunction.releaseStatements(stack, targets),
      ...DeliveredFunction.codeDeployStatements(stack, controlled('CODE_DEPLOY')),
      ...DeliveredFunction.judgedDeployStatements(stack, controlled('PIPELINE')),
    ];
  }

  /**
   * The judged-deploy step (and `ias-ops deploy lambda` under `judged`): move these functions' alias
   * itself, read both versions' metrics for the canary judge, and watch the functions' rollback alarms.
   */
  static judgedDeployStatements(stack: Stack, targets: readonly FunctionTarget[]): iam.PolicyStatement[] {
    if (targets.length === 0) {
      return [];
    }
    return [
      new iam.PolicyStatement({
        actions: ['lambda:GetAlias', 'lambda:UpdateAlias'],
        resources: targets.flatMap((t) => [
          functionArn(stack, t.functionName),
          `${functionArn(stack, t.functionName)}:${t.alias}`,
        ]),
      }),
      // GetMetricData has no resource-level permissions: IAM authorizes it on `*` only (it reads the
      // metrics of the two versions behind the alias, which the request names).
      // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
      new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
      new iam.PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms'],
        resources: targets.flatMap((t) =>
          t.alarms.map((name) =>
            stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: name,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ),
        ),
      }),
    ];
  }

  /** Why a role holding {@link deliverStatements} of these targets needs `Resource::*`, if it does. */
  static deliverWildcardReason(targets: readonly FunctionTarget[]): string | undefined {
    const actions = [
      ...(targets.some((t) => LAMBDA_STRATEGIES[t.strategy].controller === 'CODE_DEPLOY')
        ? ['codedeploy:StopDeployment (a deployment ID, no resource)']
        : []),
      ...(targets.some((t) => LAMBDA_STRATEGIES[t.strategy].controller === 'PIPELINE')
        ? ["cloudwatch:GetMetricData (a judged deployment's canary metrics; no resource-level permissions)"]
        : []),
    ];
    return actions.length > 0 ? `${actions.join(' and ')}, which AWS does not scope to resources` : undefined;
  }

  /** CreateAppSpecFile: update and publish these functions, and read their alias. */
  private static releaseStatements(stack: Stack, targets: readonly FunctionTarget[]): iam.PolicyStatement[] {
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
    ];
  }

  /** Deploy: CodeDeploy deployments of these functions' groups, followed, and stopped on the time-out. */
  private static codeDeployStatements(
    stack: Stack,
    targets: readonly FunctionTarget[],
  ): iam.PolicyStatement[] {
    if (targets.length === 0) {
      return [];
    }
    const codedeploy = (resource: Parameters<typeof codeDeployArn>[1], names: string[]) =>
      names.map((name) => codeDeployArn(stack, resource, name));
    return [
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

  /**
   * What `ias-ops deploy lambda` and `deployments stop` look up before they act, from a workflow: the
   * deployments in flight of each function's group (CodeDeploy authorizes ListDeployments on the group).
   */
  static inFlightStatements(stack: Stack, targets: readonly FunctionTarget[]): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ['codedeploy:ListDeployments'],
        resources: targets.map((t) =>
          codeDeployArn(stack, 'deploymentgroup', `${t.application}/${t.deploymentGroup}`),
        ),
      }),
    ];
  }

  constructor(scope: Construct, id: string, props: DeliveredFunctionProps) {
    super(scope, id);
    const { naming, definition } = props;
    const { manifest } = definition;
    const functionName = naming.name(definition.name);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });

    // The execution role, written out instead of the two AWS-managed policies Lambda would attach:
    // logs only to its own group; the network-interface and X-Ray actions AWS does not scope to
    // resources, so they are the only statements on `*`.
    const role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${functionName}: execution role`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // The group's ARN attribute ends in `:*`, which covers its streams.
        resources: [this.logGroup.logGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...VPC_NETWORK_INTERFACE_ACTIONS, 'xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        resources: ['*'],
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the VPC network-interface actions and X-Ray PutTraceSegments/PutTelemetryRecords, which AWS does not scope to resources',
    });

    this.function = new lambda.Function(this, 'Function', {
      role,
      functionName,
      description: manifest.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: manifest.handler,
      code: lambda.Code.fromInline(BOOTSTRAP_CODE),
      memorySize: manifest.memorySize,
      timeout: Duration.seconds(manifest.timeoutSeconds),
      vpc: props.vpc,
      ...placement(SubnetGroup.PRIVATE, props.securityGroup),
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: definition.name,
        POWERTOOLS_METRICS_NAMESPACE: naming.base,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });

    // Created once with a fixed ID: the alias starts here, then only CodeDeploy moves it.
    const bootstrap = new lambda.Version(this, 'BootstrapVersion', { lambda: this.function });
    this.alias = new lambda.Alias(this, 'Live', { aliasName: 'live', version: bootstrap });

    const trigger = new FunctionTrigger(this, {
      functionName,
      trigger: manifest.trigger,
      timeoutSeconds: manifest.timeoutSeconds,
      alias: this.alias,
      role,
      encryptionKey: props.encryptionKey,
      retainData: props.retainData,
      removalPolicy,
      accessLogBucket: props.accessLogBucket,
    });
    this.queue = trigger.queue;
    this.deadLetterQueue = trigger.deadLetterQueue;
    this.bucket = trigger.bucket;

    this.alarms = new FunctionAlarms(this, {
      functionName,
      alias: this.alias,
      timeoutSeconds: manifest.timeoutSeconds,
      thresholds: props.alarmThresholds,
      alarmTopic: props.alarmTopic,
    }).alarms;

    const deployment = new FunctionDeployment(this, {
      functionName,
      function: this.function,
      alias: this.alias,
      alarms: this.alarms,
      deploymentConfig: props.deploymentConfig,
      trafficHooks: props.trafficHooks,
      smokeEvent: props.smokeEvent,
    });
    this.application = deployment.application;
    this.deploymentGroup = deployment.deploymentGroup;
    this.deployRole = deployment.deployRole;
    this.smokeEventParameter = deployment.smokeEventParameter;
  }
}

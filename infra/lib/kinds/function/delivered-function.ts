import { codeDeployNames } from '@ias/targets';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { FunctionDefinition } from '../../config/functions';
import type { Naming } from '@ias/targets';
import type { AlarmTopic } from '../../constructs/alarm-topic';
import { SubnetGroup } from '../../constructs/network';
import { SecureBucket } from '../../constructs/secure-bucket';
import type { trafficHookNames } from '@ias/targets';
import { ackAccount } from '../../aspects/acknowledgements';

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

/** Alarm thresholds of a function's deployment. */
export interface DeploymentAlarmThresholds {
  /** Errors per minute on the alias. */
  readonly errorsPerMinute: number;
  /** Throttles per minute on the alias. */
  readonly throttlesPerMinute: number;
  /** p99 duration, as a percentage of the function's timeout. */
  readonly p99DurationPercentOfTimeout: number;
}

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

/**
 * One Lambda function as the infrastructure layer defines it (seed 003, seed 000): the function
 * on ARM64 in the private subnets, its log group, the alias `live` that every trigger invokes, its
 * trigger (SQS queue with a dead-letter queue, or an S3 bucket whose object events reach it through
 * EventBridge), the alarms on the alias, and the CodeDeploy application and deployment group that
 * shift the alias and roll back on failure or alarm.
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
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
        ],
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
      vpcSubnets: { subnetGroupName: SubnetGroup.PRIVATE },
      securityGroups: [props.securityGroup],
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

    const trigger = manifest.trigger;
    if (trigger.type === 'sqs') {
      this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
        queueName: `${functionName}-dlq`,
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: props.encryptionKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        removalPolicy,
      });
      Validations.of(this.deadLetterQueue).acknowledge({
        id: 'cdk-validator-cfnguard::sqs_dlq_check',
        reason:
          'This is the dead-letter queue of the trigger queue; a dead-letter queue of its own would only move failures again',
      });
      this.queue = new sqs.Queue(this, 'Queue', {
        queueName: functionName,
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: props.encryptionKey,
        enforceSSL: true,
        // AWS's advice for Lambda consumers: six times the function timeout.
        visibilityTimeout: Duration.seconds(manifest.timeoutSeconds * 6),
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: trigger.maxReceiveCount },
        removalPolicy,
      });
      this.alias.addEventSource(
        new SqsEventSource(this.queue, { batchSize: trigger.batchSize, reportBatchItemFailures: true }),
      );
    } else {
      this.bucket = new SecureBucket(this, 'Drops', {
        retainData: props.retainData,
        encryptionKey: props.encryptionKey,
        serverAccessLogsBucket: props.accessLogBucket,
        noncurrentVersionExpiration: Duration.days(30),
      }).bucket;
      const objects = this.bucket.arnForObjects(`${trigger.prefix}*`);
      role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }));
      this.bucket.encryptionKey?.grantDecrypt(role);
      Validations.of(role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${trigger.prefix}*]`,
        reason: 'Reads any object the trigger can name: the key wildcard is the dropped file',
      });
      new events.Rule(this, 'ObjectCreated', {
        description: `${functionName}: objects created under s3://<bucket>/${trigger.prefix}*${trigger.suffix}`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: {
            bucket: { name: [this.bucket.bucketName] },
            object: { key: events.Match.wildcard(`${trigger.prefix}*${trigger.suffix}`) },
          },
        },
        targets: [new targets.LambdaFunction(this.alias, { retryAttempts: 2 })],
      });
    }

    const thresholds = props.alarmThresholds;
    const minute = Duration.minutes(1);
    const alarm = (idSuffix: string, metric: cloudwatch.IMetric, threshold: number, what: string) =>
      props.alarmTopic.notify(
        new cloudwatch.Alarm(this, `${idSuffix}Alarm`, {
          alarmName: `${functionName}-${idSuffix.toLowerCase()}`,
          alarmDescription: `${functionName} (alias live): ${what}; stops and rolls back a deployment in progress`,
          metric,
          threshold,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    const p99Ms = Math.round((manifest.timeoutSeconds * 1000 * thresholds.p99DurationPercentOfTimeout) / 100);
    this.alarms = [
      alarm(
        'Errors',
        this.alias.metricErrors({ period: minute, statistic: 'Sum' }),
        thresholds.errorsPerMinute,
        `${thresholds.errorsPerMinute}+ errors in a minute`,
      ),
      alarm(
        'Throttles',
        this.alias.metricThrottles({ period: minute, statistic: 'Sum' }),
        thresholds.throttlesPerMinute,
        `${thresholds.throttlesPerMinute}+ throttles in a minute`,
      ),
      alarm(
        'Duration',
        this.alias.metricDuration({ period: minute, statistic: 'p99' }),
        p99Ms,
        `p99 duration of ${p99Ms} ms or more`,
      ),
    ];

    // Seed 003 §5.1.3's CodeDeploy service role, narrowed: instead of the AWS-managed
    // AWSCodeDeployRoleForLambdaLimited (alias updates on every function, SNS publish and S3 reads
    // everywhere), it moves this function's alias only, reads this function's alarms only and
    // invokes the environment's two traffic hooks only. Revisions are inline appspecs: no S3.
    const stack = Stack.of(this);
    const hookArn = (name: string) =>
      stack.formatArn({
        service: 'lambda',
        resource: 'function',
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    this.deployRole = new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      description: `${functionName}: CodeDeploy shifts the alias live (seed 003 §5.1.3)`,
    });
    this.deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:GetProvisionedConcurrencyConfig'],
        resources: [this.function.functionArn, this.alias.functionArn],
      }),
    );
    this.deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [hookArn(props.trafficHooks.preTraffic), hookArn(props.trafficHooks.postTraffic)],
      }),
    );
    this.deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms'],
        resources: this.alarms.map((a) => a.alarmArn),
      }),
    );

    // Seed 003: `${ProjectName}-app` and `${ProjectName}-group`.
    this.application = new codedeploy.LambdaApplication(this, 'Application', {
      applicationName: codeDeployNames(functionName).application,
    });
    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, 'DeploymentGroup', {
      application: this.application,
      deploymentGroupName: codeDeployNames(functionName).deploymentGroup,
      alias: this.alias,
      // Immutable view: aws-cdk-lib would attach AWSCodeDeployRoleForLambdaLimited to any role.
      role: this.deployRole.withoutPolicyUpdates(),
      deploymentConfig: props.deploymentConfig,
      alarms: [...this.alarms],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });

    // What the environment's traffic hooks may do for this function, granted from here so that a
    // function added later brings its own grants: invoke it (any version), read its smoke event,
    // read its alarms, and report hook results for its deployment group only.
    this.smokeEventParameter = new ssm.StringParameter(this, 'SmokeEvent', {
      parameterName: `${props.trafficHooks.smokeEventsPath}${functionName}`,
      description: `${functionName}: the event the traffic hooks invoke a new version with`,
      stringValue: props.smokeEvent,
    });
    const hooksRole = iam.Role.fromRoleName(this, 'TrafficHooksRole', props.trafficHooks.role);
    const hookAccess = new iam.Policy(this, 'TrafficHookAccess', {
      roles: [hooksRole],
      statements: [
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [this.function.functionArn, `${this.function.functionArn}:*`],
        }),
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter'],
          resources: [this.smokeEventParameter.parameterArn],
        }),
        new iam.PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms'],
          resources: [
            stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${functionName}-*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
        // These take a deployment ID and no resource: IAM authorizes them on `*` only.
        // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html
        new iam.PolicyStatement({
          actions: [
            'codedeploy:ListDeploymentTargets',
            'codedeploy:GetDeploymentTarget',
            'codedeploy:PutLifecycleEventHookExecutionStatus',
          ],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(hookAccess).acknowledge(
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.function.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
        reason:
          'Any published version of this function: the pre-traffic hook invokes the version being deployed',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:cloudwatch:${stack.region}:${ackAccount(stack)}:alarm:${functionName}-*]`,
        reason: 'This function’s own alarms, which the post-traffic hook reads by name prefix',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'codedeploy:ListDeploymentTargets, GetDeploymentTarget and PutLifecycleEventHookExecutionStatus take a deployment ID and no resource: IAM authorizes them on * only',
      },
    );
  }
}

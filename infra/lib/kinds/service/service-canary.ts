import * as path from 'node:path';
import { CANARY_RUN_TIMEOUT_SECONDS } from '@ias/targets';
import {
  ArnFormat,
  CfnResource,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
  type CfnCondition,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { SecureBucket } from '../../constructs/secure-bucket';
import { SubnetGroup, VPC_NETWORK_INTERFACE_ACTIONS } from '../../constructs/network';

/** The CloudWatch Synthetics runtime: Node.js without a browser page in use (the checks are HTTP calls). */
export const CANARY_RUNTIME = synthetics.Runtime.SYNTHETICS_NODEJS_PUPPETEER_13_0;

/** Props of {@link ServiceCanary}. */
export interface ServiceCanaryProps {
  /** `<prefix>-<env>`: the canary's name (at most 21 characters). */
  readonly canaryName: string;
  /** `<prefix>-<env>-canary`: names its bucket, role and security group. */
  readonly name: string;
  /** The canary script: a CommonJS file whose `handler` the runtime calls. */
  readonly script: string;
  /** The API's address, e.g. `http://<load balancer DNS name>:80`. */
  readonly apiUrl: string;
  /** The listener port it calls. */
  readonly port: number;
  /** Runs in the VPC's private subnets: the load balancer may be internal. */
  readonly vpc: ec2.IVpc;
  /** Minutes between runs. */
  readonly everyMinutes: number;
  /** Key of its artifacts and log group. */
  readonly encryptionKey: kms.IKey;
  /** Where its artifact bucket logs its access. */
  readonly accessLogBucket: s3.IBucket;
  readonly logRetention: logs.RetentionDays;
  readonly retainData: boolean;
  /**
   * The canary exists only when this holds (the service is delivered). The starter's role and log
   * group exist regardless: the stack's single custom-resource function refers to them.
   * @default - always
   */
  readonly condition?: CfnCondition;
}

/**
 * The environment's synthetic check (seed 001): a CloudWatch Synthetics canary that calls the API
 * through its load balancer on a schedule, from inside the VPC (so an internal balancer is reached
 * too), with the script the service ships (`canary` in its service.json).
 *
 * Everything it uses is owned here and goes with `cdk destroy`: its artifact bucket (encrypted,
 * expiring), its role (scoped to that bucket, its own log group and its metric namespace), its
 * security group, the Lambda function and layers Synthetics makes (provisioned-resource cleanup),
 * and its log group `/aws/lambda/cwsyn-<name>-<id>`, which Synthetics would otherwise create on the
 * first run and leave behind. For that log group to exist first, the canary is created stopped and
 * started by a custom resource once the log group is there.
 */
export class ServiceCanary extends Construct {
  /** The canary. */
  readonly canary: synthetics.Canary;
  /** Its log group, created before its first run. */
  readonly logGroup: logs.LogGroup;
  /** Its artifact bucket. */
  readonly artifacts: s3.Bucket;

  /**
   * The ARN IAM knows a canary by, `arn:<partition>:synthetics:<region>:<account>:canary:<name>`
   * (a colon before the name, not Stack.formatArn's default slash).
   * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchsynthetics.html
   */
  static arnOf(stack: Stack, canaryName: string): string {
    return stack.formatArn({
      service: 'synthetics',
      resource: 'canary',
      resourceName: canaryName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  constructor(scope: Construct, id: string, props: ServiceCanaryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.artifacts = new SecureBucket(this, 'Artifacts', {
      bucketName: `${props.name}-${stack.account}-${stack.region}`,
      retainData: props.retainData,
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.accessLogBucket,
      noncurrentVersionExpiration: Duration.days(1),
      expiration: Duration.days(30),
    }).bucket;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.name}: to the API listener and HTTPS to AWS APIs (VPC endpoints, S3)`,
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(
      ec2.Peer.ipv4(props.vpc.vpcCidrBlock),
      ec2.Port.tcp(props.port),
      'The API listener',
    );
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs (endpoints, S3)');

    const role = new iam.Role(this, 'Role', {
      roleName: props.name,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.canaryName}'s canary: write its artifacts, logs and metrics; run in the VPC`,
    });
    this.canary = new synthetics.Canary(this, 'Resource', {
      canaryName: props.canaryName,
      runtime: CANARY_RUNTIME,
      test: synthetics.Test.custom({
        code: synthetics.Code.fromAsset(path.dirname(props.script)),
        handler: `${path.basename(props.script, '.js')}.handler`,
      }),
      schedule: synthetics.Schedule.rate(Duration.minutes(props.everyMinutes)),
      environmentVariables: { API_URL: props.apiUrl },
      role,
      artifactsBucketLocation: { bucket: this.artifacts, prefix: 'runs' },
      vpc: props.vpc,
      vpcSubnets: { subnetGroupName: SubnetGroup.PRIVATE },
      securityGroups: [securityGroup],
      startAfterCreation: false,
      provisionedResourceCleanup: true,
      timeout: Duration.seconds(CANARY_RUN_TIMEOUT_SECONDS),
      successRetentionPeriod: Duration.days(7),
      failureRetentionPeriod: Duration.days(30),
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/cwsyn-${props.canaryName}-${this.canary.canaryId}`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    // What the canary's function does, scoped: no `cwsyn-*` wildcard as the default role has.
    const bucketLogicalId = stack.getLogicalId(this.artifacts.node.defaultChild as s3.CfnBucket);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.artifacts.arnForObjects('runs/*')],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListAllMyBuckets'],
        resources: [this.artifacts.bucketArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.encryptionKey.keyArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': 'CloudWatchSynthetics' } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...VPC_NETWORK_INTERFACE_ACTIONS], resources: ['*'] }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:PutMetricData (limited by condition to the CloudWatchSynthetics namespace) and the VPC network-interface actions, which AWS does not scope to resources',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/runs/*]`,
      reason: "The canary's run artifacts, under runs/ of its own bucket, named by run",
    });

    // Started once its log group and its role's permissions exist; never stopped by an update.
    const canaryArn = ServiceCanary.arnOf(stack, props.canaryName);
    const starterLogs = new logs.LogGroup(this, 'StarterLogs', {
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const starterRole = new iam.Role(this, 'StarterRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.canaryName}'s canary: started once, after its log group exists`,
    });
    starterRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [starterLogs.logGroupArn],
      }),
    );
    const start = new cr.AwsCustomResource(this, 'Start', {
      resourceType: 'Custom::StartCanary',
      installLatestAwsSdk: false,
      onCreate: {
        service: 'synthetics',
        action: 'StartCanary',
        parameters: { Name: props.canaryName },
        physicalResourceId: cr.PhysicalResourceId.of(`${props.canaryName}-start`),
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['synthetics:StartCanary'], resources: [canaryArn] }),
      ]),
      role: starterRole,
      logGroup: starterLogs,
    });
    start.node.addDependency(this.logGroup, role);
    if (props.condition) {
      const always = new Set<unknown>([...starterLogs.node.findAll(), ...starterRole.node.findAll()]);
      for (const child of this.node.findAll()) {
        if (CfnResource.isCfnResource(child) && !always.has(child)) {
          child.cfnOptions.condition = props.condition;
        }
      }
    }
    const starter = stack.node.tryFindChild(
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replaceAll('-', '')}`,
    );
    if (starter) {
      Validations.of(starter).acknowledge({
        id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
        reason:
          "aws-cdk-lib's AwsCustomResource handler: one StartCanary call at creation, to the Synthetics API, which the VPC has no endpoint for",
      });
    }
  }
}

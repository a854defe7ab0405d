import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Props of {@link AuditTrail}. */
export interface AuditTrailProps {
  /** The trail's name, `<prefix>-<env>-trail`; its log group takes the same name. */
  readonly trailName: string;
  /**
   * Where CloudTrail writes the log files, under {@link AuditTrail.S3_KEY_PREFIX}. The trail adds
   * the statements CloudTrail needs to the bucket's policy.
   */
  readonly bucket: s3.IBucket;
  /**
   * The environment key (from the stack that owns it). The trail's log files and log group are
   * encrypted with it, and the key's policy gains the statements CloudTrail needs, scoped to this
   * trail.
   */
  readonly encryptionKey: kms.IKey;
  /** How long the log group keeps events. */
  readonly logRetention: logs.RetentionDays;
  /** Keep the log group when the stack is destroyed. */
  readonly retainData: boolean;
}

/**
 * A multi-region CloudTrail trail of the account's management events (global service events
 * included, log file validation on), encrypted with the environment key, delivered to a bucket and
 * to a CloudWatch Logs log group the construct owns.
 *
 * Written on the CloudFormation resource rather than `cloudtrail.Trail`, whose bucket statements
 * let any trail write to the bucket: here the bucket and key statements name this trail in
 * `aws:SourceArn`, as CloudTrail's documentation recommends against the confused-deputy problem.
 *
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
 */
export class AuditTrail extends Construct {
  /** The bucket prefix the log files go under (CloudTrail adds `AWSLogs/<account>/CloudTrail/...`). */
  static readonly S3_KEY_PREFIX = 'cloudtrail';

  /** The trail. */
  readonly trail: cloudtrail.CfnTrail;
  /** The log group the trail also sends its events to. */
  readonly logGroup: logs.LogGroup;
  /** The trail's ARN, known before the trail exists (the bucket and key policies name it). */
  readonly trailArn: string;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const principal = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    // The ARN from the name, not `attrArn`: the trail waits for the bucket policy (CloudTrail checks
    // it on creation), so the policy cannot refer to the trail itself.
    const trailArnIn = (owner: Stack) =>
      owner.formatArn({
        service: 'cloudtrail',
        resource: 'trail',
        resourceName: props.trailName,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    this.trailArn = trailArnIn(stack);
    const thisTrail = { StringEquals: { 'aws:SourceArn': this.trailArn } };

    const { bucket } = props;
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSCloudTrailAclCheck',
        principals: [principal],
        actions: ['s3:GetBucketAcl'],
        resources: [bucket.bucketArn],
        conditions: thisTrail,
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSCloudTrailWrite',
        principals: [principal],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${AuditTrail.S3_KEY_PREFIX}/AWSLogs/${stack.account}/*`)],
        conditions: {
          StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': this.trailArn },
        },
      }),
    );

    // The key's own policy, in the stack that owns the key: CloudTrail is a service principal, which
    // IAM policies cannot grant to.
    const keyStack = Stack.of(props.encryptionKey);
    const keyTrailArn = trailArnIn(keyStack);
    for (const statement of [
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailToEncryptLogs',
        principals: [principal],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceArn': keyTrailArn },
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': keyStack.formatArn({
              service: 'cloudtrail',
              region: '*',
              resource: 'trail',
              resourceName: '*',
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
          },
        },
      }),
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailToDescribeKey',
        principals: [principal],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceArn': keyTrailArn } },
      }),
    ]) {
      if (!props.encryptionKey.addToResourcePolicy(statement).statementAdded) {
        throw new Error(
          `${props.trailName}: the key ${props.encryptionKey.node.path} takes no policy statements (an imported key?); pass the key from the stack that owns it`,
        );
      }
    }

    // Referenced by ARN from another stack: grants on the key object itself would put this stack's
    // principals into the key's policy and make the key's stack depend on this one.
    const key =
      keyStack === stack ? props.encryptionKey : kms.Key.fromKeyArn(this, 'Key', props.encryptionKey.keyArn);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: props.trailName,
      retention: props.logRetention,
      encryptionKey: key,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const logsRole = new iam.Role(this, 'LogsRole', {
      assumedBy: principal,
      description: `${props.trailName}: CloudTrail delivers the trail's events to its log group`,
    });
    this.logGroup.grantWrite(logsRole);

    this.trail = new cloudtrail.CfnTrail(this, 'Resource', {
      trailName: props.trailName,
      isLogging: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      eventSelectors: [{ includeManagementEvents: true, readWriteType: 'All' }],
      kmsKeyId: key.keyArn,
      s3BucketName: bucket.bucketName,
      s3KeyPrefix: AuditTrail.S3_KEY_PREFIX,
      cloudWatchLogsLogGroupArn: this.logGroup.logGroupArn,
      cloudWatchLogsRoleArn: logsRole.roleArn,
    });
    // CloudTrail checks its access to the bucket and the log group when the trail is created.
    if (bucket.policy) {
      this.trail.node.addDependency(bucket.policy);
    }
    this.trail.node.addDependency(logsRole);

    if (keyStack !== stack) {
      Validations.of(this.trail).acknowledge({
        id: 'cdk-validator-cfnguard::cloud_trail_encryption_enabled_check',
        reason:
          'KMSKeyId is set, to the environment key of another stack of this environment (Fn::GetStackOutput), which the guard rule cannot resolve',
      });
    }
  }
}

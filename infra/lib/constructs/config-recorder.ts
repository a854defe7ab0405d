import { Stack, Validations } from 'aws-cdk-lib';
import * as config from 'aws-cdk-lib/aws-config';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ackAccount } from '../aspects/acknowledgements';

/** Props of {@link ConfigRecorder}. */
export interface ConfigRecorderProps {
  /** The configuration recorder's name, `<prefix>-<env>-config-recorder`. */
  readonly recorderName: string;
  /** The delivery channel's name, `<prefix>-<env>-config-delivery`. */
  readonly deliveryChannelName: string;
  /**
   * Where the delivery channel writes configuration history and snapshots, under
   * {@link ConfigRecorder.S3_KEY_PREFIX}. Its policy gains the statements AWS Config documents.
   */
  readonly bucket: s3.IBucket;
  /**
   * The environment key (from the stack that owns it) the bucket is encrypted with: its policy
   * gains the statement AWS Config needs when it delivers as its service principal.
   */
  readonly encryptionKey: kms.IKey;
}

/** One AWS managed Config rule: its name and the identifier of the rule AWS maintains. */
export interface ManagedRuleSpec {
  /** The rule's name, `<prefix>-<env>-<rule>`. */
  readonly configRuleName: string;
  /** The managed rule's identifier, e.g. `config.ManagedRuleIdentifiers.S3_BUCKET_SSL_REQUESTS_ONLY`. */
  readonly identifier: string;
  /** What the rule checks, for the console. */
  readonly description: string;
}

/**
 * AWS Config for the account and region: a recorder of every supported resource type (global ones
 * such as IAM included, recorded in this region only), its delivery channel to a bucket, the
 * recorder's role, and the managed rules added with {@link ConfigRecorder.addManagedRule}.
 *
 * An account has one recorder per region: the environment profiles let one environment per
 * account and region turn it on.
 *
 * @see https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html
 * @see https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html
 */
export class ConfigRecorder extends Construct {
  /** The bucket prefix the delivery channel writes under (Config adds `AWSLogs/<account>/Config/...`). */
  static readonly S3_KEY_PREFIX = 'config';

  /** The configuration recorder. */
  readonly recorder: config.CfnConfigurationRecorder;
  /** The delivery channel. */
  readonly deliveryChannel: config.CfnDeliveryChannel;
  /** The role the recorder reads configurations and delivers them with. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ConfigRecorderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { bucket } = props;
    const deliveryKeys = `${ConfigRecorder.S3_KEY_PREFIX}/AWSLogs/${stack.account}/Config/*`;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('config.amazonaws.com'),
      description: `${props.recorderName}: AWS Config reads resource configurations and delivers them to the audit bucket`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWS_ConfigRole')],
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWS_ConfigRole]',
      reason:
        "AWS_ConfigRole is the policy AWS Config documents for a recorder's role: the read permissions of every resource type it records, kept current by AWS as types are added",
    });
    // Delivery in the same account goes through the recorder's role; kms: actions go to the bucket's key.
    const grants = s3.BucketGrants.fromBucket(bucket);
    grants.actionsOnBucketAndObjectKeys(this.role, deliveryKeys, 's3:GetBucketAcl');
    grants.actionsOnObjectKeys(
      this.role,
      deliveryKeys,
      's3:PutObject',
      's3:PutObjectAcl',
      'kms:GenerateDataKey',
      'kms:Decrypt',
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${ConfigRecorder.S3_KEY_PREFIX}/AWSLogs/${ackAccount(stack)}/Config/*]`,
      reason:
        "AWS Config names its objects by date and snapshot ID; the role may write only under the delivery channel's prefix of this account",
    });

    // The documented bucket policy, for deliveries AWS Config makes as its service principal.
    const configPrincipal = new iam.ServicePrincipal('config.amazonaws.com');
    const thisAccount = { StringEquals: { 'aws:SourceAccount': stack.account } };
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSConfigBucketPermissionsCheck',
        principals: [configPrincipal],
        actions: ['s3:GetBucketAcl', 's3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: thisAccount,
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSConfigBucketDelivery',
        principals: [configPrincipal],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(deliveryKeys)],
        conditions: {
          StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': stack.account },
        },
      }),
    );
    const keyStack = Stack.of(props.encryptionKey);
    const added = props.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowConfigToDeliverToEncryptedBuckets',
        principals: [configPrincipal],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': keyStack.account } },
      }),
    );
    if (!added.statementAdded) {
      throw new Error(
        `${props.recorderName}: the key ${props.encryptionKey.node.path} takes no policy statements (an imported key?); pass the key from the stack that owns it`,
      );
    }

    this.recorder = new config.CfnConfigurationRecorder(this, 'Resource', {
      name: props.recorderName,
      roleArn: this.role.roleArn,
      recordingGroup: { allSupported: true, includeGlobalResourceTypes: true },
    });
    this.deliveryChannel = new config.CfnDeliveryChannel(this, 'DeliveryChannel', {
      name: props.deliveryChannelName,
      s3BucketName: bucket.bucketName,
      s3KeyPrefix: ConfigRecorder.S3_KEY_PREFIX,
      configSnapshotDeliveryProperties: { deliveryFrequency: 'TwentyFour_Hours' },
    });
    // Config checks its access to the bucket when the channel is created. The recorder and the
    // channel need each other (the recorder starts once a channel exists), so neither waits for
    // the other: CloudFormation starts the recorder when the channel is there.
    for (const resource of [this.recorder, this.deliveryChannel]) {
      if (bucket.policy) {
        resource.node.addDependency(bucket.policy);
      }
      resource.node.addDependency(this.role);
    }
  }

  /** Adds an AWS managed rule, created once the recorder exists (a rule needs one). */
  addManagedRule(id: string, spec: ManagedRuleSpec): config.ManagedRule {
    const rule = new config.ManagedRule(this, id, {
      configRuleName: spec.configRuleName,
      identifier: spec.identifier,
      description: spec.description,
    });
    rule.node.addDependency(this.recorder);
    return rule;
  }
}

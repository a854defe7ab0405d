import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { Naming } from '@ias/targets';

/** Props of {@link EncryptionKey}. */
export interface EncryptionKeyProps {
  /** Names of the environment. */
  readonly naming: Naming;
  /** Keep the key when the stack is destroyed (data encrypted with it would be unreadable otherwise). */
  readonly retainData: boolean;
  /**
   * Name prefixes of the log groups CloudWatch Logs may encrypt with the key (each also under
   * `/aws/<service>/`).
   * @default - the environment's, `<prefix>-<env>`
   */
  readonly logGroupNamePrefixes?: readonly string[];
}

/**
 * The environment's customer-managed KMS key, with yearly rotation and an alias
 * `alias/<prefix>-<env>-main`.
 *
 * Besides the account's IAM principals (the default key policy), it lets two AWS services use it,
 * each scoped to this environment's resources: CloudWatch Logs for log groups named
 * `<prefix>-<env>-*` and `/aws/.../<prefix>-<env>-*`, and CloudWatch alarms publishing to the
 * encrypted alarm topic.
 */
export class EncryptionKey extends Construct {
  /** The key. */
  readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const { naming } = props;
    const stack = Stack.of(this);

    const key = new kms.Key(this, 'Resource', {
      description: `${naming.base}: encrypts the environment's data, logs, artifacts and alarms`,
      alias: `alias/${naming.name('main')}`,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      // A destroyed key is only scheduled for deletion: 7 days is the shortest wait KMS allows.
      pendingWindow: Duration.days(props.retainData ? 30 : 7),
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const logGroupArn = (name: string): string =>
      `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${name}`;
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsForThisEnvironment',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': (props.logGroupNamePrefixes ?? [naming.base]).flatMap(
              (prefix) => [
                logGroupArn(`${prefix}-*`),
                logGroupArn(`/aws/*/${prefix}-*`),
                logGroupArn(`/aws/*/*/${prefix}-*`),
              ],
            ),
          },
        },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    // Control Tower CT.KMS.PR.3: only AWS services (on behalf of a principal) may create grants.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyGrantsExceptForAwsServices',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    this.key = key;
  }
}

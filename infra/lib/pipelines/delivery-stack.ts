import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as codeconnections from 'aws-cdk-lib/aws-codeconnections';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { DeliveryConfig } from '../config/delivery-schema';
import type { Naming } from '@ias/targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { AlarmTopic } from '../constructs/alarm-topic';
import { EncryptionKey } from '../constructs/encryption-key';
import { SecureBucket } from '../constructs/secure-bucket';

/** Props of {@link DeliveryStack}. */
export interface DeliveryStackProps extends StackProps {
  /** Names of the delivery stage, `<prefix>-delivery`. */
  readonly naming: Naming;
  /** The delivery settings. */
  readonly delivery: DeliveryConfig;
  /** Name prefixes of the pipelines' log groups (`<prefix>-<function>`), which the key encrypts. */
  readonly pipelineLogPrefixes: readonly string[];
}

/**
 * What the application pipelines share: their KMS key, the access-log bucket of their artifact
 * stores, the topic their notifications go to, and the CodeConnections connection to GitHub
 * (created here unless the settings name one). The delivery stage adds their observability here
 * once the pipelines exist (`DeliveryObservability`).
 */
export class DeliveryStack extends Stack {
  /** Encrypts the pipelines' artifacts and logs. */
  readonly key: kms.IKey;
  /** Server access logs of the artifact stores. */
  readonly accessLogBucket: s3.IBucket;
  /** The connection the pipelines' source actions use. */
  readonly connectionArn: string;
  /** `<prefix>-delivery-notifications`: every pipeline's failures, successes and approvals waiting. */
  readonly notifications: sns.ITopic;

  constructor(scope: Construct, id: string, props: DeliveryStackProps) {
    super(scope, id, props);
    const { naming, delivery } = props;
    this.key = new EncryptionKey(this, 'Key', {
      naming,
      retainData: delivery.retainArtifacts,
      logGroupNamePrefixes: [naming.base, ...props.pipelineLogPrefixes],
    }).key;
    this.accessLogBucket = new SecureBucket(this, 'AccessLogs', {
      retainData: delivery.retainArtifacts,
      noncurrentVersionExpiration: Duration.days(1),
      expiration: Duration.days(90),
    }).bucket;
    const key = this.key;
    this.notifications = new AlarmTopic(this, 'Notifications', {
      topicName: naming.name('notifications'),
      encryptionKey: key,
      notificationEmails: delivery.notificationEmails,
    }).topic;
    // AWS CodeStar Notifications publishes the pipelines' events to the encrypted topic.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        principals: [new iam.ServicePrincipal('codestar-notifications.amazonaws.com')],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${this.region}.amazonaws.com` } },
      }),
    );
    if (delivery.source.connectionArn) {
      this.connectionArn = delivery.source.connectionArn;
    } else {
      // Created PENDING: someone completes the GitHub handshake once in the console.
      this.connectionArn = new codeconnections.CfnConnection(this, 'GitHub', {
        connectionName: `${naming.prefix}-github`,
        providerType: 'GitHub',
      }).attrConnectionArn;
    }
  }
}

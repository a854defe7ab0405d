import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Props of {@link SecureBucket}. */
export interface SecureBucketProps {
  /**
   * Keep the bucket and its objects when the stack is destroyed.
   * When false the bucket is emptied and deleted by `cdk destroy`.
   */
  readonly retainData: boolean;
  /**
   * How long a superseded (noncurrent) object version is kept.
   */
  readonly noncurrentVersionExpiration: Duration;
  /**
   * Explicit bucket name, for buckets operators and pipelines refer to by name.
   * @default - a name CloudFormation derives from the (prefixed) stack name
   */
  readonly bucketName?: string;
  /**
   * Customer-managed key for SSE-KMS.
   * @default - SSE-S3 (required for a server-access-log destination, which cannot use SSE-KMS)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Where S3 writes this bucket's server access logs.
   * @default - no access logs: only for the access-log bucket itself
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * Delete current objects this long after they were written.
   * @default - current objects never expire
   */
  readonly expiration?: Duration;
}

/**
 * An S3 bucket with the house defaults: versioned, encrypted, TLS-only, public access blocked,
 * ACLs disabled, access-logged, lifecycle-managed, events sent to EventBridge, and removed with the
 * stack unless the environment retains data.
 */
export class SecureBucket extends Construct {
  /** The bucket. */
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Resource', {
      bucketName: props.bucketName,
      versioned: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey ? true : undefined,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsBucket ? `${id.toLowerCase()}/` : undefined,
      lifecycleRules: [
        {
          id: 'expire-superseded-versions',
          noncurrentVersionExpiration: props.noncurrentVersionExpiration,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          expiration: props.expiration,
        },
      ],
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !props.retainData,
    });
    // Object events go to EventBridge, where pipelines and audits subscribe without changing the
    // bucket. Set on the CloudFormation resource rather than through `eventBridgeEnabled`, which
    // deploys a custom-resource function to do what CloudFormation does natively (and hides the
    // setting from Control Tower's CT.S3.PR.4 check).
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    if (!props.serverAccessLogsBucket && !props.encryptionKey) {
      // The access-log destination itself: S3 delivers access logs only to SSE-S3 buckets, and a
      // log bucket logging to itself would log its own log deliveries without end.
      Validations.of(this.bucket).acknowledge(
        {
          id: 'AwsSolutions::AwsSolutions-S1',
          reason: 'This is the server-access-log destination; logging it into itself would loop',
        },
        {
          id: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
          reason: 'This is the server-access-log destination; logging it into itself would loop',
        },
        {
          id: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
          reason:
            'S3 server access logs can only be delivered to a bucket encrypted with SSE-S3, not SSE-KMS',
        },
      );
    }
  }
}

import { Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { FunctionManifest } from '../../config/functions';
import { SecureBucket } from '../../constructs/secure-bucket';

/** Props of {@link FunctionTrigger}. */
export interface FunctionTriggerProps {
  /** The function's name (prefixed): names the queues. */
  readonly functionName: string;
  /** The manifest's trigger. */
  readonly trigger: FunctionManifest['trigger'];
  /** The function's timeout, which the queue's visibility timeout follows. */
  readonly timeoutSeconds: number;
  /** The alias every trigger invokes. */
  readonly alias: lambda.IAlias;
  /** The function's execution role, which reads the dropped files. */
  readonly role: iam.Role;
  /** Encrypts the queues and the bucket. */
  readonly encryptionKey: kms.IKey;
  /** Keep the queues and the bucket on `cdk destroy`. */
  readonly retainData: boolean;
  /** What `cdk destroy` does to the queues. */
  readonly removalPolicy: RemovalPolicy;
  /** Where an S3-triggered function's bucket sends its access logs. */
  readonly accessLogBucket: s3.IBucket;
}

/**
 * What invokes a function's alias `live`: an SQS queue with a dead-letter queue, or an S3 bucket
 * whose object events reach it through EventBridge.
 *
 * Not a construct of its own: its resources are children of the function's construct (`scope`),
 * so that they keep the logical IDs the functions' stacks were first deployed with.
 */
export class FunctionTrigger {
  /** The SQS trigger and its dead-letter queue, for SQS-triggered functions. */
  readonly queue?: sqs.Queue;
  readonly deadLetterQueue?: sqs.Queue;
  /** The bucket files are dropped in, for S3-triggered functions. */
  readonly bucket?: s3.Bucket;

  constructor(scope: Construct, props: FunctionTriggerProps) {
    const { trigger, functionName, removalPolicy } = props;
    if (trigger.type === 'sqs') {
      this.deadLetterQueue = new sqs.Queue(scope, 'DeadLetters', {
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
      this.queue = new sqs.Queue(scope, 'Queue', {
        queueName: functionName,
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: props.encryptionKey,
        enforceSSL: true,
        // AWS's advice for Lambda consumers: six times the function timeout.
        visibilityTimeout: Duration.seconds(props.timeoutSeconds * 6),
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: trigger.maxReceiveCount },
        removalPolicy,
      });
      props.alias.addEventSource(
        new SqsEventSource(this.queue, { batchSize: trigger.batchSize, reportBatchItemFailures: true }),
      );
    } else {
      this.bucket = new SecureBucket(scope, 'Drops', {
        retainData: props.retainData,
        encryptionKey: props.encryptionKey,
        serverAccessLogsBucket: props.accessLogBucket,
        noncurrentVersionExpiration: Duration.days(30),
      }).bucket;
      const objects = this.bucket.arnForObjects(`${trigger.prefix}*`);
      props.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }));
      this.bucket.encryptionKey?.grantDecrypt(props.role);
      Validations.of(props.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(scope).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${trigger.prefix}*]`,
        reason: 'Reads any object the trigger can name: the key wildcard is the dropped file',
      });
      new events.Rule(scope, 'ObjectCreated', {
        description: `${functionName}: objects created under s3://<bucket>/${trigger.prefix}*${trigger.suffix}`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: {
            bucket: { name: [this.bucket.bucketName] },
            object: { key: events.Match.wildcard(`${trigger.prefix}*${trigger.suffix}`) },
          },
        },
        targets: [new targets.LambdaFunction(props.alias, { retryAttempts: 2 })],
      });
    }
  }
}

import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import { environmentArtifactBucketName, ledgerTableName, SBOM_KEY_PREFIX, type Naming } from '@ias/targets';
import { ackAccount } from '../aspects/acknowledgements';

/** Props of {@link ReleaseLedger}. */
export interface ReleaseLedgerProps {
  /** `<prefix>-<env>-releases`. */
  readonly tableName: string;
  /** Encrypts the releases. */
  readonly encryptionKey: kms.IKey;
  /** Keep the history on `cdk destroy` (it is the audit trail of what went live). */
  readonly retainData: boolean;
}

/**
 * The environment's release ledger (see `delivery/src/ledger.ts`): one item per release, partition
 * `pk` = `release`, sort key `number`, each holding the snapshot of what went live. On-demand,
 * encrypted with the environment key, point-in-time recovery on.
 */
export class ReleaseLedger extends Construct {
  readonly table: dynamodb.TableV2;
  /** The key the table is encrypted with. */
  readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: ReleaseLedgerProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.table = new dynamodb.TableV2(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'number', type: dynamodb.AttributeType.NUMBER },
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(props.encryptionKey),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.retainData,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }

  /**
   * Keeping a canary watcher's looks in this table (`pk` = `canary#<deployment>`, beside the
   * releases): put items, through the environment key.
   */
  grantKeepCanaryEvidence(grantee: iam.IGrantable): void {
    this.table.grant(grantee, 'dynamodb:PutItem');
    this.encryptionKey.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
  }

  /**
   * Recording a release in an environment's ledger: read and append to its table (through the
   * environment key, by DynamoDB only), read the versions of its parameters and secrets, and store
   * the SBOM of what it deploys under `sbom/` of the environment's artifact bucket (through the
   * environment key, by S3 only), the object the release then references. The environments are in
   * `stack`'s account and region.
   */
  static recordStatements(stack: Stack, namings: readonly Naming[]): iam.PolicyStatement[] {
    return [
      // Write only, under sbom/: a release's SBOM, never the pipelines' other artifacts.
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: namings.map(
          (n) =>
            `arn:${stack.partition}:s3:::${environmentArtifactBucketName(n, stack.account, stack.region)}/${SBOM_KEY_PREFIX}*`,
        ),
      }),
      // The bucket encrypts with the environment key: an upload needs both of these on it.
      // @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
      new iam.PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: namings.map((n) =>
          stack.formatArn({
            service: 'dynamodb',
            resource: 'table',
            resourceName: ledgerTableName(n.prefix, n.env),
          }),
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

  /** The acknowledgements of {@link ReleaseLedger.recordStatements}'s wildcards, for the role they go on. */
  static recordAcknowledgements(stack: Stack, namings: readonly Naming[], account: string) {
    return [
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:kms:${stack.region}:${account}:key/*]`,
        reason:
          "The environment key, through DynamoDB and S3 only (kms:ViaService), for its ledger table and the releases' SBOMs; the key's ID is not known here",
      },
      ...namings.map((n) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::${environmentArtifactBucketName(n, account, stack.region)}/${SBOM_KEY_PREFIX}*]`,
        reason:
          "Storing each release's SBOM under sbom/<workload>/<commit>.cdx.json of the environment's artifact bucket",
      })),
      ...namings.map((n) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:ssm:${stack.region}:${account}:parameter/${n.prefix}/${n.env}/*]`,
        reason: "Reading the versions of the environment's own parameters, for the release ledger",
      })),
    ];
  }

  /**
   * Lets `grantee` record releases in the ledgers of these environments (its own account and
   * region, by table name: the pipelines reach ledgers of stacks they do not hold).
   */
  static grantRecord(grantee: iam.IGrantable & IConstruct, namings: readonly Naming[]): void {
    const stack = Stack.of(grantee);
    ReleaseLedger.recordStatements(stack, namings).forEach((st) =>
      grantee.grantPrincipal.addToPrincipalPolicy(st),
    );
    Validations.of(grantee).acknowledge(
      ...ReleaseLedger.recordAcknowledgements(stack, namings, ackAccount(stack)),
    );
  }
}

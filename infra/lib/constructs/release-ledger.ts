import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

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

  constructor(scope: Construct, id: string, props: ReleaseLedgerProps) {
    super(scope, id);
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
}

import { Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { Database, type DatabaseRoles } from '../constructs/database';
import type { DeliveryCode } from '../config/delivery-code';
import { importKey, logRetention, type EnvironmentStackProps } from './environment-stack-props';

/** Name of the application database inside the cluster. */
export const APPLICATION_DATABASE_NAME = 'inventory';

/**
 * The database roles, named once: the workloads get the owner and application role names as
 * settings (`DB_OWNER_USER`, `PGUSER`) and IAM permission to log in as them.
 */
export const DATABASE_ROLES: DatabaseRoles = {
  master: 'inventory_admin',
  owner: 'inventory_owner',
  app: 'inventory_app',
};

/** Props of {@link DataStack}. */
export interface DataStackProps extends EnvironmentStackProps {
  /** The VPC. */
  readonly vpc: ec2.IVpc;
  /** The workloads' security group, let in to the database and proxy. */
  readonly appSecurityGroup: ec2.ISecurityGroup;
  /** Key for storage, credentials and logs. */
  readonly encryptionKey: kms.IKey;
  /** The delivery code the database roles provisioner runs. */
  readonly deliveryCode: DeliveryCode;
}

/** The inventory database: Aurora PostgreSQL Serverless v2, its secret, rotation, roles and proxy. */
export class DataStack extends Stack {
  /** The database. */
  readonly database: Database;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { naming, config } = props;
    const { profile } = config;

    this.database = new Database(this, 'Database', {
      vpc: props.vpc,
      clientSecurityGroup: props.appSecurityGroup,
      clusterIdentifier: naming.name('db'),
      proxyName: naming.name('db-proxy'),
      rotationFunctionName: naming.name('db-rotation'),
      credentialsSecretName: naming.path('db', 'credentials'),
      databaseName: APPLICATION_DATABASE_NAME,
      roles: DATABASE_ROLES,
      rolesFunctionName: naming.name('db-roles'),
      deliveryCode: props.deliveryCode,
      encryptionKey: importKey(this, props.encryptionKey),
      minCapacity: profile.database.minCapacity,
      maxCapacity: profile.database.maxCapacity,
      readers: profile.database.readers,
      proxy: profile.database.proxy,
      backupRetention: Duration.days(profile.database.backupRetentionDays),
      rotationInterval: Duration.days(profile.database.credentialRotationDays),
      logRetention: logRetention(config),
      retainData: profile.retainData,
    });
  }
}

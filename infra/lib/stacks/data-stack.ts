import { Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { kubernetesTarget } from '@ias/targets';
import { Database, type DatabaseRoles } from '../constructs/database';
import type { DatabaseLogin } from '../constructs/database-login';
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
  /**
   * The Kubernetes applications of the environment, by name: each gets its own password login
   * (`databaseLogin` of its target, with the application role's privileges) and that login's
   * secret (`databaseSecret`, rotated with the alternating-users strategy), which the secrets
   * provider mounts in its pods. @default - none
   */
  readonly kubernetesApps?: readonly string[];
}

/**
 * The inventory database: Aurora PostgreSQL Serverless v2, its secret, rotation, roles and proxy,
 * and the Kubernetes applications' password logins.
 */
export class DataStack extends Stack {
  /** The database. */
  readonly database: Database;
  /** Each Kubernetes application's database login and its secret, by application name. */
  readonly kubernetesLogins: ReadonlyMap<string, DatabaseLogin>;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { naming, config } = props;
    const { profile } = config;
    const apps = props.kubernetesApps ?? [];
    const logins = apps.map((app) => {
      const target = kubernetesTarget(config, { name: app });
      return {
        username: target.databaseLogin,
        secretName: target.databaseSecret,
        rotationFunctionName: naming.name(`db-rotation-${app}`),
      };
    });

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
      logins,
    });
    this.kubernetesLogins = new Map(
      apps.map((app, i) => [app, this.database.logins.get(logins[i]?.username ?? '') as DatabaseLogin]),
    );
  }
}

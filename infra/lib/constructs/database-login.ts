import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { placement, SubnetGroup } from './network';

/** A password login of the database, as a workload that needs one asks for it. */
export interface DatabaseLoginOptions {
  /** The login role, `<app>_login` (created by the roles provisioner, with the secret's first password). */
  readonly username: string;
  /** Secrets Manager name of its secret, `/<prefix>/<env>/db/<app>-login`. */
  readonly secretName: string;
  /** Name of the function that rotates it, `<prefix>-<env>-db-rotation-<app>`. */
  readonly rotationFunctionName: string;
}

/** Props of {@link DatabaseLogin}. */
export interface DatabaseLoginProps extends DatabaseLoginOptions {
  /** The cluster the login is for: the secret gets its host and port, the rotation reaches it. */
  readonly cluster: rds.DatabaseCluster;
  /** The database the secret names (`dbname`), where the rotation tests the new password. */
  readonly databaseName: string;
  /** The master user's secret, with which the rotation sets the passwords. */
  readonly masterSecret: secretsmanager.ISecret;
  /** Key the secret is encrypted with, and the rotation's log group. */
  readonly encryptionKey: kms.IKey;
  /** Days between rotations. */
  readonly rotationInterval: Duration;
  /** The VPC; the rotation function goes into its private subnets. */
  readonly vpc: ec2.IVpc;
  /** The rotation function's security group (HTTPS to Secrets Manager; let in to the cluster here). */
  readonly rotationSecurityGroup: ec2.ISecurityGroup;
  /** Retention of the rotation function's log group. */
  readonly logRetention: logs.RetentionDays;
  /** Keep the secret and the log group when the stack is destroyed. */
  readonly retainData: boolean;
}

/**
 * A password login's secret, rotated by Secrets Manager with the alternating-users strategy: a
 * generated password for `username`, encrypted with the environment key and attached to the
 * cluster (so it holds `host`, `port` and `engine`, which the rotation reads), with `masterarn`
 * naming the master secret. Each rotation sets a new password on the user the secret does not
 * name (creating `<username>_clone` the first time, a member of the login) and then makes the
 * secret name that user: the login in use keeps working until the rotation after, so readers of
 * the secret (the pods' mounted file) have a whole interval to pick up the new one.
 *
 * The role itself is the roles provisioner's; the first rotation (right after the schedule is
 * created) logs in as it, so the caller makes the schedule depend on the provisioning.
 *
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets_strategies.html#rotating-secrets-two-users
 */
export class DatabaseLogin extends Construct {
  /** The login's secret, attached to the cluster (its ARN is the attachment's). */
  readonly secret: secretsmanager.ISecret;
  /** Its rotation schedule. */
  readonly rotationSchedule: secretsmanager.RotationSchedule;
  /** The log group of its rotation function. */
  readonly rotationLogGroup: logs.LogGroup;
  /** The login role. */
  readonly username: string;

  constructor(scope: Construct, id: string, props: DatabaseLoginProps) {
    super(scope, id);
    this.username = props.username;
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const secret = new rds.DatabaseSecret(this, 'Secret', {
      username: props.username,
      secretName: props.secretName,
      dbname: props.databaseName,
      encryptionKey: props.encryptionKey,
      masterSecret: props.masterSecret,
    });
    secret.applyRemovalPolicy(removalPolicy);
    this.secret = secret.attach(props.cluster);

    // As for the master's rotation: a hosted rotation whose function has a name we choose, so its
    // log group is created here, with a retention, and removed by `cdk destroy`.
    this.rotationLogGroup = new logs.LogGroup(this, 'RotationLogs', {
      logGroupName: `/aws/lambda/${props.rotationFunctionName}`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });
    const rotation = secretsmanager.HostedRotation.postgreSqlMultiUser({
      functionName: props.rotationFunctionName,
      masterSecret: props.masterSecret,
      vpc: props.vpc,
      ...placement(SubnetGroup.PRIVATE, props.rotationSecurityGroup),
    });
    this.rotationSchedule = this.secret.addRotationSchedule('RotationSchedule', {
      hostedRotation: rotation,
      automaticallyAfter: props.rotationInterval,
    });
    this.rotationSchedule.node.addDependency(this.rotationLogGroup);
    props.cluster.connections.allowDefaultPortFrom(rotation, 'Credential rotation');
  }
}

import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DatabaseLogin, type DatabaseLoginOptions } from './database-login';
import { DeliveryFunction, deliveryProvider } from './delivery-function';
import type { DeliveryCode } from '../config/delivery-code';
import { placement, SubnetGroup, VPC_NETWORK_INTERFACE_ACTIONS } from './network';

/** The Aurora PostgreSQL engine every environment runs. */
export const DATABASE_ENGINE = rds.DatabaseClusterEngine.auroraPostgres({
  version: rds.AuroraPostgresEngineVersion.VER_17_5,
});

/** PostgreSQL's port; reachable only from the workload security groups. */
export const DATABASE_PORT = 5432;

/**
 * The database roles: the master user RDS creates (password in Secrets Manager, rotated), used
 * only to create the other two; the schema owner, which owns the database and runs the migrations;
 * the application role, which owns nothing and may only read and write rows. The last two log in
 * with IAM authentication only.
 */
export interface DatabaseRoles {
  /** The master user, `inventory_admin`. */
  readonly master: string;
  /** The schema owner, `inventory_owner`. */
  readonly owner: string;
  /** The application role, `inventory_app`. */
  readonly app: string;
}

/** Props of {@link Database}. */
export interface DatabaseProps {
  /** The VPC; the cluster goes into its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /** The clients' security group: let in to the proxy, or to the cluster when there is none. */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** Cluster identifier, `<prefix>-<env>-db`. */
  readonly clusterIdentifier: string;
  /** Name of the credential-rotation function, `<prefix>-<env>-db-rotation`. */
  readonly rotationFunctionName: string;
  /** Name of the RDS Proxy, `<prefix>-<env>-db-proxy`. */
  readonly proxyName: string;
  /** Secrets Manager name of the credentials, `/<prefix>/<env>/db/credentials`. */
  readonly credentialsSecretName: string;
  /** Name of the application database created with the cluster. */
  readonly databaseName: string;
  /** The database roles. */
  readonly roles: DatabaseRoles;
  /** Name of the function that provisions the owner and application roles, `<prefix>-<env>-db-roles`. */
  readonly rolesFunctionName: string;
  /** The delivery code the roles provisioner runs (platform machinery, not application code). */
  readonly deliveryCode: DeliveryCode;
  /** Key for storage, credentials and Performance Insights. */
  readonly encryptionKey: kms.IKey;
  /** Lowest Serverless v2 capacity (ACU). */
  readonly minCapacity: number;
  /** Highest Serverless v2 capacity (ACU). */
  readonly maxCapacity: number;
  /** Reader instances besides the writer. */
  readonly readers: number;
  /** Put an RDS Proxy in front of the cluster. */
  readonly proxy: boolean;
  /** Days of automated backups. */
  readonly backupRetention: Duration;
  /** Days between automatic credential rotations. */
  readonly rotationInterval: Duration;
  /** Retention of the PostgreSQL log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Keep the cluster (with deletion protection on) when the stack is destroyed.
   * When false the cluster, its instances and its logs are deleted without a final snapshot.
   */
  readonly retainData: boolean;
  /**
   * Password logins with the application role's privileges, for workloads that cannot log in with
   * IAM tokens (a Kubernetes application's pods read theirs from a mounted secret): each gets its
   * secret, rotated with the alternating-users strategy, and its role from the roles provisioner.
   * @default - none
   */
  readonly logins?: readonly DatabaseLoginOptions[];
}

/**
 * Aurora PostgreSQL Serverless v2 in the isolated subnets: encrypted storage, TLS required,
 * IAM authentication, master credentials generated into Secrets Manager and rotated by a function
 * in the private subnets, PostgreSQL logs in a log group the stack owns (so `cdk destroy` removes
 * it), the owner and application roles (and any password logins, see {@link DatabaseLogin})
 * provisioned by a custom resource, and an RDS Proxy with
 * end-to-end IAM authentication when asked for. Workloads get in with {@link Database.grantConnect}.
 */
export class Database extends Construct {
  /** The cluster. */
  readonly cluster: rds.DatabaseCluster;
  /** The proxy, when the environment has one. */
  readonly proxy?: rds.DatabaseProxy;
  /** The PostgreSQL log group. */
  readonly logGroup: logs.LogGroup;
  /** The log group of the credential-rotation function. */
  readonly rotationLogGroup: logs.LogGroup;
  /** The cluster's security group. */
  readonly securityGroup: ec2.SecurityGroup;
  /** The master user's generated credentials, `/<prefix>/<env>/db/credentials`: for the roles provisioner only. */
  readonly secret: secretsmanager.ISecret;
  /** The database roles. */
  readonly roles: DatabaseRoles;
  /** The function that provisions the owner and application roles. */
  readonly rolesProvisioner: DeliveryFunction;
  /** The custom resource whose Create and Update provision the roles. */
  readonly rolesResource: CustomResource;
  /** The password logins, by role name. */
  readonly logins: ReadonlyMap<string, DatabaseLogin>;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.roles = props.roles;

    // RDS writes to this exact name; creating it here first gives it a retention and lets the
    // stack delete it (a group RDS creates on its own would outlive `cdk destroy`).
    this.logGroup = new logs.LogGroup(this, 'PostgresqlLogs', {
      logGroupName: `/aws/rds/cluster/${props.clusterIdentifier}/postgresql`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });

    // Security groups live here, with what they protect: the rules that open them to the
    // clients' group then sit in this stack, which already depends on the network stack.
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.clusterIdentifier}: PostgreSQL from the proxy, the clients and the rotation function`,
      allowAllOutbound: false,
    });

    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine: DATABASE_ENGINE,
      description: `${props.clusterIdentifier}: TLS only, slow statements logged`,
      parameters: {
        'rds.force_ssl': '1',
        log_min_duration_statement: '1000',
      },
    });

    const instanceProps: rds.ServerlessV2ClusterInstanceProps = {
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.encryptionKey,
    };
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: DATABASE_ENGINE,
      clusterIdentifier: props.clusterIdentifier,
      defaultDatabaseName: props.databaseName,
      credentials: rds.Credentials.fromGeneratedSecret(props.roles.master, {
        secretName: props.credentialsSecretName,
        encryptionKey: props.encryptionKey,
      }),
      parameterGroup,
      writer: rds.ClusterInstance.serverlessV2('Writer', instanceProps),
      readers: Array.from({ length: props.readers }, (_, i) =>
        rds.ClusterInstance.serverlessV2(`Reader${i + 1}`, { ...instanceProps, scaleWithWriter: true }),
      ),
      serverlessV2MinCapacity: props.minCapacity,
      serverlessV2MaxCapacity: props.maxCapacity,
      vpc: props.vpc,
      ...placement(SubnetGroup.ISOLATED, this.securityGroup),
      port: DATABASE_PORT,
      storageEncrypted: true,
      storageEncryptionKey: props.encryptionKey,
      iamAuthentication: true,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.encryptionKey,
      cloudwatchLogsExports: ['postgresql'],
      // Enhanced monitoring (OS metrics), which Control Tower's CT.RDS.PR.2 requires.
      monitoringInterval: Duration.seconds(60),
      backup: { retention: props.backupRetention, preferredWindow: '17:00-18:00' },
      preferredMaintenanceWindow: 'Sun:18:00-Sun:19:00',
      copyTagsToSnapshot: true,
      deletionProtection: props.retainData,
      removalPolicy,
    });
    this.cluster.node.addDependency(this.logGroup);
    acknowledgeDataLifecycle(this.cluster, props.retainData);
    const monitoringRole = this.cluster.node.tryFindChild('MonitoringRole');
    if (monitoringRole) {
      Validations.of(monitoringRole).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
        reason:
          'AmazonRDSEnhancedMonitoringRole is the AWS-maintained policy RDS documents for the enhanced-monitoring role; it only writes the RDSOSMetrics log group',
      });
    }
    // Generated credentials always produce a secret; the check keeps the type honest.
    const secret = this.cluster.secret;
    if (!secret) {
      throw new Error(`${props.clusterIdentifier}: the cluster has no credentials secret`);
    }
    this.secret = secret;

    // Hosted rotation (a Lambda function Secrets Manager's transform creates in this stack) rather
    // than the Serverless Application Repository app of addRotationSingleUser(): its function gets
    // a name we choose, so its log group can be created here with a retention and removed by
    // `cdk destroy` instead of being left behind by Lambda.
    this.rotationLogGroup = new logs.LogGroup(this, 'RotationLogs', {
      logGroupName: `/aws/lambda/${props.rotationFunctionName}`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });
    const rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: props.vpc,
      description: `${props.rotationFunctionName}: HTTPS to Secrets Manager, PostgreSQL to the cluster`,
      allowAllOutbound: false,
    });
    rotationSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to Secrets Manager');
    const rotation = secretsmanager.HostedRotation.postgreSqlSingleUser({
      functionName: props.rotationFunctionName,
      vpc: props.vpc,
      ...placement(SubnetGroup.PRIVATE, rotationSecurityGroup),
    });
    const schedule = secret.addRotationSchedule('RotationSchedule', {
      hostedRotation: rotation,
      automaticallyAfter: props.rotationInterval,
    });
    schedule.node.addDependency(this.rotationLogGroup);
    this.cluster.connections.allowDefaultPortFrom(rotation, 'Credential rotation');

    this.logins = new Map(
      (props.logins ?? []).map((login) => [
        login.username,
        new DatabaseLogin(this, `Login-${login.username}`, {
          ...login,
          cluster: this.cluster,
          databaseName: props.databaseName,
          masterSecret: secret,
          encryptionKey: props.encryptionKey,
          rotationInterval: props.rotationInterval,
          vpc: props.vpc,
          rotationSecurityGroup,
          logRetention: props.logRetention,
          retainData: props.retainData,
        }),
      ]),
    );

    if (props.proxy) {
      // End-to-end IAM: clients log in to the proxy with IAM tokens (the only way in), and the
      // proxy logs in to the cluster with IAM as the same user, through its role. No secret on it.
      // @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-proxy-iam-auth.html
      const proxyRole = new iam.Role(this, 'ProxyRole', {
        assumedBy: new iam.ServicePrincipal('rds.amazonaws.com'),
        description: `${props.proxyName}: logs in to the cluster as the workloads' database users (IAM)`,
      });
      for (const user of [props.roles.owner, props.roles.app]) {
        this.cluster.grantConnect(proxyRole, user);
      }
      this.proxy = this.cluster.addProxy('Proxy', {
        dbProxyName: props.proxyName,
        defaultAuthScheme: rds.DefaultAuthScheme.IAM_AUTH,
        role: proxyRole,
        vpc: props.vpc,
        vpcSubnets: { subnetGroupName: SubnetGroup.ISOLATED },
        securityGroups: [
          new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
            vpc: props.vpc,
            description: `${props.proxyName}: PostgreSQL from the clients, to the cluster`,
            allowAllOutbound: false,
          }),
        ],
        requireTLS: true,
      });
      // The proxy's egress to the cluster is opened by addProxy(); open its ingress to clients.
      this.proxy.connections.allowFrom(
        props.clientSecurityGroup,
        ec2.Port.tcp(DATABASE_PORT),
        'PostgreSQL from the clients',
      );
    }
    // Clients may also reach the cluster directly (migrations, or when there is no proxy).
    this.cluster.connections.allowFrom(
      props.clientSecurityGroup,
      ec2.Port.tcp(DATABASE_PORT),
      'PostgreSQL from the clients',
    );

    const provisioned = this.provisionRoles(props, secret);
    this.rolesProvisioner = provisioned.handler;
    this.rolesResource = provisioned.resource;
  }

  /**
   * Lets `grantee` log in as the database user `user` with IAM authentication: through the proxy
   * when there is one (the only endpoint workloads use then), else on the cluster. Scoped to that
   * proxy or cluster and that user.
   */
  grantConnect(grantee: iam.IGrantable, user: string): iam.Grant {
    return this.proxy ? this.proxy.grantConnect(grantee, user) : this.cluster.grantConnect(grantee, user);
  }

  /**
   * The owner and application roles, provisioned in the cluster by a custom resource: a function
   * of the delivery code in the private subnets, the only reader of the master secret besides the
   * rotation, connecting to the cluster itself (the master user has no IAM login for the proxy).
   */
  private provisionRoles(
    props: DatabaseProps,
    secret: secretsmanager.ISecret,
  ): { handler: DeliveryFunction; resource: CustomResource } {
    const name = props.rolesFunctionName;
    const securityGroup = new ec2.SecurityGroup(this, 'RolesSecurityGroup', {
      vpc: props.vpc,
      description: `${name}: PostgreSQL to the cluster, HTTPS to Secrets Manager`,
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to Secrets Manager');
    securityGroup.connections.allowTo(this.cluster, ec2.Port.tcp(DATABASE_PORT), 'PostgreSQL to the cluster');

    const lambdaRole = (id: string, what: string) => {
      const role = new iam.Role(this, id, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `${name}: ${what}`,
      });
      role.addToPolicy(
        new iam.PolicyStatement({ actions: [...VPC_NETWORK_INTERFACE_ACTIONS], resources: ['*'] }),
      );
      Validations.of(role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'Only the VPC network-interface actions, which AWS does not scope to resources',
      });
      return role;
    };

    const role = lambdaRole('RolesRole', 'read the master secret, provision the database roles');
    secret.grantRead(role);
    // A new login's first password, from its own secret (encrypted with the environment key: the
    // grant covers kms:Decrypt through Secrets Manager).
    for (const login of this.logins.values()) {
      login.secret.grantRead(role);
    }
    // The cluster hands out its secret as an attachment, whose grant leaves out the key the secret
    // is encrypted with: without this, reading it fails with AccessDenied from KMS.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [props.encryptionKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
        },
      }),
    );
    const handler = new DeliveryFunction(this, 'RolesProvisioner', {
      functionName: name,
      description: `Provisions the database roles ${props.roles.owner} and ${props.roles.app} (IAM login only)${this.logins.size > 0 ? ' and the password logins' : ''} in ${props.clusterIdentifier}`,
      code: props.deliveryCode,
      handler: 'db-roles',
      role,
      timeout: Duration.minutes(2),
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
      retainData: props.retainData,
      environment: {
        MASTER_SECRET_ARN: secret.secretArn,
        // The RDS certificate authorities ship with the Lambda runtime but are not trusted by default.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
      vpc: props.vpc,
      securityGroups: [securityGroup],
    });

    const provider = deliveryProvider(this, 'Roles', handler, {
      name,
      invokes: 'the provisioner',
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
      retainData: props.retainData,
    });

    const resource = new CustomResource(this, 'Roles', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::DatabaseRoles',
      properties: {
        Host: this.cluster.clusterEndpoint.hostname,
        Port: String(DATABASE_PORT),
        DatabaseName: props.databaseName,
        OwnerRole: props.roles.owner,
        AppRole: props.roles.app,
        ...(this.logins.size > 0 && {
          Logins: [...this.logins.values()].map((l) => ({ Name: l.username, SecretArn: l.secret.secretArn })),
        }),
      },
    });
    // Runs once the writer instance answers (the cluster's children include its instances).
    resource.node.addDependency(this.cluster);
    // A login's first rotation, right after its schedule is created, logs in as the login.
    for (const login of this.logins.values()) {
      login.rotationSchedule.node.addDependency(resource);
    }
    return { handler, resource };
  }
}

/**
 * Without retained data the cluster has no deletion protection, on purpose: seed 000 wants it
 * removed by `cdk destroy`. Both gates that flag this are acknowledged for that case only.
 */
function acknowledgeDataLifecycle(cluster: IConstruct, retainData: boolean): void {
  if (retainData) {
    return;
  }
  const reason =
    'The profile does not retain data, so seed 000 requires `cdk destroy` to delete the database; deletion protection is on exactly when retainData is true';
  Validations.of(cluster).acknowledge(
    { id: 'AwsSolutions::AwsSolutions-RDS10', reason },
    { id: 'cdk-validator-cfnguard::rds_cluster_deletion_protection_enabled_check', reason },
  );
}

import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { allowing, dbConnectTargets, statementsOf } from '../support/db-access';
import { stageTemplates } from '../support/stages';

const dev = stageTemplates('dev');
const prod = stageTemplates('prod');

describe('data stack', () => {
  it('runs Aurora PostgreSQL Serverless v2 sized by the profile', () => {
    expect(dev.stage.data.stackName).toBe('ias-dev-data');
    dev.data.hasResourceProperties('AWS::RDS::DBCluster', {
      DBClusterIdentifier: 'ias-dev-db',
      Engine: 'aurora-postgresql',
      DatabaseName: 'inventory',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 2 },
      StorageEncrypted: true,
      KmsKeyId: Match.anyValue(),
      EnableIAMDatabaseAuthentication: true,
      BackupRetentionPeriod: 1,
    });
    prod.data.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: { MinCapacity: 2, MaxCapacity: 32 },
      BackupRetentionPeriod: 30,
    });
    dev.data.resourceCountIs('AWS::RDS::DBInstance', 1);
    prod.data.resourceCountIs('AWS::RDS::DBInstance', 2);
    dev.data.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.serverless',
      PubliclyAccessible: false,
    });
  });

  it('requires TLS on every connection', () => {
    dev.data.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Parameters: Match.objectLike({ 'rds.force_ssl': '1' }),
    });
  });

  it('places the cluster in the isolated subnets only', () => {
    const groups = Object.values(dev.data.findResources('AWS::RDS::DBSubnetGroup'));
    expect(groups).toHaveLength(1);
    expect(JSON.stringify(groups[0]?.Properties.SubnetIds)).toMatch(/isolatedSubnet1.*isolatedSubnet2/);
    expect(JSON.stringify(groups[0]?.Properties.SubnetIds)).not.toMatch(/privateSubnet|publicSubnet/);
  });

  it('keeps the credentials in Secrets Manager under /<prefix>/<env>/ and rotates them', () => {
    dev.data.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: '/ias/dev/db/credentials',
      KmsKeyId: Match.anyValue(),
    });
    dev.data.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      HostedRotationLambda: Match.objectLike({
        RotationType: 'PostgreSQLSingleUser',
        RotationLambdaName: 'ias-dev-db-rotation',
        VpcSubnetIds: Match.anyValue(),
      }),
    });
  });

  it('gives the rotation function a removable log group and only HTTPS and PostgreSQL out', () => {
    dev.data.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({ LogGroupName: '/aws/lambda/ias-dev-db-rotation', RetentionInDays: 7 }),
      DeletionPolicy: 'Delete',
    });
    dev.data.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^ias-dev-db-rotation:'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })],
    });
  });

  it('deletes the cluster without a final snapshot in dev, keeps and protects it in prod', () => {
    dev.data.hasResource('AWS::RDS::DBCluster', {
      Properties: Match.objectLike({ DeletionProtection: false }),
      DeletionPolicy: 'Delete',
    });
    prod.data.hasResource('AWS::RDS::DBCluster', {
      Properties: Match.objectLike({ DeletionProtection: true }),
      DeletionPolicy: 'Retain',
    });
    for (const instance of Object.values(dev.data.findResources('AWS::RDS::DBInstance'))) {
      expect(instance.DeletionPolicy).toBe('Delete');
    }
  });

  it('owns the PostgreSQL log group so that cdk destroy removes it', () => {
    dev.data.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({
        LogGroupName: '/aws/rds/cluster/ias-dev-db/postgresql',
        RetentionInDays: 7,
      }),
      DeletionPolicy: 'Delete',
    });
    const cluster = Object.values(dev.data.findResources('AWS::RDS::DBCluster'))[0];
    expect(cluster?.DependsOn).toContain('DatabasePostgresqlLogs0EEFD61B');
  });

  it('puts an RDS Proxy with end-to-end IAM authentication and TLS in front of the cluster only when the profile asks', () => {
    dev.data.resourceCountIs('AWS::RDS::DBProxy', 0);
    // End-to-end IAM: clients must log in with IAM tokens (IAM_AUTH covers the client side, so
    // there is no SECRETS auth entry, whose IAMAuth field would say REQUIRED), and the proxy logs
    // in to the cluster with IAM through its role; no secret is attached to it.
    prod.data.hasResourceProperties('AWS::RDS::DBProxy', {
      DBProxyName: 'ias-prod-db-proxy',
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      DefaultAuthScheme: 'IAM_AUTH',
      Auth: Match.absent(),
    });
    expect(dbConnectTargets(statementsOf(prod.data, 'DatabaseProxyRole'))).toEqual([
      'cluster/inventory_app',
      'cluster/inventory_owner',
    ]);
    expect(allowing(statementsOf(prod.data, 'DatabaseProxyRole'), 'secretsmanager:GetSecretValue')).toEqual(
      [],
    );
  });

  it('provisions the owner and application roles with a custom resource, in the VPC, as the master user', () => {
    dev.data.hasResourceProperties('Custom::DatabaseRoles', {
      DatabaseName: 'inventory',
      OwnerRole: 'inventory_owner',
      AppRole: 'inventory_app',
      Port: '5432',
      // The cluster itself: the master user has no IAM login for the proxy.
      Host: { 'Fn::GetAtt': ['DatabaseCluster5B53A178', 'Endpoint.Address'] },
    });
    const resource = Object.values(dev.data.findResources('Custom::DatabaseRoles'))[0];
    expect(resource?.DependsOn).toEqual(expect.arrayContaining(['DatabaseClusterWriterD43085C6']));
    dev.data.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ias-dev-db-roles',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          MASTER_SECRET_ARN: { Ref: 'DatabaseClusterSecretAttachmentDC8466C0' },
          NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        }),
      },
    });
    for (const name of ['/aws/lambda/ias-dev-db-roles', '/aws/lambda/ias-dev-db-roles-provider']) {
      dev.data.hasResource('AWS::Logs::LogGroup', {
        Properties: Match.objectLike({ LogGroupName: name }),
        DeletionPolicy: 'Delete',
      });
    }
    dev.data.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^ias-dev-db-roles:'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })],
    });
    dev.data.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseRolesSecurityGroup'), 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': ['DatabaseSecurityGroup5C91FDCB', 'GroupId'] },
      FromPort: 5432,
      ToPort: 5432,
    });
  });

  it('lets only the roles provisioner read the master secret (rotation aside)', () => {
    for (const env of [dev, prod]) {
      const stacks = [
        env.stage.data,
        ...env.stage.workloads.function.values(),
        ...env.stage.workloads.service.values(),
      ];
      const readers = stacks.flatMap((stack) =>
        Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
          .filter(([, p]) =>
            allowing(p.Properties.PolicyDocument.Statement, 'secretsmanager:GetSecretValue').some((st) =>
              JSON.stringify(st.Resource).includes('DatabaseClusterSecret'),
            ),
          )
          .map(([, p]) => JSON.stringify(p.Properties.Roles)),
      );
      expect(readers).toEqual(['[{"Ref":"DatabaseRolesRole87499474"}]']);
    }
  });

  it('lets the workload security group reach PostgreSQL on the proxy and the cluster, nothing else in', () => {
    const ingress = Object.values(prod.data.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress.length).toBeGreaterThan(0);
    for (const rule of ingress) {
      expect(rule.Properties.CidrIp).toBeUndefined();
      expect(rule.Properties.SourceSecurityGroupId).toBeDefined();
    }
    const fromApp = ingress.filter((r) =>
      JSON.stringify(r.Properties.SourceSecurityGroupId).includes('AppSecurityGroup'),
    );
    expect(fromApp.map((r) => [r.Properties.FromPort, r.Properties.ToPort])).toEqual([
      [5432, 5432],
      [5432, 5432],
    ]);
    prod.data.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^ias-prod-db:'),
      SecurityGroupEgress: [
        Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
      ],
    });
  });

  it('keeps the logical IDs of the cluster and its secret (renaming one would replace the data)', () => {
    expect(Object.keys(dev.data.findResources('AWS::RDS::DBCluster'))).toEqual(['DatabaseCluster5B53A178']);
    expect(Object.keys(dev.data.findResources('AWS::RDS::DBInstance'))).toEqual([
      'DatabaseClusterWriterD43085C6',
    ]);
    expect(Object.keys(dev.data.findResources('AWS::SecretsManager::Secret'))).toEqual([
      'iasdevdataDatabaseClusterSecret6963B9773fdaad7efa858a3daf9490cf0a702aeb',
    ]);
  });
});

import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { kubernetesTarget } from '@ias/targets';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  acknowledgeCdkProviders,
  acknowledgeCrossStackSettings,
  acknowledgeLogGroupFindings,
} from '../../lib/aspects/acknowledgements';
import { addPolicyGates } from '../../lib/aspects/policy-gates';
import { cdkContext, DELIVERY_CODE } from '../../lib/config/project';
import { EnvironmentStage } from '../../lib/environment-stage';
import { readGateResults } from '../../lib/plan/gates';
import { DataStack } from '../../lib/stacks/data-stack';
import { allowing, statementsOf } from '../support/db-access';
import { buildStage, environmentConfig, SERVICES } from '../support/stages';

/**
 * The data stack of an environment with Kubernetes applications, built beside the stage's own
 * (which the real app builds without any yet: its templates stay as they were).
 */
function dataStackWithApps(stage: EnvironmentStage, env: string, apps: readonly string[]): DataStack {
  return new DataStack(stage, 'data-k8s', {
    config: environmentConfig(env),
    naming: stage.naming,
    stackName: stage.naming.stackName('data-k8s'),
    vpc: stage.network.vpc,
    appSecurityGroup: stage.network.appSecurityGroup,
    encryptionKey: stage.foundation.key,
    deliveryCode: DELIVERY_CODE,
    kubernetesApps: apps,
  });
}

const devStage = buildStage('dev');
const dev = Template.fromStack(dataStackWithApps(devStage, 'dev', ['inventory-api']));
const prodStack = dataStackWithApps(buildStage('prod'), 'prod', ['inventory-api', 'orders']);
const prod = Template.fromStack(prodStack);
const target = kubernetesTarget(environmentConfig('dev'), { name: 'inventory-api' });

const LOGIN_SECRET = 'DatabaseLogininventoryapiloginSecret758CDB95';
const LOGIN_ATTACHMENT = 'DatabaseLogininventoryapiloginSecretAttachment25325ADF';
const MASTER_ATTACHMENT = 'DatabaseClusterSecretAttachmentDC8466C0';

describe('data stack with Kubernetes applications', () => {
  it("keeps each application's login in a secret named by its target, generated and encrypted with the environment key", () => {
    expect(target.databaseSecret).toBe('/ias/dev/db/inventory-api-login');
    expect(target.databaseLogin).toBe('inventory_api_login');
    dev.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({
        Name: target.databaseSecret,
        KmsKeyId: Match.objectLike({
          'Fn::GetStackOutput': Match.objectLike({ StackName: 'ias-dev-foundation' }),
        }),
        GenerateSecretString: Match.objectLike({
          GenerateStringKey: 'password',
          // username, the database the rotation tests in, and the master secret it rotates with.
          SecretStringTemplate: {
            'Fn::Join': [
              '',
              [
                `{"username":"${target.databaseLogin}","dbname":"inventory","masterarn":"`,
                { Ref: MASTER_ATTACHMENT },
                '"}',
              ],
            ],
          },
        }),
      }),
      DeletionPolicy: 'Delete',
    });
    // Attached to the cluster, so the secret holds host, port and engine (the rotation needs them).
    dev.hasResourceProperties('AWS::SecretsManager::SecretTargetAttachment', {
      SecretId: { Ref: LOGIN_SECRET },
      TargetId: { Ref: 'DatabaseCluster5B53A178' },
      TargetType: 'AWS::RDS::DBCluster',
    });
    // Kept with the data where the profile keeps it.
    for (const name of ['/ias/prod/db/inventory-api-login', '/ias/prod/db/orders-login']) {
      prod.hasResource('AWS::SecretsManager::Secret', {
        Properties: Match.objectLike({ Name: name }),
        DeletionPolicy: 'Retain',
      });
    }
  });

  it('rotates each login with the alternating-users strategy, as the master, at the profile interval', () => {
    dev.hasResource('AWS::SecretsManager::RotationSchedule', {
      Properties: {
        SecretId: { Ref: LOGIN_ATTACHMENT },
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
        HostedRotationLambda: Match.objectLike({
          RotationType: 'PostgreSQLMultiUser',
          RotationLambdaName: 'ias-dev-db-rotation-inventory-api',
          MasterSecretArn: { Ref: MASTER_ATTACHMENT },
          MasterSecretKmsKeyArn: Match.anyValue(),
          KmsKeyArn: Match.anyValue(),
          VpcSubnetIds: Match.anyValue(),
          VpcSecurityGroupIds: { 'Fn::GetAtt': ['DatabaseRotationSecurityGroup8E1B7C66', 'GroupId'] },
        }),
      },
      // The first rotation runs as soon as the schedule exists and logs in as the login: after
      // the provisioner created it. Its function's log group exists first, to keep its retention.
      DependsOn: ['DatabaseLogininventoryapiloginRotationLogsE2DE3D1D', 'DatabaseRolesEE75E527'],
    });
    dev.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({
        LogGroupName: '/aws/lambda/ias-dev-db-rotation-inventory-api',
        RetentionInDays: 7,
      }),
      DeletionPolicy: 'Delete',
    });
    expect(
      Object.values(prod.findResources('AWS::SecretsManager::RotationSchedule')).map(
        (r) => r.Properties.HostedRotationLambda.RotationType,
      ),
    ).toEqual(['PostgreSQLSingleUser', 'PostgreSQLMultiUser', 'PostgreSQLMultiUser']);
  });

  it('asks the roles provisioner for each login, with the secret of its first password', () => {
    dev.hasResourceProperties('Custom::DatabaseRoles', {
      OwnerRole: 'inventory_owner',
      AppRole: 'inventory_app',
      Logins: [{ Name: 'inventory_api_login', SecretArn: { Ref: LOGIN_ATTACHMENT } }],
    });
    prod.hasResourceProperties('Custom::DatabaseRoles', {
      Logins: [
        { Name: 'inventory_api_login', SecretArn: Match.anyValue() },
        { Name: 'orders_login', SecretArn: Match.anyValue() },
      ],
    });
  });

  it('lets the provisioner read exactly the master secret and the login secrets, decrypting through Secrets Manager only', () => {
    const statements = statementsOf(dev, 'DatabaseRolesRole');
    const reads = allowing(statements, 'secretsmanager:GetSecretValue');
    expect(reads.flatMap((s) => [s.Resource].flat())).toEqual([
      { Ref: MASTER_ATTACHMENT },
      { Ref: LOGIN_ATTACHMENT },
    ]);
    expect(allowing(statements, 'kms:Decrypt')).toEqual([
      expect.objectContaining({
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.ap-northeast-1.amazonaws.com' } },
      }),
    ]);
    // No other role of the stack reads a login secret (the rotation's role is made by its transform).
    const readers = Object.entries(dev.findResources('AWS::IAM::Policy'))
      .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('DatabaseLogin'))
      .map(([, p]) => JSON.stringify(p.Properties.Roles));
    expect(readers).toEqual(['[{"Ref":"DatabaseRolesRole87499474"}]']);
  });

  it("keeps the logical ID of each login's secret (renaming one would replace the password)", () => {
    expect(
      Object.keys(dev.findResources('AWS::SecretsManager::Secret')).filter((id) => id.includes('Login')),
    ).toEqual([LOGIN_SECRET]);
  });

  it('hands each application its login by name', () => {
    const login = prodStack.kubernetesLogins.get('orders');
    expect(login?.username).toBe('orders_login');
    expect([...prodStack.kubernetesLogins.keys()]).toEqual(['inventory-api', 'orders']);
  });
});

describe('policy gates over the data stack with Kubernetes applications', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'data-logins-gates-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('leave no unacknowledged error on the logins, their secrets and rotations', () => {
    const app = new App({
      outdir: scratch,
      context: { ...cdkContext(), '@aws-cdk/core:appMode': 'inmemory' },
    });
    const config = environmentConfig('dev');
    const stage = new EnvironmentStage(app, 'ias-dev', { config, services: SERVICES });
    const stack = dataStackWithApps(stage, 'dev', ['inventory-api']);
    // What the stage does to each of its stacks (this one came after it was built).
    acknowledgeCdkProviders(stack);
    acknowledgeLogGroupFindings(stack, config.profile.logRetentionDays);
    acknowledgeCrossStackSettings(stack);
    addPolicyGates(app);
    app.synth();
    const gates = readGateResults(scratch);
    expect(gates.plugins).toEqual(expect.arrayContaining(['AwsSolutions', 'cdk-validator-cfnguard']));
    expect(gates.errors.filter((e) => e.paths.some((p) => p.includes('/data-k8s/')))).toEqual([]);
  }, 600_000);
});

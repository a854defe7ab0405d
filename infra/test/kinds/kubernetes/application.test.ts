import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployFileSchema, validateManifests } from '@ias/delivery';
import { kubernetesTarget, ledgerTableName, workloadHealthAlarmName } from '@ias/targets';
import { parseAllDocuments } from 'yaml';
import { describe, expect, inject, it } from 'vitest';
import { environmentCanaryAnalysis } from '../../../lib/config/canary-analysis-schema';
import { loadProject } from '../../../lib/config/project';
import { readAssembly, renderValue } from '../../../lib/plan';

const project = loadProject({});
const dir = inject('assemblyDir');
const stages = readAssembly(dir);
const apps = project.kubernetes ?? [];

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

function stackOf(env: string, short: string) {
  return stages
    .find((s) => s.stageId === `${project.prefix}-${env}`)
    ?.stacks.find((s) => s.stackName === `${project.prefix}-${env}-${short}`);
}

function resourcesOf(env: string, short: string, type: string): Resource[] {
  const stack = stackOf(env, short);
  expect(stack, `${project.prefix}-${env}-${short}`).toBeDefined();
  return Object.values((stack?.template.Resources ?? {}) as Record<string, Resource>).filter(
    (r) => r.Type === type,
  );
}

describe('a Kubernetes application in every environment that turns Kubernetes on', () => {
  it('runs the service folder that holds a kubernetes.json', () => {
    expect(apps.map((a) => a.name)).toEqual(['inventory-api']);
  });

  for (const env of project.environments.filter((e) => e.profile.kubernetes.enabled)) {
    for (const app of apps) {
      const target = kubernetesTarget(env, app);
      const short = `k8s-${app.name}`;

      it(`${env.name}: binds its service account to a role that may read its database login only`, () => {
        const [association] = resourcesOf(env.name, short, 'AWS::EKS::PodIdentityAssociation');
        expect(association?.Properties).toMatchObject({
          ClusterName: target.clusterName,
          Namespace: target.namespace,
          ServiceAccount: target.serviceAccount,
        });
        const role = resourcesOf(env.name, short, 'AWS::IAM::Role').find(
          (r) => r.Properties?.['RoleName'] === target.podRoleName,
        );
        expect(JSON.stringify(role?.Properties?.['AssumeRolePolicyDocument'])).toContain(
          'pods.eks.amazonaws.com',
        );
        const statements = resourcesOf(env.name, short, 'AWS::IAM::Policy')
          .filter((p) => JSON.stringify(p.Properties?.['Roles']).includes('PodsRole'))
          .flatMap(
            (p) =>
              (p.Properties?.['PolicyDocument'] as { Statement: { Action: unknown; Resource: unknown }[] })
                .Statement,
          );
        expect(statements.map((s) => s.Action)).toEqual(['secretsmanager:GetSecretValue', 'kms:Decrypt']);
        expect(renderValue(statements[0]?.Resource)).toMatch(
          new RegExp(`:secret:${target.databaseSecret.replace(/\//g, '\\/')}-\\?{6}$`),
        );
      });

      it(`${env.name}: lets its pods (the cluster security group) in to the database on 5432 only`, () => {
        const doors = resourcesOf(env.name, short, 'AWS::EC2::SecurityGroupIngress').filter(
          (r) => r.Properties?.['FromPort'] === 5432,
        );
        expect(doors.length).toBeGreaterThanOrEqual(1);
        for (const door of doors) {
          expect(door.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 });
          expect(JSON.stringify(door.Properties?.['SourceSecurityGroupId'])).toContain(
            'ClusterSecurityGroupId',
          );
        }
      });

      it(`${env.name}: is deployed by a CodeBuild project in the VPC, admitted by an access entry, reading what its deploy file names`, () => {
        const [project_] = resourcesOf(env.name, short, 'AWS::CodeBuild::Project');
        expect(project_?.Properties).toMatchObject({ Name: target.deployProject });
        expect(project_?.Properties?.['VpcConfig']).toBeDefined();
        const [entry] = resourcesOf(env.name, short, 'AWS::EKS::AccessEntry');
        expect(JSON.stringify(entry?.Properties)).toContain('AmazonEKSClusterAdminPolicy');
        const statements = resourcesOf(env.name, short, 'AWS::IAM::Policy').flatMap(
          (p) =>
            (p.Properties?.['PolicyDocument'] as { Statement: { Action: unknown; Resource: unknown }[] })
              .Statement,
        );
        const of = (action: string) =>
          statements
            .filter((s) => [s.Action].flat().includes(action))
            .flatMap((s) => [s.Resource].flat().map(renderValue));
        expect(of('cloudwatch:DescribeAlarms')).toEqual([
          expect.stringMatching(new RegExp(`:alarm:${workloadHealthAlarmName(target.monitoringName)}$`)),
        ]);
        expect(of('ssm:GetParameters').sort()).toEqual(
          ['name', 'port', 'writer-endpoint'].map((p) =>
            expect.stringMatching(new RegExp(`:parameter/${project.prefix}/${env.name}/db/${p}$`)),
          ),
        );
        expect(of('eks:DescribeCluster')).toHaveLength(1);
      });

      const analysis = environmentCanaryAnalysis(env.profile).kubernetes;
      it(`${env.name}: ${analysis ? 'is judged by the canary judge: its analysis in the deploy file, and what the judge reads and keeps granted' : 'is not judged: no canary setting, no grant for the judge'}`, () => {
        const deployFile = deployFileSchema.parse(
          JSON.parse(readFileSync(join(dir, 'k8s', env.name, `${app.name}.deploy.json`), 'utf8')),
        );
        expect(deployFile.canary).toEqual(analysis ? { analysis } : undefined);
        const statements = resourcesOf(env.name, short, 'AWS::IAM::Policy').flatMap(
          (p) =>
            (
              p.Properties?.['PolicyDocument'] as {
                Statement: { Action: unknown; Resource: unknown; Condition?: unknown }[];
              }
            ).Statement,
        );
        const judge = [
          'cloudwatch:GetMetricData',
          'elasticloadbalancing:DescribeTargetGroups',
          'dynamodb:PutItem',
        ];
        const granted = statements.filter((s) => [s.Action].flat().some((a) => judge.includes(String(a))));
        if (!analysis) {
          expect(granted).toEqual([]);
          return;
        }
        expect(
          granted.map((s) => [[s.Action].flat(), [s.Resource].flat().map(renderValue), s.Condition]),
        ).toEqual([
          [['cloudwatch:GetMetricData', 'elasticloadbalancing:DescribeTargetGroups'], ['*'], undefined],
          [
            ['dynamodb:PutItem'],
            [expect.stringMatching(new RegExp(`:table/${ledgerTableName(project.prefix, env.name)}$`))],
            // The looks only, never a release.
            { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['canary#*'] } },
          ],
        ]);
      });

      it(`${env.name}: writes its deploy file and review copy under k8s/${env.name}/, the copy valid for Kubernetes ${env.profile.kubernetes.version}`, async () => {
        const deployFile = deployFileSchema.parse(
          JSON.parse(readFileSync(join(dir, 'k8s', env.name, `${app.name}.deploy.json`), 'utf8')),
        );
        expect(deployFile.target.deployments).toEqual(target.deployments);
        expect(deployFile.settings).toEqual(env.profile.kubernetes.deployment);
        expect(deployFile.alarms).toEqual([workloadHealthAlarmName(target.monitoringName)]);
        expect(deployFile.input.config).toMatchObject({
          PGSSLMODE: 'verify-full',
          MIGRATE_ON_START: 'false',
        });
        const objects = parseAllDocuments(
          readFileSync(join(dir, 'k8s', env.name, `${app.name}.yaml`), 'utf8'),
        ).map((d) => d.toJSON() as { kind: string; apiVersion: string; metadata: { name: string } });
        expect(await validateManifests(objects as never)).toEqual([]);
        const kinds = objects.map((o) => o.kind);
        for (const kind of [
          'Namespace',
          'ServiceAccount',
          'ConfigMap',
          'SecretProviderClass',
          'Ingress',
          'Deployment',
          'HorizontalPodAutoscaler',
          'PodDisruptionBudget',
        ]) {
          expect(kinds, kind).toContain(kind);
        }
        expect(
          objects
            .filter((o) => o.kind === 'Deployment')
            .map((o) => o.metadata.name)
            .sort(),
        ).toEqual([target.deployments.blue, target.deployments.green].sort());
      }, 60_000);
    }
  }
});

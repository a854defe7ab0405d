import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubernetesTarget, pipelineNames } from '@ias/targets';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadAssembly, type AssemblyModel, type CfnResource, type StackModel } from '../src/check/assembly';
import type { Finding } from '../src/check/check';
import { checkAssemblyModel } from '../src/index';
import { naming, project, removeAction, resources, stackOf } from './support/mutate';

const region = project.environments[0]?.profile.region ?? 'ap-northeast-1';
const app = project.kubernetes?.[0];

let pristine: AssemblyModel;
beforeAll(() => {
  pristine = loadAssembly(inject('assemblyDir'), region);
});

/** A fresh copy of the synthesized assembly to break. */
function model(): AssemblyModel {
  return structuredClone(pristine);
}

/** The application's names in an environment (its deploy project, its pods' workload, its stack). */
function names(env: string) {
  const environment = project.environments.find((e) => e.name === env);
  if (!app || !environment) throw new Error(`no Kubernetes application in ${env}`);
  const target = kubernetesTarget(environment, app);
  return { target, pods: `${target.namespace}/${target.app} pods`, stack: target.stackName };
}

/** The deploy file the assembly holds for a deploy project (the `deploy.json` of its source asset). */
function deployFile(project: string): { parameters: Record<string, string>; canary?: unknown } {
  const dir = inject('assemblyDir');
  for (const asset of readdirSync(dir).filter((d) => d.startsWith('asset.'))) {
    const path = join(dir, asset, 'deploy.json');
    const file = existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as { target: { deployProject: string } })
      : undefined;
    if (file?.target.deployProject === project)
      return file as unknown as { parameters: Record<string, string> };
  }
  throw new Error(`no deploy.json of ${project} in the assembly`);
}

async function findingsFor(broken: AssemblyModel, workload: string): Promise<Finding[]> {
  return (await checkAssemblyModel(broken)).findings.filter((f) => f.workload === workload);
}

describe.runIf(app)('a Kubernetes application', () => {
  it('is two workloads in each environment that runs it: its deploy project and its pods', async () => {
    const report = await checkAssemblyModel(model());
    for (const env of ['dev', 'staging', 'prod']) {
      const rows = report.stages.find((s) => s.stageId === naming(env).base)?.rows ?? [];
      const { target, pods } = names(env);
      expect(rows.find((r) => r.workload === target.deployProject)?.cells).toMatchObject({
        permissions: 'ok',
        configuration: 'ok',
      });
      // The pods' settings are the ConfigMap's and the container's, parsed by the service's schema.
      expect(rows.find((r) => r.workload === pods)?.cells.permissions).toBe('ok');
    }
  });

  it("names the pods and their login when the pod role's grant to read the secret is removed", async () => {
    const broken = model();
    const { target, pods, stack } = names('dev');
    expect(
      removeAction(broken, 'dev', 'secretsmanager:GetSecretValue', (s) => s.stackName === stack),
    ).toBeGreaterThan(0);
    expect(await findingsFor(broken, pods)).toContainEqual(
      expect.objectContaining({
        check: 'permissions',
        fails: expect.stringMatching(
          new RegExp(
            `the secrets provider mounts .* as its pods: secretsmanager:GetSecretValue on .*:secret:${target.databaseSecret}-`,
          ),
        ),
        missing: expect.stringContaining(`pod role ${target.podRoleName} secretsmanager:GetSecretValue`),
      }),
    );
  });

  it("names the pods when the database's ingress from the cluster security group is removed", async () => {
    const broken = model();
    const { pods, stack } = names('dev');
    const template = stackOf(broken, 'dev', stack.replace(`${naming('dev').base}-`, '')).template;
    const doors = Object.entries(template.Resources ?? {}).filter(
      ([, r]) =>
        r.Type === 'AWS::EC2::SecurityGroupIngress' &&
        r.Properties?.FromPort === 5432 &&
        JSON.stringify(r.Properties.SourceSecurityGroupId).includes('ClusterSecurityGroupId'),
    );
    expect(doors.length).toBeGreaterThan(0);
    for (const [id] of doors) {
      delete template.Resources?.[id];
    }
    expect(await findingsFor(broken, pods)).toContainEqual(
      expect.objectContaining({
        check: 'network',
        fails: expect.stringMatching(/^it cannot connect to the (cluster|proxy) /),
        missing: expect.stringContaining('no ingress rule for port 5432'),
      }),
    );
  });

  it("names the deploy project and the cluster when its role's grant to describe the cluster is removed", async () => {
    const broken = model();
    const { target } = names('dev');
    expect(removeAction(broken, 'dev', 'eks:DescribeCluster')).toBeGreaterThan(0);
    expect(await findingsFor(broken, target.deployProject)).toContainEqual(
      expect.objectContaining({
        check: 'permissions',
        fails: expect.stringContaining(
          `its code calls eks:DescribeCluster: eks:DescribeCluster on arn:aws:eks:${region}:`,
        ),
        missing: expect.stringContaining(`:cluster/${target.clusterName}`),
      }),
    );
  });

  it('names the deploy project and each SSM setting of its deploy file when its grant to read them is removed', async () => {
    const broken = model();
    const { target, stack } = names('dev');
    expect(removeAction(broken, 'dev', 'ssm:GetParameters', (s) => s.stackName === stack)).toBeGreaterThan(0);
    const denied = (await findingsFor(broken, target.deployProject))
      .filter((f) => f.check === 'permissions')
      .map((f) => /ssm:GetParameters on arn:aws:ssm:[^:]+:\d+:parameter(\S+) is denied/.exec(f.fails)?.[1]);
    expect(denied.sort()).toEqual(Object.values(deployFile(target.deployProject).parameters).sort());
  });

  it("holds the deploy projects whose deploy file has the canary judge, and only those, to the judge's calls", async () => {
    const envs = ['dev', 'staging', 'prod'];
    const judged = envs.filter((env) => deployFile(names(env).target.deployProject).canary !== undefined);
    // The profile judges prod's Kubernetes deployments (infra/lib/config/environments.ts).
    expect(judged).toContain('prod');
    const broken = model();
    const calls = [
      'cloudwatch:GetMetricData',
      'elasticloadbalancing:DescribeTargetGroups',
      'dynamodb:PutItem',
    ];
    for (const env of envs) {
      for (const action of calls) removeAction(broken, env, action, (s) => s.stackName === names(env).stack);
    }
    const report = await checkAssemblyModel(broken);
    for (const env of envs) {
      const { target } = names(env);
      const denied = report.findings
        .filter((f) => f.workload === target.deployProject && f.check === 'permissions')
        .map((f) => /^its code calls (\S+):/.exec(f.fails)?.[1]);
      expect(denied.sort(), env).toEqual(judged.includes(env) ? [...calls].sort() : []);
    }
    // The looks go to the environment's own ledger table.
    const { target } = names('prod');
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        workload: target.deployProject,
        fails: expect.stringMatching(
          new RegExp(
            `dynamodb:PutItem on arn:aws:dynamodb:[^:]+:\\d+:table/${naming('prod').name('releases')} is denied`,
          ),
        ),
      }),
    );
  });

  it('names the deploy project when the Kubernetes API does not admit it', async () => {
    const broken = model();
    const { target, stack } = names('staging');
    const template = stackOf(broken, 'staging', stack.replace(`${naming('staging').base}-`, '')).template;
    const door = Object.entries(template.Resources ?? {}).find(
      ([, r]) => r.Type === 'AWS::EC2::SecurityGroupIngress' && r.Properties?.FromPort === 443,
    );
    expect(door).toBeDefined();
    delete template.Resources?.[door?.[0] ?? ''];
    expect(await findingsFor(broken, target.deployProject)).toContainEqual(
      expect.objectContaining({
        check: 'network',
        fails: `it cannot connect to the Kubernetes API of ${target.clusterName}: the connection times out`,
      }),
    );
  });

  it('names the deploy project and the alarm when an alarm its deploy file watches does not exist', async () => {
    const broken = model();
    const { target } = names('prod');
    const [alarm] =
      resources(broken, 'prod').find(
        ([, , r]) =>
          r.Type === 'AWS::CloudWatch::CompositeAlarm' &&
          r.Properties?.AlarmName === `${target.monitoringName}-health`,
      ) ?? [];
    expect(alarm).toBeDefined();
    for (const [stack, id, r] of resources(broken, 'prod')) {
      if (
        r.Type === 'AWS::CloudWatch::CompositeAlarm' &&
        r.Properties?.AlarmName === `${target.monitoringName}-health`
      ) {
        delete stack.template.Resources?.[id];
      }
    }
    expect(await findingsFor(broken, target.deployProject)).toContainEqual({
      stage: naming('prod').base,
      workload: target.deployProject,
      check: 'configuration',
      fails: `every deploy stops: the alarm ${target.monitoringName}-health it watches does not exist`,
      missing: `the alarm ${target.monitoringName}-health`,
    });
  });

  it("names the service's pipeline steps and each deploy project when the steps role's grant to start its builds is removed", async () => {
    const broken = model();
    const pipeline = pipelineNames(project.prefix, app?.name ?? '');
    // The steps function's role, as the function names it (`Fn::GetAtt: [<role>, Arn]`).
    const [, , steps] =
      resources(broken).find(
        ([stack, , r]) =>
          stack.stackName === pipeline.stack &&
          r.Type === 'AWS::Lambda::Function' &&
          r.Properties?.FunctionName === pipeline.steps,
      ) ?? [];
    const [role] = (steps?.Properties?.Role as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt'] ?? [];
    expect(role).toBeDefined();
    // Its policies only: the pipeline's own roles may still start the service's build project.
    const ofStepsRole = (stack: StackModel, r: CfnResource) =>
      stack.stackName === pipeline.stack &&
      r.Type === 'AWS::IAM::Policy' &&
      JSON.stringify(r.Properties?.Roles).includes(`{"Ref":"${role}"}`);
    expect(removeAction(broken, undefined, 'codebuild:StartBuild', ofStepsRole)).toBeGreaterThan(0);
    const denied = (await findingsFor(broken, pipeline.steps))
      .filter((f) => f.check === 'permissions')
      .map(
        (f) =>
          /codebuild:StartBuild on arn:aws:codebuild:[^:]+:\d+:project\/(\S+) is denied/.exec(f.fails)?.[1],
      );
    // Each environment's DeployKubernetes action starts its own application's deploy project.
    expect(denied.sort()).toEqual(['dev', 'prod', 'staging'].map((env) => names(env).target.deployProject));
  });

  it('names the pods when the mounted login outlives a rotation, until the driver refreshes it', async () => {
    const { target, pods } = names('dev');
    const withSecret = (rotation: boolean): AssemblyModel => {
      const broken = model();
      const data = stackOf(broken, 'dev', 'data').template;
      const found = resources(broken, 'dev').some(
        ([, , r]) => r.Type === 'AWS::SecretsManager::Secret' && r.Properties?.Name === target.databaseSecret,
      );
      if (!found) {
        // As the data stack makes each application's login (a generated password, rotated).
        Object.assign(data.Resources ?? {}, {
          WiringLogin: {
            Type: 'AWS::SecretsManager::Secret',
            Properties: {
              Name: target.databaseSecret,
              GenerateSecretString: {
                SecretStringTemplate: JSON.stringify({ username: target.databaseLogin }),
                GenerateStringKey: 'password',
              },
            },
          },
          WiringLoginRotation: {
            Type: 'AWS::SecretsManager::RotationSchedule',
            Properties: { SecretId: { Ref: 'WiringLogin' }, RotationRules: { AutomaticallyAfterDays: 30 } },
          },
        });
      }
      const [, , addon] =
        resources(broken, 'dev').find(
          ([, , r]) =>
            r.Type === 'AWS::EKS::Addon' &&
            r.Properties?.AddonName === 'aws-secrets-store-csi-driver-provider',
        ) ?? [];
      expect(addon).toBeDefined();
      if (addon?.Properties) {
        addon.Properties.ConfigurationValues = rotation
          ? JSON.stringify({ 'secrets-store-csi-driver': { enableSecretRotation: true } })
          : undefined;
      }
      return broken;
    };
    const database = (findings: Finding[]) => findings.filter((f) => f.check === 'database');
    expect(database(await findingsFor(withSecret(false), pods))).toContainEqual(
      expect.objectContaining({
        fails: expect.stringMatching(
          /^within two credential rotations \(every \d+ days;.*new connections fail until the pods restart: \/mnt\/.* keeps the login .* read at start/,
        ),
      }),
    );
    expect(database(await findingsFor(withSecret(true), pods))).toEqual([]);
  });
});

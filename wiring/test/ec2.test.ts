import { ec2Target, pipelineNames } from '@ias/targets';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadAssembly, type AssemblyModel, type CfnResource, type StackModel } from '../src/check/assembly';
import type { Finding } from '../src/check/check';
import { checkAssemblyModel } from '../src/index';
import { naming, project, removeAction, resources, stackOf } from './support/mutate';

const region = project.environments[0]?.profile.region ?? 'ap-northeast-1';
const app = project.ec2?.[0];

let pristine: AssemblyModel;
beforeAll(() => {
  pristine = loadAssembly(inject('assemblyDir'), region);
});

/** A fresh copy of the synthesized assembly to break. */
function model(): AssemblyModel {
  return structuredClone(pristine);
}

/** The application's names in an environment; its instances are checked under the launch template's. */
function names(env: string) {
  const environment = project.environments.find((e) => e.name === env);
  if (!app || !environment) throw new Error(`no EC2 application in ${env}`);
  const target = ec2Target(environment, app);
  return {
    target,
    instances: target.launchTemplateName,
    groupResource: `${target.application.replace(/-app$/, '')}-group-resource`,
    ofStack: (stack: StackModel) => stack.stackName === target.stackName,
  };
}

async function findingsFor(broken: AssemblyModel, workload: string): Promise<Finding[]> {
  return (await checkAssemblyModel(broken)).findings.filter((f) => f.workload === workload);
}

/** The resource IDs of what `find` matches in a finding of `check`. */
function denied(findings: readonly Finding[], pattern: RegExp): string[] {
  return findings.flatMap((f) => pattern.exec(f.fails)?.[1] ?? []).sort();
}

describe.runIf(app)('an EC2 application', () => {
  it("is its instances in each environment, every check passing, and prod's blue/green group resource", async () => {
    const report = await checkAssemblyModel(model());
    for (const env of ['dev', 'staging', 'prod']) {
      const rows = report.stages.find((s) => s.stageId === naming(env).base)?.rows ?? [];
      // Settings parsed by the service's own schema, the database by IAM as the application and owner.
      expect(rows.find((r) => r.workload === names(env).instances)?.cells).toEqual({
        permissions: 'ok',
        configuration: 'ok',
        network: 'ok',
        database: 'ok',
      });
    }
    const prod = report.stages.find((s) => s.stageId === naming('prod').base)?.rows ?? [];
    expect(prod.find((r) => r.workload === names('prod').groupResource)?.cells.permissions).toBe('ok');
  });

  it('names the instance role and each SSM setting when its grant to read them is removed', async () => {
    const broken = model();
    const { target, instances, ofStack } = names('dev');
    expect(removeAction(broken, 'dev', 'ssm:GetParameter', ofStack)).toBeGreaterThan(0);
    const findings = (await findingsFor(broken, instances)).filter((f) => f.check === 'permissions');
    expect(findings.map((f) => f.missing)).toEqual(
      findings.map(() =>
        expect.stringContaining(`instance role ${target.instanceRoleName} ssm:GetParameter`),
      ),
    );
    // AfterInstall reads each `ssm:` setting the user data writes: the database's endpoint, port and name.
    expect(denied(findings, /ssm:GetParameter on arn:aws:ssm:[^:]+:\d+:parameter(\S+) is denied/)).toEqual(
      ['endpoint', 'name', 'port'].map((p) => naming('dev').path('db', p)),
    );
  });

  it('names the instances and each database user when the instance role may not connect', async () => {
    const broken = model();
    const { target, instances, ofStack } = names('staging');
    expect(removeAction(broken, 'staging', 'rds-db:connect', ofStack)).toBeGreaterThan(0);
    const findings = (await findingsFor(broken, instances)).filter((f) => f.check === 'database');
    expect(denied(findings, /connects to the proxy \S+ as (\S+) with an IAM token: rds-db:connect/)).toEqual([
      'inventory_app',
      'inventory_owner',
    ]);
    expect(findings[0]?.missing).toContain(`instance role ${target.instanceRoleName} rds-db:connect`);
  });

  it("names the instances and the setting when the user data's settings file stops setting one", async () => {
    const broken = model();
    const { instances, ofStack } = names('prod');
    let edited = 0;
    for (const [stack, , r] of resources(broken, 'prod')) {
      if (!ofStack(stack) || r.Type !== 'AWS::EC2::LaunchTemplate') continue;
      const data = r.Properties?.LaunchTemplateData as { UserData: unknown };
      const text = JSON.stringify(data.UserData);
      data.UserData = JSON.parse(text.replace('\\nPGUSER=inventory_app', '')) as unknown;
      edited += text === JSON.stringify(data.UserData) ? 0 : 1;
    }
    expect(edited).toBe(1);
    expect(await findingsFor(broken, instances)).toContainEqual(
      expect.objectContaining({ check: 'configuration', missing: expect.stringContaining('PGUSER') }),
    );
  });

  it('names the instances and the artifact store when the CodeDeploy agent may not download the revisions', async () => {
    const broken = model();
    const { instances, ofStack } = names('dev');
    expect(removeAction(broken, 'dev', 's3:GetObject', ofStack)).toBeGreaterThan(0);
    const findings = await findingsFor(broken, instances);
    expect(findings).toContainEqual(
      expect.objectContaining({
        check: 'permissions',
        fails: expect.stringMatching(
          new RegExp(
            `^the CodeDeploy agent downloads the revisions .* from ${pipelineNames(project.prefix, app?.name ?? '').artifactStore}-\\d+: s3:GetObject`,
          ),
        ),
      }),
    );
  });

  it("names the instances and the endpoint when the CodeDeploy agent's commands endpoint is removed where there is no NAT gateway", async () => {
    const broken = model();
    const network = stackOf(broken, 'dev', 'network');
    const endpoint = Object.entries(network.template.Resources ?? {}).find(
      ([, r]) =>
        r.Type === 'AWS::EC2::VPCEndpoint' &&
        JSON.stringify(r.Properties?.ServiceName).includes('.codedeploy-commands-secure'),
    );
    expect(endpoint).toBeDefined();
    delete network.template.Resources?.[endpoint?.[0] ?? ''];
    expect(await findingsFor(broken, names('dev').instances)).toContainEqual(
      expect.objectContaining({
        check: 'network',
        fails: 'its calls to codedeploy-commands-secure time out',
        missing: `no NAT gateway and no VPC endpoint com.amazonaws.${region}.codedeploy-commands-secure`,
      }),
    );
  });

  it("names the instances when the database's ingress from the workload security group is removed", async () => {
    const broken = model();
    const data = stackOf(broken, 'dev', 'data');
    const ingress = Object.entries(data.template.Resources ?? {}).filter(
      ([, r]) =>
        r.Type === 'AWS::EC2::SecurityGroupIngress' &&
        r.Properties?.FromPort === 5432 &&
        JSON.stringify(r.Properties.SourceSecurityGroupId).includes('AppSecurityGroup'),
    );
    expect(ingress.length).toBeGreaterThan(0);
    for (const [id] of ingress) {
      delete data.template.Resources?.[id];
    }
    expect(await findingsFor(broken, names('dev').instances)).toContainEqual(
      expect.objectContaining({ check: 'network', missing: expect.stringContaining('port 5432') }),
    );
  });

  it("names the service's pipeline steps and each fleet's group when the steps role's ec2-record grant is removed", async () => {
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
    const ofStepsRole = (stack: StackModel, r: CfnResource) =>
      stack.stackName === pipeline.stack &&
      r.Type === 'AWS::IAM::Policy' &&
      JSON.stringify(r.Properties?.Roles).includes(`{"Ref":"${role}"}`);
    expect(removeAction(broken, undefined, 'codedeploy:GetDeploymentGroup', ofStepsRole)).toBeGreaterThan(0);
    const findings = (await findingsFor(broken, pipeline.steps)).filter((f) => f.check === 'permissions');
    // Each environment's RecordEc2 action reads its own fleet's group.
    expect(
      denied(
        findings,
        /codedeploy:GetDeploymentGroup on arn:aws:codedeploy:[^:]+:\d+:deploymentgroup:(\S+) is denied/,
      ),
    ).toEqual(
      ['dev', 'prod', 'staging'].map(
        (env) => `${names(env).target.application}/${names(env).target.deploymentGroup}`,
      ),
    );
  });

  it("names the blue/green group's resource when its grant to delete CodeDeploy's copies of the fleet is removed", async () => {
    const broken = model();
    const { target, groupResource, ofStack } = names('prod');
    expect(removeAction(broken, 'prod', 'autoscaling:DeleteAutoScalingGroup', ofStack)).toBeGreaterThan(0);
    expect(await findingsFor(broken, groupResource)).toContainEqual(
      expect.objectContaining({
        check: 'permissions',
        fails: expect.stringContaining(
          `autoscaling:DeleteAutoScalingGroup on arn:aws:autoscaling:${region}:`,
        ),
        missing: expect.stringContaining(`autoScalingGroupName/CodeDeploy_${target.deploymentGroup}_*`),
      }),
    );
  });
});

import { ec2Target, EC2_FLEET_TAG, ec2HostPaths, workloadHealthAlarmName } from '@ias/targets';
import { describe, expect, inject, it } from 'vitest';
import { loadProject } from '../../../lib/config/project';
import { DATABASE_ROLES } from '../../../lib/stacks/data-stack';
import { readAssembly, renderValue } from '../../../lib/plan';

const project = loadProject({});
const dir = inject('assemblyDir');
const stages = readAssembly(dir);
const apps = project.ec2 ?? [];

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  CreationPolicy?: unknown;
  UpdatePolicy?: unknown;
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function resourcesOf(env: string, short: string): Resource[] {
  const stack = stages
    .find((s) => s.stageId === `${project.prefix}-${env}`)
    ?.stacks.find((s) => s.stackName === `${project.prefix}-${env}-${short}`);
  expect(stack, `${project.prefix}-${env}-${short}`).toBeDefined();
  return Object.values((stack?.template.Resources ?? {}) as Record<string, Resource>);
}

const ofType = (resources: readonly Resource[], type: string) => resources.filter((r) => r.Type === type);

function statementsOf(resources: readonly Resource[], roleLogicalIdPart: string): Statement[] {
  return ofType(resources, 'AWS::IAM::Policy')
    .filter((p) => JSON.stringify(p.Properties?.['Roles']).includes(roleLogicalIdPart))
    .flatMap((p) => (p.Properties?.['PolicyDocument'] as { Statement: Statement[] }).Statement);
}

describe('an EC2 application in every environment that turns EC2 on', () => {
  it('runs the service folder that holds an ec2.json', () => {
    expect(apps.map((a) => a.name)).toEqual(['inventory-api']);
  });

  for (const env of project.environments.filter((e) => e.profile.ec2.enabled)) {
    for (const app of apps) {
      const target = ec2Target(env, app);
      const short = `ec2-${app.name}`;
      const { ec2: profile } = env.profile;

      it(`${env.name}: launches Amazon Linux 2023 arm64 from the public parameter, IMDSv2 only, encrypted, no key pair`, () => {
        const resources = resourcesOf(env.name, short);
        const [template] = ofType(resources, 'AWS::EC2::LaunchTemplate');
        const data = template?.Properties?.['LaunchTemplateData'] as Record<string, unknown>;
        expect(template?.Properties?.['LaunchTemplateName']).toBe(target.launchTemplateName);
        expect(data['MetadataOptions']).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
        expect(data['KeyName']).toBeUndefined();
        expect(data['InstanceType']).toBe(profile.instanceType);
        expect(data['BlockDeviceMappings']).toEqual([
          expect.objectContaining({ Ebs: expect.objectContaining({ Encrypted: true, VolumeType: 'gp3' }) }),
        ]);
        // The image: a parameter CloudFormation resolves at deploy time from Systems Manager's public one.
        const stack = stages
          .find((s) => s.stageId === `${project.prefix}-${env.name}`)
          ?.stacks.find((s) => s.stackName === target.stackName);
        const parameters = (stack?.template as { Parameters?: Record<string, { Default?: string }> })
          .Parameters;
        expect(Object.values(parameters ?? {}).map((p) => p.Default)).toContain(
          '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
        );
        expect(JSON.stringify(template?.Properties?.['TagSpecifications'])).toContain(
          JSON.stringify({ Key: EC2_FLEET_TAG, Value: target.fleetTag }),
        );
      });

      it(`${env.name}: lets only its load balancer in, on the application's port (no SSH)`, () => {
        const resources = resourcesOf(env.name, short);
        const ingress = ofType(resources, 'AWS::EC2::SecurityGroupIngress');
        const toInstances = ingress.filter(
          (r) => r.Properties?.['FromPort'] === app.service.manifest.containerPort,
        );
        expect(toInstances).toHaveLength(1);
        expect(JSON.stringify(toInstances[0]?.Properties?.['SourceSecurityGroupId'])).toContain(
          'LoadBalancer',
        );
        expect(ingress.filter((r) => r.Properties?.['FromPort'] === 22)).toEqual([]);
        const groups = ofType(resources, 'AWS::EC2::SecurityGroup');
        for (const group of groups) {
          expect(JSON.stringify(group.Properties?.['SecurityGroupIngress'] ?? [])).not.toContain(
            '"FromPort":22',
          );
        }
      });

      it(`${env.name}: keeps ${profile.capacity.min}-${profile.capacity.max} instances in the private subnets, waiting for their signals, scaling on CPU and requests`, () => {
        const resources = resourcesOf(env.name, short);
        const [group] = ofType(resources, 'AWS::AutoScaling::AutoScalingGroup');
        expect(group?.Properties).toMatchObject({
          AutoScalingGroupName: target.autoScalingGroupName,
          MinSize: String(profile.capacity.min),
          MaxSize: String(profile.capacity.max),
          HealthCheckType: 'EC2',
        });
        expect(group?.CreationPolicy).toEqual({
          ResourceSignal: { Count: profile.capacity.min, Timeout: 'PT15M' },
        });
        expect(JSON.stringify(group?.Properties?.['VPCZoneIdentifier'])).toMatch(/Vpcprivate/);
        const policies = ofType(resources, 'AWS::AutoScaling::ScalingPolicy').map(
          (p) =>
            p.Properties?.['TargetTrackingConfiguration'] as {
              PredefinedMetricSpecification: { PredefinedMetricType: string };
              TargetValue: number;
            },
        );
        expect(
          policies.map((p) => [p.PredefinedMetricSpecification.PredefinedMetricType, p.TargetValue]).sort(),
        ).toEqual(
          [
            ['ALBRequestCountPerTarget', profile.scaling.requestsPerTarget],
            ['ASGAverageCPUUtilization', profile.scaling.cpuTargetPercent],
          ].sort(),
        );
        const [targetGroup] = ofType(resources, 'AWS::ElasticLoadBalancingV2::TargetGroup');
        expect(targetGroup?.Properties).toMatchObject({
          Name: target.targetGroupName,
          TargetType: 'instance',
          HealthCheckPath: app.manifest.readinessPath,
          Port: app.service.manifest.containerPort,
        });
        if (target.style === 'blue-green') {
          // CodeDeploy's copies take the template as it is then; CloudFormation never updates the group.
          expect(JSON.stringify(group?.Properties?.['LaunchTemplate'])).toContain('"Version":"$Latest"');
          expect(group?.UpdatePolicy).not.toHaveProperty('AutoScalingRollingUpdate');
        } else {
          expect(group?.UpdatePolicy).toMatchObject({
            AutoScalingRollingUpdate: {
              MaxBatchSize: 1,
              MinInstancesInService: profile.capacity.min,
              WaitOnResourceSignals: true,
            },
          });
        }
      });

      it(`${env.name}: writes the settings the hooks resolve, starts the CloudWatch agent, waits for the CodeDeploy agent and signals`, () => {
        const resources = resourcesOf(env.name, short);
        const [template] = ofType(resources, 'AWS::EC2::LaunchTemplate');
        // The script: Fn::Base64 of an Fn::Join of text and references (the region).
        const joined = (
          template?.Properties?.['LaunchTemplateData'] as {
            UserData: { 'Fn::Base64': { 'Fn::Join': [string, unknown[]] } };
          }
        ).UserData['Fn::Base64']['Fn::Join'][1];
        const userData = joined.map((part) => (typeof part === 'string' ? part : '<ref>')).join('');
        const host = ec2HostPaths(app.name);
        expect(userData).toContain(`cat > ${host.settingsFile} <<'SETTINGS'`);
        for (const line of [
          `PGHOST=ssm:/${project.prefix}/${env.name}/db/endpoint`,
          `PGPORT=ssm:/${project.prefix}/${env.name}/db/port`,
          `PGDATABASE=ssm:/${project.prefix}/${env.name}/db/name`,
          `PGUSER=${DATABASE_ROLES.app}`,
          `DB_OWNER_USER=${DATABASE_ROLES.owner}`,
          'DB_AUTH=iam',
          'PGSSLMODE=verify-full',
          `PORT=${app.service.manifest.containerPort}`,
        ]) {
          expect(userData).toContain(`\n${line}\n`);
        }
        expect(userData).toContain('amazon-cloudwatch-agent-ctl -a fetch-config');
        expect(userData).toContain(target.logGroups.application);
        expect(userData).toContain(
          "echo ':enable_auth_policy: true' >> /etc/codedeploy-agent/conf/codedeployagent.yml",
        );
        expect(userData).toMatch(/systemctl is-active --quiet codedeploy-agent$/);
        expect(userData).toMatch(/cfn-signal .*-e \$exitCode/);
      });

      it(`${env.name}: installs the CodeDeploy agent through Systems Manager and keeps it current`, () => {
        const [association] = ofType(resourcesOf(env.name, short), 'AWS::SSM::Association');
        expect(association?.Properties).toMatchObject({
          AssociationName: target.agentAssociation,
          Name: 'AWS-ConfigureAWSPackage',
          Parameters: {
            action: ['Install'],
            installationType: ['In-place update'],
            name: ['AWSCodeDeployAgent'],
          },
          Targets: [{ Key: `tag:${EC2_FLEET_TAG}`, Values: [target.fleetTag] }],
        });
        expect(association?.Properties?.['ScheduleExpression']).toBeDefined();
      });

      it(`${env.name}: gives its instances their settings' parameters, the revisions, their logs and the database as the app and owner roles`, () => {
        const resources = resourcesOf(env.name, short);
        const [role] = ofType(resources, 'AWS::IAM::Role').filter(
          (r) => r.Properties?.['RoleName'] === target.instanceRoleName,
        );
        expect(JSON.stringify(role?.Properties?.['AssumeRolePolicyDocument'])).toContain('ec2.amazonaws.com');
        expect(JSON.stringify(role?.Properties?.['ManagedPolicyArns'])).toContain(
          'AmazonSSMManagedInstanceCore',
        );
        const statements = statementsOf(resources, 'FleetRole');
        const of = (action: string) =>
          statements
            .filter((s) => [s.Action].flat().includes(action))
            .flatMap((s) => [s.Resource].flat().map(renderValue));
        expect(of('ssm:GetParameter').sort()).toEqual(
          ['endpoint', 'name', 'port'].map((p) =>
            expect.stringMatching(new RegExp(`:parameter/${project.prefix}/${env.name}/db/${p}$`)),
          ),
        );
        expect(of('s3:GetObject')).toContainEqual(
          expect.stringMatching(new RegExp(`:::${project.prefix}-${app.name}-artifact-store-.+/\\*$`)),
        );
        expect(of('logs:PutLogEvents')).toHaveLength(2);
        expect(
          of('rds-db:connect')
            .map((r) => r.split('/').pop())
            .sort(),
        ).toEqual([DATABASE_ROLES.app, DATABASE_ROLES.owner].sort());
      });

      it(`${env.name}: is deployed ${target.style} (${target.deploymentConfig}) by CodeDeploy, rolling back on failure, stop and alarm`, () => {
        const resources = resourcesOf(env.name, short);
        const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').map((a) =>
          renderValue(a.Properties?.['AlarmName']),
        );
        expect(alarms.length).toBeGreaterThanOrEqual(3);
        // Every alarm stops a deployment except unhealthy instances, which is in ALARM until the first
        // deployment installs the application (CodeDeploy would refuse to start it).
        const unhealthy = alarms.filter((n) => n.includes('-Unhealthy-Hosts-'));
        expect(unhealthy).toHaveLength(1);
        const stopping = alarms
          .filter((n) => !unhealthy.includes(n))
          .map((n) => n.replace(/-/g, ''))
          .sort();
        const alarmNamesOf = (group: Resource | undefined): string[] =>
          (
            (group?.Properties?.['AlarmNames'] as unknown[] | undefined) ??
            (
              (group?.Properties?.['AlarmConfiguration'] as { Alarms?: { Name: unknown }[] } | undefined)
                ?.Alarms ?? []
            ).map((a) => a.Name)
          )
            // A Ref to the alarm renders as its logical ID: the alarm's name without its dashes, and a hash.
            .map((a) => renderValue(a).replace(/^\$\{MonitoringFacade|[0-9A-F]{8}\}$/g, ''))
            .sort();
        const [application] = ofType(resources, 'AWS::CodeDeploy::Application');
        expect(application?.Properties).toMatchObject({
          ApplicationName: target.application,
          ComputePlatform: 'Server',
        });
        if (target.style === 'in-place') {
          const [group] = ofType(resources, 'AWS::CodeDeploy::DeploymentGroup');
          expect(group?.Properties).toMatchObject({
            DeploymentGroupName: target.deploymentGroup,
            DeploymentConfigName: target.deploymentConfig,
            DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
            AutoRollbackConfiguration: {
              Enabled: true,
              Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
            },
          });
          expect(ofType(resources, 'Custom::Ec2BlueGreenDeploymentGroup')).toEqual([]);
          expect(alarmNamesOf(group)).toEqual(stopping);
        } else {
          expect(ofType(resources, 'AWS::CodeDeploy::DeploymentGroup')).toEqual([]);
          const [group] = ofType(resources, 'Custom::Ec2BlueGreenDeploymentGroup');
          const settings = env.profile.ec2.deployment;
          expect(group?.Properties).toMatchObject({
            DeploymentGroupName: target.deploymentGroup,
            DeploymentConfigName: target.deploymentConfig,
            TerminateBlueAfterMinutes:
              settings.style === 'blue-green' ? settings.terminateBlueAfterMinutes : -1,
            AutoRollbackEvents: [
              'DEPLOYMENT_FAILURE',
              'DEPLOYMENT_STOP_ON_REQUEST',
              'DEPLOYMENT_STOP_ON_ALARM',
            ],
          });
          expect(alarmNamesOf(group)).toEqual(stopping);
          // CodeDeploy launches the copy's instances with the instances' role.
          const passes = statementsOf(resources, 'DeploymentRole').filter((s) =>
            [s.Action].flat().includes('iam:PassRole'),
          );
          expect(passes).toHaveLength(1);
          expect(passes[0]?.Condition).toEqual({
            StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' },
          });
        }
        const composite = ofType(resources, 'AWS::CloudWatch::CompositeAlarm').map((a) =>
          renderValue(a.Properties?.['AlarmName']),
        );
        expect(composite).toEqual([workloadHealthAlarmName(target.monitoringName)]);
      });
    }
  }
});

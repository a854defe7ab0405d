import type { CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { environments } from '../../lib/config/environments';
import { parseEnvironments } from '../../lib/config/load';
import { ConfigError } from '../../lib/config/errors';
import { allowing, dbConnectTargets, statementsOf } from '../support/db-access';
import { buildStage, TEST_PREFIX } from '../support/stages';

const svc = (env: string) => {
  const stage = buildStage(env);
  const stack = stage.workloads.service.get('inventory-api');
  if (!stack) throw new Error(`no inventory-api stack in ${env}`);
  return { stack, t: Template.fromStack(stack) };
};
const dev = svc('dev');
const staging = svc('staging');
const prod = svc('prod');

const resourcesOf = (t: Template, type: string) => Object.values(t.findResources(type));

describe('container service stack', () => {
  it('is <prefix>-<env>-svc-<service>, after the config stack that holds its image parameter', () => {
    expect(dev.stack.stackName).toBe('ias-dev-svc-inventory-api');
    expect(dev.stack.dependencies.map((s) => s.stackName)).toContain('ias-dev-config');
  });

  it('takes the image from the SSM parameter its pipeline writes, and holds no service until the first delivery', () => {
    const params = dev.t.toJSON().Parameters as Record<string, { Type: string; Default: string }>;
    expect(params.ImageUri).toEqual(
      expect.objectContaining({
        Type: 'AWS::SSM::Parameter::Value<String>',
        Default: '/ias/dev/services/inventory-api/image',
      }),
    );
    expect(dev.t.toJSON().Conditions.Delivered).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ImageUri' }, 'none'] }],
    });
    for (const { t } of [dev, staging, prod]) {
      for (const type of [
        'AWS::ECS::Service',
        'AWS::ApplicationAutoScaling::ScalableTarget',
        'AWS::ApplicationAutoScaling::ScalingPolicy',
      ]) {
        const found = t.findResources(type);
        expect(Object.keys(found).length).toBeGreaterThan(0);
        for (const r of Object.values(found)) expect(r.Condition).toBe('Delivered');
      }
    }
    for (const r of resourcesOf(prod.t, 'AWS::CodeDeploy::DeploymentGroup'))
      expect(r.Condition).toBe('Delivered');
    const container = resourcesOf(dev.t, 'AWS::ECS::TaskDefinition')[0]?.Properties.ContainerDefinitions[0];
    expect(container.Image).toEqual({ Ref: 'ImageUri' });
  });

  it('sizes the task by the profile (seed 004: dev 256/512, prod 1024/2048), on ARM64, as a non-root user', () => {
    const task = (t: Template) => resourcesOf(t, 'AWS::ECS::TaskDefinition')[0]?.Properties;
    expect(task(dev.t)).toMatchObject({ Cpu: '256', Memory: '512', Family: 'ias-dev-inventory-api' });
    expect(task(prod.t)).toMatchObject({ Cpu: '1024', Memory: '2048', Family: 'ias-prod-inventory-api' });
    expect(task(prod.t).RuntimePlatform).toEqual({
      CpuArchitecture: 'ARM64',
      OperatingSystemFamily: 'LINUX',
    });
    expect(task(prod.t).ContainerDefinitions[0]).toMatchObject({
      Name: 'inventory-api',
      User: '1000',
      ReadonlyRootFilesystem: true,
      Memory: 2048,
      PortMappings: [{ ContainerPort: 3000, Protocol: 'tcp' }],
    });
  });

  it('injects the endpoints from SSM and the roles as plain settings: no credentials at all', () => {
    const container = resourcesOf(prod.t, 'AWS::ECS::TaskDefinition')[0]?.Properties.ContainerDefinitions[0];
    const secrets = Object.fromEntries(
      (container.Secrets as { Name: string; ValueFrom: unknown }[]).map((s) => [
        s.Name,
        JSON.stringify(s.ValueFrom),
      ]),
    );
    expect(Object.keys(secrets).sort()).toEqual(['PGDATABASE', 'PGHOST', 'PGPORT']);
    expect(secrets.PGHOST).toContain('parameter/ias/prod/db/endpoint');
    const plain = Object.fromEntries(
      (container.Environment as { Name: string; Value: string }[]).map((e) => [e.Name, e.Value]),
    );
    expect(plain).not.toHaveProperty('PGPASSWORD');
    expect(plain).toMatchObject({
      PGUSER: 'inventory_app',
      DB_OWNER_USER: 'inventory_owner',
      DB_AUTH: 'iam',
      PGSSLMODE: 'verify-full',
      NODE_EXTRA_CA_CERTS: '/app/dist/certs/rds-global-bundle.pem',
    });
    expect(plain).toHaveProperty('NODE_ENV');
    expect(plain).toHaveProperty('PORT');
  });

  it('logs to a log group the stack owns: removed by cdk destroy in dev, retained in prod', () => {
    dev.t.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: '/aws/ecs/ias-dev-inventory-api', RetentionInDays: 7 },
      DeletionPolicy: 'Delete',
    });
    prod.t.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: '/aws/ecs/ias-prod-inventory-api', RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
  });

  it('lets the task role only log in to the database as its two roles, and the execution role pull only this repository', () => {
    const policies = resourcesOf(prod.t, 'AWS::IAM::Policy');
    const execution = policies.find((p) => JSON.stringify(p.Properties.Roles).includes('ExecutionRole'));
    const pulls = (
      execution?.Properties.PolicyDocument.Statement as { Action: string[]; Resource: unknown }[]
    ).find((s) => [s.Action].flat().includes('ecr:BatchGetImage'));
    // One resource: the foundation stack's repository of this service (a reference, never `*`).
    expect(pulls?.Resource).not.toBe('*');
    expect(JSON.stringify(pulls?.Resource)).toMatch(/Repositoryinventoryapi/);
    // The task role: rds-db:connect as the application and owner roles, through the proxy in prod,
    // on the cluster in dev (no proxy); nothing else. Nobody in the stack reads a secret.
    // And the trace collector's two X-Ray calls, which X-Ray does not scope to a resource.
    const task = statementsOf(prod.t, 'ServiceTaskRole');
    expect(task.flatMap((st) => [st.Action].flat()).sort()).toEqual([
      'rds-db:connect',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(
      task
        .filter((st) => st.Resource === '*')
        .flatMap((st) => [st.Action].flat())
        .sort(),
    ).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    expect(dbConnectTargets(task)).toEqual(['proxy/inventory_app', 'proxy/inventory_owner']);
    expect(dbConnectTargets(statementsOf(dev.t, 'ServiceTaskRole'))).toEqual([
      'cluster/inventory_app',
      'cluster/inventory_owner',
    ]);
    for (const t of [dev.t, prod.t]) {
      expect(allowing(statementsOf(t, 'Role'), 'secretsmanager:GetSecretValue')).toEqual([]);
    }
  });

  it('rolls dev with the circuit breaker, one task; prod goes through CodeDeploy with at least 3', () => {
    dev.t.hasResourceProperties('AWS::ECS::Service', {
      ServiceName: 'ias-dev-inventory-api',
      DesiredCount: 1,
      DeploymentController: { Type: 'ECS' },
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        Alarms: Match.objectLike({ Enable: true, Rollback: true }),
      }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
    const service = resourcesOf(prod.t, 'AWS::ECS::Service')[0]?.Properties;
    expect(service.DeploymentController).toEqual({ Type: 'CODE_DEPLOY' });
    expect(service.DesiredCount).toBeGreaterThanOrEqual(3);
    // CloudFormation names only the family: CodeDeploy registers and runs the revisions, and an
    // infrastructure deploy never moves a CODE_DEPLOY service to another task definition.
    expect(JSON.stringify(service.TaskDefinition)).not.toContain('Ref');
  });

  it("runs Amazon ECS's own blue/green in staging: green target group, test listener rule, bake time, green check hook", () => {
    const service = resourcesOf(staging.t, 'AWS::ECS::Service')[0]?.Properties;
    expect(service.DeploymentController).toEqual({ Type: 'ECS' });
    expect(service.DeploymentConfiguration).toMatchObject({
      Strategy: 'BLUE_GREEN',
      BakeTimeInMinutes: 5,
      Alarms: { Enable: true, Rollback: true },
      LifecycleHooks: [
        expect.objectContaining({ LifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'] }),
        expect.objectContaining({ LifecycleStages: ['POST_PRODUCTION_TRAFFIC_SHIFT'] }),
      ],
    });
    expect(service.LoadBalancers[0].AdvancedConfiguration).toEqual(
      expect.objectContaining({
        AlternateTargetGroupArn: expect.anything(),
        ProductionListenerRule: expect.anything(),
        TestListenerRule: expect.anything(),
      }),
    );
    staging.t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ias-staging-inventory-api-green-check',
      Environment: { Variables: Match.objectLike({ GREEN_CHECK_URL: Match.anyValue() }) },
      VpcConfig: Match.anyValue(),
    });
  });

  it('holds an Amazon ECS deployment at a pause hook when the profile asks, after the Lambda hooks', () => {
    const profiles = structuredClone(environments) as unknown as Record<string, Record<string, unknown>>;
    // Two 5-minute steps, the bake, the pause and the canary gate's 11 minutes fit the pipeline's 60.
    (profiles.staging?.service as { deployment: Record<string, unknown> }).deployment = {
      strategy: 'ecs-linear',
      stepPercent: 50,
      pause: { timeoutMinutes: 20 },
    };
    const config = parseEnvironments(profiles, TEST_PREFIX).find((e) => e.name === 'staging');
    const stack = buildStage('staging', config).workloads.service.get('inventory-api');
    if (!stack) throw new Error('no inventory-api stack');
    const service = resourcesOf(Template.fromStack(stack), 'AWS::ECS::Service')[0]?.Properties;
    expect(service.DeploymentConfiguration.Strategy).toBe('LINEAR');
    expect(service.DeploymentConfiguration.LifecycleHooks).toEqual([
      expect.objectContaining({
        LifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
        HookTargetArn: expect.anything(),
      }),
      expect.objectContaining({
        LifecycleStages: ['POST_PRODUCTION_TRAFFIC_SHIFT'],
        HookTargetArn: expect.anything(),
      }),
      {
        TargetType: 'PAUSE',
        LifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
        TimeoutConfiguration: { TimeoutInMinutes: 20, Action: 'ROLLBACK' },
      },
    ]);
  });

  it('refuses a pause hook where Amazon ECS has no lifecycle stages, and a pause longer than the deploy waits', () => {
    const profiles = structuredClone(environments) as unknown as Record<string, Record<string, unknown>>;
    (profiles.dev?.service as { deployment: Record<string, unknown> }).deployment = {
      strategy: 'rolling',
      pause: {},
    };
    (profiles.staging?.service as { deployment: Record<string, unknown> }).deployment = {
      strategy: 'ecs-blue-green',
      pause: { timeoutMinutes: 90 },
    };
    expect(() => parseEnvironments(profiles, TEST_PREFIX)).toThrow(
      /dev\.service\.deployment\.pause: a pause hook needs ecs-blue-green, ecs-linear or ecs-canary[\s\S]*staging\.service\.deployment\.pause\.timeoutMinutes/,
    );
  });

  it("refuses an Amazon ECS deployment longer than the pipeline's ECS action waits (60 min)", () => {
    const profiles = structuredClone(environments) as unknown as Record<string, Record<string, unknown>>;
    // 10 % every 5 minutes is 50 minutes of steps; with the bake, a 20-minute pause and 5 to start
    // green, 80.
    (profiles.staging?.service as { deployment: Record<string, unknown> }).deployment = {
      strategy: 'ecs-linear',
      stepPercent: 10,
      stepMinutes: 5,
      bakeMinutes: 5,
      pause: { timeoutMinutes: 20 },
    };
    expect(() => parseEnvironments(profiles, TEST_PREFIX)).toThrow(
      "staging.service.deployment: an ecs-linear deployment may take 80 min (steps, bake, pause, and 5 to start green), but the pipeline's ECS action and the workflow wait 60",
    );
  });

  it('checks /ready on both target groups; a test listener only for blue/green, open to the VPC only', () => {
    for (const { t } of [dev, staging, prod]) {
      for (const tg of resourcesOf(t, 'AWS::ElasticLoadBalancingV2::TargetGroup')) {
        expect(tg.Properties).toMatchObject({ HealthCheckPath: '/ready', Port: 3000, TargetType: 'ip' });
      }
    }
    expect(resourcesOf(dev.t, 'AWS::ElasticLoadBalancingV2::TargetGroup')).toHaveLength(1);
    expect(resourcesOf(dev.t, 'AWS::ElasticLoadBalancingV2::Listener')).toHaveLength(1);
    expect(resourcesOf(prod.t, 'AWS::ElasticLoadBalancingV2::TargetGroup')).toHaveLength(2);
    const ports = resourcesOf(prod.t, 'AWS::ElasticLoadBalancingV2::Listener').map((l) => l.Properties.Port);
    expect(ports.sort()).toEqual([80, 8443]);
    prod.t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'true' }]),
    });
  });

  it('scales on CPU 70 %, memory 75 % and 500 requests per task, within the profile; prod adds the Friday window', () => {
    prod.t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 20,
      ScheduledActions: Match.arrayWith([
        Match.objectLike({
          Schedule: 'cron(0 19 ? * FRI *)',
          Timezone: 'Asia/Tokyo',
          ScalableTargetAction: { MinCapacity: 6, MaxCapacity: 20 },
        }),
        Match.objectLike({
          Schedule: 'cron(0 23 ? * FRI *)',
          ScalableTargetAction: { MinCapacity: 2, MaxCapacity: 20 },
        }),
      ]),
    });
    const targets = resourcesOf(prod.t, 'AWS::ApplicationAutoScaling::ScalingPolicy').map((p) => {
      const c = p.Properties.TargetTrackingScalingPolicyConfiguration;
      return [c.PredefinedMetricSpecification.PredefinedMetricType, c.TargetValue];
    });
    expect(targets.sort()).toEqual([
      ['ALBRequestCountPerTarget', 500],
      ['ECSServiceAverageCPUUtilization', 70],
      ['ECSServiceAverageMemoryUtilization', 75],
    ]);
  });

  it('rolls back prod through CodeDeploy on failure, stop and every alarm, keeping blue an hour', () => {
    // The alarms that roll back notify the topic themselves; the operators' alarms feed the composite.
    const alarms = resourcesOf(prod.t, 'AWS::CloudWatch::Alarm')
      .filter((a) => a.Properties.AlarmActions !== undefined)
      .map((a) => a.Properties.AlarmName as string);
    expect(alarms.sort()).toEqual([
      'ias-prod-inventory-api-p99-latency',
      'ias-prod-inventory-api-target-5xx',
      'ias-prod-inventory-api-unhealthy-hosts-blue',
      'ias-prod-inventory-api-unhealthy-hosts-green',
    ]);
    const group = resourcesOf(prod.t, 'AWS::CodeDeploy::DeploymentGroup')[0]?.Properties;
    expect(group.AlarmConfiguration.Alarms).toHaveLength(4);
    prod.t.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentGroupName: 'ias-prod-inventory-api-group',
      DeploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      AutoRollbackConfiguration: {
        Enabled: true,
        Events: Match.arrayWith([
          'DEPLOYMENT_FAILURE',
          'DEPLOYMENT_STOP_ON_REQUEST',
          'DEPLOYMENT_STOP_ON_ALARM',
        ]),
      },
      AlarmConfiguration: Match.objectLike({ Enabled: true }),
      BlueGreenDeploymentConfiguration: Match.objectLike({
        TerminateBlueInstancesOnDeploymentSuccess: { Action: 'TERMINATE', TerminationWaitTimeInMinutes: 60 },
      }),
    });
  });

  it('watches the service for operators: a dashboard, alarms with the profile’s thresholds, one composite that notifies', () => {
    // prod's service.watch: load balancer 5xx 1, task 5xx 5, p99 500 ms, CPU 80 %, memory 80 %; at
    // least scaling.minCapacity (2) healthy tasks in the two target groups together.
    prod.t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'ias-prod-inventory-api' });
    const watch = resourcesOf(prod.t, 'AWS::CloudWatch::Alarm').filter(
      (a) => a.Properties.AlarmActions === undefined,
    );
    const byName = new Map(watch.map((a) => [a.Properties.AlarmName as string, a.Properties]));
    for (const [suffix, threshold, operator, metric] of [
      ['Elb-5xx', 1, 'GreaterThanOrEqualToThreshold', 'HTTPCode_ELB_5XX_Count'],
      ['Target-5xx', 5, 'GreaterThanOrEqualToThreshold', 'HTTPCode_Target_5XX_Count'],
      ['Latency-P99', 0.5, 'GreaterThanOrEqualToThreshold', 'TargetResponseTime'],
      ['CPU-Usage', 80, 'GreaterThanThreshold', 'CPUUtilization'],
      ['Memory-Usage', 80, 'GreaterThanThreshold', 'MemoryUtilization'],
      ['Healthy-Tasks', 2, 'LessThanThreshold', 'HealthyHostCount'],
      ['Tasks-Short', 0.5, 'GreaterThanOrEqualToThreshold', 'RunningTaskCount'],
      ['logs-Logged-Errors', 5, 'GreaterThanOrEqualToThreshold', 'LoggedErrors'],
      ['logs-Slow-Queries', 10, 'GreaterThanOrEqualToThreshold', 'SlowQueries'],
      ['canary-Canary-Failed', 100, 'LessThanThreshold', 'SuccessPercent'],
    ] as const) {
      const full = suffix.includes('-') && /^(logs|canary)-/.test(suffix) ? suffix : `svc-${suffix}`;
      const alarm = byName.get(`ias-prod-inventory-api-${full}-Warning`);
      expect(alarm, suffix).toMatchObject({ Threshold: threshold, ComparisonOperator: operator });
      expect(JSON.stringify(alarm?.Metrics ?? alarm?.MetricName), suffix).toContain(metric);
    }
    // Healthy tasks count in both target groups: after a blue/green deployment the tasks serve from green.
    const healthy = JSON.stringify(byName.get('ias-prod-inventory-api-svc-Healthy-Tasks-Warning')?.Metrics);
    expect(healthy).toContain('FILL(g0, 0) + FILL(g1, 0)');
    // The canary alarms after the profile's failed runs in a row (prod: 2 runs, 1 minute apart).
    expect(byName.get('ias-prod-inventory-api-canary-Canary-Failed-Warning')).toMatchObject({
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Period: 60,
      Dimensions: [{ Name: 'CanaryName', Value: 'ias-prod' }],
    });
    expect(watch).toHaveLength(10);
    const composite = resourcesOf(prod.t, 'AWS::CloudWatch::CompositeAlarm');
    expect(composite).toHaveLength(1);
    expect(composite[0]?.Properties).toMatchObject({
      AlarmName: 'ias-prod-inventory-api-health',
      AlarmActions: [expect.anything()],
      OKActions: [expect.anything()],
    });
  });

  it('rejects a task size Fargate does not offer, and CodeDeploy blue/green in a VPC without NAT', () => {
    const broken = structuredClone(environments) as unknown as Record<string, Record<string, unknown>>;
    (broken.dev?.service as Record<string, unknown>).memoryMiB = 4096;
    (broken.dev?.service as { deployment: Record<string, unknown> }).deployment = {
      strategy: 'codedeploy-blue-green',
    };
    expect(() => parseEnvironments(broken, TEST_PREFIX)).toThrow(ConfigError);
    try {
      parseEnvironments(broken, TEST_PREFIX);
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('dev.service.memoryMiB: Fargate with 256 CPU units takes 512 to 2048 MiB');
      expect(message).toContain("dev.service.deployment.strategy: codedeploy-blue-green's green-check hook");
    }
  });

  it('runs the trace collector beside the application: OTLP on the loopback to X-Ray, the profile sampling ratio, its image from the cache', () => {
    for (const [t, env, ratio] of [
      [dev.t, 'dev', '1'],
      [staging.t, 'staging', '0.2'],
      [prod.t, 'prod', '0.05'],
    ] as const) {
      const [definition] = resourcesOf(t, 'AWS::ECS::TaskDefinition');
      const containers = definition?.Properties.ContainerDefinitions as {
        Name: string;
        Essential: boolean;
        Image: unknown;
        Environment: { Name: string; Value: string }[];
        MemoryReservation?: number;
        Memory?: number;
      }[];
      const app = containers.find((c) => c.Name !== 'otel-collector');
      const collector = containers.find((c) => c.Name === 'otel-collector');
      const settings = Object.fromEntries((app?.Environment ?? []).map((e) => [e.Name, e.Value]));
      expect(settings, env).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_SERVICE_NAME: `ias-${env}-inventory-api`,
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: ratio,
      });
      // Not essential: a collector that stops loses traces, never the service.
      expect(collector, env).toMatchObject({ Essential: false, Memory: 128, MemoryReservation: 64 });
      expect(JSON.stringify(collector?.Image), env).toContain(
        `ias-${env}-ecr-public/aws-observability/aws-otel-collector:v0.48.0`,
      );
      const config = collector?.Environment.find((e) => e.Name === 'AOT_CONFIG_CONTENT')?.Value ?? '';
      expect(config).toContain('endpoint: 127.0.0.1:4318');
      expect(config).toMatch(/exporters: \[awsxray\]/);
    }
    // The execution role pulls the cached image and may import it from the gallery on the first pull.
    const execution = statementsOf(prod.t, 'ServiceExecutionRole');
    expect(JSON.stringify(allowing(execution, 'ecr:BatchImportUpstreamImage'))).toContain(
      'PublicImagesRepositoryawsobservabilityawsotelcollector',
    );
  });

  it('calls the API from the VPC with the environment canary: its own log group first, then started; scoped role; only once delivered', () => {
    for (const [t, env, rate] of [
      [dev.t, 'dev', 'rate(5 minutes)'],
      [prod.t, 'prod', 'rate(1 minute)'],
    ] as const) {
      const [canary] = Object.entries(t.findResources('AWS::Synthetics::Canary'));
      expect(canary?.[1]).toMatchObject({
        Condition: 'Delivered',
        Properties: {
          Name: `ias-${env}`,
          Schedule: { Expression: rate },
          StartCanaryAfterCreation: false,
          ProvisionedResourceCleanup: 'AUTOMATIC',
          Code: { Handler: 'api-canary.handler' },
          VPCConfig: { SubnetIds: expect.anything(), SecurityGroupIds: [expect.anything()] },
        },
      });
      expect(JSON.stringify(canary?.[1].Properties.RunConfig.EnvironmentVariables.API_URL)).toContain(
        'LoadBalancer',
      );
      // Synthetics names the canary's log group after its ID; the stack makes it before the first run.
      const logs = resourcesOf(t, 'AWS::Logs::LogGroup').find((g) =>
        JSON.stringify(g.Properties.LogGroupName).includes('cwsyn-'),
      );
      expect(JSON.stringify(logs?.Properties.LogGroupName)).toBe(
        JSON.stringify({
          'Fn::Join': ['', [`/aws/lambda/cwsyn-ias-${env}-`, { 'Fn::GetAtt': [canary?.[0], 'Id'] }]],
        }),
      );
      const start = resourcesOf(t, 'Custom::StartCanary')[0];
      expect(start?.Condition).toBe('Delivered');
      expect(JSON.stringify(start?.Properties.Create)).toContain('StartCanary');
      expect(start?.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^CanaryLogs/)]));
    }
    // The canary's role: its artifacts under runs/, its own log group, its metric namespace; no cwsyn-* wildcard.
    const role = statementsOf(prod.t, 'CanaryRole');
    expect(JSON.stringify(role)).not.toContain('cwsyn-*');
    expect(
      (allowing(role, 'cloudwatch:PutMetricData')[0] as { Condition?: unknown } | undefined)?.Condition,
    ).toEqual({
      StringEquals: { 'cloudwatch:namespace': 'CloudWatchSynthetics' },
    });
    expect(JSON.stringify(allowing(role, 's3:PutObject')[0]?.Resource)).toContain('/runs/*');
    expect(JSON.stringify(allowing(role, 'logs:PutLogEvents')[0]?.Resource)).toContain('CanaryLogs');
  });

  it('gates each deployment on a canary run after production traffic moves: by Amazon ECS in staging, CodeDeploy in prod, none for rolling dev', () => {
    const gateOf = (t: Template) =>
      Object.entries(t.findResources('AWS::Lambda::Function')).find(([, r]) =>
        String(r.Properties.FunctionName).endsWith('-canary-gate'),
      );
    const hooksOf = (t: Template) =>
      (resourcesOf(t, 'AWS::ECS::Service')[0]?.Properties.DeploymentConfiguration?.LifecycleHooks ?? []) as {
        HookTargetArn: unknown;
        LifecycleStages: string[];
      }[];
    // dev rolls: no hook after traffic moves, so no gate (the circuit breaker and alarms decide).
    expect(dev.stack.canaryGate).toBeUndefined();
    expect(gateOf(dev.t)).toBeUndefined();
    // staging: Amazon ECS invokes it after production traffic shifts; it looks once per call (30 s).
    const [stagingGate, stagingFn] = gateOf(staging.t) ?? [];
    expect(stagingFn?.Properties).toMatchObject({
      FunctionName: 'ias-staging-inventory-api-canary-gate',
      Timeout: 30,
      // 2 × 5 min + the run's 60 s.
      Environment: {
        Variables: { CANARY_NAME: 'ias-staging', CANARY_GATE_DEADLINE_SECONDS: '660' },
      },
    });
    expect(stagingFn?.Properties.VpcConfig).toBeUndefined();
    expect(
      hooksOf(staging.t).filter((h) => h.LifecycleStages.includes('POST_PRODUCTION_TRAFFIC_SHIFT')),
    ).toEqual([expect.objectContaining({ HookTargetArn: { 'Fn::GetAtt': [stagingGate, 'Arn'] } })]);
    // prod: CodeDeploy invokes it by name as the appspec's AfterAllowTraffic hook (the pipeline's
    // test checks the appspec); it waits in one invocation, so its timeout covers the deadline.
    const [, prodFn] = gateOf(prod.t) ?? [];
    expect(prodFn?.Properties).toMatchObject({
      FunctionName: 'ias-prod-inventory-api-canary-gate',
      Timeout: 240,
      Environment: {
        Variables: { CANARY_NAME: 'ias-prod', CANARY_GATE_DEADLINE_SECONDS: '180' },
      },
    });
    expect(hooksOf(prod.t)).toEqual([]);
    // Its role reads the runs of its environment's canary and nothing else of Synthetics; only
    // CodeDeploy's gate reports a hook status.
    for (const [{ stack, t }, env, reports] of [
      [staging, 'staging', false],
      [prod, 'prod', true],
    ] as const) {
      const gate = stack.canaryGate;
      if (!gate) throw new Error(`no canary gate in ${env}`);
      const role = statementsOf(t, stack.getLogicalId(gate.role.node.defaultChild as CfnResource));
      const actions = role.flatMap((s) => [s.Action].flat()).sort();
      expect(actions).toEqual(
        [
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'synthetics:GetCanaryRuns',
          ...(reports ? ['codedeploy:PutLifecycleEventHookExecutionStatus'] : []),
        ].sort(),
      );
      expect(allowing(role, 'synthetics:GetCanaryRuns').map((s) => s.Resource)).toEqual([
        {
          'Fn::Join': [
            '',
            [`arn:aws:synthetics:${stack.region}:`, { Ref: 'AWS::AccountId' }, `:canary:ias-${env}`],
          ],
        },
      ]);
    }
  });

  it('refuses a canary schedule the gate cannot wait for: past one Lambda invocation for CodeDeploy, past the ECS wait', () => {
    const profiles = structuredClone(environments) as unknown as Record<string, Record<string, unknown>>;
    (profiles.prod?.observability as { canary: { everyMinutes: number } }).canary.everyMinutes = 10;
    (profiles.staging?.observability as { canary: { everyMinutes: number } }).canary.everyMinutes = 30;
    expect(() => parseEnvironments(profiles, TEST_PREFIX)).toThrow(ConfigError);
    try {
      parseEnvironments(profiles, TEST_PREFIX);
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain(
        "prod.observability.canary.everyMinutes: a canary every 10 min makes codedeploy-blue-green's canary gate wait up to 1260 s in one invocation, but a Lambda function runs at most 900 s with a minute to report: run the canary at most every 6 minutes or use an ecs-* strategy",
      );
      expect(message).toContain(
        "staging.observability.canary.everyMinutes: with a canary every 30 min, the canary gate may wait 61 min after production traffic moves, and an ecs-blue-green deployment 71 min, but the pipeline's ECS action and the workflow wait 60",
      );
    }
  });
});

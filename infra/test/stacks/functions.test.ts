import { cpSync, mkdtempSync, appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config/errors';
import { loadFunctions, type FunctionDefinition } from '../../lib/config/functions';
import type { EnvironmentConfig } from '../../lib/config/load';
import { cdkContext, FUNCTIONS_DIR, REPO_ROOT } from '../../lib/config/project';
import { BOOTSTRAP_CODE } from '../../lib/kinds/function/delivered-function';
import { EnvironmentStage } from '../../lib/environment-stage';
import { allowing, dbConnectTargets, statementsOf } from '../support/db-access';
import { environmentConfig } from '../support/stages';

const functions = loadFunctions(FUNCTIONS_DIR, REPO_ROOT);

function buildFunctions(config: EnvironmentConfig, defs: readonly FunctionDefinition[]): EnvironmentStage {
  return new EnvironmentStage(new App({ context: cdkContext() }), `${config.prefix}-${config.name}`, {
    config,
    functions: defs,
  });
}

/**
 * Every function stack of an environment as one template (their resources side by side; logical
 * IDs are unique across them, each under its `Fn-<name>` construct).
 */
function functionsTemplate(
  config: EnvironmentConfig,
  defs: readonly FunctionDefinition[] = functions,
): Template {
  const stage = buildFunctions(config, defs);
  const resources = Object.assign(
    {},
    ...[...stage.workloads.function.values()].map(
      (stack) => Template.fromStack(stack).toJSON().Resources as object,
    ),
  ) as Record<string, unknown>;
  return Template.fromJSON({ Resources: resources });
}

/** A function folder with a manifest (plus the given fields) and its smoke event. */
function writeFunctionFolder(dir: string, name: string, manifest: Record<string, unknown>): void {
  mkdirSync(join(dir, name, 'events'), { recursive: true });
  writeFileSync(join(dir, name, 'events', 'smoke.json'), '{"Records":[]}');
  writeFileSync(
    join(dir, name, 'function.json'),
    JSON.stringify({ smokeEvent: 'events/smoke.json', ...manifest }),
  );
}

const dev = functionsTemplate(environmentConfig('dev'));
const staging = functionsTemplate(environmentConfig('staging'));
const prod = functionsTemplate(environmentConfig('prod'));

describe('function manifests', () => {
  it('finds every function folder with a function.json, and only those', () => {
    expect(functions.map((f) => f.name)).toEqual(['allocate-order', 'import-stock']);
    expect(functions[0]?.folder).toBe('app/functions/allocate-order');
  });

  it('fails on broken manifests, listing every problem with its file and path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifests-'));
    writeFunctionFolder(dir, 'good-one', { description: 'x', trigger: { type: 'sqs' }, memorySize: 64 });
    mkdirSync(join(dir, 'Bad_Name'));
    writeFileSync(join(dir, 'Bad_Name', 'function.json'), '{}');
    mkdirSync(join(dir, 'no-json'));
    writeFileSync(join(dir, 'no-json', 'function.json'), '{ nope');
    expect(() => loadFunctions(dir, dir)).toThrow(ConfigError);
    const message = (() => {
      try {
        loadFunctions(dir, dir);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(message.split('\n')).toEqual([
      '3 problems in the function manifests; fix each and run again:',
      '  - Bad_Name/function.json: the folder name must be 3 to 40 lowercase letters, digits or hyphens (it becomes part of resource names)',
      '  - good-one/function.json: memorySize: Too small: expected number to be >=128',
      expect.stringMatching(/^ {2}- no-json\/function\.json: not valid JSON/),
    ]);
  });
});

describe('function stacks', () => {
  it('puts each function in a stack of its own, after the deployment stack', () => {
    const stage = buildFunctions(environmentConfig('dev'), functions);
    expect([...stage.workloads.function.values()].map((s) => s.stackName)).toEqual([
      'ias-dev-fn-allocate-order',
      'ias-dev-fn-import-stock',
    ]);
    for (const stack of stage.workloads.function.values()) {
      expect(stack.dependencies).toContain(stage.deployment);
    }
  });

  it('defines each function on Node.js 24, ARM64, in the private subnets, with references to its settings', () => {
    dev.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ias-dev-allocate-order',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({
          PGSSLMODE: 'verify-full',
          PGDATABASE: 'inventory',
          PGUSER: 'inventory_app',
          DB_OWNER_USER: 'inventory_owner',
          DB_AUTH: 'iam',
        }),
      },
    });
    expect(JSON.stringify(dev.toJSON())).not.toMatch(/PGPASSWORD|DB_SECRET_ARN|resolve:secretsmanager/);
  });

  it('lets each function log in as the application and owner roles with IAM, and read no secret', () => {
    const prod = functionsTemplate(environmentConfig('prod'));
    for (const name of ['allocate-order', 'import-stock']) {
      const role = `Fn${name.replace('-', '')}ExecutionRole`;
      // dev has no proxy: the cluster; prod goes through the proxy only.
      expect(dbConnectTargets(statementsOf(dev, role))).toEqual([
        'cluster/inventory_app',
        'cluster/inventory_owner',
      ]);
      expect(dbConnectTargets(statementsOf(prod, role))).toEqual([
        'proxy/inventory_app',
        'proxy/inventory_owner',
      ]);
      for (const t of [dev, prod]) {
        expect(statementsOf(t, role).length).toBeGreaterThan(0);
        expect(allowing(statementsOf(t, role), 'secretsmanager:GetSecretValue')).toEqual([]);
      }
    }
  });

  it('starts from the bootstrap package, never from application code', () => {
    dev.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ias-dev-import-stock',
      Code: { ZipFile: BOOTSTRAP_CODE },
    });
    for (const fn of Object.values(dev.findResources('AWS::Lambda::Function'))) {
      if (String(fn.Properties.FunctionName ?? '').startsWith('ias-dev-')) {
        expect(fn.Properties.Code).toEqual({ ZipFile: BOOTSTRAP_CODE });
      }
    }
  });

  it('changing a handler’s source changes no infrastructure template', () => {
    const copy = mkdtempSync(join(tmpdir(), 'functions-'));
    cpSync(FUNCTIONS_DIR, copy, {
      recursive: true,
      filter: (src) => !src.includes('node_modules') && !src.includes('/dist'),
    });
    const before = functionsTemplate(environmentConfig('dev'), loadFunctions(copy, REPO_ROOT)).toJSON();
    appendFileSync(join(copy, 'allocate-order', 'src', 'handler.ts'), '\nexport const changed = true;\n');
    writeFileSync(join(copy, 'import-stock', 'src', 'csv.ts'), '// rewritten\n');
    const after = functionsTemplate(environmentConfig('dev'), loadFunctions(copy, REPO_ROOT)).toJSON();
    expect(after).toEqual(before);
  });

  it('owns each function’s log group, removed by cdk destroy unless the profile retains data', () => {
    dev.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({
        LogGroupName: '/aws/lambda/ias-dev-allocate-order',
        RetentionInDays: 7,
      }),
      DeletionPolicy: 'Delete',
    });
    prod.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({ LogGroupName: '/aws/lambda/ias-prod-allocate-order' }),
      DeletionPolicy: 'Retain',
    });
  });

  it('points the alias live at the bootstrap version and sends every trigger to the alias', () => {
    dev.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live', FunctionVersion: Match.anyValue() });
    const mappings = Object.values(dev.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toMatchObject({
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(JSON.stringify(mappings[0]?.Properties.FunctionName)).toMatch(/FnallocateorderLive.*:live/);
    dev.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [Match.anyValue()] }, object: { key: [{ wildcard: 'drops/*.csv' }] } },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^FnimportstockLive') } })],
    });
  });

  it('gives an SQS-triggered function an encrypted queue with a dead-letter queue', () => {
    dev.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'ias-dev-allocate-order',
      VisibilityTimeout: 180,
      KmsMasterKeyId: Match.anyValue(),
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 3 },
    });
    dev.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'ias-dev-allocate-order-dlq',
      MessageRetentionPeriod: 1_209_600,
    });
  });

  it('alarms on the alias for errors, throttles and p99 duration, notifying the alarm topic', () => {
    for (const [suffix, metric, threshold] of [
      ['errors', 'Errors', 5],
      ['throttles', 'Throttles', 5],
      ['duration', 'Duration', 27_000],
    ] as const) {
      dev.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `ias-dev-allocate-order-${suffix}`,
        MetricName: metric,
        Threshold: threshold,
        Dimensions: Match.arrayWith([{ Name: 'Resource', Value: Match.anyValue() }]),
        AlarmActions: [Match.anyValue()],
      });
    }
  });

  it('watches each function for operators: a dashboard, alarms with the profile’s thresholds, one composite that notifies', () => {
    // prod: errorsPer5Minutes 1, throttlesPer5Minutes 1, p99 80 % of the timeout, 500 concurrent
    // executions, the queue's oldest message 300 s; each member alarm fires at the threshold.
    const watchAlarm = (name: string) => {
      const found = Object.values(
        prod.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }),
      ) as { Properties: Record<string, unknown> }[];
      expect(found, name).toHaveLength(1);
      return found[0]?.Properties ?? {};
    };
    const members = (fn: string) =>
      Object.entries(prod.findResources('AWS::CloudWatch::Alarm'))
        .filter(([, r]) =>
          String((r as { Properties: { AlarmName: string } }).Properties.AlarmName).startsWith(
            `ias-prod-${fn}-`,
          ),
        )
        .filter(
          ([, r]) => (r as { Properties: { AlarmActions?: unknown } }).Properties.AlarmActions === undefined,
        );
    for (const [fn, timeoutMs, queue] of [
      ['allocate-order', 30_000, true],
      ['import-stock', 120_000, false],
    ] as const) {
      prod.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: `ias-prod-${fn}` });
      // Each version's share of the alias during a deployment.
      const [dashboard] = Object.values(
        prod.findResources('AWS::CloudWatch::Dashboard', { Properties: { DashboardName: `ias-prod-${fn}` } }),
      );
      const parts = (dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })[
        'Fn::Join'
      ][1];
      const body = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('')) as {
        widgets: { properties: { title?: string; metrics?: unknown } }[];
      };
      const byVersion = body.widgets.find((w) => w.properties.title === 'Errors by version (alias live)');
      expect(JSON.stringify(byVersion?.properties.metrics)).toContain(
        `SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} FunctionName=\\"ias-prod-${fn}\\" MetricName=\\"Errors\\"'`,
      );
      for (const [suffix, metric, threshold, statistic] of [
        ['fn-Fault-Count-Warning', 'Errors', 0, 'Sum'],
        ['fn-Throttled-Count-Warning', 'Throttles', 0, 'Sum'],
        ['fn-Running-Tasks-High-Warning', 'ConcurrentExecutions', 499, 'Maximum'],
        ['fn-Latency-P99-Warning', 'Duration', timeoutMs * 0.8, 'p99'],
      ] as const) {
        const alarm = watchAlarm(`ias-prod-${fn}-${suffix}`);
        expect(alarm, `${fn} ${suffix}`).toMatchObject({
          Threshold: threshold,
          ComparisonOperator: 'GreaterThanThreshold',
        });
        expect(alarm.AlarmActions, `${fn} ${suffix}: notifies through its composite only`).toBeUndefined();
        expect(JSON.stringify(alarm.Metrics)).toContain(`"MetricName":"${metric}"`);
        expect(JSON.stringify(alarm.Metrics)).toContain(`"Stat":"${statistic}"`);
        expect(JSON.stringify(alarm.Metrics)).toContain('"Period":300');
      }
      // What the function's logs say (metric filters on its log group): errors logged, slow queries.
      for (const [suffix, metric, threshold] of [
        ['logs-Logged-Errors-Warning', 'LoggedErrors', 5],
        ['logs-Slow-Queries-Warning', 'SlowQueries', 10],
      ] as const) {
        const alarm = watchAlarm(`ias-prod-${fn}-${suffix}`);
        expect(alarm, `${fn} ${suffix}`).toMatchObject({
          Threshold: threshold,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
        expect(JSON.stringify(alarm), suffix).toContain(`"MetricName":"${metric}"`);
        expect(JSON.stringify(alarm), suffix).toContain(`"Namespace":"ias-prod-${fn}"`);
      }
      const ids = members(fn).map(([id]) => id);
      expect(ids).toHaveLength(queue ? 8 : 6);
      const composite = prod.findResources('AWS::CloudWatch::CompositeAlarm', {
        Properties: {
          AlarmName: `ias-prod-${fn}-health`,
          AlarmActions: [Match.anyValue()],
          OKActions: [Match.anyValue()],
        },
      });
      const rule = JSON.stringify(Object.values(composite)[0]);
      for (const id of ids) {
        expect(rule, `${fn}-health holds ${id}`).toContain(`"${id}","Arn"`);
      }
    }
    const dlq = watchAlarm('ias-prod-allocate-order-queue-DLQ-Queue-Message-Count-Max-Warning');
    expect(dlq).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(JSON.stringify(dlq.Metrics)).toContain('"MetricName":"ApproximateNumberOfMessagesVisible"');
    const age = watchAlarm('ias-prod-allocate-order-queue-Queue-Message-Age-Max-Warning');
    expect(age).toMatchObject({ Threshold: 300 });
    expect(JSON.stringify(age.Metrics)).toContain('"MetricName":"ApproximateAgeOfOldestMessage"');
  });

  it('rolls back every deployment on failure, on stop and on alarm, with the profile’s traffic shifting', () => {
    const group = {
      DeploymentGroupName: 'ias-dev-allocate-order-group',
      AutoRollbackConfiguration: {
        Enabled: true,
        Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
      },
      AlarmConfiguration: {
        Enabled: true,
        Alarms: [
          { Name: { Ref: Match.stringLikeRegexp('^FnallocateorderErrorsAlarm') } },
          { Name: { Ref: Match.stringLikeRegexp('^FnallocateorderThrottlesAlarm') } },
          { Name: { Ref: Match.stringLikeRegexp('^FnallocateorderDurationAlarm') } },
        ],
      },
    };
    dev.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      ...group,
      DeploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce',
    });
    staging.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentGroupName: 'ias-staging-allocate-order-group',
      DeploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    });
    prod.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentGroupName: 'ias-prod-allocate-order-group',
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    });
    dev.hasResourceProperties('AWS::CodeDeploy::Application', {
      ApplicationName: 'ias-dev-allocate-order-app',
      ComputePlatform: 'Lambda',
    });
  });

  it('creates seed 003’s linear 25 % every 10 minutes under its own name, and a profile can choose it', () => {
    Template.fromStack(buildFunctions(environmentConfig('dev'), functions).deployment).hasResourceProperties(
      'AWS::CodeDeploy::DeploymentConfig',
      {
        DeploymentConfigName: 'ias-dev-lambda-linear-25-every-10-minutes',
        ComputePlatform: 'Lambda',
        TrafficRoutingConfig: {
          Type: 'TimeBasedLinear',
          TimeBasedLinear: { LinearInterval: 10, LinearPercentage: 25 },
        },
      },
    );
    const base = environmentConfig('staging');
    const seedLinear = functionsTemplate({
      ...base,
      profile: {
        ...base.profile,
        lambda: { ...base.profile.lambda, deployment: 'linear-25-every-10-minutes' },
      },
    });
    seedLinear.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'ias-staging-lambda-linear-25-every-10-minutes',
    });
  });

  it('gives CodeDeploy a role of its own that moves only this alias and invokes only the hooks', () => {
    const roles = dev.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'codedeploy.amazonaws.com' } })],
        }),
      },
    });
    expect(Object.keys(roles)).toHaveLength(2);
    for (const role of Object.values(roles)) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
    const policies = Object.values(dev.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('FnallocateorderDeployRole'),
    );
    const text = JSON.stringify(policies);
    expect(text).toContain('lambda:UpdateAlias');
    expect(text).toContain(':function:ias-dev-pre-traffic-hook');
    expect(text).toContain(':function:ias-dev-post-traffic-hook');
    expect(text).not.toMatch(/CodeDeployHook_|"Resource":"\*"|sns:Publish|s3:GetObject/);
  });

  it('grants the environment’s traffic hooks what they need on this function only, and stores its smoke event', () => {
    dev.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/ias/dev/smoke-events/ias-dev-allocate-order',
      Type: 'String',
      Value: '{"smoke":true}',
    });
    dev.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['ias-dev-traffic-hooks'],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'lambda:InvokeFunction' }),
          Match.objectLike({ Action: 'ssm:GetParameter' }),
          Match.objectLike({
            Action: [
              'codedeploy:GetDeploymentTarget',
              'codedeploy:ListDeploymentTargets',
              'codedeploy:PutLifecycleEventHookExecutionStatus',
            ],
            // They take a deployment ID, no resource: IAM authorizes them on * only (the wiring
            // check's evaluator, on AWS's own action data, denied them on the deployment group).
            Resource: '*',
          }),
        ]),
      },
    });
  });

  it('runs the traffic hooks from the delivery workspace, one role for both, removed by cdk destroy', () => {
    const deployment = Template.fromStack(buildFunctions(environmentConfig('dev'), functions).deployment);
    for (const [name, phase] of [
      ['ias-dev-pre-traffic-hook', 'pre-traffic'],
      ['ias-dev-post-traffic-hook', 'post-traffic'],
    ] as const) {
      deployment.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: name,
        Architectures: ['arm64'],
        Environment: {
          Variables: Match.objectLike({ HOOK_PHASE: phase, SMOKE_EVENTS_PATH: '/ias/dev/smoke-events/' }),
        },
      });
      deployment.hasResource('AWS::Logs::LogGroup', {
        Properties: Match.objectLike({ LogGroupName: `/aws/lambda/${name}` }),
        DeletionPolicy: 'Delete',
      });
    }
    deployment.hasResourceProperties('AWS::IAM::Role', { RoleName: 'ias-dev-traffic-hooks' });
  });

  it('gives a new function folder its definition, alarms, deployment group and trigger with no other edit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'new-function-'));
    writeFunctionFolder(dir, 'notify-customer', { description: 'Tells customers', trigger: { type: 'sqs' } });
    const template = functionsTemplate(environmentConfig('dev'), [...functions, ...loadFunctions(dir, dir)]);
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'ias-dev-notify-customer' });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'ias-dev-notify-customer' });
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentGroupName: 'ias-dev-notify-customer-group',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'ias-dev-notify-customer-errors' });
    template.resourceCountIs('AWS::Lambda::Alias', 3);
  });
});

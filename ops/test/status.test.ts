import { DescribeAlarmsCommand, type DescribeAlarmsOutput } from '@aws-sdk/client-cloudwatch';
import { BatchGetDeploymentsCommand, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatStatus, status, statusAny, type StatusResult } from '../src/commands/status';
import { isDryRun } from '../src/context';
import { EXIT } from '../src/errors';
import { KINDS } from '../src/kinds';
import { awsError, codeDeployDeployment, context, prefix, runMain, stubCanary, stubbedAws } from './helpers';

const TG = `arn:aws:elasticloadbalancing:ap-northeast-1:111111111111:targetgroup/${prefix}-dev-api-blue/abc`;
let aws: ReturnType<typeof stubbedAws>;

/** The listing of every alarm of dev, as status asks for it. */
const DEV_ALARMS = { AlarmNamePrefix: `${prefix}-dev-` };

/** A composite alarm of dev in `state`. */
function composite(name: string, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' = 'OK', more = {}) {
  return { AlarmName: `${prefix}-dev-${name}`, StateValue: state, ...more };
}

/** Every composite of a healthy dev: the environment's and each workload's. */
const HEALTHY: DescribeAlarmsOutput = {
  MetricAlarms: [{ AlarmName: `${prefix}-dev-allocate-order-errors`, StateValue: 'OK' }],
  CompositeAlarms: ['health', 'allocate-order-health', 'import-stock-health', 'inventory-api-health'].map(
    (name) => composite(name),
  ),
};

/** The canary of dev, its last run passed. */
const PASSED = {
  CanaryName: `${prefix}-dev`,
  LastRun: {
    Status: { State: 'PASSED' as const },
    Timeline: { Started: new Date('2026-01-03T10:00:00Z'), Completed: new Date('2026-01-03T10:00:40Z') },
  },
};

beforeEach(() => {
  aws = stubbedAws();
  aws.mocks.lambda
    .on(GetAliasCommand, { FunctionName: `${prefix}-dev-allocate-order` })
    .resolves({ FunctionVersion: '7', RoutingConfig: { AdditionalVersionWeights: { '8': 0.1 } } })
    .on(GetAliasCommand, { FunctionName: `${prefix}-dev-import-stock` })
    .rejects(awsError('ResourceNotFoundException'));
  aws.mocks.codedeploy
    .on(ListDeploymentsCommand, { applicationName: `${prefix}-dev-allocate-order-app` })
    .resolves({ deployments: ['d-3', 'd-2', 'd-1', 'd-0'] })
    .on(ListDeploymentsCommand, { applicationName: `${prefix}-dev-import-stock-app` })
    .rejects(awsError('ApplicationDoesNotExistException'))
    .on(BatchGetDeploymentsCommand)
    .resolves({
      deploymentsInfo: [
        codeDeployDeployment('d-2', 'Stopped', '2026-01-02', { errorInformation: { message: 'alarm' } }),
        codeDeployDeployment('d-3', 'Succeeded', '2026-01-03'),
        codeDeployDeployment('d-1', 'Succeeded', '2026-01-01'),
      ],
    });
  // The catch-all first: aws-sdk-client-mock lets a later input-specific stub refine it, not the reverse.
  aws.mocks.cloudwatch
    .on(DescribeAlarmsCommand)
    .resolves({ MetricAlarms: [] })
    .on(DescribeAlarmsCommand, { AlarmNamePrefix: `${prefix}-dev-allocate-order-` })
    .resolves({ MetricAlarms: [{ AlarmName: `${prefix}-dev-allocate-order-errors`, StateValue: 'OK' }] })
    .on(DescribeAlarmsCommand, DEV_ALARMS)
    .resolves(HEALTHY);
  stubCanary(aws, [PASSED]);
  aws.mocks.ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        status: 'ACTIVE',
        taskDefinition: `arn:aws:ecs:ap-northeast-1:111111111111:task-definition/${prefix}-dev-inventory-api:12`,
        loadBalancers: [{ targetGroupArn: TG }],
        deployments: [
          {
            status: 'PRIMARY',
            rolloutState: 'COMPLETED',
            taskDefinition: `arn:aws:ecs:ap-northeast-1:111111111111:task-definition/${prefix}-dev-inventory-api:12`,
          },
        ],
      },
    ],
  });
  aws.mocks.elbv2.on(DescribeTargetHealthCommand).resolves({
    TargetHealthDescriptions: [
      { TargetHealth: { State: 'healthy' } },
      { TargetHealth: { State: 'healthy' } },
    ],
  });
  aws.mocks.codepipeline
    .on(ListPipelineExecutionsCommand)
    .rejects(awsError('PipelineNotFoundException'))
    .on(ListPipelineExecutionsCommand, { pipelineName: `${prefix}-allocate-order-pipeline` })
    .resolves({
      pipelineExecutionSummaries: [
        { pipelineExecutionId: 'e-1', status: 'Succeeded', startTime: new Date('2026-01-03T00:00:00Z') },
      ],
    });
});

describe('status', () => {
  it('reads every function, service and pipeline of the environment with the exact calls', async () => {
    const result = (await status(context(aws), { env: 'dev' })) as StatusResult;
    const inputs = (name: string) =>
      aws
        .calls()
        .filter((c) => c.command === name)
        .map((c) => c.input);
    expect(inputs('lambda GetAlias')).toEqual([
      { FunctionName: `${prefix}-dev-allocate-order`, Name: 'live' },
      { FunctionName: `${prefix}-dev-import-stock`, Name: 'live' },
    ]);
    expect(inputs('codedeploy BatchGetDeployments')).toEqual([{ deploymentIds: ['d-3', 'd-2', 'd-1'] }]);
    expect(inputs('cloudwatch DescribeAlarms')).toEqual([
      {
        AlarmNamePrefix: `${prefix}-dev-`,
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: 100,
      },
      { AlarmNamePrefix: `${prefix}-dev-allocate-order-` },
      { AlarmNamePrefix: `${prefix}-dev-import-stock-` },
    ]);
    expect(inputs('synthetics DescribeCanariesLastRun')).toEqual([{ Names: [`${prefix}-dev`] }]);
    expect(inputs('ecs DescribeServices')).toEqual([
      { cluster: `${prefix}-dev-cluster`, services: [`${prefix}-dev-inventory-api`] },
    ]);
    expect(inputs('elbv2 DescribeTargetHealth')).toEqual([{ TargetGroupArn: TG }]);
    expect(inputs('codepipeline ListPipelineExecutions')).toEqual([
      { pipelineName: `${prefix}-allocate-order-pipeline`, maxResults: 1 },
      { pipelineName: `${prefix}-import-stock-pipeline`, maxResults: 1 },
      { pipelineName: `${prefix}-inventory-api-pipeline`, maxResults: 1 },
      { pipelineName: `${prefix}-infra-pipeline`, maxResults: 1 },
    ]);
    expect(result.functions[0]).toEqual({
      name: 'allocate-order',
      functionName: `${prefix}-dev-allocate-order`,
      deployed: true,
      weights: { '7': 0.9, '8': 0.1 },
      deployments: [
        { id: 'd-3', status: 'Succeeded', created: '2026-01-03T00:00:00.000Z', error: undefined },
        { id: 'd-2', status: 'Stopped', created: '2026-01-02T00:00:00.000Z', error: 'alarm' },
        { id: 'd-1', status: 'Succeeded', created: '2026-01-01T00:00:00.000Z', error: undefined },
      ],
      alarms: [{ name: `${prefix}-dev-allocate-order-errors`, state: 'OK' }],
      health: { alarm: `${prefix}-dev-allocate-order-health`, state: 'OK' },
    });
    expect(result.functions[1]).toMatchObject({ deployed: false, deployments: [], weights: {} });
    expect(result.services).toEqual([
      {
        name: 'inventory-api',
        serviceName: `${prefix}-dev-inventory-api`,
        deployed: true,
        taskDefinitionRevision: '12',
        deployments: [
          { status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: `${prefix}-dev-inventory-api:12` },
        ],
        targetGroups: [{ arn: TG, health: { healthy: 2 } }],
        health: { alarm: `${prefix}-dev-inventory-api-health`, state: 'OK' },
      },
    ]);
    expect(result.pipelines.map((p) => [p.pipeline, p.exists, p.lastExecution?.status])).toEqual([
      [`${prefix}-allocate-order-pipeline`, true, 'Succeeded'],
      [`${prefix}-import-stock-pipeline`, false, undefined],
      [`${prefix}-inventory-api-pipeline`, false, undefined],
      [`${prefix}-infra-pipeline`, false, undefined],
    ]);
    const text = formatStatus(result);
    expect(text).toContain(`${prefix}-dev-allocate-order: live → version 7 90 %, version 8 10 %`);
    expect(text).toContain(`${prefix}-dev-import-stock: not deployed`);
    expect(text).toContain(`${prefix}-dev-inventory-api: task definition revision 12`);
    expect(text).toContain(`targets ${prefix}-dev-api-blue: 2 healthy`);
  });

  it('reports a service whose cluster does not exist yet as not deployed', async () => {
    aws.mocks.ecs.on(DescribeServicesCommand).rejects(awsError('ClusterNotFoundException'));
    const result = (await status(context(aws), { env: 'dev' })) as StatusResult;
    expect(result.services[0]).toMatchObject({ deployed: false, targetGroups: [] });
    expect(aws.mocks.elbv2.calls()).toHaveLength(0);
  });

  it('fails as a whole on any other AWS error', async () => {
    aws.mocks.cloudwatch.on(DescribeAlarmsCommand).rejects(awsError('AccessDenied', 'not authorized'));
    await expect(status(context(aws), { env: 'dev' })).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('makes no call under --dry-run', async () => {
    const result = await status(context(aws, { dryRun: true }), { env: 'prod' });
    expect(aws.calls()).toEqual([]);
    expect(isDryRun(result) && result.calls.map((c) => `${c.service} ${c.command}`)).toEqual([
      'cloudwatch DescribeAlarms',
      'synthetics DescribeCanariesLastRun',
      ...['allocate-order', 'import-stock'].flatMap(() => [
        'lambda GetAlias',
        'codedeploy ListDeployments',
        'codedeploy BatchGetDeployments',
        'cloudwatch DescribeAlarms',
      ]),
      'ecs DescribeServices',
      'elbv2 DescribeTargetHealth',
      ...Array(4).fill('codepipeline ListPipelineExecutions'),
    ]);
  });

  it('prints JSON with the environment, region, health and the three lists', async () => {
    const run = await runMain(['status', '--env', 'dev', '--json'], aws);
    expect(run.code).toBe(EXIT.ok);
    // One list per registered kind, in the registry's order.
    expect(Object.keys(JSON.parse(run.stdout))).toEqual([
      'environment',
      'region',
      'health',
      ...KINDS.map((k) => k.plural),
      'pipelines',
    ]);
  });
});

describe("status: the environment's health", () => {
  const read = async () => (await status(context(aws), { env: 'dev' })) as StatusResult;

  it('shows a healthy environment: its composite OK, no alarm in ALARM, the canary passed', async () => {
    const result = await read();
    expect(result.health).toEqual({
      alarm: `${prefix}-dev-health`,
      state: 'OK',
      inAlarm: [],
      canary: {
        canary: `${prefix}-dev`,
        exists: true,
        lastRun: {
          status: 'PASSED',
          started: '2026-01-03T10:00:00.000Z',
          completed: '2026-01-03T10:00:40.000Z',
          reason: undefined,
        },
      },
    });
    expect(result.functions.map((f) => f.health.state)).toEqual(['OK', 'OK']);
    const text = formatStatus(result).split('\n');
    expect(text.slice(0, 5)).toEqual([
      'dev (ap-northeast-1)',
      '',
      `health: OK (${prefix}-dev-health)`,
      '  alarms in ALARM: none',
      `  canary ${prefix}-dev: PASSED at 2026-01-03T10:00:00.000Z`,
    ]);
    // Each workload's composite right under the line that names it.
    const fn = text.indexOf(`  ${prefix}-dev-allocate-order: live → version 7 90 %, version 8 10 %`);
    expect(text[fn + 1]).toBe('    health: OK');
    const svc = text.indexOf(`  ${prefix}-dev-inventory-api: task definition revision 12`);
    expect(text[svc + 1]).toBe('    health: OK');
  });

  it('shows every alarm in ALARM with its reason and since when, the earliest first', async () => {
    const reason =
      'Threshold Crossed: 1 out of the last 1 datapoints [3.0] was greater than the threshold (1.0).';
    aws.mocks.cloudwatch.on(DescribeAlarmsCommand, DEV_ALARMS).resolves({
      MetricAlarms: [
        { AlarmName: `${prefix}-dev-allocate-order-duration`, StateValue: 'OK' },
        {
          AlarmName: `${prefix}-dev-allocate-order-errors`,
          StateValue: 'ALARM',
          StateReason: reason,
          StateTransitionedTimestamp: new Date('2026-01-03T09:58:00Z'),
          StateUpdatedTimestamp: new Date('2026-01-03T10:03:00Z'),
        },
      ],
      CompositeAlarms: [
        composite('health', 'ALARM', {
          StateReason: `arn:aws:cloudwatch:ap-northeast-1:111111111111:alarm:${prefix}-dev-allocate-order-health transitioned to ALARM`,
          StateTransitionedTimestamp: new Date('2026-01-03T09:59:00Z'),
        }),
        composite('allocate-order-health', 'ALARM', {
          StateReason: `${prefix}-dev-allocate-order-errors transitioned to ALARM`,
          StateTransitionedTimestamp: new Date('2026-01-03T09:58:30Z'),
        }),
        composite('import-stock-health', 'INSUFFICIENT_DATA'),
        composite('inventory-api-health'),
      ],
    });
    const result = await read();
    expect(result.health.state).toBe('ALARM');
    expect(result.health.inAlarm).toEqual([
      {
        name: `${prefix}-dev-allocate-order-errors`,
        type: 'MetricAlarm',
        reason,
        // When it went into ALARM, not its last update within ALARM.
        since: '2026-01-03T09:58:00.000Z',
      },
      {
        name: `${prefix}-dev-allocate-order-health`,
        type: 'CompositeAlarm',
        reason: `${prefix}-dev-allocate-order-errors transitioned to ALARM`,
        since: '2026-01-03T09:58:30.000Z',
      },
      expect.objectContaining({ name: `${prefix}-dev-health`, since: '2026-01-03T09:59:00.000Z' }),
    ]);
    expect(result.functions.map((f) => f.health.state)).toEqual(['ALARM', 'INSUFFICIENT_DATA']);
    const text = formatStatus(result);
    expect(text).toContain(`health: ALARM (${prefix}-dev-health)\n  alarms in ALARM:\n`);
    expect(text).toContain(
      `    ${prefix}-dev-allocate-order-errors since 2026-01-03T09:58:00.000Z: ${reason}`,
    );
    expect(text).toContain(`  ${prefix}-dev-import-stock: not deployed\n    health: INSUFFICIENT_DATA`);
  });

  it('reads every page of the listing', async () => {
    aws.mocks.cloudwatch
      .on(DescribeAlarmsCommand, DEV_ALARMS)
      .resolvesOnce({ CompositeAlarms: [composite('health')], NextToken: 'page-2' })
      .resolves({ MetricAlarms: [{ AlarmName: `${prefix}-dev-db-connections`, StateValue: 'ALARM' }] });
    const result = await read();
    const listings = aws.mocks.cloudwatch
      .calls()
      .map((c) => (c.args[0] as DescribeAlarmsCommand).input)
      .filter((i) => i.AlarmNamePrefix === DEV_ALARMS.AlarmNamePrefix);
    expect(listings.map((i) => i.NextToken)).toEqual([undefined, 'page-2']);
    expect(result.health.state).toBe('OK');
    expect(result.health.inAlarm.map((a) => a.name)).toEqual([`${prefix}-dev-db-connections`]);
  });

  it('shows a composite that does not exist as missing, not as a failure', async () => {
    aws.mocks.cloudwatch.on(DescribeAlarmsCommand, DEV_ALARMS).resolves({ MetricAlarms: [] });
    const result = await read();
    expect(result.health).toMatchObject({ alarm: `${prefix}-dev-health`, state: 'missing', inAlarm: [] });
    expect(result.services[0]?.health).toEqual({
      alarm: `${prefix}-dev-inventory-api-health`,
      state: 'missing',
    });
    const text = formatStatus(result);
    expect(text).toContain(`health: missing (no alarm ${prefix}-dev-health)`);
    expect(text).toContain(`    health: missing (no alarm ${prefix}-dev-inventory-api-health)`);
  });

  it.each([
    ['passed', [PASSED], { status: 'PASSED', reason: undefined }, `PASSED at 2026-01-03T10:00:00.000Z`],
    [
      'failed',
      [
        {
          ...PASSED,
          LastRun: {
            ...PASSED.LastRun,
            Status: { State: 'FAILED' as const, StateReason: 'allocation returned 503' },
          },
        },
      ],
      { status: 'FAILED', reason: 'allocation returned 503' },
      'FAILED at 2026-01-03T10:00:00.000Z: allocation returned 503',
    ],
    ['never run', [{ CanaryName: `${prefix}-dev` }], undefined, 'never ran'],
  ])('shows the canary’s last run when it %s', async (_, answer, lastRun, line) => {
    stubCanary(aws, answer);
    const result = await read();
    expect(result.health.canary.exists).toBe(true);
    if (lastRun === undefined) expect(result.health.canary.lastRun).toBeUndefined();
    else expect(result.health.canary.lastRun).toMatchObject(lastRun);
    expect(formatStatus(result)).toContain(`  canary ${prefix}-dev: ${line}\n`);
  });

  it('shows no canary when none has its name (an empty answer), not as a failure', async () => {
    stubCanary(aws, []);
    const result = await read();
    expect(result.health.canary).toEqual({ canary: `${prefix}-dev`, exists: false, lastRun: undefined });
    expect(formatStatus(result)).toContain(`  canary ${prefix}-dev: no canary`);
  });

  it('fails with the one error line and exit 1 when DescribeAlarms is denied', async () => {
    const denied =
      'User: arn:aws:sts::111111111111:assumed-role/operator/me is not authorized to perform: cloudwatch:DescribeAlarms';
    aws.mocks.cloudwatch.on(DescribeAlarmsCommand, DEV_ALARMS).rejects(awsError('AccessDenied', denied));
    const run = await runMain(['status', '--env', 'dev'], aws);
    expect(run).toEqual({ code: EXIT.failed, stdout: '', stderr: `error: AccessDenied: ${denied}\n` });
  });

  it('fails the same way when the canary cannot be read', async () => {
    stubCanary(aws, awsError('AccessDeniedException', 'not authorized: synthetics:DescribeCanariesLastRun'));
    const run = await runMain(['status', '--env', 'dev'], aws);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toBe(
      'error: AccessDeniedException: not authorized: synthetics:DescribeCanariesLastRun\n',
    );
  });

  it('plans the listing of every alarm and the canary’s last run under --dry-run', async () => {
    const result = await status(context(aws, { dryRun: true }), { env: 'prod' });
    expect(aws.calls()).toEqual([]);
    expect(isDryRun(result) && result.calls.slice(0, 2)).toEqual([
      {
        service: 'cloudwatch',
        command: 'DescribeAlarms',
        input: {
          AlarmNamePrefix: `${prefix}-prod-`,
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          MaxRecords: 100,
        },
      },
      { service: 'synthetics', command: 'DescribeCanariesLastRun', input: { Names: [`${prefix}-prod`] } },
    ]);
  });
});

describe('status without --env', () => {
  it('covers every environment in promotion order', async () => {
    const aws = stubbedAws();
    const planned = await statusAny(context(aws, { dryRun: true }), { env: undefined });
    const aliases = ('calls' in planned ? planned.calls : [])
      .filter((c) => c.command === 'GetAlias')
      .map((c) => (c.input as { FunctionName: string }).FunctionName);
    expect(aliases).toEqual([
      `${prefix}-dev-allocate-order`,
      `${prefix}-dev-import-stock`,
      `${prefix}-staging-allocate-order`,
      `${prefix}-staging-import-stock`,
      `${prefix}-prod-allocate-order`,
      `${prefix}-prod-import-stock`,
    ]);
    expect(aws.calls()).toEqual([]);
  });
});

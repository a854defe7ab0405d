import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { BatchGetDeploymentsCommand, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatStatus, status, statusAny, type StatusResult } from '../src/commands/status';
import { isDryRun } from '../src/context';
import { EXIT } from '../src/errors';
import { awsError, codeDeployDeployment, context, prefix, runMain, stubbedAws } from './helpers';

const TG = `arn:aws:elasticloadbalancing:ap-northeast-1:111111111111:targetgroup/${prefix}-dev-api-blue/abc`;
let aws: ReturnType<typeof stubbedAws>;

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
    .resolves({ MetricAlarms: [{ AlarmName: `${prefix}-dev-allocate-order-errors`, StateValue: 'OK' }] });
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
      { AlarmNamePrefix: `${prefix}-dev-allocate-order-` },
      { AlarmNamePrefix: `${prefix}-dev-import-stock-` },
    ]);
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

  it('prints JSON with the environment, region and the three lists', async () => {
    const run = await runMain(['status', '--env', 'dev', '--json'], aws);
    expect(run.code).toBe(EXIT.ok);
    expect(Object.keys(JSON.parse(run.stdout))).toEqual([
      'environment',
      'region',
      'functions',
      'services',
      'pipelines',
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

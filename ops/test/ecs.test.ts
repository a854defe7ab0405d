import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type DeploymentStatus,
} from '@aws-sdk/client-codedeploy';
import {
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServiceDeploymentsCommand,
  ListTaskDefinitionsCommand,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { parseEcsAppSpec } from '@ias/delivery';
import { beforeEach, describe, expect, it } from 'vitest';
import { ecsRollback } from '../src/commands/ecs';
import { EXIT } from '../src/errors';
import { context, prefix, runMain, serviceDeployment, stubbedAws } from './helpers';

const IN_PROGRESS: DeploymentStatus[] = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];
const arn = (env: string, revision: number, family = `${prefix}-${env}-inventory-api`) =>
  `arn:aws:ecs:ap-northeast-1:123456789012:task-definition/${family}:${revision}`;

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
  aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  aws.mocks.codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
  aws.mocks.codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-BACK' });
  aws.mocks.ecs.on(UpdateServiceCommand).resolves({});
  aws.mocks.ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
  aws.mocks.ecs.on(StopServiceDeploymentCommand).resolves({});
  aws.mocks.ecs.on(ContinueServiceDeploymentCommand).resolves({});
  aws.mocks.ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => ({
    taskDefinition: {
      taskDefinitionArn: input.taskDefinition,
      containerDefinitions: [
        { name: 'inventory-api', image: `repo@sha256:${input.taskDefinition.slice(-1).repeat(64)}` },
      ],
    },
  }));
});

const noWait = { sleep: async () => undefined };
const SD = `arn:aws:ecs:ap-northeast-1:123456789012:service-deployment/${prefix}-dev-cluster/${prefix}-dev-inventory-api/x`;

/** The service as DescribeServices returns it, running revision `revision` of the env's family. */
function service(env: string, revision: number, extra: Partial<Service> = {}) {
  aws.mocks.ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: `${prefix}-${env}-inventory-api`,
        status: 'ACTIVE',
        taskDefinition: arn(env, revision),
        deploymentController: { type: 'ECS' },
        deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
        ...extra,
      },
    ],
  });
}

/** ListTaskDefinitions' ACTIVE ARNs, newest first. */
function revisions(...arns: string[]) {
  aws.mocks.ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: arns });
}

/** The ledger, empty, and the configuration the CLI records with a release. */
function ledger() {
  aws.mocks.sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:iam::123456789012:user/ops' });
  aws.mocks.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
  aws.mocks.secrets.on(ListSecretsCommand).resolves({ SecretList: [] });
  aws.mocks.dynamodb.on(QueryCommand).resolves({ Items: [] });
  aws.mocks.dynamodb.on(PutItemCommand).resolves({});
}

const listCall = (env: string) => ({
  command: 'ecs ListTaskDefinitions',
  input: { familyPrefix: `${prefix}-${env}-inventory-api`, status: 'ACTIVE', sort: 'DESC' },
});
const describeCall = (env: string) => ({
  command: 'ecs DescribeServices',
  input: { cluster: `${prefix}-${env}-cluster`, services: [`${prefix}-${env}-inventory-api`] },
});
const stoppableCall = (env: string) => ({
  command: 'ecs ListServiceDeployments',
  input: {
    cluster: `${prefix}-${env}-cluster`,
    service: `${prefix}-${env}-inventory-api`,
    status: ['PENDING', 'IN_PROGRESS'],
  },
});

describe('ecs rollback', () => {
  it('fails with exit 2 on an unknown service, listing the known ones', async () => {
    const run = await runMain(['ecs', 'rollback', 'nope', '--env', 'dev'], aws);
    expect(run).toEqual({
      code: EXIT.badInput,
      stdout: '',
      stderr: 'error: unknown service "nope": use one of inventory-api (the project\'s container services)\n',
    });
    expect(aws.calls()).toEqual([]);
  });

  it('stops a CodeDeploy deployment in progress with rollback (codedeploy-blue-green) and follows it, exit 0', async () => {
    aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-RUN'] });
    // runMain follows with real timers: the first poll already sees the end.
    aws.mocks.codedeploy
      .on(GetDeploymentCommand)
      .resolves({ deploymentInfo: { status: 'Stopped', rollbackInfo: { rollbackDeploymentId: 'd-UNDO' } } });
    const run = await runMain(['ecs', 'rollback', 'inventory-api', '--env', 'prod'], aws);
    expect(aws.calls()).toEqual([
      {
        command: 'codedeploy ListDeployments',
        input: {
          applicationName: `${prefix}-prod-inventory-api-app`,
          deploymentGroupName: `${prefix}-prod-inventory-api-group`,
          includeOnlyStatuses: IN_PROGRESS,
        },
      },
      { command: 'codedeploy StopDeployment', input: { deploymentId: 'd-RUN', autoRollbackEnabled: true } },
      { command: 'codedeploy GetDeployment', input: { deploymentId: 'd-RUN' } },
    ]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(
      new RegExp(`^${prefix}-prod-inventory-api-group: deployment d-RUN stopped and rolled back \\(`),
    );
    // Nothing new went live: the stopped deployment was never recorded.
    expect(run.stdout).not.toContain('recorded as release');
  });

  it("stops Amazon ECS's own deployment in progress, through its pause hook when one holds it", async () => {
    serviceDeployment(
      aws,
      SD,
      {
        status: 'IN_PROGRESS',
        lifecycleHookDetails: [{ hookId: 'p-1', targetType: 'PAUSE', status: 'AWAITING_ACTION' }],
      },
      { status: 'ROLLBACK_SUCCESSFUL' },
    );
    const result = await ecsRollback(context(aws), { service: 'inventory-api', env: 'staging' }, noWait);
    expect(aws.mocks.ecs.commandCalls(ContinueServiceDeploymentCommand)[0]?.args[0].input).toEqual({
      serviceDeploymentArn: SD,
      hookId: 'p-1',
      action: 'ROLLBACK',
    });
    expect(aws.mocks.ecs.commandCalls(StopServiceDeploymentCommand)).toHaveLength(0);
    expect(aws.mocks.ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(result).toMatchObject({ action: 'stopped-deployment', outcome: 'rolled-back', deploymentId: SD });
  });

  it('with --no-wait, stops and returns without following (StopServiceDeployment when nothing is paused)', async () => {
    serviceDeployment(aws, SD, { status: 'IN_PROGRESS' });
    const run = await runMain(['ecs', 'rollback', 'inventory-api', '--env', 'dev', '--no-wait'], aws);
    expect(aws.calls().map((c) => c.command)).toEqual([
      'ecs ListServiceDeployments',
      'ecs DescribeServiceDeployments',
      'ecs StopServiceDeployment',
    ]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('stopped with rollback, traffic returns to the original');
  });

  it('updates the service to the previous ACTIVE revision (dev: rolling), follows it, and records it in the ledger', async () => {
    service('dev', 7);
    revisions(
      arn('dev', 9),
      arn('dev', 7),
      arn('dev', 6, `${prefix}-dev-inventory-api-worker`),
      arn('dev', 5),
    );
    ledger();
    aws.mocks.ecs
      .on(ListServiceDeploymentsCommand)
      .resolvesOnce({ serviceDeployments: [] })
      .resolves({ serviceDeployments: [{ serviceDeploymentArn: SD }] });
    aws.mocks.ecs
      .on(DescribeServiceDeploymentsCommand)
      .resolves({ serviceDeployments: [{ serviceDeploymentArn: SD, status: 'SUCCESSFUL' }] });
    const run = await runMain(['--json', 'ecs', 'rollback', 'inventory-api', '--env', 'dev'], aws);
    const ecsCalls = aws.calls().filter((c) => c.command.startsWith('ecs '));
    expect(ecsCalls.slice(0, 5)).toEqual([
      stoppableCall('dev'),
      describeCall('dev'),
      listCall('dev'),
      { command: 'ecs DescribeTaskDefinition', input: { taskDefinition: arn('dev', 5) } },
      {
        command: 'ecs UpdateService',
        input: {
          cluster: `${prefix}-dev-cluster`,
          service: `${prefix}-dev-inventory-api`,
          taskDefinition: arn('dev', 5),
        },
      },
    ]);
    expect(run.code).toBe(EXIT.ok);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    const image = `repo@sha256:${'5'.repeat(64)}`;
    expect(result).toMatchObject({
      action: 'updated-service',
      outcome: 'succeeded',
      from: arn('dev', 7),
      to: arn('dev', 5),
      deploymentId: SD,
      live: { image, taskDefinition: arn('dev', 5) },
      ledger: { release: 1 },
    });
    const put = aws.mocks.dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put?.TableName).toBe(`${prefix}-dev-releases`);
    expect(JSON.parse(put?.Item?.release?.S ?? '{}')).toMatchObject({
      source: 'cli',
      by: 'arn:aws:iam::123456789012:user/ops',
      services: { [`${prefix}-dev-inventory-api`]: { image, taskDefinition: arn('dev', 5) } },
    });
  });

  it('waits for the service deployment UpdateService started to show before following it', async () => {
    const running = (revision: number, deployments: Service['deployments']) => ({
      services: [
        {
          serviceName: `${prefix}-dev-inventory-api`,
          status: 'ACTIVE',
          taskDefinition: arn('dev', revision),
          deploymentController: { type: 'ECS' as const },
          deployments,
        },
      ],
    });
    aws.mocks.ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(running(7, [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }]))
      .resolves(running(6, [{ status: 'PRIMARY' }, { status: 'ACTIVE' }]));
    revisions(arn('dev', 7), arn('dev', 6));
    aws.mocks.ecs
      .on(ListServiceDeploymentsCommand)
      .resolvesOnce({ serviceDeployments: [] })
      .resolvesOnce({ serviceDeployments: [] })
      .resolves({ serviceDeployments: [{ serviceDeploymentArn: SD }] });
    aws.mocks.ecs
      .on(DescribeServiceDeploymentsCommand)
      .resolves({ serviceDeployments: [{ serviceDeploymentArn: SD, status: 'SUCCESSFUL' }] });
    const result = await ecsRollback(context(aws), { service: 'inventory-api', env: 'dev' }, noWait);
    expect(aws.mocks.ecs.commandCalls(ListServiceDeploymentsCommand)).toHaveLength(3);
    expect(result).toMatchObject({ outcome: 'succeeded', deploymentId: SD, to: arn('dev', 6) });
  });

  it('exits 1 and records nothing when Amazon ECS rolls the rollback itself back', async () => {
    service('dev', 7);
    revisions(arn('dev', 7), arn('dev', 6));
    ledger();
    aws.mocks.ecs
      .on(ListServiceDeploymentsCommand)
      .resolvesOnce({ serviceDeployments: [] })
      .resolves({ serviceDeployments: [{ serviceDeploymentArn: SD }] });
    aws.mocks.ecs.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        { serviceDeploymentArn: SD, status: 'ROLLBACK_SUCCESSFUL', statusReason: 'circuit breaker' },
      ],
    });
    const run = await runMain(['ecs', 'rollback', 'inventory-api', '--env', 'dev'], aws);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stdout).toContain(
      'the rollback from revision 7 to 6 was itself rolled back; it runs revision 7 still',
    );
    expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('follows ListTaskDefinitions pages', async () => {
    service('staging', 3);
    aws.mocks.ecs
      .on(ListTaskDefinitionsCommand)
      .resolvesOnce({ taskDefinitionArns: [arn('staging', 4), arn('staging', 3)], nextToken: 't' })
      .resolves({ taskDefinitionArns: [arn('staging', 2)] });
    const result = await ecsRollback(context(aws), { service: 'inventory-api', env: 'staging', wait: false });
    expect(aws.mocks.ecs.commandCalls(ListTaskDefinitionsCommand)[1]?.args[0].input).toMatchObject({
      nextToken: 't',
    });
    expect(result).toMatchObject({ action: 'updated-service', outcome: 'started', to: arn('staging', 2) });
  });

  it('refuses (exit 4) while Amazon ECS still moves the service (a rollback in progress), changing nothing', async () => {
    service('staging', 7, { deployments: [{ status: 'PRIMARY' }, { status: 'ACTIVE' }] });
    revisions(arn('staging', 7), arn('staging', 6));
    await expect(
      ecsRollback(context(aws), { service: 'inventory-api', env: 'staging' }),
    ).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: expect.stringContaining(
        'is still being deployed or rolled back by Amazon ECS: wait until it settles',
      ),
    });
    expect(aws.mocks.ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('refuses (exit 4) at the first revision', async () => {
    service('dev', 1);
    revisions(arn('dev', 2), arn('dev', 1));
    const run = await runMain(['ecs', 'rollback', 'inventory-api', '--env', 'dev'], aws);
    expect(run).toEqual({
      code: EXIT.unsafe,
      stdout: '',
      stderr: `error: ${prefix}-dev-inventory-api is already at the first revision (${arn('dev', 1)}): there is no previous ACTIVE task definition to roll back to\n`,
    });
    expect(aws.mocks.ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('creates a CodeDeploy deployment of the previous revision under the CODE_DEPLOY controller and follows it', async () => {
    service('prod', 12, {
      deploymentController: { type: 'CODE_DEPLOY' },
      deployments: [{ status: 'PRIMARY' }, { status: 'ACTIVE' }],
    });
    revisions(arn('prod', 12), arn('prod', 11));
    aws.mocks.codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'Succeeded' } });
    const result = await ecsRollback(context(aws), { service: 'inventory-api', env: 'prod' }, noWait);
    expect(aws.calls().map((c) => c.command)).toEqual([
      'codedeploy ListDeployments',
      'codedeploy CreateDeployment',
      'codedeploy GetDeployment',
      'ecs DescribeServices',
      'ecs ListTaskDefinitions',
      'ecs DescribeTaskDefinition',
    ]);
    const create = aws.mocks.codedeploy.commandCalls(CreateDeploymentCommand)[0]?.args[0].input;
    expect(create).toMatchObject({
      applicationName: `${prefix}-prod-inventory-api-app`,
      deploymentGroupName: `${prefix}-prod-inventory-api-group`,
      revision: { revisionType: 'AppSpecContent' },
    });
    expect(parseEcsAppSpec(create?.revision?.appSpecContent?.content ?? '')).toEqual({
      taskDefinition: arn('prod', 11),
      containerName: 'inventory-api',
      containerPort: 3000,
      platformVersion: 'LATEST',
      // The pipeline's hooks: the green check, then the canary gate once production traffic has moved.
      hooks: {
        afterAllowTestTraffic: `${prefix}-prod-inventory-api-green-check`,
        afterAllowTraffic: `${prefix}-prod-inventory-api-canary-gate`,
      },
    });
    expect(result).toMatchObject({
      action: 'created-deployment',
      outcome: 'succeeded',
      from: arn('prod', 12),
      to: arn('prod', 11),
      deploymentId: 'd-BACK',
      live: { taskDefinition: arn('prod', 11) },
    });
  });

  it('makes no call under --dry-run and exits 0', async () => {
    const run = await runMain(['--dry-run', 'ecs', 'rollback', 'inventory-api', '--env', 'dev'], aws);
    expect(aws.calls()).toEqual([]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(
      `ecs UpdateService {"cluster":"${prefix}-dev-cluster","service":"${prefix}-dev-inventory-api","taskDefinition":"<the ACTIVE revision below the current one, from ListTaskDefinitions>"}`,
    );
    const prod = await ecsRollback(context(aws, { dryRun: true }), { service: 'inventory-api', env: 'prod' });
    expect(aws.calls()).toEqual([]);
    expect(prod).toMatchObject({
      dryRun: true,
      calls: [
        { command: 'ListDeployments' },
        { command: 'DescribeServices' },
        { command: 'ListTaskDefinitions' },
        { command: 'DescribeTaskDefinition' },
        { command: 'CreateDeployment' },
      ],
    });
  });
});

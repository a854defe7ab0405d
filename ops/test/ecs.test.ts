import {
  CreateDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type DeploymentStatus,
} from '@aws-sdk/client-codedeploy';
import {
  DescribeServicesCommand,
  ListTaskDefinitionsCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { parseEcsAppSpec } from '@ias/delivery';
import { beforeEach, describe, expect, it } from 'vitest';
import { ecsRollback } from '../src/commands/ecs';
import { EXIT } from '../src/errors';
import { context, runMain, stubbedAws } from './helpers';

const IN_PROGRESS: DeploymentStatus[] = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];
const arn = (env: string, revision: number, family = `ias-${env}-inventory-api`) =>
  `arn:aws:ecs:ap-northeast-1:123456789012:task-definition/${family}:${revision}`;

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
  aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  aws.mocks.codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
  aws.mocks.codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-BACK' });
  aws.mocks.ecs.on(UpdateServiceCommand).resolves({});
});

/** The service as DescribeServices returns it, running revision `revision` of the env's family. */
function service(env: string, revision: number, extra: Partial<Service> = {}) {
  aws.mocks.ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: `ias-${env}-inventory-api`,
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

const listCall = (env: string) => ({
  command: 'ecs ListTaskDefinitions',
  input: { familyPrefix: `ias-${env}-inventory-api`, status: 'ACTIVE', sort: 'DESC' },
});
const describeCall = (env: string) => ({
  command: 'ecs DescribeServices',
  input: { cluster: `ias-${env}-cluster`, services: [`ias-${env}-inventory-api`] },
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

  it('stops a CodeDeploy deployment in progress with rollback (codedeploy-blue-green), exit 0', async () => {
    aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-RUN'] });
    const run = await runMain(['ecs', 'rollback', 'inventory-api', '--env', 'prod'], aws);
    expect(aws.calls()).toEqual([
      {
        command: 'codedeploy ListDeployments',
        input: {
          applicationName: 'ias-prod-inventory-api-app',
          deploymentGroupName: 'ias-prod-inventory-api-group',
          includeOnlyStatuses: IN_PROGRESS,
        },
      },
      {
        command: 'codedeploy StopDeployment',
        input: { deploymentId: 'd-RUN', autoRollbackEnabled: true },
      },
    ]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^rolled back deployment d-RUN of ias-prod-inventory-api-group: /);
  });

  it('updates the service to the previous ACTIVE revision under the ECS controller (dev: rolling)', async () => {
    service('dev', 7);
    revisions(arn('dev', 9), arn('dev', 7), arn('dev', 6, 'ias-dev-inventory-api-worker'), arn('dev', 5));
    const result = await ecsRollback(context(aws), { service: 'inventory-api', env: 'dev' });
    expect(aws.calls()).toEqual([
      describeCall('dev'),
      listCall('dev'),
      {
        command: 'ecs UpdateService',
        input: {
          cluster: 'ias-dev-cluster',
          service: 'ias-dev-inventory-api',
          taskDefinition: arn('dev', 5),
        },
      },
    ]);
    expect(result).toEqual({
      environment: 'dev',
      serviceName: 'ias-dev-inventory-api',
      action: 'updated-service',
      from: arn('dev', 7),
      to: arn('dev', 5),
      deploymentId: undefined,
      summary: `ias-dev-inventory-api: rolled back from revision 7 to 5 (${arn('dev', 5)})`,
    });
  });

  it('follows ListTaskDefinitions pages', async () => {
    service('staging', 3);
    aws.mocks.ecs
      .on(ListTaskDefinitionsCommand)
      .resolvesOnce({ taskDefinitionArns: [arn('staging', 4), arn('staging', 3)], nextToken: 't' })
      .resolves({ taskDefinitionArns: [arn('staging', 2)] });
    const result = await ecsRollback(context(aws), { service: 'inventory-api', env: 'staging' });
    expect(aws.mocks.ecs.commandCalls(ListTaskDefinitionsCommand)[1]?.args[0].input).toMatchObject({
      nextToken: 't',
    });
    expect(result).toMatchObject({ action: 'updated-service', to: arn('staging', 2) });
  });

  it.each([
    ['two deployments', [{ status: 'PRIMARY' }, { status: 'ACTIVE' }]],
    ['a rollout in progress', [{ status: 'PRIMARY', rolloutState: 'IN_PROGRESS' as const }]],
  ])('refuses (exit 4) while ECS is deploying (%s), changing nothing', async (_, deployments) => {
    service('staging', 7, { deployments });
    revisions(arn('staging', 7), arn('staging', 6));
    await expect(
      ecsRollback(context(aws), { service: 'inventory-api', env: 'staging' }),
    ).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: expect.stringContaining(
        "ias-staging-inventory-api has an ECS deployment in progress: wait for it to end (ECS rolls a failed one back itself), or use the ECS console's rollback",
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
      stderr: `error: ias-dev-inventory-api is already at the first revision (${arn('dev', 1)}): there is no previous ACTIVE task definition to roll back to\n`,
    });
    expect(aws.mocks.ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('creates a CodeDeploy deployment of the previous revision under the CODE_DEPLOY controller', async () => {
    service('prod', 12, {
      deploymentController: { type: 'CODE_DEPLOY' },
      deployments: [{ status: 'PRIMARY' }, { status: 'ACTIVE' }],
    });
    revisions(arn('prod', 12), arn('prod', 11));
    const result = await ecsRollback(context(aws), { service: 'inventory-api', env: 'prod' });
    const calls = aws.calls();
    // aws.calls() groups by client: codedeploy's first.
    expect(calls.map((c) => c.command)).toEqual([
      'codedeploy ListDeployments',
      'codedeploy CreateDeployment',
      'ecs DescribeServices',
      'ecs ListTaskDefinitions',
    ]);
    expect(calls.slice(2)).toEqual([describeCall('prod'), listCall('prod')]);
    const create = aws.mocks.codedeploy.commandCalls(CreateDeploymentCommand)[0]?.args[0].input;
    expect(create).toMatchObject({
      applicationName: 'ias-prod-inventory-api-app',
      deploymentGroupName: 'ias-prod-inventory-api-group',
      revision: { revisionType: 'AppSpecContent' },
    });
    expect(parseEcsAppSpec(create?.revision?.appSpecContent?.content ?? '')).toEqual({
      taskDefinition: arn('prod', 11),
      containerName: 'inventory-api',
      containerPort: 3000,
      platformVersion: 'LATEST',
      hooks: { afterAllowTestTraffic: 'ias-prod-inventory-api-green-check' },
    });
    expect(result).toMatchObject({
      action: 'created-deployment',
      from: arn('prod', 12),
      to: arn('prod', 11),
      deploymentId: 'd-BACK',
    });
  });

  it('makes no call under --dry-run and exits 0', async () => {
    const run = await runMain(['--dry-run', 'ecs', 'rollback', 'inventory-api', '--env', 'dev'], aws);
    expect(aws.calls()).toEqual([]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(
      'ecs UpdateService {"cluster":"ias-dev-cluster","service":"ias-dev-inventory-api","taskDefinition":"<the ACTIVE revision below the current one, from ListTaskDefinitions>"}',
    );
    const prod = await ecsRollback(context(aws, { dryRun: true }), { service: 'inventory-api', env: 'prod' });
    expect(aws.calls()).toEqual([]);
    expect(prod).toMatchObject({
      dryRun: true,
      calls: [
        { command: 'ListDeployments' },
        { command: 'DescribeServices' },
        { command: 'ListTaskDefinitions' },
        { command: 'CreateDeployment' },
      ],
    });
  });
});

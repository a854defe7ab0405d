import {
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { beforeEach, describe, expect, it } from 'vitest';
import { deploymentsContinue, deploymentsList, deploymentsStop } from '../src/commands/deployments';
import { EXIT } from '../src/errors';
import { stubLooks } from './canary-support';
import { awsError, context, prefix, runMain, stubbedAws } from './helpers';

/** Staging's inventory-api ships with Amazon ECS blue/green (the profile's ecs-blue-green). */
const ARN = `arn:aws:ecs:ap-northeast-1:123456789012:service-deployment/${prefix}-staging-cluster/${prefix}-staging-inventory-api/abc`;
const SERVICE_ARN = `arn:aws:ecs:ap-northeast-1:123456789012:service/${prefix}-staging-cluster/${prefix}-staging-inventory-api`;
const noWait = { sleep: async () => undefined };

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
  aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  aws.mocks.ecs.on(ContinueServiceDeploymentCommand).resolves({ serviceDeploymentArn: ARN });
  aws.mocks.ecs.on(StopServiceDeploymentCommand).resolves({ serviceDeploymentArn: ARN });
});

const paused: ServiceDeployment['lifecycleHookDetails'] = [
  {
    hookId: 'ecs-pause-1',
    targetType: 'PAUSE',
    status: 'AWAITING_ACTION',
    expiresAt: new Date('2026-11-26T12:30:00Z'),
    timeoutAction: 'ROLLBACK',
  },
];

function described(...states: Partial<ServiceDeployment>[]) {
  const answer = (state: Partial<ServiceDeployment>) => ({
    serviceDeployments: [{ serviceDeploymentArn: ARN, serviceArn: SERVICE_ARN, ...state }],
  });
  const mock = aws.mocks.ecs.on(DescribeServiceDeploymentsCommand);
  for (const state of states.slice(0, -1)) mock.resolvesOnce(answer(state));
  mock.resolves(answer(states[states.length - 1] ?? {}));
}

describe('deployments list (Amazon ECS)', () => {
  it("lists staging's service deployments, newest first, and says which one a pause hook holds", async () => {
    // The API does not promise an order: seven over two pages, oldest first, of which the newest
    // five are described.
    const brief = (n: number) => ({
      serviceDeploymentArn: `${ARN}-${n}`,
      createdAt: new Date(Date.UTC(2026, 10, 10 + n)),
    });
    aws.mocks.ecs
      .on(ListServiceDeploymentsCommand, {
        status: ['PENDING', 'IN_PROGRESS', 'STOP_REQUESTED', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS'],
      })
      .resolves({ serviceDeployments: [{ serviceDeploymentArn: ARN }] })
      .on(ListServiceDeploymentsCommand, { maxResults: 100 })
      .resolvesOnce({ serviceDeployments: [1, 2, 3, 4].map(brief), nextToken: 'page-2' })
      .resolves({ serviceDeployments: [5, 6, 7].map(brief) });
    aws.mocks.ecs.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: `${ARN}-7`,
          status: 'SUCCESSFUL',
          createdAt: new Date('2026-11-25T00:00:00Z'),
        },
        {
          serviceDeploymentArn: ARN,
          status: 'IN_PROGRESS',
          lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
          createdAt: new Date('2026-11-26T12:00:00Z'),
          lifecycleHookDetails: paused,
        },
      ],
    });
    // The watcher keys its looks by the service deployment's ARN.
    stubLooks(aws, { [ARN]: { verdict: 'pass', action: 'promote', look: 6, looks: 10 } });
    const result = await deploymentsList(context(aws), { env: 'staging' });
    const since = new Date(Date.now() - 30 * 86_400_000);
    const lists = aws.mocks.ecs.commandCalls(ListServiceDeploymentsCommand).map((c) => c.args[0].input);
    expect(lists).toEqual([
      {
        cluster: `${prefix}-staging-cluster`,
        service: `${prefix}-staging-inventory-api`,
        status: ['PENDING', 'IN_PROGRESS', 'STOP_REQUESTED', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS'],
      },
      {
        cluster: `${prefix}-staging-cluster`,
        service: `${prefix}-staging-inventory-api`,
        createdAt: { after: expect.any(Date) },
        maxResults: 100,
      },
      expect.objectContaining({ nextToken: 'page-2' }),
    ]);
    // The last 30 days.
    expect(Math.abs((lists[1]?.createdAt?.after?.getTime() ?? 0) - since.getTime())).toBeLessThan(60_000);
    expect(aws.mocks.ecs.commandCalls(DescribeServiceDeploymentsCommand)[0]?.args[0].input).toEqual({
      serviceDeploymentArns: [ARN, 7, 6, 5, 4, 3].map((n) => (n === ARN ? ARN : `${ARN}-${n}`)),
    });
    expect(result).toMatchObject({
      services: [
        {
          name: 'inventory-api',
          strategy: 'ecs-blue-green',
          exists: true,
          deployments: [
            {
              id: ARN,
              status: 'IN_PROGRESS',
              inProgress: true,
              stage: 'POST_TEST_TRAFFIC_SHIFT',
              paused: {
                hookId: 'ecs-pause-1',
                expiresAt: '2026-11-26T12:30:00.000Z',
                timeoutAction: 'ROLLBACK',
              },
              canary: {
                state: 'judged',
                look: { deploymentId: ARN, verdict: 'pass', action: 'promote', look: 6, looks: 10 },
              },
            },
            { id: `${ARN}-7`, status: 'SUCCESSFUL', inProgress: false, paused: undefined },
          ],
        },
      ],
    });
    const run = await runMain(['deployments', 'list', '--env', 'staging'], aws);
    expect(run.stdout).toContain(
      `${ARN} IN_PROGRESS 2026-11-26T12:00:00.000Z — at POST_TEST_TRAFFIC_SHIFT; canary pass 6/10 (promoting); PAUSED for the operator until 2026-11-26T12:30:00.000Z (then ROLLBACK): ias-ops deployments continue|stop inventory-api --env staging`,
    );
  });
});

describe('deployments continue (Amazon ECS)', () => {
  it('releases the pause hook that holds the deployment (CONTINUE)', async () => {
    described({
      status: 'IN_PROGRESS',
      lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
      lifecycleHookDetails: paused,
    });
    const result = await deploymentsContinue(context(aws), { deploymentId: ARN, env: 'staging' });
    expect(aws.calls()).toEqual([
      { command: 'ecs DescribeServiceDeployments', input: { serviceDeploymentArns: [ARN] } },
      {
        command: 'ecs ContinueServiceDeployment',
        input: { serviceDeploymentArn: ARN, hookId: 'ecs-pause-1', action: 'CONTINUE' },
      },
    ]);
    expect(result).toMatchObject({
      controller: 'ecs',
      outcome: 'continued',
      hookId: 'ecs-pause-1',
      serviceName: `${prefix}-staging-inventory-api`,
    });
  });

  it('refuses (exit 4) a deployment no pause hook holds, continuing nothing', async () => {
    described({
      status: 'IN_PROGRESS',
      lifecycleStage: 'BAKE_TIME',
      lifecycleHookDetails: [{ hookId: 'h', targetType: 'AWS_LAMBDA', status: 'SUCCEEDED' }],
    });
    const run = await runMain(['deployments', 'continue', ARN, '--env', 'staging'], aws);
    expect(run.code).toBe(EXIT.unsafe);
    expect(run.stderr).toBe(
      `error: service deployment ${ARN} is IN_PROGRESS at BAKE_TIME and no pause hook holds it: there is nothing to continue\n`,
    );
    expect(aws.mocks.ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(0);
  });

  it("refuses (exit 2) another environment's service deployment", async () => {
    aws.mocks.ecs.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: ARN,
          serviceArn: `arn:aws:ecs:ap-northeast-1:123456789012:service/${prefix}-dev-cluster/${prefix}-dev-inventory-api`,
          status: 'IN_PROGRESS',
          lifecycleHookDetails: paused,
        },
      ],
    });
    const run = await runMain(['deployments', 'continue', ARN, '--env', 'staging'], aws);
    expect(run.code).toBe(EXIT.badInput);
    expect(run.stderr).toContain(
      `not to a service of staging deployed by Amazon ECS (${prefix}-staging-cluster): check --env`,
    );
    expect(aws.mocks.ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(0);
  });

  it('says plainly (exit 2) when the ARN names no deployment', async () => {
    aws.mocks.ecs
      .on(DescribeServiceDeploymentsCommand)
      .resolves({ serviceDeployments: [], failures: [{ arn: ARN, reason: 'MISSING' }] });
    const run = await runMain(['deployments', 'continue', ARN, '--env', 'staging'], aws);
    expect(run.code).toBe(EXIT.badInput);
    expect(run.stderr).toContain(`service deployment ${ARN} does not exist in ap-northeast-1`);
  });
});

describe('deployments stop (Amazon ECS)', () => {
  it('rolls a paused deployment back through its pause hook, follows it, and exits 3 once rolled back', async () => {
    described(
      { status: 'IN_PROGRESS', lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT', lifecycleHookDetails: paused },
      { status: 'ROLLBACK_IN_PROGRESS' },
      { status: 'ROLLBACK_SUCCESSFUL', statusReason: 'rolled back by the operator' },
    );
    const result = await deploymentsStop(context(aws), { deploymentId: ARN, env: 'staging' }, noWait);
    expect(aws.calls().map((c) => c.command)).toEqual([
      'ecs DescribeServiceDeployments',
      'ecs ContinueServiceDeployment',
      'ecs DescribeServiceDeployments',
      'ecs DescribeServiceDeployments',
    ]);
    expect(aws.mocks.ecs.commandCalls(ContinueServiceDeploymentCommand)[0]?.args[0].input).toEqual({
      serviceDeploymentArn: ARN,
      hookId: 'ecs-pause-1',
      action: 'ROLLBACK',
    });
    expect(result).toMatchObject({
      controller: 'ecs',
      outcome: 'rolled-back',
      summary: `rolled back: service deployment ${ARN} ROLLBACK_SUCCESSFUL (rolled back by the operator)`,
    });
  });

  it('stops one in progress with StopServiceDeployment (ROLLBACK); exit 1 when the rollback fails', async () => {
    described(
      { status: 'IN_PROGRESS', lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT' },
      { status: 'ROLLBACK_FAILED' },
    );
    const run = await runMain(['deployments', 'stop', ARN, '--env', 'staging'], aws);
    expect(aws.mocks.ecs.commandCalls(StopServiceDeploymentCommand)[0]?.args[0].input).toEqual({
      serviceDeploymentArn: ARN,
      stopType: 'ROLLBACK',
    });
    expect(run.code).toBe(EXIT.failed);
    expect(run.stdout).toContain(`stopped, not rolled back: service deployment ${ARN} ROLLBACK_FAILED`);
  });

  it('refuses (exit 4) a deployment that already ended', async () => {
    described({ status: 'SUCCESSFUL' });
    await expect(
      deploymentsStop(context(aws), { deploymentId: ARN, env: 'staging' }, noWait),
    ).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: `service deployment ${ARN} is SUCCESSFUL: only one PENDING or IN_PROGRESS can be stopped`,
    });
    expect(aws.mocks.ecs.commandCalls(StopServiceDeploymentCommand)).toHaveLength(0);
  });

  it('gives up (exit 1) when the rollback does not end in 15 minutes', async () => {
    described({ status: 'IN_PROGRESS' }, { status: 'ROLLBACK_IN_PROGRESS' });
    let t = 0;
    await expect(
      deploymentsStop(
        context(aws),
        { deploymentId: ARN, env: 'staging' },
        { sleep: async () => undefined, now: () => (t += 10 * 60_000) },
      ),
    ).rejects.toMatchObject({
      exitCode: EXIT.failed,
      message: expect.stringContaining('not ended after 15 min (service deployment'),
    });
  });

  it('prints the calls and makes none under --dry-run', async () => {
    const run = await runMain(['--dry-run', 'deployments', 'stop', ARN, '--env', 'staging'], aws);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(
      `ecs StopServiceDeployment {"serviceDeploymentArn":"${ARN}","stopType":"ROLLBACK"}`,
    );
    expect(aws.calls()).toEqual([]);
  });

  it('lists a missing service as not deployed', async () => {
    aws.mocks.ecs.on(ListServiceDeploymentsCommand).rejects(awsError('ClusterNotFoundException'));
    const result = await deploymentsList(context(aws), { env: 'staging' });
    expect(result).toMatchObject({ services: [{ name: 'inventory-api', exists: false, deployments: [] }] });
  });
});

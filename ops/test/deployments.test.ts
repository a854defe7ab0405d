import {
  BatchGetDeploymentsCommand,
  ContinueDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type DeploymentStatus,
} from '@aws-sdk/client-codedeploy';
import { ListServiceDeploymentsCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { canaryWords } from '../src/commands/deployment-canary';
import {
  deploymentsContinue,
  deploymentsList,
  deploymentsStop,
  type DeploymentsListResult,
} from '../src/commands/deployments';
import { EXIT } from '../src/errors';
import { lookItem, stubLooks, type Look } from './canary-support';
import { awsError, codeDeployDeployment, context, prefix, runMain, stubbedAws } from './helpers';

const IN_PROGRESS: DeploymentStatus[] = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];
const APP = `${prefix}-prod-inventory-api-app`;
const GROUP = `${prefix}-prod-inventory-api-group`;
const noWait = { sleep: async () => undefined };

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
  aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  aws.mocks.codedeploy.on(ContinueDeploymentCommand).resolves({});
  aws.mocks.codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
});

/** GetDeployment answers with each of `infos` in turn (deployment d-1 of the prod service's group), the last one from then on. */
function deployment(...infos: Record<string, unknown>[]) {
  const answer = (info: Record<string, unknown> = {}) => ({
    deploymentInfo: { deploymentId: 'd-1', applicationName: APP, deploymentGroupName: GROUP, ...info },
  });
  infos
    .slice(0, -1)
    .reduce((mock, info) => mock.resolvesOnce(answer(info)), aws.mocks.codedeploy.on(GetDeploymentCommand))
    .resolves(answer(infos.at(-1)));
}

const STOPPED_AND_ROLLED_BACK = { status: 'Stopped', rollbackInfo: { rollbackDeploymentId: 'd-BACK' } };

describe('deployments list', () => {
  it('lists each function group and the codedeploy-blue-green service group, in progress first then the last', async () => {
    const group = (app: string, grp: string) => ({ applicationName: app, deploymentGroupName: grp });
    aws.mocks.codedeploy
      .on(ListDeploymentsCommand, group(APP, GROUP))
      .resolves({ deployments: ['d-RUN', 'd-1', 'd-2', 'd-3', 'd-4', 'd-5', 'd-6'] })
      .on(ListDeploymentsCommand, { ...group(APP, GROUP), includeOnlyStatuses: IN_PROGRESS })
      .resolves({ deployments: ['d-RUN'] })
      .on(
        ListDeploymentsCommand,
        group(`${prefix}-prod-import-stock-app`, `${prefix}-prod-import-stock-group`),
      )
      .rejects(awsError('ApplicationDoesNotExistException'));
    aws.mocks.codedeploy.on(BatchGetDeploymentsCommand).resolves({
      deploymentsInfo: [
        codeDeployDeployment('d-1', 'Stopped', '2026-01-01', {
          rollbackInfo: { rollbackDeploymentId: 'd-2' },
        }),
        codeDeployDeployment('d-RUN', 'InProgress', '2026-01-02'),
      ],
    });
    stubLooks(aws);
    const result = await deploymentsList(context(aws), { env: 'prod' });
    const lists = aws.mocks.codedeploy.commandCalls(ListDeploymentsCommand).map((c) => c.args[0].input);
    expect(lists).toEqual(
      ['allocate-order', 'import-stock', 'inventory-api'].flatMap((n) => [
        {
          applicationName: `${prefix}-prod-${n}-app`,
          deploymentGroupName: `${prefix}-prod-${n}-group`,
          includeOnlyStatuses: IN_PROGRESS,
        },
        { applicationName: `${prefix}-prod-${n}-app`, deploymentGroupName: `${prefix}-prod-${n}-group` },
      ]),
    );
    expect(aws.mocks.codedeploy.commandCalls(BatchGetDeploymentsCommand).map((c) => c.args[0].input)).toEqual(
      [{ deploymentIds: ['d-RUN', 'd-1', 'd-2', 'd-3', 'd-4'] }],
    );
    expect(result).toMatchObject({
      environment: 'prod',
      groups: [
        { kind: 'function', name: 'allocate-order', exists: true, deployments: [] },
        { kind: 'function', name: 'import-stock', exists: false, deployments: [] },
        {
          kind: 'service',
          name: 'inventory-api',
          application: APP,
          deploymentGroup: GROUP,
          exists: true,
          deployments: [
            {
              id: 'd-RUN',
              status: 'InProgress',
              inProgress: true,
              created: '2026-01-02T00:00:00.000Z',
              canary: { state: 'none' },
            },
            { id: 'd-1', status: 'Stopped', inProgress: false, rolledBackBy: 'd-2' },
          ],
        },
      ],
    });
  });

  it('has no service group where the service does not deploy with CodeDeploy (dev: rolling)', async () => {
    aws.mocks.ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
    const result = await deploymentsList(context(aws), { env: 'dev' });
    expect(result).toMatchObject({
      groups: [{ name: 'allocate-order' }, { name: 'import-stock' }],
      services: [{ name: 'inventory-api', serviceName: `${prefix}-dev-inventory-api`, strategy: 'rolling' }],
    });
    expect(aws.mocks.codedeploy.commandCalls(BatchGetDeploymentsCommand)).toHaveLength(0);
  });

  it('makes no call under --dry-run', async () => {
    const result = await deploymentsList(context(aws, { dryRun: true }), { env: 'prod' });
    expect(aws.calls()).toEqual([]);
    expect(result).toMatchObject({ dryRun: true });
    const { calls } = result as unknown as { calls: unknown[] };
    expect(calls).toHaveLength(10);
    // The canary verdicts: one Query per deployment found in flight.
    expect(calls.at(-1)).toEqual({
      service: 'dynamodb',
      command: 'Query',
      input: {
        TableName: `${prefix}-prod-releases`,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'canary#<each deployment in flight>' } },
        ScanIndexForward: false,
        Limit: 1,
      },
    });
  });

  it('prints text through main', async () => {
    aws.mocks.ecs.on(ListServiceDeploymentsCommand).rejects(awsError('ServiceNotFoundException'));
    const run = await runMain(['deployments', 'list', '--env', 'dev'], aws);
    expect(run).toEqual({
      code: EXIT.ok,
      stderr: '',
      stdout: [
        'dev (ap-northeast-1)',
        '',
        `function allocate-order: ${prefix}-dev-allocate-order-app / ${prefix}-dev-allocate-order-group`,
        '  no deployments',
        '',
        `function import-stock: ${prefix}-dev-import-stock-app / ${prefix}-dev-import-stock-group`,
        '  no deployments',
        '',
        `service inventory-api: ${prefix}-dev-cluster / ${prefix}-dev-inventory-api (Amazon ECS, rolling)`,
        '  not deployed',
        '',
      ].join('\n'),
    });
  });
});

describe("deployments list: the canary judge's live verdict", () => {
  const LOOKS: Record<string, Look> = {
    'd-FAIL': { verdict: 'fail', action: 'rollback', look: 3, looks: 10 },
    'd-PASS': { verdict: 'pass', action: 'promote', look: 6, looks: 10 },
    'd-INC': { verdict: 'inconclusive', action: 'wait', look: 4, looks: 10 },
    // Ended: its looks are not read.
    'd-OLD': { verdict: 'pass', action: 'continue', look: 10, looks: 10 },
  };
  const IN_FLIGHT = ['d-FAIL', 'd-PASS', 'd-INC', 'd-NONE'];

  beforeEach(() => {
    const ids = [...IN_FLIGHT, 'd-OLD'];
    aws.mocks.codedeploy
      .on(ListDeploymentsCommand, { applicationName: APP, deploymentGroupName: GROUP })
      .resolves({ deployments: ids });
    aws.mocks.codedeploy.on(BatchGetDeploymentsCommand).resolves({
      deploymentsInfo: ids.map((id, i) =>
        codeDeployDeployment(id, id === 'd-OLD' ? 'Succeeded' : 'InProgress', `2026-01-0${9 - i}`),
      ),
    });
  });

  /** The line `deployments list` prints of deployment `id`. */
  const line = (stdout: string, id: string) => stdout.split('\n').find((l) => l.startsWith(`  ${id} `));
  const queried = () =>
    aws.mocks.dynamodb
      .commandCalls(QueryCommand)
      .map((c) => c.args[0].input.ExpressionAttributeValues?.[':pk']?.S);

  it('shows the latest look of each deployment in flight: verdict, look of looks, and an action the verdict does not imply', async () => {
    stubLooks(aws, LOOKS);
    const run = await runMain(['deployments', 'list', '--env', 'prod'], aws);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stderr).toBe('');
    expect(IN_FLIGHT.map((id) => line(run.stdout, id))).toEqual([
      '  d-FAIL InProgress 2026-01-09T00:00:00.000Z — in progress; canary fail 3/10',
      '  d-PASS InProgress 2026-01-08T00:00:00.000Z — in progress; canary pass 6/10 (promoting)',
      '  d-INC InProgress 2026-01-07T00:00:00.000Z — in progress; canary inconclusive 4/10',
      '  d-NONE InProgress 2026-01-06T00:00:00.000Z — in progress; canary -',
    ]);
    expect(line(run.stdout, 'd-OLD')).toBe('  d-OLD Succeeded 2026-01-05T00:00:00.000Z');
    // From the environment's releases table, by each deployment's own partition; not the ended one.
    expect(queried().sort()).toEqual(IN_FLIGHT.map((id) => `canary#${id}`).sort());
    expect(aws.mocks.dynamodb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: `${prefix}-prod-releases`,
      ScanIndexForward: false,
      Limit: 1,
    });
  });

  it("gives the look's summary in --json, none for a deployment no watcher judged, nothing for one that ended", async () => {
    stubLooks(aws, LOOKS);
    const run = await runMain(['--json', 'deployments', 'list', '--env', 'prod'], aws);
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as DeploymentsListResult;
    const byId = new Map(
      result.groups.flatMap((g) => g.deployments).map((d) => [d.id, d] as [string, typeof d]),
    );
    expect(byId.get('d-FAIL')?.canary).toEqual({
      state: 'judged',
      look: {
        deploymentId: 'd-FAIL',
        at: '2026-11-26T10:03:00.000Z',
        verdict: 'fail',
        action: 'rollback',
        reason: 'look 3 of 10: fail',
        look: 3,
        looks: 10,
        metrics: [
          { metric: 'error-rate', verdict: 'fail', effect: 2.4, pValueWorse: 0.00001, pValueNotWorse: 0.99 },
        ],
      },
    });
    expect(byId.get('d-PASS')?.canary).toMatchObject({ state: 'judged', look: { verdict: 'pass', look: 6 } });
    expect(byId.get('d-NONE')?.canary).toEqual({ state: 'none' });
    expect(byId.get('d-OLD')).not.toHaveProperty('canary');
  });

  it.each([
    ['no permission', awsError('AccessDeniedException', 'not authorized to perform: dynamodb:Query')],
    ['no table yet', awsError('ResourceNotFoundException', 'Requested resource not found')],
  ])(
    'shows ? with one warning line when the evidence cannot be read (%s), and still lists',
    async (_, error) => {
      aws.mocks.dynamodb.on(QueryCommand).rejects(error);
      const run = await runMain(['deployments', 'list', '--env', 'prod'], aws);
      expect(run.code).toBe(EXIT.ok);
      expect(IN_FLIGHT.map((id) => line(run.stdout, id)?.endsWith('— in progress; canary ?'))).toEqual([
        true,
        true,
        true,
        true,
      ]);
      expect(run.stderr).toBe(
        `warning: the canary verdict of 4 deployments in flight could not be read from ${prefix}-prod-releases, shown as ? (${error.name}: ${error.message})\n`,
      );

      const json = await runMain(['--json', 'deployments', 'list', '--env', 'prod'], aws);
      expect(json.code).toBe(EXIT.ok);
      expect(json.stderr.split('\n')).toHaveLength(2);
      const result = JSON.parse(json.stdout) as DeploymentsListResult;
      expect(result.groups.flatMap((g) => g.deployments).find((d) => d.id === 'd-FAIL')?.canary).toEqual({
        state: 'unreadable',
        reason: `${error.name}: ${error.message}`,
      });
    },
  );

  it('shows ? for a look it cannot read, naming the deployment, and the others as they are', async () => {
    stubLooks(aws, LOOKS);
    aws.mocks.dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: 'canary#d-PASS' } } })
      .resolves({
        Items: [{ ...lookItem('d-PASS', LOOKS['d-PASS']!), evidence: { S: '{"verdict":"pass"}' } }],
      });
    const run = await runMain(['deployments', 'list', '--env', 'prod'], aws);
    expect(run.code).toBe(EXIT.ok);
    expect(line(run.stdout, 'd-PASS')).toMatch(/— in progress; canary \?$/);
    expect(line(run.stdout, 'd-FAIL')).toMatch(/— in progress; canary fail 3\/10$/);
    expect(run.stderr).toMatch(
      new RegExp(
        `^warning: the canary verdict of 1 deployment in flight could not be read from ${prefix}-prod-releases, shown as \\? \\(the canary evidence of deployment d-PASS in ${prefix}-prod-releases \\(look 6\\) cannot be read: at: `,
      ),
    );
    expect(run.stderr.split('\n')).toHaveLength(2);
  });
});

describe('canaryWords', () => {
  it.each([
    [{ verdict: 'fail', action: 'rollback', look: 3, looks: 10 }, 'canary fail 3/10'],
    [{ verdict: 'pass', action: 'promote', look: 6, looks: 10 }, 'canary pass 6/10 (promoting)'],
    [{ verdict: 'inconclusive', action: 'wait', look: 4, looks: 10 }, 'canary inconclusive 4/10'],
    [{ verdict: 'pass', action: 'wait', look: 2, looks: 10 }, 'canary pass 2/10'],
    [{ verdict: 'pass', action: 'continue', look: 10, looks: 10 }, 'canary pass 10/10 (going on)'],
    [
      { verdict: 'inconclusive', action: 'rollback', look: 10, looks: 10 },
      'canary inconclusive 10/10 (rolling back)',
    ],
    [
      { verdict: 'inconclusive', action: 'continue', look: 10, looks: 10 },
      'canary inconclusive 10/10 (going on)',
    ],
  ] as const)('says %j as "%s"', (look, words) => {
    expect(
      canaryWords({
        state: 'judged',
        look: { ...look, deploymentId: 'd-1', at: '', reason: '', metrics: [] },
      }),
    ).toBe(words);
  });

  it('says - when no look is kept, ? when it could not be read, nothing for a deployment that ended', () => {
    expect(canaryWords({ state: 'none' })).toBe('canary -');
    expect(canaryWords({ state: 'unreadable', reason: 'AccessDeniedException: no' })).toBe('canary ?');
    expect(canaryWords(undefined)).toBeUndefined();
  });
});

describe('deployments continue', () => {
  it('continues a Ready blue/green deployment with READY_WAIT', async () => {
    deployment({ status: 'Ready' });
    const result = await deploymentsContinue(context(aws), { deploymentId: 'd-1', env: 'prod' });
    expect(aws.calls()).toEqual([
      { command: 'codedeploy GetDeployment', input: { deploymentId: 'd-1' } },
      {
        command: 'codedeploy ContinueDeployment',
        input: { deploymentId: 'd-1', deploymentWaitType: 'READY_WAIT' },
      },
    ]);
    expect(result).toMatchObject({ outcome: 'continued', waitType: 'READY_WAIT', application: APP });
  });

  it('continues one in progress keeping blue with TERMINATION_WAIT', async () => {
    deployment({ status: 'InProgress', instanceTerminationWaitTimeStarted: true });
    const result = await deploymentsContinue(context(aws), { deploymentId: 'd-1', env: 'prod' });
    expect(aws.mocks.codedeploy.commandCalls(ContinueDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: 'd-1',
      deploymentWaitType: 'TERMINATION_WAIT',
    });
    expect(result).toMatchObject({ waitType: 'TERMINATION_WAIT' });
  });

  it.each([
    [{ status: 'InProgress' }, 'is InProgress and not waiting'],
    [{ status: 'Succeeded' }, 'is Succeeded: there is no wait to continue'],
  ])('refuses (exit 4) a deployment that waits for nothing: %j', async (info, message) => {
    deployment(info);
    await expect(
      deploymentsContinue(context(aws), { deploymentId: 'd-1', env: 'prod' }),
    ).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: expect.stringContaining(message),
    });
    expect(aws.mocks.codedeploy.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
  });

  it("fails with exit 2 on another environment's deployment, changing nothing", async () => {
    deployment({ status: 'Ready' });
    await expect(
      deploymentsContinue(context(aws), { deploymentId: 'd-1', env: 'staging' }),
    ).rejects.toMatchObject({
      exitCode: EXIT.badInput,
      message: `deployment d-1 belongs to ${APP} / ${GROUP}, not to a group of staging (${prefix}-staging-…-app): check --env`,
    });
    expect(aws.mocks.codedeploy.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
  });

  it('fails with exit 2 on an unknown deployment id', async () => {
    aws.mocks.codedeploy.on(GetDeploymentCommand).rejects(awsError('DeploymentDoesNotExistException'));
    await expect(
      deploymentsContinue(context(aws), { deploymentId: 'd-X', env: 'prod' }),
    ).rejects.toMatchObject({
      exitCode: EXIT.badInput,
      message: expect.stringContaining('deployment d-X does not exist in ap-northeast-1'),
    });
  });

  it('makes no call under --dry-run', async () => {
    const result = await deploymentsContinue(context(aws, { dryRun: true }), {
      deploymentId: 'd-1',
      env: 'prod',
    });
    expect(aws.calls()).toEqual([]);
    expect(result).toMatchObject({
      dryRun: true,
      calls: [{ command: 'GetDeployment' }, { command: 'ContinueDeployment' }],
    });
  });
});

describe('deployments stop', () => {
  it('stops with rollback, follows it until stopped, and reports rolled back', async () => {
    deployment({ status: 'InProgress' }, { status: 'InProgress' }, STOPPED_AND_ROLLED_BACK);
    const result = await deploymentsStop(context(aws), { deploymentId: 'd-1', env: 'prod' }, noWait);
    expect(aws.calls()).toEqual([
      { command: 'codedeploy GetDeployment', input: { deploymentId: 'd-1' } },
      { command: 'codedeploy StopDeployment', input: { deploymentId: 'd-1', autoRollbackEnabled: true } },
      { command: 'codedeploy GetDeployment', input: { deploymentId: 'd-1' } },
      { command: 'codedeploy GetDeployment', input: { deploymentId: 'd-1' } },
    ]);
    expect(result).toEqual({
      environment: 'prod',
      deploymentId: 'd-1',
      controller: 'codedeploy',
      application: APP,
      deploymentGroup: GROUP,
      outcome: 'rolled-back',
      summary: 'rolled back: deployment d-1 was stopped; rolled back by d-BACK',
    });
  });

  it('exits 3 through main once rolled back, with the result on stdout', async () => {
    deployment({ status: 'InProgress' }, STOPPED_AND_ROLLED_BACK);
    const run = await runMain(['deployments', 'stop', 'd-1', '--env', 'prod'], aws);
    expect(run).toEqual({
      code: EXIT.rolledBack,
      stdout: 'rolled back: deployment d-1 was stopped; rolled back by d-BACK\n',
      stderr: '',
    });
  });

  it('exits 1 when stopped without rollback', async () => {
    deployment({ status: 'InProgress' }, { status: 'Stopped' });
    const run = await runMain(['--json', 'deployments', 'stop', 'd-1', '--env', 'prod'], aws);
    expect(run.code).toBe(EXIT.failed);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'stopped' });
  });

  it('fails with exit 1 when it does not stop in time', async () => {
    deployment({ status: 'InProgress' });
    let t = 0;
    await expect(
      deploymentsStop(
        context(aws),
        { deploymentId: 'd-1', env: 'prod' },
        { sleep: async () => undefined, now: () => (t += 10 * 60_000) },
      ),
    ).rejects.toMatchObject({
      exitCode: EXIT.failed,
      message: expect.stringContaining('not ended after 15 min (deployment d-1'),
    });
  });

  it('refuses (exit 4) a deployment that already ended', async () => {
    deployment({ status: 'Succeeded' });
    await expect(
      deploymentsStop(context(aws), { deploymentId: 'd-1', env: 'prod' }, noWait),
    ).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: 'deployment d-1 already ended (Succeeded): there is nothing to stop',
    });
    expect(aws.mocks.codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });

  it("fails with exit 2 on another project's or environment's deployment, stopping nothing", async () => {
    deployment({ status: 'InProgress', applicationName: 'other-prod-api-app', deploymentGroupName: 'x' });
    const run = await runMain(['deployments', 'stop', 'd-1', '--env', 'prod'], aws);
    expect(run.code).toBe(EXIT.badInput);
    expect(run.stderr).toContain(`not to a group of prod (${prefix}-prod-…-app)`);
    expect(aws.mocks.codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });

  it('makes no call under --dry-run and exits 0', async () => {
    const run = await runMain(['--dry-run', 'deployments', 'stop', 'd-1', '--env', 'prod'], aws);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(
      'codedeploy StopDeployment {"deploymentId":"d-1","autoRollbackEnabled":true}',
    );
    expect(aws.calls()).toEqual([]);
  });
});

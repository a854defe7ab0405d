import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import type { DeploymentInfo } from '@aws-sdk/client-codedeploy';
import { describe, expect, it } from 'vitest';
import type { DeployProgress } from '../../../src/kinds/function/deployment.js';
import {
  checkDeployment,
  deployFunction,
  startDeployment,
  waitForDeployment,
} from '../../../src/kinds/function/deployment.js';
import { clients, mocks, sent } from '../../aws.js';
import { awsError, fakeClock } from '../../support.js';
import { stubRelease } from './support.js';

const codedeployMock = mocks.codedeploy;
const { codedeploy } = clients;

const alarmMessage =
  'One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: <ias-dev-allocate-order-errors>';

const stoppedOnAlarm: DeploymentInfo = {
  status: 'Stopped',
  errorInformation: { code: 'ALARM_ACTIVE', message: alarmMessage },
  autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
  rollbackInfo: { rollbackDeploymentId: 'd-XYZ' },
};

describe('startDeployment', () => {
  it('creates an AppSpecContent deployment and returns its id', async () => {
    codedeployMock.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-ABC' });
    const id = await startDeployment({
      codedeploy,
      application: 'ias-dev-allocate-order-app',
      deploymentGroup: 'ias-dev-allocate-order-group',
      appSpec: 'version: 0.0\n',
      description: 'version 8',
    });
    expect(id).toBe('d-ABC');
    expect(sent(codedeployMock, CreateDeploymentCommand)[0]).toEqual({
      applicationName: 'ias-dev-allocate-order-app',
      deploymentGroupName: 'ias-dev-allocate-order-group',
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content: 'version: 0.0\n' } },
      description: 'version 8',
    });
  });

  it('fails UPDATE_CONFLICT when the group already has an active deployment', async () => {
    codedeployMock
      .on(CreateDeploymentCommand)
      .rejects(
        awsError(
          'DeploymentLimitExceededException',
          "The Deployment Group 'g' already has an active Deployment 'd-OLD'",
        ),
      );
    await expect(
      startDeployment({ codedeploy, application: 'a', deploymentGroup: 'g', appSpec: 'x' }),
    ).rejects.toMatchObject({
      code: 'UPDATE_CONFLICT',
      message: expect.stringContaining("active Deployment 'd-OLD'"),
    });
  });

  it('fails BAD_INPUT when the group does not exist', async () => {
    codedeployMock
      .on(CreateDeploymentCommand)
      .rejects(awsError('DeploymentGroupDoesNotExistException', 'No Deployment Group found for name: g'));
    await expect(
      startDeployment({ codedeploy, application: 'a', deploymentGroup: 'g', appSpec: 'x' }),
    ).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('CodeDeploy a/g does not exist'),
    });
  });
});

describe('checkDeployment', () => {
  it.each([
    ['Created', 'running'],
    ['Queued', 'running'],
    ['InProgress', 'running'],
    ['Baking', 'running'],
    ['Ready', 'running'],
    ['Succeeded', 'succeeded'],
    ['Failed', 'failed'],
    ['Stopped', 'failed'],
  ] as const)('maps %s to %s', async (status, expected) => {
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { status } });
    const state = await checkDeployment({ codedeploy, deploymentId: 'd-ABC' });
    expect(state.status).toBe(expected);
    expect(state.deploymentId).toBe('d-ABC');
    expect(sent(codedeployMock, GetDeploymentCommand)[0]).toEqual({
      deploymentId: 'd-ABC',
    });
  });

  it('reports a deployment stopped on alarm and rolled back, naming the alarm and the rollback', async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: stoppedOnAlarm });
    const state = await checkDeployment({ codedeploy, deploymentId: 'd-ABC' });
    expect(state).toEqual({
      deploymentId: 'd-ABC',
      status: 'rolled-back',
      summary: `deployment d-ABC stopped on alarm (ALARM_ACTIVE: ${alarmMessage}); rolled back by d-XYZ`,
    });
  });

  it('counts an alarm stop as rolled back when auto-rollback on alarm is on, before the rollback id exists', async () => {
    codedeployMock
      .on(GetDeploymentCommand)
      .resolves({ deploymentInfo: { ...stoppedOnAlarm, rollbackInfo: undefined } });
    const state = await checkDeployment({ codedeploy, deploymentId: 'd-ABC' });
    expect(state.status).toBe('rolled-back');
    expect(state.summary).toContain('rolled back (automatic rollback on alarm)');
  });

  it('counts an alarm stop as failed when auto-rollback does not cover alarms', async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        ...stoppedOnAlarm,
        rollbackInfo: undefined,
        autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
      },
    });
    expect((await checkDeployment({ codedeploy, deploymentId: 'd-ABC' })).status).toBe('failed');
  });

  it('reports a failure with its error and rollback messages', async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        status: 'Failed',
        errorInformation: { code: 'HOOK_EXECUTION_FAILURE', message: 'BeforeAllowTraffic hook failed' },
        rollbackInfo: { rollbackDeploymentId: 'd-RB', rollbackMessage: 'Rolled back by d-RB' },
      },
    });
    expect(await checkDeployment({ codedeploy, deploymentId: 'd-ABC' })).toEqual({
      deploymentId: 'd-ABC',
      status: 'rolled-back',
      summary:
        'deployment d-ABC failed (HOOK_EXECUTION_FAILURE: BeforeAllowTraffic hook failed); rolled back by d-RB (Rolled back by d-RB)',
    });
  });
});

describe('waitForDeployment', () => {
  it('polls until the deployment succeeds, reporting progress', async () => {
    codedeployMock
      .on(GetDeploymentCommand)
      .resolvesOnce({ deploymentInfo: { status: 'InProgress' } })
      .resolvesOnce({ deploymentInfo: { status: 'Baking' } })
      .resolves({ deploymentInfo: { status: 'Succeeded' } });
    const clock = fakeClock();
    const seen: string[] = [];
    const state = await waitForDeployment({
      codedeploy,
      deploymentId: 'd-ABC',
      timeoutMs: 60_000,
      ...clock,
      onProgress: (progress) => seen.push(progress.summary),
    });
    expect(state.status).toBe('succeeded');
    expect(seen).toEqual([
      'deployment d-ABC in progress (InProgress)',
      'deployment d-ABC in progress (Baking)',
    ]);
    expect(clock.sleeps).toEqual([15_000, 15_000]);
    expect(codedeployMock.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });

  it('fails DEPLOYMENT_FAILED when the deployment fails without rollback', async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({
      deploymentInfo: { status: 'Failed', errorInformation: { code: 'INTERNAL_ERROR', message: 'boom' } },
    });
    await expect(
      waitForDeployment({ codedeploy, deploymentId: 'd-ABC', timeoutMs: 60_000, ...fakeClock() }),
    ).rejects.toMatchObject({
      code: 'DEPLOYMENT_FAILED',
      message: 'deployment d-ABC failed (INTERNAL_ERROR: boom)',
    });
  });

  it('fails ROLLED_BACK when the deployment is stopped on alarm and rolled back', async () => {
    codedeployMock
      .on(GetDeploymentCommand)
      .resolvesOnce({ deploymentInfo: { status: 'InProgress' } })
      .resolves({ deploymentInfo: stoppedOnAlarm });
    await expect(
      waitForDeployment({ codedeploy, deploymentId: 'd-ABC', timeoutMs: 60_000, ...fakeClock() }),
    ).rejects.toMatchObject({
      code: 'ROLLED_BACK',
      message: expect.stringMatching(
        /^deployment d-ABC stopped on alarm \(ALARM_ACTIVE: .*ias-dev-allocate-order-errors.*\); rolled back by d-XYZ$/,
      ),
    });
  });

  it('stops a deployment that outlives the time-out, with rollback, and fails TIMED_OUT', async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'InProgress' } });
    codedeployMock.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    const clock = fakeClock();
    await expect(
      waitForDeployment({
        codedeploy,
        deploymentId: 'd-ABC',
        timeoutMs: 10 * 60_000,
        pollMs: 60_000,
        ...clock,
      }),
    ).rejects.toMatchObject({
      code: 'TIMED_OUT',
      message: 'deployment d-ABC still running after 10 min: stopped it with rollback',
    });
    expect(sent(codedeployMock, StopDeploymentCommand)).toEqual([
      { deploymentId: 'd-ABC', autoRollbackEnabled: true },
    ]);
    expect(codedeployMock.commandCalls(GetDeploymentCommand)).toHaveLength(11);
  });

  it('says so when stopping the timed-out deployment fails', async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'InProgress' } });
    codedeployMock.on(StopDeploymentCommand).rejects(awsError('DeploymentAlreadyCompletedException', 'done'));
    await expect(
      waitForDeployment({ codedeploy, deploymentId: 'd-ABC', timeoutMs: 0, ...fakeClock() }),
    ).rejects.toMatchObject({ code: 'TIMED_OUT', message: expect.stringContaining('stopping it failed') });
  });
});

describe('deployFunction', () => {
  const base = {
    lambda: clients.lambda,
    codedeploy,
    functionName: 'ias-dev-allocate-order',
    alias: 'live',
    application: 'ias-dev-allocate-order-app',
    deploymentGroup: 'ias-dev-allocate-order-group',
    zip: new Uint8Array([1]),
  };

  it('releases, deploys and waits, reporting each step', async () => {
    stubRelease('8');
    codedeployMock.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-ABC' });
    codedeployMock
      .on(GetDeploymentCommand)
      .resolvesOnce({ deploymentInfo: { status: 'InProgress' } })
      .resolves({ deploymentInfo: { status: 'Succeeded' } });
    const steps: DeployProgress['step'][] = [];

    const result = await deployFunction({ ...base, ...fakeClock(), onProgress: (p) => steps.push(p.step) });

    expect(result.deploymentId).toBe('d-ABC');
    expect(result.release).toMatchObject({ currentVersion: '7', targetVersion: '8' });
    expect(steps).toEqual(['released', 'started', 'running', 'succeeded']);
    const content = sent(codedeployMock, CreateDeploymentCommand)[0]?.revision?.appSpecContent?.content;
    expect(content).toBe(result.release.appSpec);
  });

  it('skips the deployment when the version is unchanged', async () => {
    stubRelease('7');
    const result = await deployFunction({ ...base, ...fakeClock() });
    expect(result).toEqual({ release: expect.objectContaining({ unchanged: true }) });
    expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  it('fails ROLLED_BACK when the deployment is rolled back', async () => {
    stubRelease('8');
    codedeployMock.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-ABC' });
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: stoppedOnAlarm });
    await expect(deployFunction({ ...base, ...fakeClock() })).rejects.toMatchObject({ code: 'ROLLED_BACK' });
  });
});

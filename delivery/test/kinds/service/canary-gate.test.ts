import { PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { type CanaryRun, GetCanaryRunsCommand } from '@aws-sdk/client-synthetics';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  checkCanaryGate,
  readCanaryGateConfig,
  runCanaryGateHook,
  waitForCanaryGate,
} from '../../../src/kinds/service/canary-gate.js';
import { clients, mocks, sent } from '../../aws.js';
import { awsError, CODEDEPLOY_HOOK_EVENT, failureOf, fakeClock, hookStatuses } from '../../support.js';
import { answerCanaryRuns, ECS_HOOK_EVENT } from './support.js';

const CANARY = 'ias-prod';
const MOVED = 1_700_000_000_000;
const at = (secondsAfterMove: number) => new Date(MOVED + secondsAfterMove * 1000);

/** A run of the canary that started `started` s after traffic moved (negative: before). */
function run(
  id: string,
  started: number,
  state: 'RUNNING' | 'PASSED' | 'FAILED',
  reason?: string,
): CanaryRun {
  return {
    Id: id,
    Name: CANARY,
    Status: { State: state, ...(reason ? { StateReason: reason } : {}) },
    Timeline: { Started: at(started), ...(state === 'RUNNING' ? {} : { Completed: at(started + 20) }) },
  };
}

const ECS_POST_PRODUCTION = { ...ECS_HOOK_EVENT, lifecycleStage: 'POST_PRODUCTION_TRAFFIC_SHIFT' };
const config = { canaryName: CANARY, deadlineSeconds: 180 };

beforeEach(() => {
  mocks.codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
});

describe('checkCanaryGate', () => {
  const look = (clock = fakeClock(MOVED)) =>
    checkCanaryGate({ synthetics: clients.synthetics, ...config, trafficMovedAt: MOVED, clock });

  it('passes on the first run that started after traffic moved and passed, asking for the canary by name', async () => {
    answerCanaryRuns([run('r2', 45, 'PASSED')]);
    await expect(look()).resolves.toEqual({
      outcome: 'PASSED',
      detail: `canary ${CANARY} run r2, started ${at(45).toISOString()} (45 s after traffic moved), passed`,
    });
    expect(sent(mocks.synthetics, GetCanaryRunsCommand)).toEqual([{ Name: CANARY, MaxResults: 20 }]);
  });

  it('ignores a run that started before traffic moved, passed or failed: it may have called the old tasks', async () => {
    answerCanaryRuns([run('r1', -10, 'FAILED', 'Error: 500'), run('r0', -70, 'PASSED')]);
    await expect(look()).resolves.toMatchObject({ outcome: 'WAITING' });
  });

  it('decides on the earliest finished run after the move, whatever order the runs come in', async () => {
    answerCanaryRuns([
      run('r3', 125, 'PASSED'),
      run('r2', 5, 'FAILED', 'Error: allocation 409'),
      run('r1', -55, 'PASSED'),
    ]);
    await expect(look()).resolves.toMatchObject({
      outcome: 'FAILED',
      detail: expect.stringContaining('run r2'),
    });
  });

  it("fails on a failed run, naming the run's status reason", async () => {
    answerCanaryRuns([run('r2', 30, 'FAILED', 'Error: GET /ready answered 503\n    at step health')]);
    await expect(look()).resolves.toEqual({
      outcome: 'FAILED',
      detail: `canary ${CANARY} run r2, started ${at(30).toISOString()} (30 s after traffic moved), failed: Error: GET /ready answered 503 at step health`,
    });
  });

  it('waits while the run that started after the move is still running', async () => {
    answerCanaryRuns([run('r2', 10, 'RUNNING')]);
    const clock = fakeClock(MOVED);
    clock.advance(30_000);
    await expect(look(clock)).resolves.toEqual({
      outcome: 'WAITING',
      detail: `no run of canary ${CANARY} has finished since production traffic moved (${at(0).toISOString()}); 1 run(s) started since, still running; waiting up to 150 s more`,
    });
  });

  it('passes, saying there is nothing to wait for, when the environment has no such canary', async () => {
    answerCanaryRuns(awsError('ResourceNotFoundException', `Canary ${CANARY} does not exist`));
    await expect(look()).resolves.toEqual({
      outcome: 'NO_CANARY',
      detail: `no canary ${CANARY} in this account and region (none deployed): nothing to wait for`,
    });
  });

  it('fails at once when it may not read the runs, saying which permission its role lacks', async () => {
    answerCanaryRuns(
      awsError('AccessDeniedException', 'User is not authorized to perform: synthetics:GetCanaryRuns'),
    );
    await expect(look()).resolves.toEqual({
      outcome: 'FAILED',
      detail: `not allowed to read the runs of canary ${CANARY}: the gate's role needs synthetics:GetCanaryRuns on that canary (AccessDeniedException: User is not authorized to perform: synthetics:GetCanaryRuns)`,
    });
  });

  it('keeps waiting through a server-side fault, and says so if the deadline comes', async () => {
    answerCanaryRuns(Object.assign(awsError('InternalServerException', 'try later'), { $fault: 'server' }));
    await expect(look()).resolves.toMatchObject({ outcome: 'WAITING' });
    const late = fakeClock(MOVED);
    late.advance(180_000);
    await expect(look(late)).resolves.toMatchObject({
      outcome: 'TIMED_OUT',
      detail: expect.stringContaining('last look failed: InternalServerException: try later'),
    });
  });
});

describe('waitForCanaryGate', () => {
  it('looks again every interval until a run that started after the move passes', async () => {
    answerCanaryRuns(
      [run('r1', -20, 'PASSED')],
      [run('r2', 40, 'RUNNING'), run('r1', -20, 'PASSED')],
      [run('r2', 40, 'PASSED'), run('r1', -20, 'PASSED')],
    );
    const clock = fakeClock(MOVED);
    await expect(
      waitForCanaryGate({ synthetics: clients.synthetics, ...config, trafficMovedAt: MOVED, clock }),
    ).resolves.toMatchObject({ outcome: 'PASSED' });
    expect(clock.sleeps).toEqual([15_000, 15_000]);
  });

  it('fails when no run that started after the move finished before the deadline, saying it waited', async () => {
    answerCanaryRuns([run('r1', -20, 'PASSED')]);
    const clock = fakeClock(MOVED);
    await expect(
      waitForCanaryGate({
        synthetics: clients.synthetics,
        canaryName: CANARY,
        deadlineSeconds: 100,
        trafficMovedAt: MOVED,
        intervalMs: 30_000,
        clock,
      }),
    ).resolves.toEqual({
      outcome: 'TIMED_OUT',
      detail: `no run of canary ${CANARY} that started after production traffic moved (${at(0).toISOString()}) finished within 100 s: waited 100 s; is the canary running?`,
    });
    // The last pause ends at the deadline, for one last look.
    expect(clock.sleeps).toEqual([30_000, 30_000, 30_000, 10_000]);
  });
});

describe('readCanaryGateConfig', () => {
  it('reads the canary and the deadline the stack computed', () => {
    expect(readCanaryGateConfig({ CANARY_NAME: CANARY, CANARY_GATE_DEADLINE_SECONDS: '660' })).toEqual({
      canaryName: CANARY,
      deadlineSeconds: 660,
    });
  });

  it('fails naming each bad variable', () => {
    expect(failureOf(() => readCanaryGateConfig({ CANARY_GATE_DEADLINE_SECONDS: 'soon' }))).toMatch(
      /^BAD_INPUT: canary gate misconfigured: CANARY_NAME: .*; CANARY_GATE_DEADLINE_SECONDS: must be a whole number of seconds$/,
    );
  });
});

describe('runCanaryGateHook', () => {
  const dependencies = (clock = fakeClock(MOVED)) => ({
    synthetics: clients.synthetics,
    codedeploy: clients.codedeploy,
    clock,
  });

  it('reports Succeeded to CodeDeploy (AfterAllowTraffic) once a run after the move passed', async () => {
    answerCanaryRuns([run('r2', 0, 'PASSED')]);
    await expect(runCanaryGateHook(dependencies(), CODEDEPLOY_HOOK_EVENT, config)).resolves.toMatchObject({
      source: 'codedeploy',
      status: 'Succeeded',
      deploymentId: 'd-ABC',
      decision: { outcome: 'PASSED' },
    });
    expect(hookStatuses(mocks.codedeploy)).toEqual([
      { deploymentId: 'd-ABC', lifecycleEventHookExecutionId: 'hook-1', status: 'Succeeded' },
    ]);
  });

  it('reports Failed to CodeDeploy when the run after the move failed, which rolls the deployment back', async () => {
    answerCanaryRuns([run('r2', 50, 'FAILED', 'Error: 500')]);
    await expect(runCanaryGateHook(dependencies(), CODEDEPLOY_HOOK_EVENT, config)).resolves.toMatchObject({
      status: 'Failed',
      decision: { outcome: 'FAILED', detail: expect.stringContaining('failed: Error: 500') },
    });
    expect(hookStatuses(mocks.codedeploy)).toEqual([
      { deploymentId: 'd-ABC', lifecycleEventHookExecutionId: 'hook-1', status: 'Failed' },
    ]);
  });

  it('reports Succeeded to CodeDeploy when there is no canary to wait for', async () => {
    answerCanaryRuns(awsError('ResourceNotFoundException', 'no such canary'));
    await expect(runCanaryGateHook(dependencies(), CODEDEPLOY_HOOK_EVENT, config)).resolves.toMatchObject({
      status: 'Succeeded',
      decision: { outcome: 'NO_CANARY' },
    });
  });

  it('throws, naming the verdict, when CodeDeploy cannot be told', async () => {
    answerCanaryRuns([run('r2', 0, 'PASSED')]);
    mocks.codedeploy
      .on(PutLifecycleEventHookExecutionStatusCommand)
      .rejects(awsError('AccessDeniedException', 'not authorized'));
    await expect(runCanaryGateHook(dependencies(), CODEDEPLOY_HOOK_EVENT, config)).rejects.toThrow(
      /^could not report Succeeded \(canary ias-prod run r2, .*\) for hook hook-1 of deployment d-ABC: AccessDeniedException: not authorized$/,
    );
  });

  it('answers Amazon ECS IN_PROGRESS with a callback delay and the time traffic moved, then decides on the next call', async () => {
    const clock = fakeClock(MOVED);
    answerCanaryRuns([run('r1', -5, 'PASSED')]);
    const first = await runCanaryGateHook(dependencies(clock), ECS_POST_PRODUCTION, config);
    expect(first).toMatchObject({
      source: 'ecs',
      lifecycleStage: 'POST_PRODUCTION_TRAFFIC_SHIFT',
      response: {
        hookStatus: 'IN_PROGRESS',
        callBackDelay: 30,
        hookDetails: { canaryGateTrafficMovedAt: at(0).toISOString() },
      },
    });
    // Amazon ECS calls again later with the hookDetails it was given: the run at +55 s counts.
    clock.advance(90_000);
    answerCanaryRuns([run('r2', 55, 'PASSED'), run('r1', -5, 'PASSED')]);
    const hookDetails = first.source === 'ecs' ? first.response.hookDetails : undefined;
    await expect(
      runCanaryGateHook(dependencies(clock), { ...ECS_POST_PRODUCTION, hookDetails }, config),
    ).resolves.toMatchObject({ response: { hookStatus: 'SUCCEEDED' }, decision: { outcome: 'PASSED' } });
    expect(mocks.codedeploy.calls()).toHaveLength(0);
  });

  it('answers Amazon ECS FAILED at the deadline, and never asks to be called back after it', async () => {
    const clock = fakeClock(MOVED);
    answerCanaryRuns([]);
    const hookDetails = { canaryGateTrafficMovedAt: at(0).toISOString() };
    clock.advance(170_000);
    await expect(
      runCanaryGateHook(dependencies(clock), { ...ECS_POST_PRODUCTION, hookDetails }, config),
    ).resolves.toMatchObject({ response: { hookStatus: 'IN_PROGRESS', callBackDelay: 10 } });
    clock.advance(10_000);
    await expect(
      runCanaryGateHook(dependencies(clock), { ...ECS_POST_PRODUCTION, hookDetails }, config),
    ).resolves.toMatchObject({
      response: { hookStatus: 'FAILED' },
      decision: { outcome: 'TIMED_OUT', detail: expect.stringContaining('within 180 s: waited 180 s') },
    });
  });

  it('answers Amazon ECS SUCCEEDED without a canary, and FAILED on a malformed event', async () => {
    answerCanaryRuns(awsError('ResourceNotFoundException', 'no such canary'));
    await expect(runCanaryGateHook(dependencies(), ECS_POST_PRODUCTION, config)).resolves.toMatchObject({
      response: { hookStatus: 'SUCCEEDED' },
      decision: { outcome: 'NO_CANARY' },
    });
    await expect(
      runCanaryGateHook(dependencies(), { lifecycleStage: 'POST_PRODUCTION_TRAFFIC_SHIFT' }, config),
    ).resolves.toMatchObject({
      response: { hookStatus: 'FAILED' },
      decision: { detail: expect.stringMatching(/^not a valid Amazon ECS lifecycle hook event: /) },
    });
  });

  it('throws on an event of neither kind', async () => {
    await expect(runCanaryGateHook(dependencies(), { Records: [] }, config)).rejects.toThrow(
      "not a lifecycle hook event (neither CodeDeploy's DeploymentId nor Amazon ECS's executionDetails); fields: Records",
    );
  });
});

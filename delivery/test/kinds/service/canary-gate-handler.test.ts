import { Logger } from '@aws-lambda-powertools/logger';
import { PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mocks } from '../../aws.js';
import { awsError, CODEDEPLOY_HOOK_EVENT, hookStatuses } from '../../support.js';
import { answerCanaryRuns, ECS_HOOK_EVENT } from './support.js';

const ecsEvent = { ...ECS_HOOK_EVENT, lifecycleStage: 'POST_PRODUCTION_TRAFFIC_SHIFT' };

/** Loads the handler with its settings (a fresh module, so that it reads them again). */
async function load() {
  vi.stubEnv('CANARY_NAME', 'ias-prod');
  vi.stubEnv('CANARY_GATE_DEADLINE_SECONDS', '180');
  return (await import('../../../src/handlers/canary-gate.js')).handler;
}

beforeEach(() => {
  vi.resetModules();
  mocks.codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('canary-gate handler', () => {
  it('fails at load with a clear message when its environment is wrong', async () => {
    vi.stubEnv('CANARY_NAME', 'ias-prod');
    await expect(import('../../../src/handlers/canary-gate.js')).rejects.toThrow(
      /^canary gate misconfigured: CANARY_GATE_DEADLINE_SECONDS: /,
    );
  });

  it('answers Amazon ECS SUCCEEDED with a log line saying there was nothing to wait for, when there is no canary', async () => {
    const info = vi.spyOn(Logger.prototype, 'info');
    answerCanaryRuns(awsError('ResourceNotFoundException', 'no such canary'));
    const handler = await load();
    await expect(handler(ecsEvent)).resolves.toStrictEqual({ hookStatus: 'SUCCEEDED' });
    expect(info).toHaveBeenCalledWith('canary gate passed: no canary, nothing to wait for', {
      source: 'ecs',
      lifecycleStage: 'POST_PRODUCTION_TRAFFIC_SHIFT',
      detail: 'no canary ias-prod in this account and region (none deployed): nothing to wait for',
    });
  });

  it('answers Amazon ECS IN_PROGRESS, with when to call again and the state to call with, while no run has finished', async () => {
    answerCanaryRuns([]);
    const handler = await load();
    await expect(handler(ecsEvent)).resolves.toStrictEqual({
      hookStatus: 'IN_PROGRESS',
      callBackDelay: 30,
      hookDetails: { canaryGateTrafficMovedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
  });

  it("reports Failed to CodeDeploy on a failed run, with the run's reason, and logs a warning", async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    answerCanaryRuns([
      {
        Id: 'r9',
        Status: { State: 'FAILED', StateReason: 'Error: POST /allocations answered 500' },
        Timeline: { Started: new Date(Date.now() + 60_000) },
      },
    ]);
    const handler = await load();
    await expect(handler(CODEDEPLOY_HOOK_EVENT)).resolves.toEqual({
      status: 'Failed',
      reason: expect.stringMatching(/run r9, .*, failed: Error: POST \/allocations answered 500$/),
    });
    expect(hookStatuses(mocks.codedeploy)).toEqual([
      { deploymentId: 'd-ABC', lifecycleEventHookExecutionId: 'hook-1', status: 'Failed' },
    ]);
    expect(warn).toHaveBeenCalledWith(
      'canary gate failed (FAILED)',
      expect.objectContaining({ source: 'codedeploy' }),
    );
  });
});

import { PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { mocks } from '../../aws.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CODEDEPLOY_HOOK_EVENT, hookStatuses } from '../../support.js';
import { ECS_HOOK_EVENT } from './support.js';

const codedeployMock = mocks.codedeploy;
const URL = 'http://ias-dev-alb-123.ap-northeast-1.elb.amazonaws.com:8080/ready';
const ecsEvent = ECS_HOOK_EVENT;
const codeDeployEvent = CODEDEPLOY_HOOK_EVENT;

/** Loads the handler with a stubbed global fetch answering `status` (no real request, no pause). */
async function load(status: number) {
  const fetch = vi.fn(() => Promise.resolve(new Response(null, { status })));
  vi.stubGlobal('fetch', fetch);
  vi.stubEnv('GREEN_CHECK_URL', URL);
  vi.stubEnv('GREEN_CHECK_ATTEMPTS', '2');
  vi.stubEnv('GREEN_CHECK_INTERVAL_MS', '0');
  const { handler } = await import('../../../src/handlers/green-check.js');
  return { handler, fetch };
}

beforeEach(() => {
  vi.resetModules();
  codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

describe('green-check handler', () => {
  it('fails at load with a clear message when its environment is wrong', async () => {
    vi.stubEnv('GREEN_CHECK_URL', 'not a url');
    await expect(import('../../../src/handlers/green-check.js')).rejects.toThrow(
      /^green check misconfigured: GREEN_CHECK_URL: /,
    );
  });

  it('answers Amazon ECS with exactly { hookStatus: SUCCEEDED } when green passes', async () => {
    const { handler, fetch } = await load(200);
    await expect(handler(ecsEvent)).resolves.toStrictEqual({ hookStatus: 'SUCCEEDED' });
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(codedeployMock.calls()).toHaveLength(0);
  });

  it('answers Amazon ECS with { hookStatus: FAILED } when green fails', async () => {
    const { handler } = await load(503);
    await expect(handler(ecsEvent)).resolves.toStrictEqual({ hookStatus: 'FAILED' });
  });

  it('reports Succeeded to CodeDeploy when green passes', async () => {
    const { handler } = await load(200);
    await expect(handler(codeDeployEvent)).resolves.toMatchObject({ status: 'Succeeded' });
    expect(hookStatuses(codedeployMock)).toEqual([
      { deploymentId: 'd-ABC', lifecycleEventHookExecutionId: 'hook-1', status: 'Succeeded' },
    ]);
  });

  it('reports Failed to CodeDeploy when green fails', async () => {
    const { handler } = await load(500);
    await expect(handler(codeDeployEvent)).resolves.toEqual({
      status: 'Failed',
      reason: `${URL} did not answer 2xx 2 time(s) in a row (1 of 2 attempts); last failure: HTTP 500`,
    });
    expect(hookStatuses(codedeployMock)).toEqual([
      { deploymentId: 'd-ABC', lifecycleEventHookExecutionId: 'hook-1', status: 'Failed' },
    ]);
  });
});

import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { mocks } from '../../aws.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { GreenCheckConfig, HttpGet } from '../../../src/kinds/service/green-check.js';
import {
  checkGreen,
  readGreenCheckConfig,
  runGreenCheckHook,
} from '../../../src/kinds/service/green-check.js';
import {
  awsError,
  CODEDEPLOY_HOOK_EVENT,
  failureOf,
  fakeClock,
  hookStatuses,
  rejectionOf,
} from '../../support.js';
import { ECS_HOOK_EVENT } from './support.js';

const URL = 'http://ias-dev-alb-123.ap-northeast-1.elb.amazonaws.com:8080/ready';

/** A fetch answering the given statuses in turn (a string is a connection error with that message). */
function answers(...replies: (number | string)[]) {
  let index = 0;
  return vi.fn<HttpGet>(() => {
    const reply = replies[Math.min(index, replies.length - 1)];
    index += 1;
    if (typeof reply === 'string') {
      return Promise.reject(
        new TypeError('fetch failed', { cause: Object.assign(new Error(reply), { name: 'Error' }) }),
      );
    }
    return Promise.resolve({ status: reply ?? 0, body: null });
  });
}

describe('checkGreen', () => {
  it('passes on N answers in a row that are 2xx, pausing between requests', async () => {
    const fetch = answers(503, 200, 204, 200);
    const clock = fakeClock();
    await expect(
      checkGreen({ url: URL, attempts: 5, consecutive: 3, intervalMs: 2_000, fetch, sleep: clock.sleep }),
    ).resolves.toEqual({
      ok: true,
      detail: `${URL} answered 2xx 3 time(s) in a row (4 of 5 attempts)`,
    });
    expect(fetch).toHaveBeenCalledTimes(4);
    expect(fetch.mock.calls[0]?.[0]).toBe(URL);
    expect(fetch.mock.calls[0]?.[1]).toMatchObject({ method: 'GET', redirect: 'manual' });
    expect(fetch.mock.calls[0]?.[1].signal).toBeInstanceOf(AbortSignal);
    expect(clock.sleeps).toEqual([2_000, 2_000, 2_000]);
  });

  it('fails when a failure breaks the streak too late, naming the last failure', async () => {
    const fetch = answers(200, 200, 500, 200, 200);
    const clock = fakeClock();
    await expect(
      checkGreen({ url: URL, attempts: 5, consecutive: 3, fetch, sleep: clock.sleep }),
    ).resolves.toEqual({
      ok: false,
      detail: `${URL} did not answer 2xx 3 time(s) in a row (3 of 5 attempts); last failure: HTTP 500`,
    });
    // After the third attempt two are left: not enough for three in a row, so it stops there.
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(clock.sleeps).toEqual([5_000, 5_000]);
  });

  it('counts a redirect and a connection error as failures', async () => {
    const redirect = await checkGreen({
      url: URL,
      attempts: 1,
      fetch: answers(302),
      sleep: fakeClock().sleep,
    });
    expect(redirect).toEqual({
      ok: false,
      detail: `${URL} did not answer 2xx 1 time(s) in a row (1 of 1 attempts); last failure: HTTP 302`,
    });
    const refused = await checkGreen({
      url: URL,
      attempts: 2,
      fetch: answers('connect ECONNREFUSED 10.0.0.1:8080'),
      sleep: fakeClock().sleep,
    });
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(
      /last failure: request failed: TypeError: fetch failed \(connect ECONNREFUSED 10\.0\.0\.1:8080\)$/,
    );
  });

  it('defaults to 5 attempts and 3 in a row, or fewer in a row when fewer attempts', async () => {
    const fetch = answers(200);
    await expect(checkGreen({ url: URL, fetch, sleep: fakeClock().sleep })).resolves.toMatchObject({
      ok: true,
    });
    expect(fetch).toHaveBeenCalledTimes(3);
    const two = answers(200);
    await expect(
      checkGreen({ url: URL, attempts: 2, fetch: two, sleep: fakeClock().sleep }),
    ).resolves.toMatchObject({
      detail: `${URL} answered 2xx 2 time(s) in a row (2 of 2 attempts)`,
    });
  });

  it('fails BAD_INPUT on invalid options', async () => {
    expect(await rejectionOf(checkGreen({ url: 'ftp://host/ready', attempts: 2, consecutive: 3 }))).toBe(
      'BAD_INPUT: invalid green check: url: must be an http(s) URL; consecutive: must not exceed attempts',
    );
  });
});

describe('readGreenCheckConfig', () => {
  it('reads the URL and applies the defaults', () => {
    expect(readGreenCheckConfig({ GREEN_CHECK_URL: URL })).toEqual({
      url: URL,
      attempts: 5,
      intervalMs: 5_000,
    });
    expect(
      readGreenCheckConfig({
        GREEN_CHECK_URL: URL,
        GREEN_CHECK_ATTEMPTS: '10',
        GREEN_CHECK_CONSECUTIVE: '4',
        GREEN_CHECK_INTERVAL_MS: '0',
      }),
    ).toEqual({ url: URL, attempts: 10, consecutive: 4, intervalMs: 0 });
  });

  it('fails naming each bad variable', () => {
    expect(failureOf(() => readGreenCheckConfig({ GREEN_CHECK_ATTEMPTS: 'five' }))).toBe(
      'BAD_INPUT: green check misconfigured: GREEN_CHECK_URL: must be the http(s) URL of the green side through the test listener, e.g. http://<alb-dns>:8080/ready; GREEN_CHECK_ATTEMPTS: GREEN_CHECK_ATTEMPTS must be a whole number',
    );
    expect(
      failureOf(() =>
        readGreenCheckConfig({
          GREEN_CHECK_URL: URL,
          GREEN_CHECK_ATTEMPTS: '2',
          GREEN_CHECK_CONSECUTIVE: '3',
        }),
      ),
    ).toBe(
      'BAD_INPUT: green check misconfigured: GREEN_CHECK_CONSECUTIVE: must not exceed GREEN_CHECK_ATTEMPTS',
    );
  });
});

describe('runGreenCheckHook', () => {
  const codedeployMock = mocks.codedeploy;
  const config: GreenCheckConfig = { url: URL, attempts: 3, consecutive: 2, intervalMs: 1_000 };
  const codeDeployEvent = CODEDEPLOY_HOOK_EVENT;
  const ecsEvent = ECS_HOOK_EVENT;
  const reported = () => hookStatuses(codedeployMock);

  beforeEach(() => {
    codedeployMock
      .on(PutLifecycleEventHookExecutionStatusCommand)
      .resolves({ lifecycleEventHookExecutionId: 'hook-1' });
  });

  function dependencies(fetch: HttpGet) {
    return { codedeploy: new CodeDeployClient({}), fetch, sleep: fakeClock().sleep };
  }

  it('reports Succeeded to CodeDeploy when green passes', async () => {
    const outcome = await runGreenCheckHook(dependencies(answers(200)), codeDeployEvent, config);
    expect(outcome).toEqual({
      source: 'codedeploy',
      status: 'Succeeded',
      deploymentId: 'd-ABC',
      detail: `${URL} answered 2xx 2 time(s) in a row (2 of 3 attempts)`,
    });
    expect(reported()).toEqual([
      { deploymentId: 'd-ABC', lifecycleEventHookExecutionId: 'hook-1', status: 'Succeeded' },
    ]);
  });

  it('reports Failed to CodeDeploy when green fails', async () => {
    const outcome = await runGreenCheckHook(dependencies(answers(502)), codeDeployEvent, config);
    expect(outcome).toMatchObject({ source: 'codedeploy', status: 'Failed' });
    expect(outcome.detail).toMatch(/last failure: HTTP 502$/);
    expect(reported()).toEqual([
      { deploymentId: 'd-ABC', lifecycleEventHookExecutionId: 'hook-1', status: 'Failed' },
    ]);
  });

  it('throws when CodeDeploy cannot be told, saying what it meant to report', async () => {
    codedeployMock
      .on(PutLifecycleEventHookExecutionStatusCommand)
      .rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(runGreenCheckHook(dependencies(answers(200)), codeDeployEvent, config)).rejects.toThrow(
      /^could not report Succeeded \(.*\) for hook hook-1 of deployment d-ABC: ThrottlingException: Rate exceeded$/,
    );
  });

  it('throws on a CodeDeploy event without its execution id, reporting nothing', async () => {
    const fetch = answers(200);
    await expect(runGreenCheckHook(dependencies(fetch), { DeploymentId: 'd-ABC' }, config)).rejects.toThrow(
      /^not a CodeDeploy lifecycle hook event: LifecycleEventHookExecutionId: /,
    );
    expect(fetch).not.toHaveBeenCalled();
    expect(reported()).toEqual([]);
  });

  it('answers Amazon ECS SUCCEEDED when green passes, calling no AWS API', async () => {
    const outcome = await runGreenCheckHook(dependencies(answers(200)), ecsEvent, config);
    expect(outcome).toEqual({
      source: 'ecs',
      response: { hookStatus: 'SUCCEEDED' },
      lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
      detail: `${URL} answered 2xx 2 time(s) in a row (2 of 3 attempts)`,
    });
    expect(codedeployMock.calls()).toHaveLength(0);
  });

  it('answers Amazon ECS FAILED when green fails', async () => {
    const outcome = await runGreenCheckHook(dependencies(answers(200, 503)), ecsEvent, config);
    expect(outcome).toMatchObject({ source: 'ecs', response: { hookStatus: 'FAILED' } });
    expect(outcome.detail).toMatch(/last failure: HTTP 503$/);
  });

  it('answers Amazon ECS FAILED, without checking, on a malformed ECS event', async () => {
    const fetch = answers(200);
    const outcome = await runGreenCheckHook(
      dependencies(fetch),
      { lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT' },
      config,
    );
    expect(outcome).toMatchObject({ source: 'ecs', response: { hookStatus: 'FAILED' } });
    expect(outcome.detail).toMatch(/^not a valid Amazon ECS lifecycle hook event: executionId: /);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('throws on an event of neither kind', async () => {
    await expect(runGreenCheckHook(dependencies(answers(200)), { Records: [] }, config)).rejects.toThrow(
      "not a lifecycle hook event (neither CodeDeploy's DeploymentId nor Amazon ECS's executionDetails); fields: Records",
    );
  });
});

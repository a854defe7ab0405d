import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { strToU8, zipSync } from 'fflate';
import { beforeEach, describe, expect, it } from 'vitest';
import { renderAppSpec } from '../../../src/kinds/function/appspec.js';
import { judgedDeployStep } from '../../../src/kinds/function/pipeline-steps.js';
import type { StepContext } from '../../../src/pipeline/step.js';
import { userParametersSchema } from '../../../src/pipeline/steps.js';
import { mocks, sent } from '../../aws.js';
import { failure, jobClients, pipelineJob, runJob, success } from '../../pipeline/support.js';
import { fakeClock, s3Body } from '../../support.js';
import {
  FAILING,
  HEALTHY,
  aliasMoves,
  scriptedJudge,
  stubAlarms,
  stubAlias,
  stubMetrics,
} from './judged-support.js';
import { RELEASE } from './support.js';

const { lambda: lambdaMock, cloudwatch: cloudwatchMock, s3: s3Mock } = mocks;

const clients = jobClients('cloudwatch');

const ALARM = 'ias-dev-allocate-order-errors';

const parameters = {
  step: 'judged-deploy',
  environment: 'dev',
  functionName: 'ias-dev-allocate-order',
  alias: 'live',
  steps: [10, 50, 100],
  analysis: { bakeMinutes: 10, inconclusive: 'rollback', earlyPromotion: true },
  timeoutMinutes: 90,
  alarms: [ALARM],
};

function releaseZip(record: object = RELEASE): Uint8Array {
  return zipSync({
    'appspec.yml': strToU8(renderAppSpec(RELEASE)),
    'release.json': strToU8(JSON.stringify(record)),
  });
}

function job(userParameters: object | string = parameters, continuationToken?: string) {
  return pipelineJob(userParameters, { input: 'Release', continuationToken });
}

/**
 * Invokes the step as CodePipeline does: again with each continuation token it hands back, a minute
 * after the last invocation, until it succeeds or fails; returns the outcomes.
 */
async function runToEnd(clock = fakeClock()) {
  let last = await runJob(clients, job(), clock);
  const outcomes = [last];
  while (last.result === 'in-progress') {
    clock.advance(60_000);
    last = await runJob(clients, job(parameters, last.continuationToken), clock);
    outcomes.push(last);
    expect(outcomes.length).toBeLessThan(100);
  }
  return outcomes;
}

beforeEach(() => {
  stubAlias();
  stubAlarms({ [ALARM]: 'OK' });
  s3Mock.on(GetObjectCommand, { Key: 'in.zip' }).resolves({ Body: s3Body(releaseZip()) });
});

describe('runPipelineJob, judged-deploy', () => {
  it('shifts the first step and hands back a continuation token that records when the split began', async () => {
    stubMetrics(HEALTHY);
    const clock = fakeClock();
    const startedAt = clock.now();
    const outcome = await runJob(clients, job(), clock);

    expect(outcome.result).toBe('in-progress');
    expect(sent(lambdaMock, UpdateAliasCommand)).toEqual([
      {
        FunctionName: 'ias-dev-allocate-order',
        Name: 'live',
        FunctionVersion: '7',
        RoutingConfig: { AdditionalVersionWeights: { '8': 0.1 } },
      },
    ]);
    const input = success();
    expect(JSON.parse(input?.continuationToken ?? '')).toEqual({
      functionName: 'ias-dev-allocate-order',
      alias: 'live',
      currentVersion: '7',
      targetVersion: '8',
      startedAt,
      step: 0,
      stepStartedAt: startedAt,
      looked: 0,
    });
    expect(input?.executionDetails?.summary).toBe(
      'live of ias-dev-allocate-order: version 8 at 10 % (step 1 of 3), waiting for its first whole minute in CloudWatch (1 of 90 min)',
    );
    // Within the 60 s budget: one minute's pause.
    expect(clock.sleeps).toEqual([60_000]);
  });

  it('follows the judge across invocations from the token, reading the release once, and succeeds on the new version', async () => {
    stubMetrics(HEALTHY);
    const outcomes = await runToEnd();

    expect(outcomes.at(-1)?.result).toBe('succeeded');
    expect(aliasMoves()).toEqual(['7+8@0.1', '7+8@0.5', '8']);
    expect(sent(s3Mock, GetObjectCommand)).toHaveLength(1);
    expect(sent(lambdaMock, GetAliasCommand)).toHaveLength(1);
    // One look a minute at most: each GetMetricData a new minute of its step.
    const windows = sent(cloudwatchMock, GetMetricDataCommand).map(
      (input) => ((input.EndTime?.getTime() ?? 0) - (input.StartTime?.getTime() ?? 0)) / 60_000,
    );
    expect(windows).toEqual([1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7]);
    const report = success();
    expect(report?.outputVariables).toEqual({
      TargetVersion: '8',
      CanaryVerdict: 'pass',
      CanaryAction: 'promote',
      CanaryLook: '7/10',
      CanaryReason: expect.stringMatching(/^look 7 of 10 \(level .*\): pass — /) as unknown as string,
    });
    expect(report?.executionDetails?.summary).toMatch(
      /^judged deployment succeeded: live → version 8 of ias-dev-allocate-order over 10 → 50 → 100 %; last look: look 7 of 10 .*: pass — /,
    );
  });

  it('fails the job naming the judge’s reason, with the alias back on the current version', async () => {
    stubMetrics(FAILING);
    const outcomes = await runToEnd();

    expect(outcomes.at(-1)?.result).toBe('failed');
    expect(aliasMoves()).toEqual(['7+8@0.1', '7']);
    expect(failure()?.failureDetails?.message).toMatch(
      /^live of ias-dev-allocate-order rolled back to version 7: version 8 at 10 % \(step 1 of 3\): look 1 of 10 .*: fail — /,
    );
  });

  it('fails the job when an alarm goes into ALARM between invocations', async () => {
    stubMetrics(HEALTHY);
    const clock = fakeClock();
    await runJob(clients, job(), clock);
    const token = success()?.continuationToken;
    stubAlarms({ [ALARM]: 'ALARM' });
    clock.advance(60_000);
    const outcome = await runJob(clients, job(parameters, token), clock);

    expect(outcome.result).toBe('failed');
    expect(failure()?.failureDetails?.message).toMatch(
      new RegExp(`^live of ias-dev-allocate-order rolled back to version 7: alarm ${ALARM} is in ALARM`),
    );
    expect(aliasMoves()).toEqual(['7+8@0.1', '7']);
  });

  it('rolls back past timeoutMinutes, counted from the first shift', async () => {
    const clock = fakeClock();
    const token = {
      functionName: 'ias-dev-allocate-order',
      alias: 'live',
      currentVersion: '7',
      targetVersion: '8',
      startedAt: clock.now() - 90 * 60_000,
      step: 1,
      stepStartedAt: clock.now() - 5 * 60_000,
      looked: 3,
    };
    const outcome = await runJob(clients, job(parameters, JSON.stringify(token)), clock);

    expect(outcome).toMatchObject({
      result: 'failed',
      message:
        'live of ias-dev-allocate-order rolled back to version 7: version 8 at 50 % (step 2 of 3) after 90 min, past the time-out of 90 min',
    });
    expect(aliasMoves()).toEqual(['7']);
  });

  it('rolls back when the steps changed under a running deployment', async () => {
    const clock = fakeClock();
    const token = {
      functionName: 'ias-dev-allocate-order',
      alias: 'live',
      currentVersion: '7',
      targetVersion: '8',
      startedAt: clock.now() - 10 * 60_000,
      step: 2,
      stepStartedAt: clock.now() - 60_000,
      looked: 0,
    };
    const outcome = await runJob(
      clients,
      job({ ...parameters, steps: [20, 100] }, JSON.stringify(token)),
      clock,
    );
    expect(outcome).toMatchObject({
      result: 'failed',
      message:
        'live of ias-dev-allocate-order rolled back to version 7: its step 3 is not one of steps [20,100] below 100: the steps changed while it ran; re-run the release',
    });
    expect(aliasMoves()).toEqual(['7']);
  });

  it('deploys nothing when the release is unchanged', async () => {
    s3Mock
      .on(GetObjectCommand)
      .resolves({ Body: s3Body(releaseZip({ ...RELEASE, targetVersion: '7', unchanged: true })) });
    const outcome = await runJob(clients, job(), fakeClock());
    expect(outcome).toMatchObject({
      result: 'succeeded',
      summary: 'nothing to deploy: ias-dev-allocate-order version 7 is already live',
    });
    expect(lambdaMock.calls()).toHaveLength(0);
    expect(cloudwatchMock.calls()).toHaveLength(0);
  });

  it.each([
    [
      { steps: [50, 10, 100] },
      "invalid UserParameters: steps: must be the new version's weights in percent, each above the one before, ending at 100 with at least one below it, e.g. [10, 50, 100] (got [50,10,100])",
    ],
    [
      { steps: [10, 50, 90] },
      "invalid UserParameters: steps: must be the new version's weights in percent, each above the one before, ending at 100 with at least one below it, e.g. [10, 50, 100] (got [10,50,90])",
    ],
    [{ analysis: { bakeMinutes: 10 } }, 'invalid UserParameters: analysis.inconclusive: '],
    [{ timeoutMinutes: undefined }, 'invalid UserParameters: timeoutMinutes: '],
    [
      { timeoutMinutes: 25 },
      'UserParameters: timeoutMinutes 25 is shorter than the bakes: 2 step(s) below 100 of 10 min each',
    ],
  ])('fails the job on %j with one clear error, touching nothing', async (over, message) => {
    const outcome = await runJob(clients, job({ ...parameters, ...over }), fakeClock());
    expect(outcome.result).toBe('failed');
    expect(failure()?.failureDetails?.message).toContain(message);
    expect(lambdaMock.calls()).toHaveLength(0);
    expect(cloudwatchMock.calls()).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('fails the job, saying so, when the step function has no CloudWatch client', async () => {
    await runJob({ ...clients, cloudwatch: undefined }, job(), fakeClock());
    expect(failure()?.failureDetails?.message).toBe(
      "the judged-deploy step needs the CloudWatch client, which this step function was not given: add it to the function's clients",
    );
    expect(lambdaMock.calls()).toHaveLength(0);
  });

  it('refuses a continuation token of another function', async () => {
    const token = JSON.stringify({
      functionName: 'ias-dev-import-stock',
      alias: 'live',
      currentVersion: '7',
      targetVersion: '8',
      startedAt: 0,
      step: 0,
      stepStartedAt: 0,
      looked: 0,
    });
    await runJob(clients, job(parameters, token), fakeClock());
    expect(failure()?.failureDetails?.message).toContain(
      'the continuation token follows ias-dev-import-stock:live, not ias-dev-allocate-order:live',
    );
    expect(lambdaMock.calls()).toHaveLength(0);
  });

  it('reads alarms and metrics once a minute within the invocation budget', async () => {
    stubMetrics(HEALTHY);
    const clock = fakeClock();
    await runJob(clients, job(), clock);
    expect(sent(cloudwatchMock, DescribeAlarmsCommand)).toHaveLength(2);
    cloudwatchMock.resetHistory();
    const token = success()?.continuationToken;
    await runJob(clients, job(parameters, token), { ...clock, pollBudgetMs: 5 * 60_000 });
    // At once from the token, then after each minute's pause that still fits the budget.
    expect(clock.sleeps).toEqual(Array<number>(1 + 5).fill(60_000));
    expect(sent(cloudwatchMock, DescribeAlarmsCommand)).toHaveLength(6);
  });
});

describe('judgedDeployStep', () => {
  const { cloudwatch, lambda } = clients;

  function context(clock = fakeClock(), continuationToken?: string): StepContext {
    return {
      clients: { ...clients, cloudwatch, lambda },
      job: pipelineJob(parameters, { input: 'Release', continuationToken }) as StepContext['job'],
      pollBudgetMs: 60_000,
      pollMs: 10_000,
      ...clock,
    };
  }

  it('takes a judge of its own (the seam tests fake), and records the version it made live', async () => {
    const step = judgedDeployStep(scriptedJudge(['promote', 'promote']));
    const parsed = userParametersSchema.parse(parameters);
    if (parsed.step !== 'judged-deploy') throw new Error('not a judged-deploy');
    const clock = fakeClock();
    let outcome = await step.run(context(clock), parsed);
    while (outcome.result === 'in-progress') {
      clock.advance(60_000);
      outcome = await step.run(context(clock, outcome.continuationToken), parsed);
    }
    expect(outcome.result).toBe('succeeded');
    expect(aliasMoves()).toEqual(['7+8@0.1', '7+8@0.5', '8']);
    if (outcome.result !== 'succeeded') return;
    expect(outcome.outputVariables).toMatchObject({ TargetVersion: '8', CanaryAction: 'promote' });
    expect(step.released?.(outcome, 'allocate-order')).toEqual({ functions: { 'allocate-order': '8' } });
  });
});

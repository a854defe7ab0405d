import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { type CanaryAnalysis, DeliveryError } from '../../../src/canary/index.js';
import {
  type DeployJudgedOptions,
  type JudgedMinute,
  deployJudged,
  judgedPlan,
} from '../../../src/kinds/function/judged.js';
import { clients, mocks, sent } from '../../aws.js';
import { awsError, fakeClock, rejectionOf } from '../../support.js';
import {
  FAILING,
  HEALTHY,
  THIN,
  aliasMoves,
  minutesOf,
  scriptedJudge,
  seriesJudge,
  stubAlarms,
  stubAlias,
} from './judged-support.js';

const { lambda: lambdaMock, cloudwatch: cloudwatchMock } = mocks;

const analysis = (over: Partial<CanaryAnalysis> = {}): CanaryAnalysis => ({
  judge: {},
  bakeMinutes: 10,
  inconclusive: 'rollback',
  earlyPromotion: true,
  ...over,
});

const ALARM = 'ias-dev-allocate-order-errors';

/** deployJudged of version 8 of ias-dev-allocate-order behind live (on 7), on a fake clock. */
function deploy(over: Partial<DeployJudgedOptions> = {}) {
  const clock = fakeClock();
  const progress: JudgedMinute[] = [];
  const run = deployJudged({
    lambda: clients.lambda,
    cloudwatch: clients.cloudwatch,
    functionName: 'ias-dev-allocate-order',
    alias: 'live',
    currentVersion: '7',
    targetVersion: '8',
    steps: [10, 50, 100],
    analysis: analysis(),
    alarms: [ALARM],
    onProgress: (minute) => progress.push(minute),
    now: clock.now,
    sleep: clock.sleep,
    judge: seriesJudge(HEALTHY),
    ...over,
  });
  return { run, clock, progress };
}

beforeEach(() => {
  stubAlias();
  stubAlarms({ [ALARM]: 'OK' });
});

describe('deployJudged', () => {
  it('shifts the alias step by step, each step its own bake judged once a minute, and ends on the new version alone', async () => {
    const judge = seriesJudge(HEALTHY);
    const { run, clock, progress } = deploy({ judge });
    const result = await run;

    expect(aliasMoves()).toEqual(['7+8@0.1', '7+8@0.5', '8']);
    expect(sent(lambdaMock, UpdateAliasCommand)[2]).toEqual({
      FunctionName: 'ias-dev-allocate-order',
      Name: 'live',
      FunctionVersion: '8',
      RoutingConfig: { AdditionalVersionWeights: {} },
    });
    expect(clock.sleeps.every((ms) => ms === 60_000)).toBe(true);
    expect(progress.map((m) => m.status)).toEqual([
      'started',
      ...Array<string>(8).fill('baking'),
      'advanced',
      ...Array<string>(8).fill('baking'),
      'promoted',
    ]);
    // Each step's looks count from its own start: 1, 2, … again after the advance.
    const looks = progress.map((m) => m.look?.look);
    expect(looks.slice(0, 10)).toEqual([undefined, undefined, undefined, 1, 2, 3, 4, 5, 6, 7]);
    expect(looks.slice(10)).toEqual([undefined, undefined, 1, 2, 3, 4, 5, 6, 7]);
    const advanced = progress.find((m) => m.status === 'advanced');
    const [secondStart] = judge.windows.filter(
      (w) => w.start.getTime() > (advanced?.shift.stepStartedAt ?? 0),
    );
    expect(secondStart?.start.getTime()).toBe(
      Math.ceil((advanced?.shift.stepStartedAt ?? 0) / 60_000) * 60_000,
    );
    expect(judge.windows.map(minutesOf)).toEqual([1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7]);
    expect(result).toMatchObject({ targetVersion: '8', look: { action: 'promote', look: 7, final: false } });
    expect(result.minutes).toBe(18);
    expect(progress.at(-1)?.summary).toMatch(/^live of ias-dev-allocate-order is on version 8: 50 % passed/);
  });

  it('promotes a step early on a pass, and without early promotion only at its last look', async () => {
    const early = await deploy({ steps: [25, 100] }).run;
    expect(early.look).toMatchObject({ action: 'promote', look: 7, looks: 10 });

    lambdaMock.resetHistory();
    const late = await deploy({ steps: [25, 100], analysis: analysis({ earlyPromotion: false }) }).run;
    expect(late.look).toMatchObject({ action: 'continue', look: 10, final: true });
    expect(aliasMoves()).toEqual(['7+8@0.25', '8']);
  });

  it('fails ROLLED_BACK with the alias back on the current version alone when a look fails', async () => {
    const { run, progress } = deploy({ judge: seriesJudge(FAILING) });
    const message = await rejectionOf(run);

    expect(message).toMatch(
      /^ROLLED_BACK: live of ias-dev-allocate-order rolled back to version 7: version 8 at 10 % \(step 1 of 3\): look 1 of 10 .*: fail — /,
    );
    expect(aliasMoves()).toEqual(['7+8@0.1', '7']);
    expect(sent(lambdaMock, UpdateAliasCommand)[1]?.RoutingConfig).toEqual({ AdditionalVersionWeights: {} });
    expect(progress.map((m) => m.status)).toEqual(['started', 'baking', 'baking']);
  });

  it('rolls back when a named alarm goes into ALARM, naming it', async () => {
    const ok = { MetricAlarms: [{ AlarmName: ALARM, StateValue: 'OK' as const }] };
    cloudwatchMock
      .on(DescribeAlarmsCommand)
      .resolvesOnce(ok)
      .resolvesOnce(ok)
      .resolves({
        MetricAlarms: [
          { AlarmName: ALARM, StateValue: 'ALARM', StateReason: 'Threshold Crossed: 12 errors' },
        ],
      });
    const message = await rejectionOf(deploy().run);

    expect(message).toBe(
      `ROLLED_BACK: live of ias-dev-allocate-order rolled back to version 7: alarm ${ALARM} is in ALARM (Threshold Crossed: 12 errors), with version 8 at 10 % (step 1 of 3)`,
    );
    expect(aliasMoves()).toEqual(['7+8@0.1', '7']);
    expect(sent(cloudwatchMock, DescribeAlarmsCommand)[0]).toEqual({
      AlarmNames: [ALARM],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
  });

  it('shifts nothing when an alarm does not exist or is in ALARM already', async () => {
    stubAlarms({});
    expect(await rejectionOf(deploy().run)).toMatch(
      new RegExp(`^BAD_INPUT: alarm\\(s\\) ${ALARM} do not exist`),
    );
    stubAlarms({ [ALARM]: 'ALARM' });
    expect(await rejectionOf(deploy().run)).toMatch(
      new RegExp(
        `^DEPLOYMENT_FAILED: alarm ${ALARM} is in ALARM .* before live of ias-dev-allocate-order shifted`,
      ),
    );
    expect(aliasMoves()).toEqual([]);
  });

  it('at the end of a step, does with an inconclusive verdict what the analysis says', async () => {
    const back = deploy({ judge: seriesJudge(THIN), analysis: analysis({ bakeMinutes: 5 }) });
    expect(await rejectionOf(back.run)).toMatch(
      /^ROLLED_BACK: .* rolled back to version 7: version 8 at 10 % \(step 1 of 3\): look 5 of 5 .*still inconclusive at the end of the bake, so rolling back/,
    );
    expect(aliasMoves()).toEqual(['7+8@0.1', '7']);

    lambdaMock.resetHistory();
    const on = deploy({
      judge: seriesJudge(THIN),
      analysis: analysis({ bakeMinutes: 5, inconclusive: 'continue' }),
    });
    const result = await on.run;
    expect(aliasMoves()).toEqual(['7+8@0.1', '7+8@0.5', '8']);
    expect(result.look).toMatchObject({ action: 'continue', final: true, look: 5 });
    expect(result.look.judgement.verdict).toBe('inconclusive');
  });

  it('fails TIMED_OUT with the alias back past timeoutMinutes', async () => {
    const judge = scriptedJudge([]);
    const { run, clock } = deploy({
      judge,
      steps: [10, 100],
      analysis: analysis({ bakeMinutes: 3 }),
      timeoutMinutes: 6,
    });
    expect(await rejectionOf(run)).toBe(
      'TIMED_OUT: live of ias-dev-allocate-order rolled back to version 7: version 8 at 10 % (step 1 of 2) after 6 min, past the time-out of 6 min',
    );
    expect(aliasMoves()).toEqual(['7+8@0.1', '7']);
    expect(clock.sleeps).toHaveLength(6);
    expect(judge.looks).toBe(3);
  });

  it('looks again a minute later when CloudWatch has only part of the minutes', async () => {
    const judge = scriptedJudge(['promote']);
    let reads = 0;
    const partial = {
      ...judge,
      read: (...args: Parameters<typeof judge.read>) => {
        reads += 1;
        return reads === 1
          ? Promise.reject(
              new DeliveryError('TIMED_OUT', 'CloudWatch did not return all of query canary_p99'),
            )
          : judge.read(...args);
      },
    };
    const { run, progress } = deploy({ judge: partial, steps: [10, 100] });
    await run;
    expect(progress[3]?.summary).toMatch(/CloudWatch data not complete yet \(CloudWatch did not return all/);
    expect(progress.map((m) => m.look?.look)).toEqual([undefined, undefined, undefined, undefined, 2]);
  });

  it('rolls back when the metrics cannot be read at all', async () => {
    const judge = scriptedJudge([]);
    const denied = { ...judge, read: () => Promise.reject(awsError('AccessDenied', 'not authorized')) };
    expect(await rejectionOf(deploy({ judge: denied }).run)).toBe(
      'ROLLED_BACK: live of ias-dev-allocate-order rolled back to version 7: version 8 at 10 % (step 1 of 3): AccessDenied: not authorized',
    );
    expect(aliasMoves()).toEqual(['7+8@0.1', '7']);
  });

  it('says how to put the alias back when that fails', async () => {
    lambdaMock
      .on(UpdateAliasCommand)
      .resolvesOnce({})
      .rejects(awsError('TooManyRequestsException', 'Rate exceeded'));
    const message = await rejectionOf(deploy({ judge: seriesJudge(FAILING) }).run);
    expect(message).toMatch(
      /^DEPLOYMENT_FAILED: live of ias-dev-allocate-order still routes traffic to version 8: putting it back on version 7 failed \(TooManyRequestsException: Rate exceeded\); run `aws lambda update-alias --function-name ias-dev-allocate-order --name live --function-version 7 --routing-config 'AdditionalVersionWeights=\{\}'`/,
    );
  });

  it('fails UPDATE_CONFLICT, shifting nothing, when the alias moved since the release', async () => {
    lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: '9' });
    expect(await rejectionOf(deploy().run)).toMatch(
      /^UPDATE_CONFLICT: live of ias-dev-allocate-order is on version 9, not on version 7/,
    );
    lambdaMock.on(GetAliasCommand).resolves({
      FunctionVersion: '7',
      RoutingConfig: { AdditionalVersionWeights: { '6': 0.2 } },
    });
    expect(await rejectionOf(deploy().run)).toMatch(/is on version 7 routing to 6, not on version 7/);
    expect(aliasMoves()).toEqual([]);
  });

  it('resumes a split of its own towards the target (an interrupted run)', async () => {
    lambdaMock.on(GetAliasCommand).resolves({
      FunctionVersion: '7',
      RoutingConfig: { AdditionalVersionWeights: { '8': 0.1 } },
    });
    await deploy().run;
    expect(aliasMoves()).toEqual(['7+8@0.1', '7+8@0.5', '8']);
  });

  it.each([
    [{ steps: [50, 10, 100] }, 'steps: must be the new version', '(got [50,10,100])'],
    [{ steps: [10, 50] }, 'steps: must be the new version', 'ending at 100'],
    [{ steps: [100] }, 'steps: must be', 'with at least one below it'],
    [{ steps: [0, 100] }, 'steps: must be', '(got [0,100])'],
    [{ currentVersion: '8' }, 'targetVersion: must differ from currentVersion', ''],
    [{ alarms: Array.from({ length: 11 }, (_, i) => `alarm-${i}`) }, 'alarms: ', ''],
    [{ analysis: { ...analysis(), bakeMinutes: 0 } }, 'judged deployment: analysis: bakeMinutes', ''],
    [
      { timeoutMinutes: 20 },
      'judged deployment: timeoutMinutes 20 is shorter than the bakes: 2 step(s) below 100 of 10 min each',
      'take up to 26 min',
    ],
  ])('fails on bad settings %j with one BAD_INPUT error, touching nothing', async (over, first, second) => {
    const message = await rejectionOf(deploy(over as Partial<DeployJudgedOptions>).run);
    expect(message).toMatch(/^BAD_INPUT: /);
    expect(message).toContain(first);
    expect(message).toContain(second);
    expect(lambdaMock.calls()).toHaveLength(0);
    expect(cloudwatchMock.calls()).toHaveLength(0);
  });
});

describe('judgedPlan', () => {
  it('defaults to no alarms and twice the time the bakes take', () => {
    const plan = judgedPlan({ steps: [5, 25, 100], analysis: analysis() }, 'plan');
    expect(plan).toMatchObject({ steps: [5, 25, 100], alarms: [], timeoutMs: 2 * 26 * 60_000 });
  });

  it('names where the settings came from in its error', () => {
    expect(() => judgedPlan({ steps: [10, 10, 100], analysis: analysis() }, 'UserParameters')).toThrow(
      /^UserParameters: steps: must be the new version's weights in percent, each above the one before/,
    );
  });
});

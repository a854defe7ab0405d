import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateDeploymentCommand, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import {
  GetAliasCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import type { CanaryJudge } from '@ias/delivery';
import type { EnvironmentConfig, ProjectConfig } from '@ias/infra/config';
import { functionTarget } from '@ias/targets';
import { beforeEach, describe, expect, it } from 'vitest';
import { deployLambda } from '../src/commands/deploy';
import { deployJudgedZip } from '../src/commands/deploy-judged';
import { isDryRun } from '../src/context';
import { EXIT } from '../src/errors';
import { context, prefix, project, stubbedAws } from './helpers';

const FN = `${prefix}-dev-allocate-order`;
const ALARMS = ['errors', 'throttles', 'duration'].map((a) => `${FN}-${a}`);
const dir = mkdtempSync(join(tmpdir(), 'ias-ops-deploy-judged-'));
const ZIP = join(dir, 'allocate-order.zip');
writeFileSync(ZIP, Buffer.from('PK\x03\x04 a deployment package', 'latin1'));
const args = { function: 'allocate-order', env: 'dev', zip: ZIP };

/** The repository's project, dev's functions deployed judged: [10, 50, 100], 3-minute bakes. */
const judgedProject: ProjectConfig = {
  ...project,
  environments: project.environments.map((env) =>
    env.name === 'dev'
      ? ({
          ...env,
          profile: {
            ...env.profile,
            lambda: {
              ...env.profile.lambda,
              deployment: 'judged',
              judgedSteps: [10, 50, 100],
              canaryAnalysis: {
                enabled: true,
                inconclusive: 'rollback',
                earlyPromotion: true,
                bakeMinutes: 3,
              },
            },
          },
        } as EnvironmentConfig)
      : env,
  ),
};
const dev = judgedProject.environments.find((e) => e.name === 'dev') as EnvironmentConfig;

/** A judge that reads nothing and answers `actions` in turn, the last one from then on. */
function scriptedJudge(...actions: ('wait' | 'promote' | 'rollback')[]): CanaryJudge & { looks: number } {
  const judge = {
    looks: 0,
    read: async () => ({ baseline: { minutes: [] }, canary: { minutes: [] }, minutes: [] }) as never,
    look: () => {
      const action = actions[Math.min(judge.looks, actions.length - 1)] ?? 'wait';
      judge.looks += 1;
      const verdict = action === 'promote' ? 'pass' : action === 'rollback' ? 'fail' : 'inconclusive';
      return {
        look: judge.looks,
        looks: 3,
        level: 0.05,
        final: false,
        judgement: { verdict, metrics: [], reason: verdict, settings: {} },
        action,
        reason: `the judge says ${verdict}`,
      } as never;
    },
  };
  return judge;
}

/** A clock whose sleeps move it on, starting on a minute. */
function clock() {
  let t = Date.UTC(2026, 0, 5, 9, 0, 0);
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
  aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  aws.mocks.lambda.on(GetAliasCommand).resolves({ FunctionVersion: '7' });
  aws.mocks.lambda
    .on(UpdateFunctionCodeCommand)
    .resolves({ CodeSha256: 'sha', LastUpdateStatus: 'Successful', State: 'Active' });
  aws.mocks.lambda.on(PublishVersionCommand).resolves({ Version: '8' });
  aws.mocks.lambda.on(UpdateAliasCommand).resolves({});
  aws.mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: ALARMS.map((AlarmName) => ({ AlarmName, StateValue: 'OK' })),
  });
});

/** The alias's moves, as `<version>` or `<version>+<other>@<weight>`. */
function aliasMoves(): string[] {
  return aws.mocks.lambda.commandCalls(UpdateAliasCommand).map((c) => {
    const { FunctionVersion, RoutingConfig } = c.args[0].input;
    const [other, weight] = Object.entries(RoutingConfig?.AdditionalVersionWeights ?? {})[0] ?? [];
    return other ? `${FunctionVersion}+${other}@${weight}` : `${FunctionVersion}`;
  });
}

describe('deploy lambda under the judged strategy', () => {
  it('--dry-run lists the release, then each step: the alias shifted, the alarms and metrics read once a minute', async () => {
    const result = await deployLambda(context(aws, { dryRun: true, project: judgedProject }), args);
    expect(isDryRun(result)).toBe(true);
    const calls = isDryRun(result) ? result.calls : [];
    expect(calls.map((c) => `${c.service} ${c.command}`)).toEqual([
      'codedeploy ListDeployments',
      'lambda GetAlias',
      'lambda UpdateFunctionCode',
      'lambda PublishVersion',
      'cloudwatch DescribeAlarms',
      'lambda GetAlias',
      'lambda UpdateAlias',
      'cloudwatch DescribeAlarms',
      'cloudwatch GetMetricData',
      'lambda UpdateAlias',
      'cloudwatch DescribeAlarms',
      'cloudwatch GetMetricData',
      'lambda UpdateAlias',
    ]);
    expect(calls[4]?.input).toEqual({ AlarmNames: ALARMS, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect(calls[6]?.input).toEqual({
      FunctionName: FN,
      Name: 'live',
      FunctionVersion: '<version from GetAlias>',
      RoutingConfig: { AdditionalVersionWeights: { '<version from PublishVersion>': 0.1 } },
    });
    expect(calls[8]?.input).toMatch(
      /step 1's 3-minute bake.*past 24 min, UpdateAlias back to <version from GetAlias>/,
    );
    expect(calls.at(-1)?.input).toMatchObject({
      FunctionVersion: '<version from PublishVersion>',
      RoutingConfig: { AdditionalVersionWeights: {} },
    });
    // No CodeDeploy deployment, and no AWS call at all.
    expect(calls.map((c) => c.command)).not.toContain('CreateDeployment');
    expect(aws.calls()).toEqual([]);
  });

  it('publishes the zip and shifts the alias through the steps as the judge lets it, without CodeDeploy', async () => {
    const judge = scriptedJudge('wait', 'promote');
    const result = await deployLambda(context(aws, { project: judgedProject }), args, {
      ...clock(),
      judge,
      signals: new EventEmitter(),
    });
    expect(aliasMoves()).toEqual(['7+8@0.1', '7+8@0.5', '8']);
    expect(aws.mocks.codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect(result).toMatchObject({
      environment: 'dev',
      functionName: FN,
      currentVersion: '7',
      targetVersion: '8',
      deploymentId: undefined,
      outcome: 'succeeded',
      judged: { steps: [10, 50, 100], look: { verdict: 'pass', reason: 'the judge says pass' } },
    });
    expect(isDryRun(result) ? '' : result.summary).toMatch(
      new RegExp(
        `^${FN}:live: version 7 → 8, judged through 10 → 50 → 100 % in \\d+ min \\(look \\d/3: pass\\)$`,
      ),
    );
  });

  it('exits 3 with the alias back on the current version when the judge fails a step', async () => {
    await expect(
      deployLambda(context(aws, { project: judgedProject }), args, {
        ...clock(),
        judge: scriptedJudge('rollback'),
        signals: new EventEmitter(),
      }),
    ).rejects.toMatchObject({
      exitCode: EXIT.rolledBack,
      message: expect.stringMatching(/rolled back to version 7/),
    });
    expect(aliasMoves()).toEqual(['7+8@0.1', '7']);
  });

  it('reports a line a minute: where the shift is, and each look', async () => {
    const lines: string[] = [];
    await deployJudgedZip({
      aws: aws.clients,
      name: 'allocate-order',
      target: functionTarget(dev, { name: 'allocate-order' }),
      judged: {
        steps: [25, 100],
        analysis: { judge: {}, bakeMinutes: 3, inconclusive: 'rollback', earlyPromotion: true },
        timeoutMinutes: 12,
      },
      zip: new Uint8Array([0x50, 0x4b, 3, 4]),
      description: 'test',
      waits: { ...clock(), judge: scriptedJudge('wait', 'promote'), signals: new EventEmitter() },
      report: (line) => lines.push(line),
    });
    expect(lines[0]).toBe('published version 8 (live is on 7)');
    expect(lines[1]).toBe(`25 % live of ${FN} routes 25 % (step 1 of 2) to version 8, the rest to 7`);
    expect(lines.filter((l) => l.includes('[look '))).toEqual([
      expect.stringMatching(/^25 % \[look 1\/3: wait\] /),
      expect.stringMatching(/^100 % \[look 2\/3: promote\] live of .* is on version 8: 25 % passed/),
    ]);
  });

  it('puts the alias back on SIGINT, makes no further look or step, and exits 3', async () => {
    const signals = new EventEmitter();
    const time = clock();
    let sleeps = 0;
    const judge = scriptedJudge('wait');
    const run = deployLambda(context(aws, { project: judgedProject }), args, {
      now: time.now,
      // The second wait is interrupted: Ctrl-C while the shift bakes.
      sleep: async (ms) => {
        sleeps += 1;
        if (sleeps === 2) {
          signals.emit('SIGINT');
          signals.emit('SIGTERM');
          return new Promise<void>(() => undefined);
        }
        return time.sleep(ms);
      },
      judge,
      signals,
    });
    await expect(run).rejects.toMatchObject({
      exitCode: EXIT.rolledBack,
      message: `interrupted by SIGINT: ${FN}:live is back on version 7 alone (version 8 is published and serves no traffic)`,
    });
    expect(aliasMoves()).toEqual(['7+8@0.1', '7']);
    expect(aws.mocks.lambda.commandCalls(UpdateAliasCommand).at(-1)?.args[0].input).toEqual({
      FunctionName: FN,
      Name: 'live',
      FunctionVersion: '7',
      RoutingConfig: { AdditionalVersionWeights: {} },
    });
    expect(judge.looks).toBe(0);
    // The listeners are gone: a later Ctrl-C is the process's again.
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('exits 1 naming the command that puts the alias back when that fails after a signal', async () => {
    const signals = new EventEmitter();
    aws.mocks.lambda
      .on(UpdateAliasCommand)
      .resolvesOnce({})
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    await expect(
      deployLambda(context(aws, { project: judgedProject }), args, {
        ...clock(),
        sleep: async () => {
          signals.emit('SIGTERM');
        },
        judge: scriptedJudge('wait'),
        signals,
      }),
    ).rejects.toMatchObject({
      exitCode: EXIT.failed,
      message: expect.stringContaining(
        `put it back with "ias-ops lambda promote allocate-order --to 7 --env dev"`,
      ),
    });
  });
});

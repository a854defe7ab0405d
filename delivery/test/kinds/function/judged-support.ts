import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, UpdateAliasCommand, type UpdateAliasCommandInput } from '@aws-sdk/client-lambda';
import {
  type CanaryAnalysis,
  type CanaryMinute,
  type CanaryWindow,
  type WatchAction,
  DEFAULT_JUDGE_SETTINGS,
  watchLook,
} from '../../../src/canary/index.js';
import type { CanaryJudge } from '../../../src/kinds/function/judged.js';
import { mocks, sent } from '../../aws.js';

/** How one side serves each minute: requests and errors (latency shaped alike on both sides). */
export interface Traffic {
  readonly requests: number;
  readonly errors: number;
}

/** A canary as good as its baseline or better: passes before a 10-minute bake ends (look 7). */
export const HEALTHY = { baseline: { requests: 9000, errors: 90 }, canary: { requests: 3000, errors: 0 } };
/** A canary with 20 % errors against 1 %: fails at the first look. */
export const FAILING = { baseline: { requests: 900, errors: 9 }, canary: { requests: 100, errors: 20 } };
/** Too few canary requests to tell: inconclusive at every look. */
export const THIN = { baseline: { requests: 900, errors: 9 }, canary: { requests: 10, errors: 0 } };

/** The minutes of one side, latency the same shape on both sides (as test/canary/watch.test.ts). */
export function side(minutes: number, traffic: Traffic): { minutes: CanaryMinute[] } {
  return {
    minutes: Array.from({ length: minutes }, (_, i): CanaryMinute => {
      const trend = 1 + 0.2 * Math.sin(i / 2);
      const own = 1 + 0.05 * Math.sin(2.7 * i + 1);
      return { ...traffic, p50Ms: 100 * trend * own, p99Ms: 250 * trend * own };
    }),
  };
}

/** The whole minutes `readCanarySeries` reads of `window`. */
export function minutesOf(window: CanaryWindow): number {
  const first = Math.floor(window.start.getTime() / 60_000);
  return Math.floor(window.end.getTime() / 60_000) - 1 - first;
}

/**
 * A judge that reads `traffic` (of the step it is called for, by the order of the windows' starts)
 * without CloudWatch and judges it with the real `watchLook`; it keeps the windows it was asked for.
 */
export function seriesJudge(traffic: { baseline: Traffic; canary: Traffic }): CanaryJudge & {
  windows: CanaryWindow[];
} {
  const windows: CanaryWindow[] = [];
  return {
    windows,
    read: (_cloudwatch, _source, window) => {
      windows.push(window);
      const count = minutesOf(window);
      return Promise.resolve({
        baseline: side(count, traffic.baseline),
        canary: side(count, traffic.canary),
        minutes: Array.from({ length: count }, (_, i) => new Date(window.start.getTime() + i * 60_000)),
      });
    },
    look: watchLook,
  };
}

/** A judge whose looks take `actions` in turn (then `wait`), each look numbered by the minutes read. */
export function scriptedJudge(actions: readonly WatchAction[]): CanaryJudge & { looks: number } {
  const queue = [...actions];
  const judge = {
    looks: 0,
    read: (_cloudwatch: unknown, _source: unknown, window: CanaryWindow) => {
      const count = minutesOf(window);
      return Promise.resolve({
        baseline: side(count, HEALTHY.baseline),
        canary: side(count, HEALTHY.canary),
        minutes: [],
      });
    },
    look: (_baseline: unknown, canary: unknown, analysis: CanaryAnalysis) => {
      judge.looks += 1;
      const look = (canary as { minutes: unknown[] }).minutes.length;
      const action = queue.shift() ?? 'wait';
      const verdict = action === 'rollback' ? 'fail' : action === 'wait' ? 'inconclusive' : 'pass';
      const reason = `look ${look} of ${analysis.bakeMinutes}: ${verdict} (scripted ${action})`;
      return {
        look,
        looks: analysis.bakeMinutes,
        level: 0.01,
        final: look >= analysis.bakeMinutes,
        judgement: { verdict, metrics: [], reason, settings: DEFAULT_JUDGE_SETTINGS },
        action,
        reason,
      } as const;
    },
  };
  return judge;
}

/** Lambda answering the alias `live` on version 7 and every UpdateAlias. */
export function stubAlias(): void {
  mocks.lambda.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '7' });
  mocks.lambda.on(UpdateAliasCommand).resolves({});
}

/** CloudWatch answering DescribeAlarms with `states` (name → state); names not in it do not exist. */
export function stubAlarms(states: Record<string, string>): void {
  mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: Object.entries(states).map(([AlarmName, StateValue]) => ({
      AlarmName,
      StateValue: StateValue as 'OK',
      StateReason: `Threshold Crossed: state ${StateValue}`,
    })),
  });
}

/** The routing of every UpdateAlias sent, as `version` or `version+target@weight`. */
export function aliasMoves(): string[] {
  return sent(mocks.lambda, UpdateAliasCommand).map((input: UpdateAliasCommandInput) => {
    const weights = Object.entries(input.RoutingConfig?.AdditionalVersionWeights ?? {});
    return [input.FunctionVersion, ...weights.map(([version, weight]) => `${version}@${weight}`)].join('+');
  });
}

/**
 * CloudWatch answering GetMetricData for a Lambda alias with `traffic` every minute of the window
 * asked for (what `readCanarySeries` reads): the real judge then sees it.
 */
export function stubMetrics(traffic: { baseline: Traffic; canary: Traffic }): void {
  mocks.cloudwatch.on(GetMetricDataCommand).callsFake((input: { StartTime: Date; EndTime: Date }) => {
    const start = input.StartTime.getTime();
    const count = Math.round((input.EndTime.getTime() - start) / 60_000);
    const results: MetricDataResult[] = (['baseline', 'canary'] as const).flatMap((name) => {
      const minutes = side(count, traffic[name]).minutes;
      const times = minutes.map((_, i) => new Date(start + i * 60_000));
      const result = (field: string, value: (m: CanaryMinute) => number): MetricDataResult => ({
        Id: `${name}_${field}`,
        StatusCode: 'Complete',
        Timestamps: times,
        Values: minutes.map(value),
      });
      return [
        result('requests', (m) => m.requests),
        result('errors', (m) => m.errors),
        result('p50', (m) => m.p50Ms ?? 0),
        result('p99', (m) => m.p99Ms ?? 0),
      ];
    });
    return { MetricDataResults: results };
  });
}

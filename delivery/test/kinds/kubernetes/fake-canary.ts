import { GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  DescribeTargetGroupsCommand,
  type DescribeTargetGroupsCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CanaryWindow } from '../../../src/canary/cloudwatch.js';
import type { CanaryMinute } from '../../../src/canary/series.js';
import { type CanaryAnalysis, type CanaryLook, watchLook } from '../../../src/canary/watch.js';
import type { KubernetesObject } from '../../../src/kinds/kubernetes/api.js';
import type { CanarySides, CanaryWatch } from '../../../src/kinds/kubernetes/canary-watch.js';
import { TARGET_GROUP_BINDING } from '../../../src/kinds/kubernetes/target-groups.js';
import { mocks } from '../../aws.js';

const MINUTE = 60_000;

/** Both sides' figures of the i-th minute (from 0) of a split. */
export type Traffic = (minute: number) => { baseline: CanaryMinute; canary: CanaryMinute };

/** A canary as good as its baseline, with traffic enough to pass at look 8 of 10. */
export const HEALTHY: Traffic = (i) => ({
  baseline: { requests: 2000, errors: 0, p50Ms: 100 + (i % 3), p99Ms: 250 + (i % 5) },
  canary: { requests: 1000, errors: 0, p50Ms: 90 + (i % 4), p99Ms: 200 + (i % 3) },
});

/** A canary failing ten times as often as its baseline: it fails from its second look. */
export const FAILING: Traffic = (i) => ({
  baseline: { requests: 900, errors: 9, p50Ms: 100, p99Ms: 250 },
  canary: { requests: 100, errors: 10, p50Ms: 100 + i, p99Ms: 250 },
});

/** Traffic too thin to tell anything: inconclusive at every look. */
export const THIN: Traffic = () => ({
  baseline: { requests: 10, errors: 0 },
  canary: { requests: 1, errors: 0 },
});

/** The analysis of the tests: 10 looks, inconclusive rolls back, early promotion, overridden by `change`. */
export function analysis(change: Partial<CanaryAnalysis> = {}): CanaryAnalysis {
  return { judge: {}, bakeMinutes: 10, inconclusive: 'rollback', earlyPromotion: true, ...change };
}

/** One look the fake judged: what it was asked, and what it answered. */
export interface FakeLook {
  readonly window: CanaryWindow;
  readonly sides: CanarySides;
  readonly look: CanaryLook;
}

/**
 * A {@link CanaryWatch} judging `traffic` with the real `watchLook`: the window's minutes as
 * `readCanarySeries` reads them (from its start's minute to the minute before its end's, that one
 * left out), every look recorded.
 */
export function fakeCanaryWatch(
  settings: CanaryAnalysis,
  traffic: Traffic,
): CanaryWatch & { readonly looks: FakeLook[] } {
  const looks: FakeLook[] = [];
  return {
    looks,
    analysis: settings,
    async judge(window, sides) {
      const count =
        Math.floor(window.end.getTime() / MINUTE) - 1 - Math.floor(window.start.getTime() / MINUTE);
      if (count < 1) throw new Error(`no complete minute from ${window.start.toISOString()}`);
      const minutes = Array.from({ length: count }, (_, i) => traffic(i));
      const look = watchLook(
        { minutes: minutes.map((m) => m.baseline) },
        { minutes: minutes.map((m) => m.canary) },
        settings,
      );
      looks.push({ window, sides, look });
      return look;
    },
  };
}

/** Answers every GetMetricData of the stubbed CloudWatch with `traffic` at each minute asked for. */
export function answerMetricsWith(traffic: Traffic): void {
  mocks.cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    const start = input.StartTime?.getTime() ?? 0;
    const count = ((input.EndTime?.getTime() ?? 0) - start) / 60_000;
    const times = Array.from({ length: count }, (_, i) => new Date(start + i * 60_000));
    const field = { requests: 'requests', errors: 'errors', p50: 'p50Ms', p99: 'p99Ms' } as const;
    return {
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
        const [side, name] = (q.Id ?? '').split('_') as ['baseline' | 'canary', keyof typeof field];
        // The load balancer gives latency in seconds.
        const scale = name === 'p50' || name === 'p99' ? 1 / 1000 : 1;
        return {
          Id: q.Id,
          StatusCode: 'Complete',
          Timestamps: times,
          Values: times.map((_, i) => (traffic(i)[side][field[name]] ?? 0) * scale),
        };
      }),
    };
  });
}

/** The start of the ARNs of the load balancer and the target groups the controller made. */
export const ARN = 'arn:aws:elasticloadbalancing:ap-northeast-1:123456789012';
/** The target group of Service inventory-api-blue. */
export const BLUE_TG = `${ARN}:targetgroup/k8s-iasdev-inventor-1a2b3c4d5e/73e2d6bc24d8a067`;
/** The target group of Service inventory-api-green. */
export const GREEN_TG = `${ARN}:targetgroup/k8s-iasdev-inventor-6f7a8b9c0d/0f1e2d3c4b5a6978`;
/** The Ingress's load balancer. */
export const LOAD_BALANCER = `${ARN}:loadbalancer/app/ias-dev-inventory-api/50dc6c495c0c9188`;

/**
 * Answers elbv2 DescribeTargetGroups with each target group asked for, attached to the load
 * balancers `attached` gives it (by default {@link LOAD_BALANCER} for both colors' groups); a group
 * `attached` does not name is not found, as elbv2 answers an unknown ARN.
 */
export function answerTargetGroups(
  attached: Readonly<Record<string, readonly string[]>> = {
    [BLUE_TG]: [LOAD_BALANCER],
    [GREEN_TG]: [LOAD_BALANCER],
  },
): void {
  mocks.elbv2.on(DescribeTargetGroupsCommand).callsFake((input: DescribeTargetGroupsCommandInput) => {
    const asked = input.TargetGroupArns ?? [];
    const unknown = asked.find((arn) => attached[arn] === undefined);
    if (unknown !== undefined) {
      throw Object.assign(new Error(`One or more target groups not found`), {
        name: 'TargetGroupNotFoundException',
      });
    }
    return {
      TargetGroups: asked.map((arn) => ({
        TargetGroupArn: arn,
        TargetType: 'ip',
        LoadBalancerArns: [...(attached[arn] ?? [])],
      })),
    };
  });
}

/** A TargetGroupBinding as the AWS Load Balancer Controller makes one for `service`. */
export function binding(service: string, arn: string, namespace = 'ias-dev'): KubernetesObject {
  return {
    ...TARGET_GROUP_BINDING,
    metadata: { name: `k8s-${service}-${arn.slice(-6)}`, namespace },
    spec: { serviceRef: { name: service, port: 80 }, targetGroupARN: arn, targetType: 'ip' },
  };
}

/** The bindings of inventory-api's two color Services. */
export const COLOR_BINDINGS = [
  binding('inventory-api-blue', BLUE_TG),
  binding('inventory-api-green', GREEN_TG),
];

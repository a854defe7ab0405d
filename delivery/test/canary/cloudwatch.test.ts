import { GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { type CanarySource, DeliveryError, judgeCanary, readCanarySeries } from '../../src/canary/index.js';
import { clients, mocks, sent } from '../aws.js';

/** The window's first whole minute. */
const T0 = Date.parse('2026-03-02T10:00:00Z');
const at = (minute: number) => new Date(T0 + minute * 60_000);
/** 10:00:20 to 10:12:40: the minutes 10:00 to 10:10 (10:12 is unfinished, 10:11 CloudWatch's latest). */
const WINDOW = { start: new Date(T0 + 20_000), end: new Date(T0 + 12 * 60_000 + 40_000) };
const MINUTES = 11;

const LAMBDA: CanarySource = {
  kind: 'lambda-alias',
  functionName: 'orders-api',
  alias: 'live',
  baselineVersion: '6',
  canaryVersion: '7',
};

const LB_ARN =
  'arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188';
const TG_ARN = 'arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup';
const TARGET_GROUPS: CanarySource = {
  kind: 'target-groups',
  loadBalancer: LB_ARN,
  baselineTargetGroup: `${TG_ARN}/inventory-blue/73e2d6bc24d8a067`,
  canaryTargetGroup: `${TG_ARN}/inventory-green/0f1e2d3c4b5a6978`,
};

/** A query's answer: `values[i]` at minute `i` of the window, `undefined` where there is no point. */
function result(id: string, values: readonly (number | undefined)[], extra: Partial<MetricDataResult> = {}) {
  const points = values.flatMap((value, i) => (value === undefined ? [] : [{ time: at(i), value }]));
  return {
    Id: id,
    StatusCode: 'Complete' as const,
    Timestamps: points.map((p) => p.time),
    Values: points.map((p) => p.value),
    ...extra,
  };
}

/** The same value every minute of the window. */
const every = (value: number) => Array.from({ length: MINUTES }, () => value);

/** The 8 queries of a source, in the order sent: each side's requests, errors, p50, p99. */
function queries(
  namespace: string,
  names: [string, string, string],
  dimensions: Record<'baseline' | 'canary', { Name: string; Value: string }[]>,
) {
  const [requests, errors, latency] = names;
  return (['baseline', 'canary'] as const).flatMap((side) =>
    (
      [
        ['requests', requests, 'Sum'],
        ['errors', errors, 'Sum'],
        ['p50', latency, 'p50'],
        ['p99', latency, 'p99'],
      ] as const
    ).map(([field, metric, stat]) => ({
      Id: `${side}_${field}`,
      MetricStat: {
        Metric: { Namespace: namespace, MetricName: metric, Dimensions: dimensions[side] },
        Period: 60,
        Stat: stat,
      },
      ReturnData: true,
    })),
  );
}

describe('readCanarySeries', () => {
  it('reads the two versions behind a Lambda alias in one GetMetricData request, by FunctionName, Resource and ExecutedVersion', async () => {
    mocks.cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await readCanarySeries(clients.cloudwatch, LAMBDA, WINDOW);
    const version = (v: string) => [
      { Name: 'FunctionName', Value: 'orders-api' },
      { Name: 'Resource', Value: 'orders-api:live' },
      { Name: 'ExecutedVersion', Value: v },
    ];
    const requests = sent(mocks.cloudwatch, GetMetricDataCommand);
    expect(requests).toEqual([
      {
        MetricDataQueries: queries('AWS/Lambda', ['Invocations', 'Errors', 'Duration'], {
          baseline: version('6'),
          canary: version('7'),
        }),
        StartTime: new Date('2026-03-02T10:00:00Z'),
        EndTime: new Date('2026-03-02T10:11:00Z'),
        ScanBy: 'TimestampAscending',
      },
    ]);
    for (const query of requests[0]?.MetricDataQueries ?? []) {
      expect(query.Id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
    }
  });

  it('reads two target groups by LoadBalancer and TargetGroup, deriving both from ARNs', async () => {
    mocks.cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await readCanarySeries(clients.cloudwatch, TARGET_GROUPS, WINDOW);
    await readCanarySeries(
      clients.cloudwatch,
      {
        kind: 'target-groups',
        loadBalancer: 'app/web/50dc6c495c0c9188',
        baselineTargetGroup: 'targetgroup/inventory-blue/73e2d6bc24d8a067',
        canaryTargetGroup: 'targetgroup/inventory-green/0f1e2d3c4b5a6978',
      },
      WINDOW,
    );
    const group = (targetGroup: string) => [
      { Name: 'LoadBalancer', Value: 'app/web/50dc6c495c0c9188' },
      { Name: 'TargetGroup', Value: targetGroup },
    ];
    const expected = queries(
      'AWS/ApplicationELB',
      ['RequestCount', 'HTTPCode_Target_5XX_Count', 'TargetResponseTime'],
      {
        baseline: group('targetgroup/inventory-blue/73e2d6bc24d8a067'),
        canary: group('targetgroup/inventory-green/0f1e2d3c4b5a6978'),
      },
    );
    const [fromArns, fromSuffixes] = sent(mocks.cloudwatch, GetMetricDataCommand);
    expect(fromArns?.MetricDataQueries).toEqual(expected);
    expect(fromSuffixes).toEqual(fromArns);
  });

  it('reads one target group against its own past: the baseline over as many minutes earlier, moved onto the window', async () => {
    const earlier = 30;
    mocks.cloudwatch.on(GetMetricDataCommand).callsFake((input: { StartTime: Date }) => {
      const baseline = input.StartTime.getTime() < T0;
      const points = (requests: number) => ({
        Id: '',
        StatusCode: 'Complete' as const,
        Timestamps: Array.from(
          { length: MINUTES },
          (_, i) => new Date(input.StartTime.getTime() + i * 60_000),
        ),
        Values: every(requests),
      });
      const side = baseline ? 'baseline' : 'canary';
      return {
        MetricDataResults: [{ ...points(baseline ? 500 : 50), Id: `${side}_requests` }],
      };
    });
    const reading = await readCanarySeries(
      clients.cloudwatch,
      {
        kind: 'target-group-history',
        loadBalancer: LB_ARN,
        targetGroup: `${TG_ARN}/inventory-blue/73e2d6bc24d8a067`,
        baselineMinutesEarlier: earlier,
      },
      WINDOW,
    );
    const [first, second] = sent(mocks.cloudwatch, GetMetricDataCommand);
    const group = [
      { Name: 'LoadBalancer', Value: 'app/web/50dc6c495c0c9188' },
      { Name: 'TargetGroup', Value: 'targetgroup/inventory-blue/73e2d6bc24d8a067' },
    ];
    const all = queries(
      'AWS/ApplicationELB',
      ['RequestCount', 'HTTPCode_Target_5XX_Count', 'TargetResponseTime'],
      {
        baseline: group,
        canary: group,
      },
    );
    expect(first).toMatchObject({
      MetricDataQueries: all.slice(0, 4),
      StartTime: new Date(T0 - earlier * 60_000),
      EndTime: new Date(T0 + (MINUTES - earlier) * 60_000),
    });
    expect(second).toMatchObject({ MetricDataQueries: all.slice(4), StartTime: at(0), EndTime: at(MINUTES) });
    expect(reading.minutes).toHaveLength(MINUTES);
    expect(reading.baseline.minutes.every((m) => m.requests === 500)).toBe(true);
    expect(reading.canary.minutes.every((m) => m.requests === 50)).toBe(true);
  });

  it('aligns both sides by minute: every minute once, zeros where CloudWatch has no point, errors capped at requests, percentiles only with requests', async () => {
    const gap = undefined;
    mocks.cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('baseline_requests', [900, gap, 899.6, 900]),
        result('baseline_errors', [9, gap, gap, 12]),
        result('baseline_p50', [100, gap, 110, 95]),
        result('baseline_p99', [250, gap, 260, 240]),
        // Minute 1: an error and a p99 without an invocation (their request is not in yet).
        result('canary_requests', [100, gap, 101]),
        result('canary_errors', [1, 2, 150]),
        result('canary_p50', [102, gap, 108]),
        result('canary_p99', [255, 300, 270]),
      ],
    });
    const reading = await readCanarySeries(clients.cloudwatch, LAMBDA, WINDOW);
    expect(reading.minutes).toEqual(Array.from({ length: MINUTES }, (_, i) => at(i)));
    expect(reading.baseline.minutes).toHaveLength(MINUTES);
    expect(reading.baseline.minutes.slice(0, 5)).toEqual([
      { requests: 900, errors: 9, p50Ms: 100, p99Ms: 250 },
      { requests: 0, errors: 0 },
      { requests: 900, errors: 0, p50Ms: 110, p99Ms: 260 },
      { requests: 900, errors: 12, p50Ms: 95, p99Ms: 240 },
      { requests: 0, errors: 0 },
    ]);
    expect(reading.canary.minutes.slice(0, 4)).toEqual([
      { requests: 100, errors: 1, p50Ms: 102, p99Ms: 255 },
      { requests: 0, errors: 0 },
      { requests: 101, errors: 101, p50Ms: 108, p99Ms: 270 },
      { requests: 0, errors: 0 },
    ]);
    expect(reading.canary.minutes.slice(4)).toEqual(
      Array.from({ length: MINUTES - 4 }, () => ({ requests: 0, errors: 0 })),
    );
  });

  it("turns the load balancer's TargetResponseTime from seconds into milliseconds", async () => {
    mocks.cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('canary_requests', [120, 80]),
        result('canary_errors', [3]),
        result('canary_p50', [0.12, 0.35]),
        result('canary_p99', [0.7, 1.05]),
      ],
    });
    const { canary } = await readCanarySeries(clients.cloudwatch, TARGET_GROUPS, WINDOW);
    expect(canary.minutes.slice(0, 2)).toEqual([
      { requests: 120, errors: 3, p50Ms: 120, p99Ms: 700 },
      { requests: 80, errors: 0, p50Ms: 350, p99Ms: 1050 },
    ]);
  });

  it('follows NextToken to the last page, PartialData on a page with a token being the paging', async () => {
    mocks.cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          result('baseline_requests', [900, 900], { StatusCode: 'PartialData' }),
          result('canary_requests', [100], { StatusCode: 'PartialData' }),
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          result('baseline_requests', [undefined, undefined, 905]),
          result('canary_requests', [undefined, 98]),
        ],
      });
    const reading = await readCanarySeries(clients.cloudwatch, LAMBDA, WINDOW);
    expect(sent(mocks.cloudwatch, GetMetricDataCommand).map((input) => input.NextToken)).toEqual([
      undefined,
      'page-2',
    ]);
    expect(reading.baseline.minutes.slice(0, 3).map((m) => m.requests)).toEqual([900, 900, 905]);
    expect(reading.canary.minutes.slice(0, 3).map((m) => m.requests)).toEqual([100, 98, 0]);
  });

  it('fails when a query is still PartialData on the last page, naming the query', async () => {
    mocks.cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [result('canary_errors', [1], { StatusCode: 'PartialData' })],
    });
    const reading = readCanarySeries(clients.cloudwatch, LAMBDA, WINDOW);
    await expect(reading).rejects.toThrow(DeliveryError);
    await expect(reading).rejects.toMatchObject({
      code: 'TIMED_OUT',
      message:
        'CloudWatch did not return all of query canary_errors (AWS/Lambda Errors Sum, FunctionName=orders-api, Resource=orders-api:live, ExecutedVersion=7): PartialData on the last page; read it again later',
    });
  });

  it('fails on a message or an error status in the answer, naming the query', async () => {
    mocks.cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('baseline_p99', [250], {
          Messages: [{ Code: 'MaxDatapointsExceeded', Value: 'too many points' }],
        }),
      ],
    });
    await expect(readCanarySeries(clients.cloudwatch, TARGET_GROUPS, WINDOW)).rejects.toMatchObject({
      code: 'TIMED_OUT',
      message: expect.stringMatching(
        /^CloudWatch did not return all of query baseline_p99 \(AWS\/ApplicationELB TargetResponseTime p99, LoadBalancer=app\/web\/50dc6c495c0c9188, TargetGroup=targetgroup\/inventory-blue\/73e2d6bc24d8a067\): MaxDatapointsExceeded: too many points;/,
      ),
    });

    mocks.cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [result('canary_requests', [], { StatusCode: 'InternalError' })],
    });
    await expect(readCanarySeries(clients.cloudwatch, LAMBDA, WINDOW)).rejects.toMatchObject({
      code: 'TIMED_OUT',
      message: expect.stringContaining('query canary_requests (AWS/Lambda Invocations Sum,'),
    });

    mocks.cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [],
      Messages: [{ Code: 'Throttled', Value: 'rate exceeded' }],
    });
    await expect(readCanarySeries(clients.cloudwatch, LAMBDA, WINDOW)).rejects.toMatchObject({
      code: 'TIMED_OUT',
      message: expect.stringContaining(
        'answered Throttled: rate exceeded for the queries baseline_requests,',
      ),
    });
  });

  it('fails on access denied with the service error, naming cloudwatch:GetMetricData', async () => {
    const denied = Object.assign(
      new Error(
        'User: arn:aws:sts::123456789012:assumed-role/watcher is not authorized to perform: cloudwatch:GetMetricData',
      ),
      { name: 'AccessDenied' },
    );
    mocks.cloudwatch.on(GetMetricDataCommand).rejects(denied);
    const error: unknown = await readCanarySeries(clients.cloudwatch, LAMBDA, WINDOW).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      name: 'AccessDenied',
      message: expect.stringMatching(
        /^not allowed to read the canary's metrics: the caller needs cloudwatch:GetMetricData on \* \(AccessDenied: User: /,
      ),
      cause: denied,
    });
    expect(error).not.toBeInstanceOf(DeliveryError);
  });

  it('fails on an invalid source, listing every problem, before calling CloudWatch', async () => {
    const read = (source: unknown) => readCanarySeries(clients.cloudwatch, source as CanarySource, WINDOW);
    await expect(read({ kind: 'ecs-service' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message:
        "invalid canary source: source.kind: must be 'lambda-alias', 'target-groups' or 'target-group-history'",
    });
    await expect(read({ ...LAMBDA, canaryVersion: '6', alias: '12' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message:
        'invalid canary source: source.alias: must be a Lambda alias name: 1-128 letters, digits, - or _, not all digits; source.canaryVersion: must differ from baselineVersion: a version cannot be judged against itself',
    });
    await expect(
      read({
        ...TARGET_GROUPS,
        loadBalancer: 'net/web/50dc6c495c0c9188',
        canaryTargetGroup: TARGET_GROUPS.kind === 'target-groups' ? TARGET_GROUPS.baselineTargetGroup : '',
      }),
    ).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message:
        'invalid canary source: source.loadBalancer: must be an Application Load Balancer ARN or its app/<name>/<id> suffix (got "net/web/50dc6c495c0c9188"); source.canaryTargetGroup: must differ from baselineTargetGroup: with one target group (an EC2 in-place deployment) there are no two sides to compare',
    });
    expect(sent(mocks.cloudwatch, GetMetricDataCommand)).toEqual([]);
  });

  it('fails on a window without a complete minute', async () => {
    await expect(
      readCanarySeries(clients.cloudwatch, LAMBDA, { start: at(0), end: new Date(T0 + 119_000) }),
    ).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('holds no complete minute'),
    });
    await expect(
      readCanarySeries(clients.cloudwatch, LAMBDA, { start: new Date(Number.NaN), end: at(5) }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT', message: 'window: start and end must be valid dates' });
    expect(sent(mocks.cloudwatch, GetMetricDataCommand)).toEqual([]);
  });

  it('gives series the judge fails for a clearly bad canary behind the load balancer', async () => {
    // 10 % of the traffic: 900 and 100 requests a minute. The canary fails 5 % of them (the
    // baseline 1 %) and answers 1.5× slower at p99; both sides share the minute-to-minute trend.
    const trend = Array.from({ length: MINUTES }, (_, i) => 1 + 0.2 * Math.sin(i / 2));
    const wobble = (i: number) => 1 + 0.03 * Math.sin(2.7 * i + 1);
    mocks.cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('baseline_requests', every(900)),
        result('baseline_errors', every(9)),
        result(
          'baseline_p50',
          trend.map((t) => 0.1 * t),
        ),
        result(
          'baseline_p99',
          trend.map((t) => 0.25 * t),
        ),
        result('canary_requests', every(100)),
        result('canary_errors', every(5)),
        result(
          'canary_p50',
          trend.map((t, i) => 0.1 * t * wobble(i)),
        ),
        result(
          'canary_p99',
          trend.map((t, i) => 0.375 * t * wobble(i)),
        ),
      ],
    });
    const { baseline, canary } = await readCanarySeries(clients.cloudwatch, TARGET_GROUPS, WINDOW);
    const judgement = judgeCanary(baseline, canary);
    expect(judgement.verdict).toBe('fail');
    expect(judgement.metrics.map((m) => [m.metric, m.verdict])).toEqual([
      ['error-rate', 'fail'],
      ['p50', 'pass'],
      ['p99', 'fail'],
    ]);
  });
});

/**
 * The judge's data in AWS: the two sides of a canary deployment, minute by minute, read from
 * CloudWatch with one GetMetricData request (paginated) for the versions that serve side by side.
 *
 * - A Lambda alias that weights two versions: `AWS/Lambda` `Invocations` (Sum), `Errors` (Sum) and
 *   `Duration` (p50, p99; milliseconds) of each version behind the alias, with the dimensions
 *   `FunctionName`, `Resource` = `<function>:<alias>` and `ExecutedVersion` = `<version>`. Lambda
 *   documents `ExecutedVersion` as the dimension "to compare error rates for two versions of a
 *   function that are both targets of a weighted alias"; CloudWatch publishes these metrics under
 *   that dimension only together with `FunctionName` and `Resource` (the sets are `FunctionName`,
 *   `FunctionName`+`Resource`, `FunctionName`+`Resource`+`ExecutedVersion`, as aws-cdk-lib's
 *   generated `LambdaMetrics` lists them), so all three are sent.
 * - Two target groups behind one Application Load Balancer (ECS blue/green, the EKS ingress switch,
 *   a blue/green EC2 fleet): `AWS/ApplicationELB` `RequestCount` (Sum), `HTTPCode_Target_5XX_Count`
 *   (Sum) and `TargetResponseTime` (p50, p99; seconds, turned into milliseconds) with the dimensions
 *   `LoadBalancer` and `TargetGroup`. An EC2 in-place deployment has a single target group, old and
 *   new instances in it together: it has no two sides to compare and cannot be judged this way.
 * - One target group against its own past (`target-group-history`): the same metrics, the canary
 *   over the window and the baseline over as many minutes `baselineMinutesEarlier` before, paired
 *   minute by minute. For a fleet whose versions never serve side by side (CodeDeploy EC2 puts old
 *   and new instances in one target group): the new version alone after the switch against the old
 *   one alone before it. Not side by side: a trend between the two windows counts as a difference,
 *   so keep the gap short.
 *
 * The caller needs `cloudwatch:GetMetricData` on `*` (the action has no resource-level permissions).
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html (the `ExecutedVersion` dimension)
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 */
import type {
  CloudWatchClient,
  Dimension,
  GetMetricDataCommandInput,
  MetricDataQuery,
  MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { z } from 'zod';
import { DeliveryError, describeError, isAwsError, oneLine } from '../errors.js';
import { aliasNameSchema, describeIssues, functionNameSchema, versionSchema } from '../schemas.js';
import { type CanaryMinute, type CanarySeries, parseCanarySeries } from './series.js';

const MINUTE_MS = 60_000;

/**
 * A dimension value (`app/…`, `targetgroup/…`) given as is or as the ARN it ends: `resource` is the
 * ARN's resource part before it (`loadbalancer/` for a load balancer, nothing for a target group).
 */
function arnOrSuffix(resource: string, suffix: string, expected: string) {
  const pattern = new RegExp(
    `^(?:arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:${resource})?(${suffix})$`,
  );
  return z
    .string({ error: `must be ${expected}` })
    .regex(pattern, { error: (issue) => `must be ${expected} (got ${JSON.stringify(issue.input)})` })
    .transform((value) => pattern.exec(value)?.[1] ?? value);
}

/** An Application Load Balancer: its ARN or the `app/<name>/<id>` its metrics carry. */
const loadBalancerSchema = arnOrSuffix(
  'loadbalancer/',
  'app/[A-Za-z0-9-]{1,32}/[0-9a-f]+',
  'an Application Load Balancer ARN or its app/<name>/<id> suffix',
);

/** A target group: its ARN or the `targetgroup/<name>/<id>` its metrics carry. */
const targetGroupSchema = arnOrSuffix(
  '',
  'targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+',
  'a target group ARN or its targetgroup/<name>/<id> suffix',
);

/**
 * Where the two sides of a canary deployment are measured (ARNs already reduced to the dimension
 * values: `app/…`, `targetgroup/…`). Unknown fields are refused.
 */
export const canarySourceSchema = z.discriminatedUnion(
  'kind',
  [
    z
      .strictObject({
        kind: z.literal('lambda-alias'),
        functionName: functionNameSchema,
        alias: aliasNameSchema,
        baselineVersion: versionSchema,
        canaryVersion: versionSchema,
      })
      .refine((s) => s.baselineVersion !== s.canaryVersion, {
        path: ['canaryVersion'],
        error: 'must differ from baselineVersion: a version cannot be judged against itself',
      }),
    z
      .strictObject({
        kind: z.literal('target-groups'),
        loadBalancer: loadBalancerSchema,
        baselineTargetGroup: targetGroupSchema,
        canaryTargetGroup: targetGroupSchema,
      })
      .refine((s) => s.baselineTargetGroup !== s.canaryTargetGroup, {
        path: ['canaryTargetGroup'],
        error:
          'must differ from baselineTargetGroup: with one target group (an EC2 in-place deployment) there are no two sides to compare',
      }),
    z.strictObject({
      kind: z.literal('target-group-history'),
      loadBalancer: loadBalancerSchema,
      targetGroup: targetGroupSchema,
      baselineMinutesEarlier: z
        .number({ error: 'must be a whole number of minutes' })
        .int('must be a whole number of minutes')
        .min(1, 'must be at least 1: the baseline is read before the window'),
    }),
  ],
  { error: "must be 'lambda-alias', 'target-groups' or 'target-group-history'" },
);

/**
 * Where the two sides of a canary deployment are measured, as a caller writes it:
 *
 * - `{ kind: 'lambda-alias', functionName, alias, baselineVersion, canaryVersion }`: the two
 *   published versions a weighted alias routes to (the function's name, not its ARN);
 * - `{ kind: 'target-groups', loadBalancer, baselineTargetGroup, canaryTargetGroup }`: two target
 *   groups of one Application Load Balancer, each an ARN or the `app/<name>/<id>` and
 *   `targetgroup/<name>/<id>` suffix of one;
 * - `{ kind: 'target-group-history', loadBalancer, targetGroup, baselineMinutesEarlier }`: one target
 *   group, the baseline read that many minutes before the window.
 */
export type CanarySource = z.input<typeof canarySourceSchema>;

/** The minutes to read: from `start`'s minute to the minute before `end`'s (see {@link readCanarySeries}). */
export interface CanaryWindow {
  readonly start: Date;
  readonly end: Date;
}

/** The two sides over the same minutes, ready for `judgeCanary(baseline, canary)`. */
export interface CanarySeriesReading {
  readonly baseline: CanarySeries;
  readonly canary: CanarySeries;
  /** The start of each minute, oldest first: `minutes[i]` is the minute of both series' `minutes[i]`. */
  readonly minutes: readonly Date[];
}

type Side = 'baseline' | 'canary';
type Field = 'requests' | 'errors' | 'p50' | 'p99';
const SIDES: readonly Side[] = ['baseline', 'canary'];
const FIELDS: readonly Field[] = ['requests', 'errors', 'p50', 'p99'];
const STATS: Record<Field, string> = { requests: 'Sum', errors: 'Sum', p50: 'p50', p99: 'p99' };

/** A source's metrics: their namespace, names, latency unit and each side's dimensions. */
interface MetricSet {
  readonly namespace: string;
  readonly names: Record<Field, string>;
  /** Milliseconds per unit of the latency metric. */
  readonly toMs: number;
  readonly dimensions: Record<Side, Dimension[]>;
}

function metricSet(source: z.output<typeof canarySourceSchema>): MetricSet {
  if (source.kind === 'lambda-alias') {
    const version = (v: string): Dimension[] => [
      { Name: 'FunctionName', Value: source.functionName },
      { Name: 'Resource', Value: `${source.functionName}:${source.alias}` },
      { Name: 'ExecutedVersion', Value: v },
    ];
    return {
      namespace: 'AWS/Lambda',
      names: { requests: 'Invocations', errors: 'Errors', p50: 'Duration', p99: 'Duration' },
      toMs: 1,
      dimensions: { baseline: version(source.baselineVersion), canary: version(source.canaryVersion) },
    };
  }
  if (source.kind === 'target-group-history') {
    const same = loadBalancerDimensions(source.loadBalancer, source.targetGroup);
    return { ...LOAD_BALANCER_METRICS, dimensions: { baseline: same, canary: same } };
  }
  const group = (targetGroup: string) => loadBalancerDimensions(source.loadBalancer, targetGroup);
  return {
    ...LOAD_BALANCER_METRICS,
    dimensions: { baseline: group(source.baselineTargetGroup), canary: group(source.canaryTargetGroup) },
  };
}

/** A target group's dimensions behind its load balancer. */
function loadBalancerDimensions(loadBalancer: string, targetGroup: string): Dimension[] {
  return [
    { Name: 'LoadBalancer', Value: loadBalancer },
    { Name: 'TargetGroup', Value: targetGroup },
  ];
}

/** An Application Load Balancer's metrics of a target group (TargetResponseTime in seconds). */
const LOAD_BALANCER_METRICS = {
  namespace: 'AWS/ApplicationELB',
  names: {
    requests: 'RequestCount',
    errors: 'HTTPCode_Target_5XX_Count',
    p50: 'TargetResponseTime',
    p99: 'TargetResponseTime',
  },
  toMs: 1000,
} as const;

/** A query's id (`canary_p99`: GetMetricData ids match `^[a-z][a-zA-Z0-9_]*$`). */
const queryId = (side: Side, field: Field) => `${side}_${field}`;

/** A query in words, for an error message: `canary_errors (AWS/Lambda Errors Sum, FunctionName=…)`. */
function describeQuery(query: MetricDataQuery | undefined, id: string): string {
  const stat = query?.MetricStat;
  if (!stat) return id;
  const dimensions = (stat.Metric?.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(', ');
  return `${id} (${stat.Metric?.Namespace} ${stat.Metric?.MetricName} ${stat.Stat}, ${dimensions})`;
}

/** The whole minutes of `window`: from `start` rounded down, to `end` rounded down less one minute. */
function alignedMinutes(window: CanaryWindow): { start: number; end: number } {
  const start = window.start instanceof Date ? window.start.getTime() : NaN;
  const end = window.end instanceof Date ? window.end.getTime() : NaN;
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    throw new DeliveryError('BAD_INPUT', 'window: start and end must be valid dates');
  }
  const first = Math.floor(start / MINUTE_MS) * MINUTE_MS;
  const last = Math.floor(end / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  if (last <= first) {
    throw new DeliveryError(
      'BAD_INPUT',
      `window: ${window.start.toISOString()} to ${window.end.toISOString()} holds no complete minute (the minute of end and the one before it are not read): end must be at least 2 minutes after start's minute`,
    );
  }
  return { start: first, end: last };
}

/** What of a result makes its data unusable (its messages, an error status), or undefined. */
function problemOf(result: MetricDataResult): string | undefined {
  const messages = (result.Messages ?? []).map((m) => `${m.Code ?? 'message'}: ${m.Value ?? ''}`);
  if (messages.length > 0) return messages.join('; ');
  if (result.StatusCode === 'Forbidden') return 'Forbidden (not allowed to read this metric)';
  if (result.StatusCode === 'InternalError') return 'InternalError';
  return undefined;
}

/** One page of GetMetricData; an access denial named with the permission it needs. */
async function getMetricData(cloudwatch: CloudWatchClient, input: GetMetricDataCommandInput) {
  // Loaded on first use: `ias-ops canary judge` loads this module (index.ts) and never the SDK.
  const { GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  try {
    return await cloudwatch.send(new GetMetricDataCommand(input));
  } catch (error) {
    if (isAwsError(error, 'AccessDenied') || isAwsError(error, 'AccessDeniedException')) {
      // Still the service's error to a caller (same name, the original as cause), saying what to grant.
      const denied = new Error(
        oneLine(
          `not allowed to read the canary's metrics: the caller needs cloudwatch:GetMetricData on * (${describeError(error)})`,
        ),
        { cause: error },
      );
      denied.name = error.name;
      throw denied;
    }
    throw error;
  }
}

/**
 * Every point of `queries` from `start` to `end` (exclusive), by query id then minute, over every
 * page. A result `PartialData` on a page with a `NextToken` is the paging itself (the rest comes
 * on the next pages); still `PartialData` on the last page, points are missing.
 */
async function readPoints(
  cloudwatch: CloudWatchClient,
  queries: readonly MetricDataQuery[],
  start: number,
  end: number,
): Promise<Map<string, Map<number, number>>> {
  const byId = new Map(queries.map((q) => [q.Id ?? '', q]));
  const points = new Map(queries.map((q) => [q.Id ?? '', new Map<number, number>()]));
  const failure = (id: string, problem: string) =>
    new DeliveryError(
      'TIMED_OUT',
      `CloudWatch did not return all of query ${describeQuery(byId.get(id), id)}: ${problem}; read it again later`,
    );
  const partial = new Set<string>();
  let token: string | undefined;
  do {
    const page = await getMetricData(cloudwatch, {
      MetricDataQueries: [...queries],
      StartTime: new Date(start),
      EndTime: new Date(end),
      ScanBy: 'TimestampAscending',
      NextToken: token,
    });
    const messages = (page.Messages ?? []).map((m) => `${m.Code ?? 'message'}: ${m.Value ?? ''}`);
    if (messages.length > 0) {
      throw new DeliveryError(
        'TIMED_OUT',
        `CloudWatch GetMetricData answered ${messages.join('; ')} for the queries ${[...byId.keys()].join(', ')}; read them again later`,
      );
    }
    for (const result of page.MetricDataResults ?? []) {
      const id = result.Id ?? '';
      const problem = problemOf(result);
      if (problem !== undefined) throw failure(id, problem);
      if (result.StatusCode === 'PartialData') partial.add(id);
      else partial.delete(id);
      const series = points.get(id);
      (result.Timestamps ?? []).forEach((time, i) => {
        const value = result.Values?.[i];
        if (series && value !== undefined)
          series.set(Math.floor(time.getTime() / MINUTE_MS) * MINUTE_MS, value);
      });
    }
    token = page.NextToken;
  } while (token);
  const [incomplete] = partial;
  if (incomplete !== undefined) throw failure(incomplete, 'PartialData on the last page');
  return points;
}

/** Whether a query is of `side`'s. */
const ofSide = (side: Side) => (query: MetricDataQuery) => query.Id?.startsWith(`${side}_`) ?? false;

/** Points read `shift` ms earlier, moved onto the window's minutes. */
function shifted(points: Map<string, Map<number, number>>, shift: number): Map<string, Map<number, number>> {
  return new Map(
    [...points].map(([id, series]) => [id, new Map([...series].map(([t, v]) => [t + shift, v]))]),
  );
}

/**
 * Reads the baseline's and the canary's per-minute series from CloudWatch.
 *
 * One GetMetricData request of 8 queries (requests, errors, p50 and p99 of each side; Period 60,
 * oldest first), following `NextToken` to the last page; two of 4 (one a side) for a
 * `target-group-history` source, whose baseline is read earlier. The window is aligned to whole minutes:
 * from `start` rounded down, to `end` rounded down, and that last minute is left out too, because
 * CloudWatch's latest minute is still filling. Lambda stamps a metric with the invocation's start
 * and sends it when the invocation ends: a function that runs for minutes should end its window
 * that much earlier.
 *
 * Each minute of the window appears once in each series, oldest first:
 * - a minute without a point is `{ requests: 0, errors: 0 }` (Lambda and the load balancer publish
 *   nothing for a minute without requests, nor an error count of zero);
 * - counts are rounded to integers, and errors are capped at the requests of their minute: the two
 *   are separate metrics, published and aggregated apart, so a minute read before all its points
 *   are in can count an error whose request is not in yet; the series' schema (and the judge's
 *   rates) need errors ≤ requests;
 * - `p50Ms`/`p99Ms` only in a minute that had requests and a positive percentile.
 *
 * The result is checked with the series' schema (`parseCanarySeries`).
 *
 * @param cloudwatch - a client in the region of the function or load balancer
 * @param source - where the two sides are measured, checked (see {@link CanarySource})
 * @param window - the minutes to read
 * @throws DeliveryError `BAD_INPUT` for an invalid source (every problem, with its field) or a
 *   window without a complete minute
 * @throws DeliveryError `TIMED_OUT` when CloudWatch returns only part of the data (a result still
 *   `PartialData` on the last page, `InternalError` or `Forbidden`, or any message), naming the query
 * @throws the service's `AccessDenied` error, its message naming `cloudwatch:GetMetricData`
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataResult.html (statuses)
 */
export async function readCanarySeries(
  cloudwatch: CloudWatchClient,
  source: CanarySource,
  window: CanaryWindow,
): Promise<CanarySeriesReading> {
  const parsed = canarySourceSchema.safeParse(source);
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `invalid canary source: ${describeIssues(parsed.error, 'source')}`);
  }
  const { start, end } = alignedMinutes(window);
  const metrics = metricSet(parsed.data);
  const queries = SIDES.flatMap((side) =>
    FIELDS.map((field): MetricDataQuery => ({
      Id: queryId(side, field),
      MetricStat: {
        Metric: {
          Namespace: metrics.namespace,
          MetricName: metrics.names[field],
          Dimensions: metrics.dimensions[side],
        },
        Period: 60,
        Stat: STATS[field],
      },
      ReturnData: true,
    })),
  );
  // The baseline's points moved onto the window's minutes when it is read earlier (one request a
  // side then: a GetMetricData request has one time range).
  const shift =
    parsed.data.kind === 'target-group-history' ? parsed.data.baselineMinutesEarlier * MINUTE_MS : 0;
  const points =
    shift === 0
      ? await readPoints(cloudwatch, queries, start, end)
      : new Map([
          ...shifted(
            await readPoints(cloudwatch, queries.filter(ofSide('baseline')), start - shift, end - shift),
            shift,
          ),
          ...(await readPoints(cloudwatch, queries.filter(ofSide('canary')), start, end)),
        ]);

  const minutes: Date[] = [];
  for (let t = start; t < end; t += MINUTE_MS) minutes.push(new Date(t));
  const value = (side: Side, field: Field, t: number) => points.get(queryId(side, field))?.get(t);
  const count = (side: Side, field: Field, t: number) => Math.max(0, Math.round(value(side, field, t) ?? 0));
  const latencyMs = (side: Side, field: Field, t: number) => {
    const raw = value(side, field, t);
    // To the microsecond: 0.35 s reads 350 ms, not 349.99999999999994.
    const ms = raw === undefined ? NaN : Math.round(raw * metrics.toMs * 1000) / 1000;
    return Number.isFinite(ms) && ms > 0 ? ms : undefined;
  };
  const minuteOf = (side: Side, t: number): CanaryMinute => {
    const requests = count(side, 'requests', t);
    const errors = Math.min(count(side, 'errors', t), requests);
    if (requests === 0) return { requests, errors };
    const p50Ms = latencyMs(side, 'p50', t);
    const p99Ms = latencyMs(side, 'p99', t);
    return {
      requests,
      errors,
      ...(p50Ms !== undefined && { p50Ms }),
      ...(p99Ms !== undefined && { p99Ms }),
    };
  };
  const series = (side: Side) =>
    parseCanarySeries({ minutes: minutes.map((m) => minuteOf(side, m.getTime())) }, `${side} (CloudWatch)`);
  return { baseline: series('baseline'), canary: series('canary'), minutes };
}

/**
 * A scenario: one run of a workload's real code on a sample event, with canned AWS responses, whose
 * calls are recorded and written symbolically (see calls.ts for the tokens).
 */
import type { RecordedCall } from '../calls';
import type { IamLookups } from './iam';
import type { RecordingSession, Responder } from './recorder';

/** The region, account and partition every scenario runs in (replaced by tokens in recordings). */
export const FIXTURE = { region: 'eu-west-3', account: '123456789012', partition: 'aws' } as const;

/**
 * The Lambda deployment the delivery scenarios act on: the alias and the versions it moves between
 * (the pipeline step publishes the target version, the traffic hooks check it).
 */
export const FIXTURE_DEPLOYMENT = {
  alias: 'wiring-fixture-alias',
  currentVersion: '1000001',
  targetVersion: '1000002',
} as const;

/** One run of a workload's code. */
export interface Scenario {
  /** The workload the calls belong to, e.g. `delivery:traffic-hook`. */
  readonly workload: string;
  /** Unique among scenarios, e.g. `traffic-hook:pre`. */
  readonly id: string;
  /** The file that defines it (the recording's `source`). */
  readonly source: string;
  /** The workload's environment variables, set before its code loads; recorded as `${env:NAME}`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Further environment the run needs that is not the workload's (not tokenized). */
  readonly runtimeEnv?: Readonly<Record<string, string>>;
  /** The invoking action's UserParameters; each string field is recorded as `${param:path}`. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** The bucket of the triggering event, recorded as `${event:bucket}`. */
  readonly eventBucket?: string;
  /**
   * The properties of the CloudFormation custom resource whose requests the workload answers (its
   * event's `ResourceProperties`); each string field is recorded as `${resource:path}`.
   */
  readonly resourceProperties?: Readonly<Record<string, unknown>>;
  /** Other literal values and their tokens (e.g. the prefix-built names as `${prefix}-…`). */
  readonly tokens?: Readonly<Record<string, string>>;
  /** Principals by access key id (see RecordingOptions.principals). */
  readonly principals?: Readonly<Record<string, string>>;
  /** What the IAM mapping cannot read from an input. */
  readonly lookups?: IamLookups;
  /** The canned responses. */
  readonly respond: Responder;
  /** The workload makes no AWS call on this path (else a run without calls fails as not having run). */
  readonly mayMakeNoCalls?: boolean;
  /**
   * Runs the workload's code (imports its module after the environment is set); `session.cli` stands
   * in for the AWS CLI of scripts it runs.
   */
  run(session: Pick<RecordingSession, 'cli'>): Promise<void>;
}

/**
 * Flattens an object's string fields into `path → value` (dot paths): what a recording's
 * `${param:path}` tokens name, on both the recording's and the check's side.
 */
export function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (typeof value === 'string') {
    out.set(path, value);
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      flatten(child, path ? `${path}.${key}` : key, out);
    }
  }
}

/** The replacements of a scenario: literal value → token. */
export function tokensOf(
  scenario: Scenario,
  extra: Readonly<Record<string, string>> = {},
): Map<string, string> {
  const tokens = new Map<string, string>();
  const add = (value: string, token: string) => {
    // A value shorter than 4 characters (e.g. `dev`) would also match inside unrelated names.
    if (value.length >= 4 && !tokens.has(value)) tokens.set(value, token);
  };
  for (const [value, token] of Object.entries({ ...scenario.tokens, ...extra })) add(value, token);
  for (const [name, value] of Object.entries(scenario.env ?? {})) add(value, `\${env:${name}}`);
  const params = new Map<string, string>();
  flatten(scenario.params ?? {}, '', params);
  for (const [path, value] of params) add(value, `\${param:${path}}`);
  const properties = new Map<string, string>();
  flatten(scenario.resourceProperties ?? {}, '', properties);
  for (const [path, value] of properties) add(value, `\${resource:${path}}`);
  if (scenario.eventBucket) add(scenario.eventBucket, '${event:bucket}');
  add(FIXTURE.region, '${region}');
  add(FIXTURE.account, '${account}');
  return tokens;
}

/** Replaces every token value in `text`, longest first, in one pass (a token is never re-read). */
export function symbolize(text: string, tokens: ReadonlyMap<string, string>): string {
  const values = [...tokens.keys()].sort((a, b) => b.length - a.length);
  // A value that starts or ends with a letter or digit matches only as a whole name there
  // (`deploy` must not match inside `codedeploy`).
  const escaped = values.map(
    (v) =>
      (/^[A-Za-z0-9]/.test(v) ? '(?<![A-Za-z0-9])' : '') +
      v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') +
      (/[A-Za-z0-9]$/.test(v) ? '(?![A-Za-z0-9])' : ''),
  );
  const replaced =
    values.length === 0 ? text : text.replace(new RegExp(escaped.join('|'), 'g'), (m) => tokens.get(m) ?? m);
  return replaced.replace(/^arn:aws:/, 'arn:${partition}:');
}

/** A call with every resource, passed role and principal written symbolically. */
export function symbolizeCall(call: RecordedCall, tokens: ReadonlyMap<string, string>): RecordedCall {
  const s = (t: string) => symbolize(t, tokens);
  return {
    service: call.service,
    action: call.action,
    resources: [...new Set(call.resources.map(s))].sort(),
    ...(call.passRoles?.length ? { passRoles: [...new Set(call.passRoles.map(s))].sort() } : {}),
    ...(call.principal ? { principal: s(call.principal) } : {}),
  };
}

function key(call: RecordedCall): string {
  return JSON.stringify([
    call.service,
    call.action,
    call.resources,
    call.principal ?? '',
    call.passRoles ?? [],
  ]);
}

/**
 * One call made by two runs: made by the steps either names, or outside any step (no `steps`) when
 * either was.
 */
function mergeSteps(a: RecordedCall, b: RecordedCall): RecordedCall {
  if (!a.steps || !b.steps) {
    return Object.fromEntries(Object.entries(a).filter(([field]) => field !== 'steps')) as RecordedCall;
  }
  return { ...a, steps: [...new Set([...a.steps, ...b.steps])].sort() };
}

/**
 * The distinct calls, sorted by service, action, resources, then principal; the steps of a call made
 * by several merged.
 */
export function unionOfCalls(calls: readonly RecordedCall[]): RecordedCall[] {
  const distinct = new Map<string, RecordedCall>();
  for (const call of calls) {
    const seen = distinct.get(key(call));
    distinct.set(key(call), seen ? mergeSteps(seen, call) : call);
  }
  return [...distinct.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, call]) => call);
}

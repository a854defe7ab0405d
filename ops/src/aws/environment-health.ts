/**
 * An environment's health as its monitoring reports it: the state of every alarm named
 * `<prefix>-<env>-…` (one paginated DescribeAlarms, metric and composite alarms together) and the last
 * run of its CloudWatch Synthetics canary. Every name comes from `@ias/targets`' `monitoringNames`.
 * Read-only; an alarm or canary that does not exist is a state (`missing`, no canary), not an error.
 */
import { DescribeAlarmsCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import { DescribeCanariesLastRunCommand, type CanaryRunState } from '@aws-sdk/client-synthetics';
import { monitoringNames, type Naming } from '@ias/targets';
import { planned, type AwsClients, type PlannedCall } from '../context';

/** A composite alarm's state, or `missing` when no alarm has its name (its stack is not deployed). */
export type CompositeState = StateValue | 'missing';

/** A composite alarm and its state. */
export interface CompositeHealth {
  /** Its name, e.g. `<prefix>-<env>-health` or `<prefix>-<env>-<workload>-health`. */
  readonly alarm: string;
  readonly state: CompositeState;
}

/** An alarm of the environment in ALARM. */
export interface AlarmInAlarm {
  readonly name: string;
  readonly type: 'MetricAlarm' | 'CompositeAlarm';
  /** CloudWatch's explanation of the state (`Threshold Crossed: …`). */
  readonly reason: string | undefined;
  /** When it went into ALARM (ISO 8601). */
  readonly since: string | undefined;
}

/** The last run of the environment's canary. */
export interface CanaryStatus {
  /** The canary's name, `<prefix>-<env>`. */
  readonly canary: string;
  /** False when no canary has the name (not deployed): then `lastRun` is undefined. */
  readonly exists: boolean;
  /** Undefined when it has not run yet. */
  readonly lastRun:
    | {
        readonly status: CanaryRunState | undefined;
        /** When the run started (ISO 8601). */
        readonly started: string | undefined;
        readonly completed: string | undefined;
        /** Why it ended as it did (a failed run's error), when Synthetics gives one. */
        readonly reason: string | undefined;
      }
    | undefined;
}

/** The environment's health: its composite alarm, the alarms in ALARM, the canary's last run. */
export interface EnvironmentHealth extends CompositeHealth {
  /** Every alarm of the environment in ALARM, metric and composite, the earliest first. */
  readonly inAlarm: readonly AlarmInAlarm[];
  readonly canary: CanaryStatus;
}

/** One alarm as the listing gives it. */
interface AlarmView extends AlarmInAlarm {
  readonly state: StateValue | undefined;
}

/** Every alarm of the environment, by name. */
export type AlarmStates = ReadonlyMap<string, AlarmView>;

/** Alarms a page (the API's maximum: fewer calls for an environment's few dozen alarms). */
const ALARMS_PER_PAGE = 100;

/** The listing of every alarm of the environment, one page from `nextToken`. */
export function describeEnvironmentAlarms(naming: Naming, nextToken?: string): DescribeAlarmsCommand {
  return new DescribeAlarmsCommand({
    AlarmNamePrefix: monitoringNames(naming).alarmPrefix,
    // Without AlarmTypes, DescribeAlarms returns metric alarms only: the composites are what say "healthy".
    AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    MaxRecords: ALARMS_PER_PAGE,
    ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
  });
}

/** The last run of the environment's canary (`Names` also lets the operator policy name it alone). */
export function describeCanaryLastRun(naming: Naming): DescribeCanariesLastRunCommand {
  return new DescribeCanariesLastRunCommand({ Names: [monitoringNames(naming).canary] });
}

/** The calls that read an environment's health, as `--dry-run` prints them. */
export function environmentHealthCalls(naming: Naming): PlannedCall[] {
  return [
    planned('cloudwatch', describeEnvironmentAlarms(naming)),
    planned('synthetics', describeCanaryLastRun(naming)),
  ];
}

/** Reads every alarm of the environment, every page. */
export async function readEnvironmentAlarms(aws: AwsClients, naming: Naming): Promise<AlarmStates> {
  const alarms = new Map<string, AlarmView>();
  let token: string | undefined;
  do {
    const page = await aws.cloudwatch.send(describeEnvironmentAlarms(naming, token));
    const listed = [
      ...(page.MetricAlarms ?? []).map((a) => ({ ...a, type: 'MetricAlarm' as const })),
      ...(page.CompositeAlarms ?? []).map((a) => ({ ...a, type: 'CompositeAlarm' as const })),
    ];
    for (const a of listed) {
      if (a.AlarmName === undefined) continue;
      alarms.set(a.AlarmName, {
        name: a.AlarmName,
        type: a.type,
        state: a.StateValue,
        reason: a.StateReason,
        // When the state last changed; an update within the same state (a new reason) does not count.
        since: (a.StateTransitionedTimestamp ?? a.StateUpdatedTimestamp)?.toISOString(),
      });
    }
    token = page.NextToken;
  } while (token !== undefined);
  return alarms;
}

/** Reads the last run of the environment's canary; no canary of that name is `exists: false`. */
export async function readCanary(aws: AwsClients, naming: Naming): Promise<CanaryStatus> {
  const canary = monitoringNames(naming).canary;
  const answer = await aws.synthetics.send(describeCanaryLastRun(naming));
  const found = (answer.CanariesLastRun ?? []).find((c) => c.CanaryName === canary);
  if (found === undefined) return { canary, exists: false, lastRun: undefined };
  const run = found.LastRun;
  return {
    canary,
    exists: true,
    lastRun:
      run === undefined
        ? undefined
        : {
            status: run.Status?.State,
            started: run.Timeline?.Started?.toISOString(),
            completed: run.Timeline?.Completed?.toISOString(),
            reason: run.Status?.StateReason || undefined,
          },
  };
}

/** The state of the composite alarm `alarm`, `missing` when the listing has none of that name. */
export function compositeHealth(alarms: AlarmStates, alarm: string): CompositeHealth {
  return { alarm, state: alarms.get(alarm)?.state ?? 'missing' };
}

/** The environment's health from its alarms and its canary's last run. */
export function environmentHealth(
  naming: Naming,
  alarms: AlarmStates,
  canary: CanaryStatus,
): EnvironmentHealth {
  const inAlarm = [...alarms.values()]
    .filter((a) => a.state === 'ALARM')
    // The earliest first: usually the cause, the later ones (and the composites) its effects.
    .sort((a, b) => (a.since ?? '').localeCompare(b.since ?? '') || a.name.localeCompare(b.name))
    .map(({ name, type, reason, since }) => ({ name, type, reason, since }));
  return { ...compositeHealth(alarms, monitoringNames(naming).health), inAlarm, canary };
}

/** The state of a composite alarm in the text of `status`. */
export function formatComposite(h: CompositeHealth): string {
  return h.state === 'missing' ? `missing (no alarm ${h.alarm})` : h.state;
}

function formatCanary(c: CanaryStatus): string {
  if (!c.exists) return 'no canary';
  const run = c.lastRun;
  if (run === undefined) return 'never ran';
  return `${run.status ?? '?'} at ${run.started ?? '?'}${run.reason !== undefined ? `: ${run.reason}` : ''}`;
}

/** The lines of the environment's health in the text of `status`. */
export function formatEnvironmentHealth(h: EnvironmentHealth): string[] {
  const lines = [`health: ${h.state === 'missing' ? formatComposite(h) : `${h.state} (${h.alarm})`}`];
  if (h.inAlarm.length === 0) {
    lines.push('  alarms in ALARM: none');
  } else {
    lines.push('  alarms in ALARM:');
    for (const a of h.inAlarm) {
      lines.push(`    ${a.name} since ${a.since ?? '?'}: ${a.reason ?? 'no reason given'}`);
    }
  }
  lines.push(`  canary ${h.canary.canary}: ${formatCanary(h.canary)}`);
  return lines;
}

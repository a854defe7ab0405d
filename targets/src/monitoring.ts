import type { Naming } from './naming';

/**
 * A workload's composite alarm, `<name>-health`, from its prefixed name (`<prefix>-<env>-<workload>`):
 * in ALARM while any of its operators' alarms is.
 */
export function workloadHealthAlarmName(name: string): string {
  return `${name}-health`;
}

/**
 * The names of an environment's monitoring that more than one part reads: the stacks make them, the
 * ops CLI (`status`) and the deployment gates read them.
 */
export function monitoringNames(naming: Naming) {
  return {
    /** The composite alarm "is this environment healthy" and its dashboard. */
    health: naming.name('health'),
    /** A workload's composite alarm (in ALARM while any of its operators' alarms is), by workload name. */
    workloadHealth: (workload: string) => workloadHealthAlarmName(naming.name(workload)),
    /**
     * The environment's CloudWatch Synthetics canary: `<prefix>-<env>` alone, because a canary's
     * name is at most 21 characters (a prefix of up to 10, a dash and an environment of up to 10).
     */
    canary: naming.base,
    /** Every alarm and dashboard of the environment starts with this. */
    alarmPrefix: `${naming.base}-`,
  };
}

/** Seconds one canary run may take before Synthetics stops it (the canary's timeout). */
export const CANARY_RUN_TIMEOUT_SECONDS = 60;

/**
 * How long, in seconds, a canary gate waits after production traffic moves for a run that started
 * after it: two periods of the schedule (the next run may be a whole period away, and a run that
 * began just before the move does not count) and one run's timeout.
 */
export function canaryGateDeadlineSeconds(everyMinutes: number): number {
  return 2 * everyMinutes * 60 + CANARY_RUN_TIMEOUT_SECONDS;
}

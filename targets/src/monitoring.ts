import type { Naming } from './naming';

/**
 * The names of an environment's monitoring that more than one part reads: the stacks make them, the
 * ops CLI (`status`) and the deployment gates read them.
 */
export function monitoringNames(naming: Naming) {
  return {
    /** The composite alarm "is this environment healthy" and its dashboard. */
    health: naming.name('health'),
    /** A workload's composite alarm (in ALARM while any of its operators' alarms is), by workload name. */
    workloadHealth: (workload: string) => `${naming.name(workload)}-health`,
    /**
     * The environment's CloudWatch Synthetics canary: `<prefix>-<env>` alone, because a canary's
     * name is at most 21 characters (a prefix of up to 10, a dash and an environment of up to 10).
     */
    canary: naming.base,
    /** The alarm on the canary's success rate. */
    canaryAlarm: naming.name('canary'),
    /** Every alarm and dashboard of the environment starts with this. */
    alarmPrefix: `${naming.base}-`,
  };
}

import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { CanaryRun, SyntheticsClient } from '@aws-sdk/client-synthetics';
import { GetCanaryRunsCommand } from '@aws-sdk/client-synthetics';
import { z } from 'zod';
import { DeliveryError, describeError, isAwsError, oneLine } from '../../errors.js';
import {
  type EcsHookResponse,
  ecsLifecycleHookEventSchema,
  lifecycleHookSource,
  reportCodeDeployHook,
  trafficHookEventSchema,
} from '../../lifecycle-hook.js';
import { describeIssues } from '../../schemas.js';
import { type Clock, now as realNow, sleep as realSleep } from '../../time.js';

/**
 * What the gate decided:
 * - `PASSED`: the first run that started after traffic moved passed;
 * - `FAILED`: that run failed, or the runs could not be read;
 * - `TIMED_OUT`: no run that started after traffic moved finished before the deadline;
 * - `NO_CANARY`: the environment has no such canary (none deployed): nothing to wait for, the gate passes;
 * - `WAITING`: no verdict yet (only from {@link checkCanaryGate}, one look).
 */
export type CanaryGateOutcome = 'PASSED' | 'FAILED' | 'TIMED_OUT' | 'NO_CANARY' | 'WAITING';

/** One decision of the gate, with why in one line. */
export interface CanaryGateDecision {
  readonly outcome: CanaryGateOutcome;
  readonly detail: string;
}

/** Whether a final decision lets the deployment go on. */
export function gatePasses(decision: CanaryGateDecision): boolean {
  return decision.outcome === 'PASSED' || decision.outcome === 'NO_CANARY';
}

/** What {@link checkCanaryGate} and {@link waitForCanaryGate} look at. */
export interface CanaryGateOptions {
  /** Reads the canary's runs (GetCanaryRuns). */
  readonly synthetics: SyntheticsClient;
  /** The canary, e.g. `<prefix>-<env>`. */
  readonly canaryName: string;
  /** When production traffic moved, in ms since the epoch: a run counts only if it started then or later. */
  readonly trafficMovedAt: number;
  /** Seconds after {@link trafficMovedAt} within which such a run must have finished. */
  readonly deadlineSeconds: number;
  /**
   * The clock (tests pass a fake one).
   * @default - the real time and timers
   */
  readonly clock?: Partial<Clock>;
}

/** What {@link waitForCanaryGate} adds to {@link CanaryGateOptions}. */
export interface WaitForCanaryGateOptions extends CanaryGateOptions {
  /**
   * Pause between two looks, in ms.
   * @default 15000
   */
  readonly intervalMs?: number;
}

const FINISHED: readonly string[] = ['PASSED', 'FAILED'];

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * One look at the canary: reads its latest runs (GetCanaryRuns, which lists the newest first) and
 * decides on the first run that started at or after `trafficMovedAt` and has finished.
 *
 * A run that started before traffic moved is ignored, whatever its state: it may have called the old
 * tasks. Without a finished run yet, the answer is `WAITING` until the deadline, `TIMED_OUT` from
 * then on. A canary that does not exist (ResourceNotFoundException) is `NO_CANARY`; access denied and
 * other client errors are `FAILED` with the reason; a server-side error or throttling (already retried
 * by the SDK) is `WAITING`, so that a passing fault does not roll a deployment back.
 */
export async function checkCanaryGate(options: CanaryGateOptions): Promise<CanaryGateDecision> {
  const { synthetics, canaryName, trafficMovedAt, deadlineSeconds } = options;
  const now = options.clock?.now ?? realNow;
  const deadline = trafficMovedAt + deadlineSeconds * 1000;
  let runs: CanaryRun[];
  let problem = '';
  try {
    const answer = await synthetics.send(new GetCanaryRunsCommand({ Name: canaryName, MaxResults: 20 }));
    runs = answer.CanaryRuns ?? [];
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) {
      return {
        outcome: 'NO_CANARY',
        detail: `no canary ${canaryName} in this account and region (none deployed): nothing to wait for`,
      };
    }
    if (!transient(error)) {
      const denied = isAwsError(error, 'AccessDeniedException');
      return {
        outcome: 'FAILED',
        detail: oneLine(
          denied
            ? `not allowed to read the runs of canary ${canaryName}: the gate's role needs synthetics:GetCanaryRuns on that canary (${describeError(error)})`
            : `could not read the runs of canary ${canaryName}: ${describeError(error)}`,
        ),
      };
    }
    runs = [];
    problem = `; last look failed: ${describeError(error)}`;
  }
  const since = runs
    .filter((run) => (run.Timeline?.Started?.getTime() ?? -Infinity) >= trafficMovedAt)
    .sort((a, b) => (a.Timeline?.Started?.getTime() ?? 0) - (b.Timeline?.Started?.getTime() ?? 0));
  const decisive = since.find((run) => FINISHED.includes(run.Status?.State ?? ''));
  if (decisive) {
    const started = decisive.Timeline?.Started?.getTime() ?? trafficMovedAt;
    const run = `canary ${canaryName} run ${decisive.Id ?? '(no id)'}, started ${iso(started)} (${Math.round((started - trafficMovedAt) / 1000)} s after traffic moved)`;
    return decisive.Status?.State === 'PASSED'
      ? { outcome: 'PASSED', detail: `${run}, passed` }
      : {
          outcome: 'FAILED',
          detail: oneLine(`${run}, failed: ${decisive.Status?.StateReason || 'no reason given'}`),
        };
  }
  const running = since.length > 0 ? `; ${since.length} run(s) started since, still running` : '';
  const time = now();
  if (time >= deadline) {
    return {
      outcome: 'TIMED_OUT',
      detail: oneLine(
        `no run of canary ${canaryName} that started after production traffic moved (${iso(trafficMovedAt)}) finished within ${deadlineSeconds} s: waited ${Math.round((time - trafficMovedAt) / 1000)} s${running}${problem}; is the canary running?`,
      ),
    };
  }
  return {
    outcome: 'WAITING',
    detail: oneLine(
      `no run of canary ${canaryName} has finished since production traffic moved (${iso(trafficMovedAt)})${running}${problem}; waiting up to ${Math.round((deadline - time) / 1000)} s more`,
    ),
  };
}

/** A fault worth another look: the service's side, or throttling (the SDK already retried it). */
function transient(error: unknown): boolean {
  const fault = (error as { $fault?: string } | undefined)?.$fault;
  return (
    fault === 'server' ||
    isAwsError(error, 'ThrottlingException') ||
    isAwsError(error, 'TooManyRequestsException')
  );
}

/**
 * Waits for the canary's verdict on the new tasks: looks with {@link checkCanaryGate} every
 * `intervalMs` until it decides (never `WAITING`), the last look at the deadline.
 */
export async function waitForCanaryGate(options: WaitForCanaryGateOptions): Promise<CanaryGateDecision> {
  const now = options.clock?.now ?? realNow;
  const sleep = options.clock?.sleep ?? realSleep;
  const intervalMs = options.intervalMs ?? 15_000;
  const deadline = options.trafficMovedAt + options.deadlineSeconds * 1000;
  for (;;) {
    const decision = await checkCanaryGate(options);
    if (decision.outcome !== 'WAITING') {
      return decision;
    }
    await sleep(Math.max(1, Math.min(intervalMs, deadline - now())));
  }
}

/** Settings of the canary gate hook (read from its environment by {@link readCanaryGateConfig}). */
export interface CanaryGateConfig {
  /** `CANARY_NAME`: the environment's canary. */
  readonly canaryName: string;
  /** `CANARY_GATE_DEADLINE_SECONDS`: how long after traffic moved a run must have finished. */
  readonly deadlineSeconds: number;
}

/** The canary gate's settings, as it parses them at start (the wiring check reads them the same way). */
export const canaryGateEnvironmentSchema = z.object({
  CANARY_NAME: z
    .string()
    .regex(/^[0-9a-z_-]{1,255}$/, 'must be a canary name: lowercase letters, digits, - or _'),
  CANARY_GATE_DEADLINE_SECONDS: z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number of seconds')
    .transform(Number)
    .pipe(z.number().min(60, 'must be at least 60').max(86_400, 'must be at most 86400')),
});

/**
 * Reads the canary gate's settings from its environment: `CANARY_NAME` and
 * `CANARY_GATE_DEADLINE_SECONDS` (both required: the stack computes the deadline from the canary's
 * schedule).
 *
 * Throws {@link DeliveryError} `BAD_INPUT` naming each bad variable.
 */
export function readCanaryGateConfig(env: Readonly<Record<string, string | undefined>>): CanaryGateConfig {
  const result = canaryGateEnvironmentSchema.safeParse(env);
  if (!result.success) {
    throw new DeliveryError('BAD_INPUT', `canary gate misconfigured: ${describeIssues(result.error)}`);
  }
  return {
    canaryName: result.data.CANARY_NAME,
    deadlineSeconds: result.data.CANARY_GATE_DEADLINE_SECONDS,
  };
}

/** What {@link runCanaryGateHook} uses besides its configuration. */
export interface CanaryGateHookDependencies {
  /** Reads the canary's runs. */
  readonly synthetics: SyntheticsClient;
  /** Reports the status of a CodeDeploy lifecycle hook. */
  readonly codedeploy: CodeDeployClient;
  /**
   * The clock.
   * @default - the real time and timers
   */
  readonly clock?: Partial<Clock>;
  /**
   * Pause between two looks while CodeDeploy's hook waits in one invocation, in ms.
   * @default 15000
   */
  readonly intervalMs?: number;
  /**
   * Seconds Amazon ECS waits before invoking the hook again while there is no verdict.
   * @default 30
   */
  readonly callBackDelaySeconds?: number;
}

/** The outcome of {@link runCanaryGateHook}, by the service that called it. */
export type CanaryGateHookOutcome =
  | {
      /** CodeDeploy (AfterAllowTraffic): the status was reported with PutLifecycleEventHookExecutionStatus. */
      readonly source: 'codedeploy';
      readonly status: 'Succeeded' | 'Failed';
      readonly deploymentId: string;
      readonly decision: CanaryGateDecision;
    }
  | {
      /** Amazon ECS (POST_PRODUCTION_TRAFFIC_SHIFT): `response` is the function's answer. */
      readonly source: 'ecs';
      readonly response: EcsHookResponse;
      readonly lifecycleStage: string;
      readonly decision: CanaryGateDecision;
    };

/** The state the gate keeps between Amazon ECS's invocations, in the answer's `hookDetails`. */
const gateStateSchema = z.object({ canaryGateTrafficMovedAt: z.iso.datetime() });

/**
 * Runs the canary gate as a lifecycle hook of either deployment kind, recognised from the event.
 * Either is invoked once production traffic has moved to the new tasks, so the first invocation's
 * time is when traffic moved.
 *
 * - A CodeDeploy hook (`{ DeploymentId, LifecycleEventHookExecutionId }`, AfterAllowTraffic): waits in
 *   this invocation ({@link waitForCanaryGate}), then reports Succeeded (passed, or no canary) or Failed
 *   (failed, timed out, unreadable) with PutLifecycleEventHookExecutionStatus, exactly once; it throws
 *   only when that call fails, and CodeDeploy then fails the hook at its time-out.
 * - An Amazon ECS hook (`executionDetails` / `lifecycleStage`, POST_PRODUCTION_TRAFFIC_SHIFT): looks
 *   once ({@link checkCanaryGate}) and answers SUCCEEDED or FAILED, or, without a verdict yet,
 *   IN_PROGRESS with a `callBackDelay` and the time traffic moved in `hookDetails`, which Amazon ECS
 *   hands back on its next invocation: no Lambda sits idle while the canary runs. A malformed ECS event
 *   answers FAILED (the deployment rolls back rather than go on unchecked).
 *
 * Throws for an event of neither kind: there is nothing to answer.
 */
export async function runCanaryGateHook(
  dependencies: CanaryGateHookDependencies,
  event: unknown,
  config: CanaryGateConfig,
): Promise<CanaryGateHookOutcome> {
  const now = dependencies.clock?.now ?? realNow;
  const base = { synthetics: dependencies.synthetics, ...config, clock: dependencies.clock };
  if (lifecycleHookSource(event) === 'codedeploy') {
    const parsed = trafficHookEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new Error(`not a CodeDeploy lifecycle hook event: ${describeIssues(parsed.error)}`);
    }
    const { DeploymentId } = parsed.data;
    const decision = await waitForCanaryGate({
      ...base,
      trafficMovedAt: now(),
      intervalMs: dependencies.intervalMs,
    });
    const status = gatePasses(decision) ? 'Succeeded' : 'Failed';
    await reportCodeDeployHook(dependencies.codedeploy, parsed.data, status, decision.detail);
    return { source: 'codedeploy', status, deploymentId: DeploymentId, decision };
  }
  const parsed = ecsLifecycleHookEventSchema.safeParse(event);
  if (!parsed.success) {
    return {
      source: 'ecs',
      response: { hookStatus: 'FAILED' },
      lifecycleStage: 'unknown',
      decision: {
        outcome: 'FAILED',
        detail: `not a valid Amazon ECS lifecycle hook event: ${describeIssues(parsed.error)}`,
      },
    };
  }
  const state = gateStateSchema.safeParse(parsed.data.hookDetails ?? {});
  const trafficMovedAt = state.success ? Date.parse(state.data.canaryGateTrafficMovedAt) : now();
  const decision = await checkCanaryGate({ ...base, trafficMovedAt });
  const lifecycleStage = parsed.data.lifecycleStage;
  if (decision.outcome !== 'WAITING') {
    return {
      source: 'ecs',
      response: { hookStatus: gatePasses(decision) ? 'SUCCEEDED' : 'FAILED' },
      lifecycleStage,
      decision,
    };
  }
  // Called again no later than the deadline, for the look that times out if nothing has finished.
  const left = Math.ceil((trafficMovedAt + config.deadlineSeconds * 1000 - now()) / 1000);
  return {
    source: 'ecs',
    response: {
      hookStatus: 'IN_PROGRESS',
      callBackDelay: Math.max(1, Math.min(dependencies.callBackDelaySeconds ?? 30, left)),
      hookDetails: { canaryGateTrafficMovedAt: iso(trafficMovedAt) },
    },
    lifecycleStage,
    decision,
  };
}

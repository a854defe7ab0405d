/**
 * A judged deployment of a Lambda function: the alias shifts to the new version in steps (its
 * routing configuration weights the new version), each step a bake of its own that the canary judge
 * looks at once a minute; the alias moves to the next step only when the judge lets it, and goes back
 * to the current version on a failing look, an alarm in ALARM or the time-out.
 *
 * The per-minute logic ({@link judgeMinute}) is shared by the pipeline step `judged-deploy`, which
 * follows it across invocations with a continuation token (the {@link JudgedShift}), and by
 * {@link deployJudged}, which runs it to the end in one process.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { GetAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { JUDGED_STEP_OVERHEAD_MINUTES, judgedBakesMinutes } from '@ias/targets';
import { readAlarmStates } from '../../alarm-states.js';
import { z } from 'zod';
import {
  type CanaryAnalysis,
  type CanaryLook,
  type CanarySeriesReading,
  type CanarySource,
  type CanaryWindow,
  parseCanaryAnalysis,
  readCanarySeries,
  watchLook,
} from '../../canary/index.js';
import { DeliveryError, describeError, oneLine } from '../../errors.js';
import { aliasNameSchema, describeIssues, functionNameSchema, versionSchema } from '../../schemas.js';
import { now as realNow, sleep as realSleep } from '../../time.js';

const MINUTE_MS = 60_000;

/** The pause between two looks (and alarm reads) of a judged deployment. */
export const JUDGED_LOOK_MS = MINUTE_MS;

function isStepList(steps: readonly number[]): boolean {
  return (
    steps.length >= 2 &&
    steps.every((weight, i) => Number.isFinite(weight) && weight > 0 && weight > (steps[i - 1] ?? 0)) &&
    steps[steps.length - 1] === 100
  );
}

/**
 * The weights of the new version, in percent, one per step: rising, ending at 100, at least one
 * below it (e.g. `[10, 50, 100]`). Every step below 100 is judged; 100 moves the alias.
 */
export const judgedStepsSchema = z.array(z.number()).refine(isStepList, {
  error: (issue) =>
    `must be the new version's weights in percent, each above the one before, ending at 100 with at least one below it, e.g. [10, 50, 100] (got ${JSON.stringify(issue.input)})`,
});

/** CloudWatch alarms that stop a judged deployment, as those of a CodeDeploy deployment group (at most 10). */
export const judgedAlarmsSchema = z.array(z.string().min(1).max(255)).max(10);

/** How long a judged deployment may run, in minutes, from its first shift. */
export const judgedTimeoutSchema = z
  .number()
  .int()
  .min(1)
  .max(24 * 60);

/** How a judged deployment runs: its steps, how each is judged, what stops it, and for how long. */
export interface JudgedPlan {
  /** The new version's weights in percent, ending at 100. */
  readonly steps: readonly number[];
  readonly analysis: CanaryAnalysis;
  /** Alarms that roll the deployment back when one is in ALARM. */
  readonly alarms: readonly string[];
  /** From the first shift, in ms. */
  readonly timeoutMs: number;
}

/** What {@link judgedPlan} checks. */
export interface JudgedPlanInput {
  readonly steps: readonly number[];
  /** Checked with `parseCanaryAnalysis`. */
  readonly analysis: unknown;
  /** @default - no alarms */
  readonly alarms?: readonly string[];
  /**
   * @default - twice the time the bakes take at most
   */
  readonly timeoutMinutes?: number;
}

/**
 * Checks a judged deployment's settings and returns its plan.
 *
 * @param where - how messages name the settings, e.g. `UserParameters`
 * @throws DeliveryError `BAD_INPUT` naming the field (steps not rising or not ending at 100, an
 *   invalid analysis, a time-out shorter than the bakes)
 */
export function judgedPlan(input: JudgedPlanInput, where: string): JudgedPlan {
  const parsed = z
    .object({
      steps: judgedStepsSchema,
      alarms: judgedAlarmsSchema.default([]),
      timeoutMinutes: judgedTimeoutSchema.optional(),
    })
    .safeParse({ steps: input.steps, alarms: input.alarms, timeoutMinutes: input.timeoutMinutes });
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `${where}: ${describeIssues(parsed.error)}`);
  }
  const analysis = parseCanaryAnalysis(input.analysis, `${where}: analysis`);
  const { steps, alarms } = parsed.data;
  // The same count the profile's time-out is computed with (targets' judgedBakesMinutes).
  const needed = judgedBakesMinutes(steps, analysis.bakeMinutes);
  const timeoutMinutes = parsed.data.timeoutMinutes ?? 2 * needed;
  if (timeoutMinutes < needed) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${where}: timeoutMinutes ${timeoutMinutes} is shorter than the bakes: ${steps.length - 1} step(s) below 100 of ${analysis.bakeMinutes} min each, plus up to ${JUDGED_STEP_OVERHEAD_MINUTES} min each until their minutes are in CloudWatch, take up to ${needed} min; raise timeoutMinutes or shorten the bake`,
    );
  }
  return { steps, analysis, alarms, timeoutMs: timeoutMinutes * MINUTE_MS };
}

/**
 * Where a judged deployment is: the release, when its first shift and its current step began (ms),
 * and the last look of that step. The pipeline step's continuation token.
 */
export const judgedShiftSchema = z.object({
  functionName: functionNameSchema,
  alias: aliasNameSchema,
  currentVersion: versionSchema,
  targetVersion: versionSchema,
  startedAt: z.number().int().nonnegative(),
  /** Index into the plan's steps. */
  step: z.number().int().nonnegative(),
  stepStartedAt: z.number().int().nonnegative(),
  /** The minutes the step's last look judged; 0 before its first look. */
  looked: z.number().int().nonnegative(),
});

/** Where a judged deployment is. */
export type JudgedShift = z.infer<typeof judgedShiftSchema>;

/** The release a judged deployment shifts: the alias moves from `currentVersion` to `targetVersion`. */
export type JudgedRelease = Pick<JudgedShift, 'functionName' | 'alias' | 'currentVersion' | 'targetVersion'>;

/** How the judge reads and judges a step's minutes: a seam for tests. */
export interface CanaryJudge {
  /** Reads both sides of the alias. */
  readonly read: (
    cloudwatch: CloudWatchClient,
    source: CanarySource,
    window: CanaryWindow,
  ) => Promise<CanarySeriesReading>;
  /** Judges the minutes read. */
  readonly look: (baseline: unknown, canary: unknown, analysis: CanaryAnalysis) => CanaryLook;
}

/** The canary judge over CloudWatch: `readCanarySeries`, then `watchLook`. */
export const canaryJudge: CanaryJudge = { read: readCanarySeries, look: watchLook };

/** What one minute of a judged deployment acts with. */
export interface JudgedDependencies {
  /** Lambda client of the function's account and region. */
  readonly lambda: LambdaClient;
  /** CloudWatch client of the same account and region (metrics and alarms). */
  readonly cloudwatch: CloudWatchClient;
  /** The current time in ms. */
  readonly now: () => number;
  /** @default {@link canaryJudge} */
  readonly judge?: CanaryJudge;
}

/** What a minute of a judged deployment did (also what {@link beginJudgedShift} did). */
export interface JudgedMinute {
  /**
   * - `started`: the alias routes the first step's weight to the new version;
   * - `baking`: the step goes on (no look yet, or a look that waits);
   * - `advanced`: a look let the step end, and the alias routes the next step's weight;
   * - `promoted`: the alias is on the new version alone: the deployment succeeded.
   */
  readonly status: 'started' | 'baking' | 'advanced' | 'promoted';
  /** Where the deployment is now. */
  readonly shift: JudgedShift;
  /** The new version's weight now, in percent. */
  readonly weight: number;
  /** This minute's look. @default - absent when the judge did not look this minute */
  readonly look?: CanaryLook;
  /** One line for a person. */
  readonly summary: string;
}

/**
 * Points the alias at `release.currentVersion` with `weight` % routed to `release.targetVersion`;
 * 100 points it at the target alone and 0 at the current version alone (both without routing).
 */
export async function shiftAlias(
  lambda: LambdaClient,
  release: JudgedRelease,
  weight: number,
): Promise<void> {
  const alone = weight >= 100 ? release.targetVersion : weight <= 0 ? release.currentVersion : undefined;
  await lambda.send(
    new UpdateAliasCommand({
      FunctionName: release.functionName,
      Name: release.alias,
      FunctionVersion: alone ?? release.currentVersion,
      // An empty map removes the routing: an UpdateAlias without RoutingConfig would keep it.
      RoutingConfig: { AdditionalVersionWeights: alone ? {} : { [release.targetVersion]: weight / 100 } },
    }),
  );
}

/** The alias in words: `live of ias-dev-allocate-order`. */
const aliasOf = (release: JudgedRelease) => `${release.alias} of ${release.functionName}`;

/** Where a step is in words: `10 % (step 1 of 3)`. */
const stepOf = (plan: JudgedPlan, step: number) =>
  `${plan.steps[step] ?? '?'} % (step ${step + 1} of ${plan.steps.length})`;

/**
 * Puts the alias back on the current version alone and returns the error to throw: `code` with
 * `reason`, or `DEPLOYMENT_FAILED` saying how to put it back by hand when that failed.
 */
async function rollBack(
  dependencies: JudgedDependencies,
  release: JudgedRelease,
  code: 'ROLLED_BACK' | 'TIMED_OUT',
  reason: string,
  cause?: unknown,
): Promise<DeliveryError> {
  try {
    await shiftAlias(dependencies.lambda, release, 0);
  } catch (error) {
    return new DeliveryError(
      'DEPLOYMENT_FAILED',
      `${aliasOf(release)} still routes traffic to version ${release.targetVersion}: putting it back on version ${release.currentVersion} failed (${describeError(error)}); run \`aws lambda update-alias --function-name ${release.functionName} --name ${release.alias} --function-version ${release.currentVersion} --routing-config 'AdditionalVersionWeights={}'\`. Why it rolled back: ${reason}`,
      { cause: error },
    );
  }
  return new DeliveryError(
    code,
    `${aliasOf(release)} rolled back to version ${release.currentVersion}: ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}

/** The named alarms' states: those in ALARM (with their reason) and those that do not exist. */
async function readAlarms(
  cloudwatch: CloudWatchClient,
  names: readonly string[],
): Promise<{ firing: string[]; missing: string[] }> {
  const states = await readAlarmStates(cloudwatch, names);
  const firing = names.flatMap((name) => {
    const found = states.get(name);
    return found?.state === 'ALARM'
      ? [`alarm ${name} is in ALARM (${oneLine(found.reason ?? '', 200)})`]
      : [];
  });
  return { firing, missing: names.filter((name) => !states.has(name)) };
}

/**
 * Starts a judged deployment: checks that the alarms exist and none is in ALARM, that the alias is
 * still on the current version, and routes the first step's weight to the new version.
 *
 * @throws DeliveryError `BAD_INPUT` for an alarm that does not exist, `DEPLOYMENT_FAILED` for one in
 *   ALARM, `UPDATE_CONFLICT` when the alias moved since the release was prepared; nothing is shifted
 */
export async function beginJudgedShift(
  dependencies: JudgedDependencies,
  plan: JudgedPlan,
  release: JudgedRelease,
): Promise<JudgedMinute> {
  const { lambda, cloudwatch } = dependencies;
  if (plan.alarms.length > 0) {
    const { firing, missing } = await readAlarms(cloudwatch, plan.alarms);
    if (missing.length > 0) {
      throw new DeliveryError(
        'BAD_INPUT',
        `alarm(s) ${missing.join(', ')} do not exist: a judged deployment watches only alarms there are (fix the names or deploy the alarms first)`,
      );
    }
    if (firing.length > 0) {
      throw new DeliveryError(
        'DEPLOYMENT_FAILED',
        `${firing.join('; ')} before ${aliasOf(release)} shifted: nothing shifted; re-run once it is OK`,
      );
    }
  }
  const found = await lambda.send(
    new GetAliasCommand({ FunctionName: release.functionName, Name: release.alias }),
  );
  const others = Object.keys(found.RoutingConfig?.AdditionalVersionWeights ?? {}).filter(
    (version) => version !== release.targetVersion,
  );
  // A split towards the target is this deployment's own, left by an invocation that did not finish.
  if (found.FunctionVersion !== release.currentVersion || others.length > 0) {
    throw new DeliveryError(
      'UPDATE_CONFLICT',
      `${aliasOf(release)} is on version ${found.FunctionVersion ?? '?'}${others.length > 0 ? ` routing to ${others.join(', ')}` : ''}, not on version ${release.currentVersion} as when the release was prepared: someone moved it; re-run the release`,
    );
  }
  const [weight = 100] = plan.steps;
  await shiftAlias(lambda, release, weight);
  const at = dependencies.now();
  // Only the release's fields: the shift is the continuation token, kept small.
  const { functionName, alias, currentVersion, targetVersion } = release;
  return {
    status: 'started',
    shift: {
      functionName,
      alias,
      currentVersion,
      targetVersion,
      startedAt: at,
      step: 0,
      stepStartedAt: at,
      looked: 0,
    },
    weight,
    summary: `${aliasOf(release)} routes ${stepOf(plan, 0)} to version ${release.targetVersion}, the rest to ${release.currentVersion}`,
  };
}

/**
 * The whole minutes of the step judged at `now` (from the first minute after its shift, at most the
 * bake's), or 0 while the first is not in CloudWatch yet: `readCanarySeries` reads neither the
 * current minute nor the one before.
 */
function minutesToJudge(
  shift: JudgedShift,
  analysis: CanaryAnalysis,
  now: number,
): { count: number; window: CanaryWindow } {
  const first = Math.ceil(shift.stepStartedAt / MINUTE_MS) * MINUTE_MS;
  const complete = Math.floor(now / MINUTE_MS) - 1 - first / MINUTE_MS;
  const count = Math.max(0, Math.min(complete, analysis.bakeMinutes));
  return { count, window: { start: new Date(first), end: new Date(first + (count + 1) * MINUTE_MS) } };
}

/**
 * One minute of a judged deployment: reads the alarms, checks the time-out, and (when a new minute
 * of the step is in CloudWatch) looks:
 * - an alarm in ALARM, a `rollback` look, the time-out, or any failure to read → the alias goes back
 *   to the current version and this throws;
 * - `promote`, or `continue` at the step's last look → the next step (its own bake), or the new
 *   version alone after the last one below 100;
 * - `wait` → the step goes on.
 *
 * @throws DeliveryError `ROLLED_BACK` (alarm, look, a read that failed) or `TIMED_OUT` with the alias
 *   back on the current version; `DEPLOYMENT_FAILED` when putting it back failed
 */
export async function judgeMinute(
  dependencies: JudgedDependencies,
  plan: JudgedPlan,
  shift: JudgedShift,
): Promise<JudgedMinute> {
  const weight = plan.steps[shift.step];
  if (weight === undefined || weight >= 100) {
    throw await rollBack(
      dependencies,
      shift,
      'ROLLED_BACK',
      `its step ${shift.step + 1} is not one of steps ${JSON.stringify(plan.steps)} below 100: the steps changed while it ran; re-run the release`,
    );
  }
  const where = `version ${shift.targetVersion} at ${stepOf(plan, shift.step)}`;
  let seen: Seen;
  try {
    seen = await see(dependencies, plan, shift, where);
  } catch (error) {
    // Whatever could not be read (an alarm, the metrics) stops the deployment, as CodeDeploy's alarms do.
    throw await rollBack(dependencies, shift, 'ROLLED_BACK', `${where}: ${describeError(error)}`, error);
  }
  if ('rollback' in seen) {
    throw await rollBack(dependencies, shift, seen.rollback, seen.reason);
  }
  if ('skipped' in seen) {
    return { status: 'baking', shift, weight, summary: `${aliasOf(shift)}: ${where}, ${seen.skipped}` };
  }
  const { look } = seen;
  if (look.action === 'rollback') {
    throw await rollBack(dependencies, shift, 'ROLLED_BACK', `${where}: ${look.reason}`);
  }
  const looked = { ...shift, looked: look.look };
  if (look.action === 'wait' || (look.action === 'continue' && !look.final)) {
    return {
      status: 'baking',
      shift: looked,
      weight,
      look,
      summary: `${aliasOf(shift)}: ${where}, ${look.reason}`,
    };
  }
  return advance(dependencies, plan, looked, look);
}

/** What a minute saw: a reason to roll back, no look (and why), or a look. */
type Seen =
  | { readonly rollback: 'ROLLED_BACK' | 'TIMED_OUT'; readonly reason: string }
  | { readonly skipped: string }
  | { readonly look: CanaryLook };

/** Reads the alarms, checks the time-out, and looks when a new minute of the step is in CloudWatch. */
async function see(
  dependencies: JudgedDependencies,
  plan: JudgedPlan,
  shift: JudgedShift,
  where: string,
): Promise<Seen> {
  const { cloudwatch } = dependencies;
  if (plan.alarms.length > 0) {
    const { firing, missing } = await readAlarms(cloudwatch, plan.alarms);
    const [reason] = [
      ...firing,
      ...missing.map((name) => `alarm ${name} no longer exists, so it cannot be watched`),
    ];
    if (reason) {
      return { rollback: 'ROLLED_BACK', reason: `${reason}, with ${where}` };
    }
  }
  const now = dependencies.now();
  const elapsed = now - shift.startedAt;
  if (elapsed >= plan.timeoutMs) {
    return {
      rollback: 'TIMED_OUT',
      reason: `${where} after ${Math.floor(elapsed / MINUTE_MS)} min, past the time-out of ${Math.round(plan.timeoutMs / MINUTE_MS)} min`,
    };
  }
  const { count, window } = minutesToJudge(shift, plan.analysis, now);
  if (count === 0) {
    return { skipped: 'waiting for its first whole minute in CloudWatch' };
  }
  if (count <= shift.looked) {
    return { skipped: `no new minute since look ${shift.looked}` };
  }
  const judge = dependencies.judge ?? canaryJudge;
  const source: CanarySource = {
    kind: 'lambda-alias',
    functionName: shift.functionName,
    alias: shift.alias,
    baselineVersion: shift.currentVersion,
    canaryVersion: shift.targetVersion,
  };
  let reading: CanarySeriesReading;
  try {
    reading = await judge.read(cloudwatch, source, window);
  } catch (error) {
    // CloudWatch returned part of the minutes: they are read again at the next look.
    if (error instanceof DeliveryError && error.code === 'TIMED_OUT') {
      return { skipped: `CloudWatch data not complete yet (${error.message})` };
    }
    throw error;
  }
  return { look: judge.look(reading.baseline, reading.canary, plan.analysis) };
}

/** Moves the alias to the step after `shift`'s, whose look let it end. */
async function advance(
  dependencies: JudgedDependencies,
  plan: JudgedPlan,
  shift: JudgedShift,
  look: CanaryLook,
): Promise<JudgedMinute> {
  const step = shift.step + 1;
  const weight = plan.steps[step] ?? 100;
  try {
    await shiftAlias(dependencies.lambda, shift, weight);
  } catch (error) {
    throw await rollBack(
      dependencies,
      shift,
      'ROLLED_BACK',
      `moving version ${shift.targetVersion} to ${weight} % failed: ${describeError(error)}`,
      error,
    );
  }
  const next = { ...shift, step, stepStartedAt: dependencies.now(), looked: 0 };
  const passed = `${plan.steps[shift.step]} % passed (${look.reason})`;
  if (weight >= 100) {
    return {
      status: 'promoted',
      shift: next,
      weight,
      look,
      summary: `${aliasOf(shift)} is on version ${shift.targetVersion}: ${passed}`,
    };
  }
  return {
    status: 'advanced',
    shift: next,
    weight,
    look,
    summary: `${aliasOf(shift)}: ${passed}; now ${stepOf(plan, step)} to version ${shift.targetVersion}`,
  };
}

/**
 * Follows a judged deployment one minute at a time until it is promoted or `goOn` says to stop (the
 * pipeline step's invocation budget), and returns the last minute. From a {@link JudgedMinute} just
 * taken it waits a minute first; from a {@link JudgedShift} (a continuation token) it judges at once.
 * Throws what {@link judgeMinute} throws.
 */
export async function followJudged(
  dependencies: JudgedDependencies,
  plan: JudgedPlan,
  from: JudgedMinute | JudgedShift,
  options: {
    readonly sleep: (ms: number) => Promise<void>;
    readonly goOn: (minute: JudgedMinute) => boolean;
    readonly onProgress?: (minute: JudgedMinute) => void;
  },
): Promise<JudgedMinute> {
  const next = async (shift: JudgedShift) => {
    const minute = await judgeMinute(dependencies, plan, shift);
    options.onProgress?.(minute);
    return minute;
  };
  let last = 'status' in from ? from : await next(from);
  while (last.status !== 'promoted' && options.goOn(last)) {
    await options.sleep(JUDGED_LOOK_MS);
    last = await next(last.shift);
  }
  return last;
}

/** Options of {@link deployJudged}. */
export interface DeployJudgedOptions extends JudgedRelease {
  /** Lambda client of the function's account and region. */
  readonly lambda: LambdaClient;
  /** CloudWatch client of the same account and region. */
  readonly cloudwatch: CloudWatchClient;
  /** The new version's weights in percent, rising, ending at 100, e.g. `[10, 50, 100]`. */
  readonly steps: readonly number[];
  /** How each step is judged (checked with `parseCanaryAnalysis`): each step bakes `bakeMinutes`. */
  readonly analysis: CanaryAnalysis;
  /**
   * CloudWatch alarms (at most 10) that roll the deployment back when one is in ALARM.
   * @default - no alarms
   */
  readonly alarms?: readonly string[];
  /**
   * How long the deployment may run from its first shift before it is rolled back, in minutes.
   * @default - twice the time the bakes take at most
   */
  readonly timeoutMinutes?: number;
  /**
   * Called when the alias first shifts and after every minute.
   * @default - nothing is called
   */
  readonly onProgress?: (minute: JudgedMinute) => void;
  /**
   * The current time in ms.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Waits `ms` milliseconds.
   * @default - a timer
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Reads and judges the minutes.
   * @default {@link canaryJudge}
   */
  readonly judge?: CanaryJudge;
}

/** What {@link deployJudged} did. */
export interface DeployJudgedResult {
  /** The version the alias is on now, alone. */
  readonly targetVersion: string;
  /** The look that let the last step below 100 end. */
  readonly look: CanaryLook;
  /** Minutes from the first shift to the new version alone. */
  readonly minutes: number;
}

/**
 * Runs a judged deployment of `targetVersion` behind `alias` to its end in this process: the first
 * step's weight, then once a minute {@link judgeMinute} until the alias is on the new version alone.
 *
 * The alias must be on `currentVersion` (the release's `prepareRelease` reads it). An interrupted
 * process leaves the alias routing part of the traffic to the new version: put it back with
 * `shiftAlias(lambda, release, 0)`.
 *
 * @throws DeliveryError `BAD_INPUT` for invalid settings (nothing shifted); `ROLLED_BACK` or
 *   `TIMED_OUT` with the alias back on `currentVersion`; `DEPLOYMENT_FAILED` when it could not be put back
 */
export async function deployJudged(options: DeployJudgedOptions): Promise<DeployJudgedResult> {
  const plan = judgedPlan(options, 'judged deployment');
  const release: JudgedRelease = {
    functionName: options.functionName,
    alias: options.alias,
    currentVersion: options.currentVersion,
    targetVersion: options.targetVersion,
  };
  const parsed = judgedShiftSchema
    .pick({ functionName: true, alias: true, currentVersion: true, targetVersion: true })
    .refine((r) => r.currentVersion !== r.targetVersion, {
      path: ['targetVersion'],
      error: 'must differ from currentVersion: there is nothing to deploy',
    })
    .safeParse(release);
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `judged deployment: ${describeIssues(parsed.error)}`);
  }
  const now = options.now ?? realNow;
  const dependencies: JudgedDependencies = {
    lambda: options.lambda,
    cloudwatch: options.cloudwatch,
    now,
    judge: options.judge,
  };
  const first = await beginJudgedShift(dependencies, plan, release);
  options.onProgress?.(first);
  const last = await followJudged(dependencies, plan, first, {
    sleep: options.sleep ?? realSleep,
    goOn: () => true,
    onProgress: options.onProgress,
  });
  if (!last.look) {
    // followJudged returns only a promoted minute here, and promotion is a look's.
    throw new Error('a judged deployment ended without a look');
  }
  return {
    targetVersion: release.targetVersion,
    look: last.look,
    minutes: Math.round((now() - first.shift.startedAt) / MINUTE_MS),
  };
}

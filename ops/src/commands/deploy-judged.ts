/**
 * `deploy lambda` under the environment's `judged` strategy: the zip published as the pipeline's
 * CreateAppSpecFile publishes it, then the alias shifted by delivery's `deployJudged` through the
 * profile's steps, each judged once a minute by the canary judge (a progress line a minute), back on
 * the current version on a fail, an alarm or the time-out. No CodeDeploy deployment is made.
 *
 * The process holds the shift: SIGINT or SIGTERM stops it at once (no further look or step) and puts
 * the alias back on the current version (`shiftAlias(lambda, release, 0)`) before the command exits
 * (3, rolled back; 1 when even that failed, with the command that puts it back by hand).
 */
import {
  type CanaryJudge,
  type DeployJudgedResult,
  deployJudged,
  type JudgedMinute,
  type JudgedRelease,
  prepareRelease,
  type Release,
  shiftAlias,
} from '@ias/delivery';
import type { JudgedLambdaSettings } from '@ias/infra/config';
import type { FunctionTarget } from '@ias/targets';
import type { AwsClients, PlannedCall } from '../context';
import { EXIT, OpsError } from '../errors';
import type { Waits } from '../follow';

/** The signals that stop a judged deployment in flight. */
export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** Where the interrupts come from: the process, or a test's emitter. */
export interface SignalSource {
  on(signal: InterruptSignal, listener: () => void): unknown;
  off(signal: InterruptSignal, listener: () => void): unknown;
}

/** The clocks and seams of `deploy lambda` (tests pass fakes). */
export interface DeployWaits extends Waits {
  /**
   * Reads and judges a judged deployment's minutes.
   * @default - the canary judge over CloudWatch
   */
  readonly judge?: CanaryJudge;
  /**
   * Where SIGINT and SIGTERM come from while a judged deployment shifts the alias.
   * @default process
   */
  readonly signals?: SignalSource;
}

/** What a judged deployment did: the release, and once shifted, its last look and its minutes. */
export interface JudgedOutcome {
  readonly release: Release;
  /** Absent when the zip was the code the alias already runs (nothing shifted). */
  readonly done?: DeployJudgedResult;
}

/** The calls a judged deployment makes after the release, as `--dry-run` lists them. */
export function judgedDryRunCalls(target: FunctionTarget, judged: JudgedLambdaSettings): PlannedCall[] {
  const { functionName, alias } = target;
  const current = '<version from GetAlias>';
  const next = '<version from PublishVersion>';
  const describeAlarms: PlannedCall = {
    service: 'cloudwatch',
    command: 'DescribeAlarms',
    input: { AlarmNames: target.alarms, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
  };
  const shift = (weight: number): PlannedCall => ({
    service: 'lambda',
    command: 'UpdateAlias',
    input: {
      FunctionName: functionName,
      Name: alias,
      FunctionVersion: weight >= 100 ? next : current,
      RoutingConfig: { AdditionalVersionWeights: weight >= 100 ? {} : { [next]: weight / 100 } },
    },
  });
  const { bakeMinutes } = judged.analysis;
  return [
    describeAlarms,
    { service: 'lambda', command: 'GetAlias', input: { FunctionName: functionName, Name: alias } },
    ...judged.steps.flatMap((weight, i) => [
      shift(weight),
      ...(weight < 100
        ? [
            describeAlarms,
            {
              service: 'cloudwatch',
              command: 'GetMetricData',
              input: `<once a minute of step ${i + 1}'s ${bakeMinutes}-minute bake: versions ${current} and ${next} of ${functionName}:${alias}, judged; on a fail, an alarm or past ${judged.timeoutMinutes} min, UpdateAlias back to ${current} alone>`,
            } satisfies PlannedCall,
          ]
        : []),
    ]),
  ];
}

/** One progress line of a minute: where the shift is, and the look's verdict when the judge looked. */
export function judgedProgressLine(minute: JudgedMinute): string {
  const look = minute.look ? ` [look ${minute.look.look}/${minute.look.looks}: ${minute.look.action}]` : '';
  return `${minute.weight} %${look} ${minute.summary}`;
}

/** Thrown into a judged deployment's wait when a signal stops it. */
class Interrupted extends Error {
  constructor(readonly signal: InterruptSignal) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
  }
}

/**
 * Listens for SIGINT and SIGTERM until disposed, and gives a sleep that rejects as soon as one comes
 * (or at once after): the judged deployment then stops at its next wait, before any further look.
 */
function interruptible(signals: SignalSource, base: ((ms: number) => Promise<void>) | undefined) {
  let received: InterruptSignal | undefined;
  const wakers = new Set<() => void>();
  const listeners = {
    SIGINT: () => stop('SIGINT'),
    SIGTERM: () => stop('SIGTERM'),
  } as const;
  function stop(signal: InterruptSignal) {
    // A second signal (GitHub sends SIGTERM after SIGINT) changes nothing: the alias is being put back.
    if (received) return;
    received = signal;
    for (const wake of [...wakers]) wake();
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) signals.on(signal, listeners[signal]);
  const sleep = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (received) {
        reject(new Interrupted(received));
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const settle = (end: () => void) => {
        wakers.delete(wake);
        clearTimeout(timer);
        end();
      };
      const wake = () => settle(() => reject(new Interrupted(received ?? 'SIGINT')));
      wakers.add(wake);
      if (base) {
        base(ms).then(
          () => settle(resolve),
          (error: unknown) => settle(() => reject(error)),
        );
      } else {
        timer = setTimeout(() => settle(resolve), ms);
      }
    });
  return {
    sleep,
    received: () => received,
    dispose: () => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) signals.off(signal, listeners[signal]);
    },
  };
}

/** Puts the alias back after a signal and says so, as the error the command ends with. */
async function putBack(
  aws: AwsClients,
  name: string,
  target: FunctionTarget,
  release: JudgedRelease,
  signal: InterruptSignal,
  report: (line: string) => void,
): Promise<OpsError> {
  report(
    `${signal}: putting ${target.functionName}:${target.alias} back on version ${release.currentVersion}`,
  );
  try {
    await shiftAlias(aws.lambda, release, 0);
  } catch (error) {
    return new OpsError(
      `interrupted by ${signal}, and putting ${target.functionName}:${target.alias} back on version ${release.currentVersion} failed (${error instanceof Error ? error.message : String(error)}): it may still route traffic to version ${release.targetVersion}; put it back with "ias-ops lambda promote ${name} --to ${release.currentVersion} --env ${target.environment}"`,
      EXIT.failed,
    );
  }
  return new OpsError(
    `interrupted by ${signal}: ${target.functionName}:${target.alias} is back on version ${release.currentVersion} alone (version ${release.targetVersion} is published and serves no traffic)`,
    EXIT.rolledBack,
  );
}

/**
 * Publishes the zip and shifts the alias through the judged steps (see the file's comment). Throws
 * delivery's errors as they are (the caller maps them to exit codes), and an {@link OpsError} after
 * a signal, once the alias is back.
 */
export async function deployJudgedZip(options: {
  readonly aws: AwsClients;
  /** The function's folder name under app/functions. */
  readonly name: string;
  readonly target: FunctionTarget;
  readonly judged: JudgedLambdaSettings;
  readonly zip: Uint8Array;
  readonly description: string;
  readonly waits: DeployWaits;
  readonly report: (line: string) => void;
}): Promise<JudgedOutcome> {
  const { aws, target, judged, waits, report } = options;
  const release = await prepareRelease({
    lambda: aws.lambda,
    functionName: target.functionName,
    alias: target.alias,
    zip: options.zip,
    description: options.description,
    sleep: waits.sleep,
  });
  if (release.unchanged) {
    report(`version ${release.targetVersion} already is ${release.alias}: nothing to deploy`);
    return { release };
  }
  report(`published version ${release.targetVersion} (${release.alias} is on ${release.currentVersion})`);
  const guard = interruptible(waits.signals ?? process, waits.sleep);
  try {
    let done: DeployJudgedResult | undefined;
    let failure: unknown;
    try {
      done = await deployJudged({
        lambda: aws.lambda,
        cloudwatch: aws.cloudwatch,
        functionName: release.functionName,
        alias: release.alias,
        currentVersion: release.currentVersion,
        targetVersion: release.targetVersion,
        steps: judged.steps,
        analysis: judged.analysis,
        alarms: target.alarms,
        timeoutMinutes: judged.timeoutMinutes,
        onProgress: (minute) => report(judgedProgressLine(minute)),
        now: waits.now,
        sleep: guard.sleep,
        judge: waits.judge,
      });
    } catch (error) {
      failure = error;
    }
    const signal = guard.received();
    if (signal) {
      // Even after a promotion in the same moment: the operator asked for the old version.
      throw await putBack(aws, options.name, target, release, signal, report);
    }
    if (!done) {
      throw failure;
    }
    return { release, done };
  } finally {
    guard.dispose();
  }
}

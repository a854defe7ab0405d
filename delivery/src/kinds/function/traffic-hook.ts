import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import {
  GetDeploymentTargetCommand,
  ListDeploymentTargetsCommand,
  PutLifecycleEventHookExecutionStatusCommand,
} from '@aws-sdk/client-codedeploy';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { DeliveryError, describeError, isAwsError, oneLine } from '../../errors.js';
import type { TrafficHookEvent } from '../../lifecycle-hook.js';
import { describeIssues } from '../../schemas.js';

/** The SDK clients a traffic hook uses. */
export interface TrafficHookClients {
  /** Reads the deployment's target and reports the hook's status. */
  readonly codedeploy: CodeDeployClient;
  /** Invokes the function with its smoke event. */
  readonly lambda: LambdaClient;
  /** Reads the function's alarms (post-traffic). */
  readonly cloudwatch: CloudWatchClient;
  /** Reads the function's smoke event. */
  readonly ssm: SSMClient;
}

/** When a hook runs: before any traffic shifts (tests the new version) or after all of it has. */
export type TrafficPhase = 'pre-traffic' | 'post-traffic';

/** Settings of a traffic hook function (read from its environment). */
export interface TrafficHookConfig {
  /** Which hook this function is. */
  readonly phase: TrafficPhase;
  /** SSM parameter path of the smoke events, ending in `/`; a function's event is `<path><functionName>`. */
  readonly smokeEventsPath: string;
}

/** The outcome a hook reported to CodeDeploy. */
export interface TrafficHookResult {
  /** What CodeDeploy was told. */
  readonly status: 'Succeeded' | 'Failed';
  /** Why, in one line. */
  readonly reason: string;
}

/** The traffic hooks' settings, as they parse them at start (the wiring check reads them the same way). */
export const hookEnvironmentSchema = z.object({
  HOOK_PHASE: z.enum(['pre-traffic', 'post-traffic']),
  SMOKE_EVENTS_PATH: z
    .string()
    // eslint-disable-next-line security/detect-unsafe-regex -- each repetition ends with a / its class excludes: one way to match
    .regex(/^\/([A-Za-z0-9_.-]+\/)*$/, 'must be an SSM parameter path that starts and ends with /'),
});

/**
 * Reads a traffic hook's settings from its environment (`HOOK_PHASE`, `SMOKE_EVENTS_PATH`).
 *
 * Throws {@link DeliveryError} `BAD_INPUT` naming each bad variable.
 */
export function readTrafficHookConfig(env: Readonly<Record<string, string | undefined>>): TrafficHookConfig {
  const result = hookEnvironmentSchema.safeParse(env);
  if (!result.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `traffic hook misconfigured: ${describeIssues(result.error)} (HOOK_PHASE is pre-traffic or post-traffic; SMOKE_EVENTS_PATH is like /ias/dev/smoke-events/)`,
    );
  }
  return { phase: result.data.HOOK_PHASE, smokeEventsPath: result.data.SMOKE_EVENTS_PATH };
}

const lambdaFunctionInfoSchema = z.object({
  functionName: z.string().min(1),
  functionAlias: z.string().min(1),
  currentVersion: z.string().min(1),
  targetVersion: z.string().min(1),
});

type FunctionUnderTest = z.infer<typeof lambdaFunctionInfoSchema>;

/**
 * Runs a CodeDeploy traffic hook of a Lambda deployment and reports its status to CodeDeploy.
 *
 * It finds the deployment's function, reads its smoke event from SSM (`<smokeEventsPath><functionName>`)
 * and invokes it: pre-traffic the target version, post-traffic the alias; the answer must be JSON with
 * `status: 'ok'`. Post-traffic, any alarm named `<functionName>-…` in ALARM fails the hook too. Whatever
 * happens, it then calls PutLifecycleEventHookExecutionStatus exactly once; it throws only when that
 * call fails (CodeDeploy then fails the hook at its time-out).
 */
export async function runTrafficHook(
  clients: TrafficHookClients,
  event: TrafficHookEvent,
  config: TrafficHookConfig,
): Promise<TrafficHookResult> {
  let result: TrafficHookResult;
  try {
    result = await check(clients, event.DeploymentId, config);
  } catch (error) {
    result = { status: 'Failed', reason: oneLine(`${config.phase} check failed: ${describeError(error)}`) };
  }
  try {
    await clients.codedeploy.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId: event.DeploymentId,
        lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
        status: result.status,
      }),
    );
  } catch (error) {
    throw new Error(
      `could not report ${result.status} (${result.reason}) for hook ${event.LifecycleEventHookExecutionId} of deployment ${event.DeploymentId}: ${describeError(error)}`,
      { cause: error },
    );
  }
  return result;
}

async function check(
  clients: TrafficHookClients,
  deploymentId: string,
  config: TrafficHookConfig,
): Promise<TrafficHookResult> {
  const target = await findTarget(clients.codedeploy, deploymentId);
  const smokeEvent = await readSmokeEvent(clients.ssm, `${config.smokeEventsPath}${target.functionName}`);
  const qualifier = config.phase === 'pre-traffic' ? target.targetVersion : target.functionAlias;
  const failures: string[] = [];
  const invokeFailure = await smokeTest(clients.lambda, target.functionName, qualifier, smokeEvent);
  if (invokeFailure) {
    failures.push(invokeFailure);
  }
  if (config.phase === 'post-traffic') {
    const alarms = await alarmsInAlarm(clients.cloudwatch, target.functionName);
    if (alarms.length > 0) {
      failures.push(`alarms in ALARM: ${alarms.join(', ')}`);
    }
  }
  const subject =
    config.phase === 'pre-traffic'
      ? `pre-traffic check of ${target.functionName} version ${qualifier}`
      : `post-traffic check of ${target.functionName}:${qualifier} (version ${target.targetVersion})`;
  return failures.length > 0
    ? { status: 'Failed', reason: oneLine(`${subject} failed: ${failures.join('; ')}`) }
    : { status: 'Succeeded', reason: `${subject} passed` };
}

async function findTarget(codedeploy: CodeDeployClient, deploymentId: string): Promise<FunctionUnderTest> {
  const listed = await codedeploy.send(new ListDeploymentTargetsCommand({ deploymentId }));
  const targetId = listed.targetIds?.[0];
  if (!targetId) {
    throw new DeliveryError('BAD_INPUT', `deployment ${deploymentId} has no target`);
  }
  const found = await codedeploy.send(new GetDeploymentTargetCommand({ deploymentId, targetId }));
  const info = lambdaFunctionInfoSchema.safeParse(found.deploymentTarget?.lambdaTarget?.lambdaFunctionInfo);
  if (!info.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `target ${targetId} of deployment ${deploymentId} is not a Lambda function target (${describeIssues(info.error, 'lambdaFunctionInfo')})`,
    );
  }
  return info.data;
}

async function readSmokeEvent(ssm: SSMClient, name: string): Promise<string> {
  let value: string | undefined;
  try {
    const found = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    value = found.Parameter?.Value;
  } catch (error) {
    if (isAwsError(error, 'ParameterNotFound')) {
      throw new DeliveryError(
        'BAD_INPUT',
        `smoke event parameter ${name} does not exist: deploy the function's stack (it writes the parameter)`,
        { cause: error },
      );
    }
    throw error;
  }
  try {
    JSON.parse(value ?? '');
  } catch {
    throw new DeliveryError('BAD_INPUT', `smoke event parameter ${name} does not hold JSON`);
  }
  return value ?? '';
}

/** Invokes the function once with the smoke event; returns why it failed, or undefined when it passed. */
async function smokeTest(
  lambda: LambdaClient,
  functionName: string,
  qualifier: string,
  smokeEvent: string,
): Promise<string | undefined> {
  let payload: string;
  let functionError: string | undefined;
  try {
    const answer = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        Qualifier: qualifier,
        Payload: new TextEncoder().encode(smokeEvent),
      }),
    );
    payload = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
    functionError = answer.FunctionError;
  } catch (error) {
    return `invoke failed: ${describeError(error)}`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    parsed = undefined;
  }
  if (functionError) {
    const failure = z
      .object({ errorType: z.string().optional(), errorMessage: z.string() })
      .safeParse(parsed);
    const detail = failure.success
      ? [failure.data.errorType, failure.data.errorMessage].filter(Boolean).join(': ')
      : payload.slice(0, 200);
    return `function error (${functionError}): ${detail}`;
  }
  const answer = z.object({ status: z.literal('ok') }).safeParse(parsed);
  if (!answer.success) {
    return `answered ${JSON.stringify(payload.slice(0, 200))}, not JSON with status "ok"`;
  }
  return undefined;
}

async function alarmsInAlarm(cloudwatch: CloudWatchClient, functionName: string): Promise<string[]> {
  const found = await cloudwatch.send(
    new DescribeAlarmsCommand({
      AlarmNamePrefix: `${functionName}-`,
      StateValue: 'ALARM',
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    }),
  );
  return [...(found.MetricAlarms ?? []), ...(found.CompositeAlarms ?? [])]
    .map((alarm) => alarm.AlarmName ?? '?')
    .sort();
}

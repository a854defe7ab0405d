import type { CloudFormationClient, Stack, StackEvent } from '@aws-sdk/client-cloudformation';
import { CreateStackCommand, DescribeStackEventsCommand } from '@aws-sdk/client-cloudformation';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { DeliveryError, isAwsError } from '../../errors.js';
import { describeStack, firstFailure, repairAdvice } from '../../stacks.js';
import type { Clock } from '../../time.js';
import { now as realNow, sleep as realSleep } from '../../time.js';

/** The function's stack template: its text, or the S3 URL CloudFormation reads it from. */
export type StackTemplate = { readonly body: string } | { readonly url: string };

/** Options of {@link ensureFunction}. */
export interface EnsureFunctionOptions {
  /** Lambda client of the function's account and region. */
  readonly lambda: LambdaClient;
  /** CloudFormation client of the same account and region. */
  readonly cloudformation: CloudFormationClient;
  /** The function that must exist. */
  readonly functionName: string;
  /** The stack that defines the function. */
  readonly stackName: string;
  /** Produces the stack's template; called only when the stack has to be created. */
  readonly template: () => Promise<StackTemplate>;
  /**
   * Role CloudFormation assumes to create the stack.
   * @default - the caller's credentials
   */
  readonly roleArn?: string;
  /**
   * Tags of a created stack.
   * @default - no tags
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * How long to wait for the stack to settle, in ms.
   * @default 1800000 (30 min)
   */
  readonly timeoutMs?: number;
  /**
   * Pause between two reads of the stack's status, in ms.
   * @default 10000
   */
  readonly pollMs?: number;
  /**
   * Waits `ms` milliseconds.
   * @default - a timer
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * The current time in ms.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** What {@link ensureFunction} found or did. */
export interface EnsureFunctionResult {
  /** `exists`: the function was there (or appeared once its stack settled); `created`: its stack was created. */
  readonly status: 'exists' | 'created';
  /** The function's name. */
  readonly functionName: string;
  /** The stack's name. */
  readonly stackName: string;
}

/** Capabilities a function stack needs: IAM roles (named ones too) and macros/nested stacks. */
const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const;

/**
 * Makes sure a function exists before a release, creating its stack when neither exists.
 *
 * The function exists: nothing else is read (the template callback is not called). It is missing:
 * - no stack: creates it (`OnFailure: DELETE`) and waits for `CREATE_COMPLETE` (`STACK_FAILED` naming
 *   the first resource that failed and its reason; `TIMED_OUT`), then the function must exist;
 * - a stack in progress: waits for it to settle and looks again;
 * - a stack in `ROLLBACK_COMPLETE` or a `*_FAILED` status: `STACK_FAILED` (delete or repair it);
 * - a stable stack without the function: `FUNCTION_MISSING`.
 *
 * It only ever creates a missing stack and never updates an existing one: the infrastructure pipeline
 * owns that stack, and an application pipeline that changed it would fight the infrastructure pipeline
 * (and could roll back its changes with an older template).
 */
export async function ensureFunction(options: EnsureFunctionOptions): Promise<EnsureFunctionResult> {
  const { functionName, stackName } = options;
  const now = options.now ?? realNow;
  const deadline = now() + (options.timeoutMs ?? 30 * 60_000);
  const waiter: StackWaiter = {
    cloudformation: options.cloudformation,
    stackName,
    deadline,
    timeoutMs: options.timeoutMs ?? 30 * 60_000,
    pollMs: options.pollMs ?? 10_000,
    sleep: options.sleep ?? realSleep,
    now,
  };

  if (await functionExists(options.lambda, functionName)) {
    return { status: 'exists', functionName, stackName };
  }
  let stack: StackState | undefined = await describeStack(options.cloudformation, stackName);
  if (stack?.StackStatus?.endsWith('_IN_PROGRESS')) {
    stack = await waitForStack(waiter, stack.StackId ?? stackName);
    if (await functionExists(options.lambda, functionName)) {
      return { status: 'exists', functionName, stackName };
    }
    if (stack.StackStatus === 'DELETE_COMPLETE') {
      // It was being deleted: it is gone now, so it is created like a stack that never existed.
      stack = undefined;
    }
  }
  if (!stack) {
    const stackId = await createStack(options);
    const created = await waitForStack(waiter, stackId);
    if (created.StackStatus !== 'CREATE_COMPLETE') {
      throw await creationFailure(waiter, created);
    }
    if (!(await functionExists(options.lambda, functionName))) {
      throw new DeliveryError(
        'FUNCTION_MISSING',
        `stack ${stackName} was created but has no function ${functionName}: fix the template (it must define the function under that name) and re-run`,
      );
    }
    return { status: 'created', functionName, stackName };
  }
  const status = stack.StackStatus ?? 'UNKNOWN';
  if (status === 'ROLLBACK_COMPLETE' || status.endsWith('_FAILED')) {
    throw new DeliveryError(
      'STACK_FAILED',
      `stack ${stackName} is in ${status}: ${repairAdvice(stackName, status, 'its pipeline or cdk deploy', true)}`,
    );
  }
  throw new DeliveryError(
    'FUNCTION_MISSING',
    `stack ${stackName} exists but has no function ${functionName}: deploy the infrastructure (its pipeline or cdk deploy) to repair it`,
  );
}

async function functionExists(lambda: LambdaClient, functionName: string): Promise<boolean> {
  try {
    await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
    return true;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) {
      return false;
    }
    throw error;
  }
}

async function createStack(options: EnsureFunctionOptions): Promise<string> {
  const template = await options.template();
  const created = await options.cloudformation.send(
    new CreateStackCommand({
      StackName: options.stackName,
      ...('body' in template ? { TemplateBody: template.body } : { TemplateURL: template.url }),
      Capabilities: [...CAPABILITIES],
      RoleARN: options.roleArn,
      OnFailure: 'DELETE',
      Tags: Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return created.StackId ?? options.stackName;
}

/** What the waits read of a stack. */
type StackState = Pick<Stack, 'StackId' | 'StackStatus' | 'StackStatusReason'>;

interface StackWaiter extends Clock {
  readonly cloudformation: CloudFormationClient;
  readonly stackName: string;
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly pollMs: number;
}

/** Polls the stack (by id, so a deleted stack still answers) until its status is no longer `*_IN_PROGRESS`. */
async function waitForStack(waiter: StackWaiter, stackId: string): Promise<StackState> {
  for (;;) {
    const stack = await describeStack(waiter.cloudformation, stackId);
    if (!stack) {
      // Deleted while we waited (a by-name lookup does not see deleted stacks).
      return { StackStatus: 'DELETE_COMPLETE' };
    }
    if (!stack.StackStatus?.endsWith('_IN_PROGRESS')) {
      return stack;
    }
    if (waiter.now() >= waiter.deadline) {
      throw new DeliveryError(
        'TIMED_OUT',
        `stack ${waiter.stackName} still ${stack.StackStatus} after ${Math.round(waiter.timeoutMs / 60_000)} min: follow it in the CloudFormation console and re-run once it settles`,
      );
    }
    await waiter.sleep(waiter.pollMs);
  }
}

/** The `STACK_FAILED` error of a failed creation, naming the first resource that failed and why. */
async function creationFailure(waiter: StackWaiter, stack: StackState): Promise<DeliveryError> {
  const events = await stackEvents(waiter.cloudformation, stack.StackId ?? waiter.stackName);
  const cause = firstFailure(events, stack.StackStatusReason);
  return new DeliveryError(
    'STACK_FAILED',
    `creating stack ${waiter.stackName} failed (${stack.StackStatus ?? 'UNKNOWN'}): ${cause}; fix the template or the account and re-run`,
  );
}

async function stackEvents(cloudformation: CloudFormationClient, stackId: string): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  let nextToken: string | undefined;
  // A function stack has few resources; ten pages (1,000 events) cover any creation of one.
  for (let page = 0; page < 10; page += 1) {
    const found = await cloudformation.send(
      new DescribeStackEventsCommand({ StackName: stackId, NextToken: nextToken }),
    );
    events.push(...(found.StackEvents ?? []));
    nextToken = found.NextToken;
    if (!nextToken) {
      break;
    }
  }
  return events;
}

import type { CloudFormationClient, Parameter, StackEvent } from '@aws-sdk/client-cloudformation';
import { DescribeStackEventsCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { DeliveryError, describeError, isAwsError } from '../../errors.js';
import { describeIssues } from '../../schemas.js';
import { now as realNow, sleep as realSleep } from '../../time.js';
import { describeStack, firstFailure, repairAdvice } from '../../stacks.js';
import { imageUriSchema } from './image-uri.js';

/** The value of the image parameter while the service has never been delivered (its stack holds no service). */
export const NEVER_DELIVERED = 'none';

/** The stack parameter that takes the image URI from SSM (`AWS::SSM::Parameter::Value<String>`). */
export const IMAGE_STACK_PARAMETER = 'ImageUri';

/** Capabilities a service stack needs: IAM roles (named ones too) and macros/nested stacks. */
const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const;

/** The SDK clients a service release uses. */
export interface ServiceReleaseClients {
  /** Reads and updates the service's stack. */
  readonly cloudformation: CloudFormationClient;
  /** Reads and writes the image parameter. */
  readonly ssm: SSMClient;
}

/** Which service, and the image it is to run. */
export interface ServiceDeliveryInput {
  /** The service's stack, e.g. `ias-dev-inventory-api`. */
  readonly stackName: string;
  /** The SSM String parameter the stack's `ImageUri` parameter reads, e.g. `/ias/dev/inventory-api/image`. */
  readonly imageParameter: string;
  /** The image being delivered (commit tag or digest). */
  readonly imageUri: string;
}

/** An SSM parameter name: a path of letters, digits and `_.-` segments (or one plain name). */
export const ssmParameterNameSchema = z
  .string()
  .regex(
    // eslint-disable-next-line security/detect-unsafe-regex -- each repetition starts with a / its class excludes: one way to match
    /^(\/[A-Za-z0-9_.-]+)+$|^[A-Za-z0-9_.-]+$/,
    'must be an SSM parameter name such as /ias/dev/inventory-api/image',
  )
  .max(1011);

/** A CloudFormation stack name: starts with a letter, then letters, digits or hyphens, at most 128. */
export const stackNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name');

const serviceDeliveryInputSchema = z.object({
  stackName: stackNameSchema,
  imageParameter: ssmParameterNameSchema,
  imageUri: imageUriSchema,
});

function validate(input: unknown, source: string): ServiceDeliveryInput {
  const parsed = serviceDeliveryInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `${source}: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** The stack update that delivers a service's first image, to follow until it settles. */
export interface ServiceStackUpdate {
  /** The stack's name (for messages). */
  readonly stackName: string;
  /** The stack's id (its ARN). */
  readonly stackId: string;
  /** The ClientRequestToken of the update: it marks the update's events. */
  readonly requestToken: string;
  /** The image parameter, set back to `none` if the update fails. */
  readonly imageParameter: string;
}

/** What {@link startServiceDelivery} found or did. */
export type ServiceDeliveryStart =
  | {
      /** The stack already runs a delivered image: CodeDeploy delivers the new one. */
      readonly action: 'already-delivered';
      /** The image the parameter held (the one running). */
      readonly previousImage: string;
    }
  | {
      /** The parameter now holds the image and the stack creates the service with it. */
      readonly action: 'delivered-first';
      /** There was no delivered image. */
      readonly previousImage: undefined;
      /** The update to follow; absent when CloudFormation had nothing to update. */
      readonly update?: ServiceStackUpdate;
    };

/** Options of {@link startServiceDelivery}. */
export interface StartServiceDeliveryOptions {
  /**
   * The current time in ms (it makes the update's ClientRequestToken unique).
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * First half of {@link ensureServiceDelivered}: decides whether the service needs its first image and,
 * if so, writes the image parameter and starts the stack update (without waiting for it).
 *
 * The service needs its first image when the image parameter holds `none`, or when the stack's last
 * update resolved `ImageUri` to `none` (an earlier first delivery that timed out or was interrupted).
 */
export async function startServiceDelivery(
  clients: ServiceReleaseClients,
  input: ServiceDeliveryInput,
  options: StartServiceDeliveryOptions = {},
): Promise<ServiceDeliveryStart> {
  const { stackName, imageParameter, imageUri } = validate(input, 'invalid service delivery');
  const now = options.now ?? realNow;
  const stack = await describeStack(clients.cloudformation, stackName);
  if (!stack) {
    throw new DeliveryError(
      'SERVICE_MISSING',
      `stack ${stackName} does not exist: deploy the infrastructure first (npx cdk deploy ${stackName}), then re-run`,
    );
  }
  const imageStackParameter = stack.Parameters?.find(
    (parameter) => parameter.ParameterKey === IMAGE_STACK_PARAMETER,
  );
  if (!imageStackParameter) {
    throw new DeliveryError(
      'BAD_INPUT',
      `stack ${stackName} has no ${IMAGE_STACK_PARAMETER} parameter: is it the service's stack? (the service stack takes its image from SSM parameter ${imageParameter})`,
    );
  }
  if (imageStackParameter.ParameterValue !== imageParameter) {
    throw new DeliveryError(
      'BAD_INPUT',
      `stack ${stackName} reads its image from SSM parameter ${imageStackParameter.ParameterValue ?? '(none)'}, not ${imageParameter}: fix the step's imageParameter`,
    );
  }
  const current = await readImageParameter(clients.ssm, imageParameter, stackName);
  const resolved = imageStackParameter.ResolvedValue;
  if (current !== NEVER_DELIVERED && resolved !== NEVER_DELIVERED) {
    return { action: 'already-delivered', previousImage: current };
  }

  const status = stack.StackStatus ?? 'UNKNOWN';
  if (status.endsWith('_IN_PROGRESS')) {
    throw new DeliveryError(
      'UPDATE_CONFLICT',
      `stack ${stackName} is ${status}: let that operation finish, then re-run`,
    );
  }
  if (status === 'ROLLBACK_COMPLETE' || status.endsWith('_FAILED')) {
    throw new DeliveryError(
      'STACK_FAILED',
      `stack ${stackName} is in ${status}: ${repairAdvice(stackName, status, `npx cdk deploy ${stackName}`, false)}`,
    );
  }

  await clients.ssm.send(new PutParameterCommand({ Name: imageParameter, Value: imageUri, Overwrite: true }));
  const requestToken = `deliver-first-image-${now()}`;
  try {
    const updated = await clients.cloudformation.send(
      new UpdateStackCommand({
        StackName: stackName,
        UsePreviousTemplate: true,
        // Every parameter keeps its value: ImageUri keeps naming the SSM parameter, which
        // CloudFormation resolves again, now to the image.
        Parameters: (stack.Parameters ?? []).map((parameter: Parameter) => ({
          ParameterKey: parameter.ParameterKey,
          UsePreviousValue: true,
        })),
        Capabilities: [...CAPABILITIES],
        ClientRequestToken: requestToken,
      }),
    );
    return {
      action: 'delivered-first',
      previousImage: undefined,
      update: {
        stackName,
        stackId: updated.StackId ?? stack.StackId ?? stackName,
        requestToken,
        imageParameter,
      },
    };
  } catch (error) {
    if (isAwsError(error, 'ValidationError') && /no updates are to be performed/i.test(error.message)) {
      return { action: 'delivered-first', previousImage: undefined };
    }
    const restored = await restoreNeverDelivered(clients.ssm, imageParameter);
    if (isAwsError(error, 'ValidationError') && /does not exist/i.test(error.message)) {
      throw new DeliveryError(
        'SERVICE_MISSING',
        `stack ${stackName} does not exist: deploy the infrastructure first (npx cdk deploy ${stackName}), then re-run; ${restored}`,
        { cause: error },
      );
    }
    throw new DeliveryError(
      'STACK_FAILED',
      `could not update stack ${stackName} to deliver its first image: ${describeError(error)}; ${restored}`,
      { cause: error },
    );
  }
}

/** Options of {@link followServiceUpdate}. */
export interface FollowServiceUpdateOptions {
  /** When the update counts as timed out, in ms since the epoch. */
  readonly deadline: number;
  /** The whole time-out in ms (for the message). */
  readonly timeoutMs: number;
  /**
   * How long this call follows the update before it returns `in-progress`, in ms.
   * @default - until the deadline
   */
  readonly budgetMs?: number;
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

/**
 * Second half of {@link ensureServiceDelivered}: follows the stack update until `UPDATE_COMPLETE`
 * (`complete`) or until `budgetMs` is spent (`in-progress`: call again).
 *
 * When the update fails (rolls back), it sets the image parameter back to `none`, as the stack is back
 * to no service, and throws {@link DeliveryError} `STACK_FAILED` naming the first resource that failed
 * and why. Past the deadline it throws `TIMED_OUT` and leaves the parameter: the update goes on, and a
 * re-run sees from the stack whether the service came up.
 */
export async function followServiceUpdate(
  clients: ServiceReleaseClients,
  update: ServiceStackUpdate,
  options: FollowServiceUpdateOptions,
): Promise<'complete' | 'in-progress'> {
  const now = options.now ?? realNow;
  const sleep = options.sleep ?? realSleep;
  const pollMs = options.pollMs ?? 10_000;
  const started = now();
  for (;;) {
    const stack = await describeStack(clients.cloudformation, update.stackId);
    const status = stack?.StackStatus ?? 'DELETE_COMPLETE';
    if (status === 'UPDATE_COMPLETE') {
      return 'complete';
    }
    if (!status.endsWith('_IN_PROGRESS')) {
      throw await updateFailure(clients, update, status, stack?.StackStatusReason);
    }
    if (now() >= options.deadline) {
      throw new DeliveryError(
        'TIMED_OUT',
        `stack ${update.stackName} still ${status} after ${Math.round(options.timeoutMs / 60_000)} min: follow it in the CloudFormation console and re-run once it settles`,
      );
    }
    if (options.budgetMs !== undefined && now() - started + pollMs > options.budgetMs) {
      return 'in-progress';
    }
    await sleep(pollMs);
  }
}

/** Options of {@link ensureServiceDelivered}. */
export interface EnsureServiceOptions {
  /**
   * How long to wait for the stack update, in ms.
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

/** What {@link ensureServiceDelivered} found or did. */
export interface EnsureServiceResult {
  /** `delivered-first`: the stack now runs the service with `imageUri`; `already-delivered`: nothing done. */
  readonly action: 'delivered-first' | 'already-delivered';
  /** The image the service ran before; undefined when it had never been delivered. */
  readonly previousImage: string | undefined;
}

/**
 * Makes sure a container service has been delivered once before CodeDeploy deploys to it.
 *
 * The service's stack takes its image from an SSM String parameter (stack parameter `ImageUri` of type
 * `AWS::SSM::Parameter::Value<String>`, defaulting to that parameter's name); `none` there means the
 * service was never delivered and the stack holds no ECS service. Then this writes `imageUri` to the
 * parameter and updates the stack with its previous template and parameter values (CloudFormation
 * resolves `ImageUri` again, and creates the service), and waits for `UPDATE_COMPLETE`. Otherwise it
 * changes nothing. Throws {@link DeliveryError}: `SERVICE_MISSING` when the stack or the parameter does
 * not exist (deploy the infrastructure first), `STACK_FAILED` when the update fails (the parameter is set
 * back to `none`) or the stack needs repair, `UPDATE_CONFLICT` when the stack is busy, `TIMED_OUT`,
 * `BAD_INPUT` on invalid input or a stack that does not read `imageParameter`.
 */
export async function ensureServiceDelivered(
  clients: ServiceReleaseClients,
  input: ServiceDeliveryInput,
  options: EnsureServiceOptions = {},
): Promise<EnsureServiceResult> {
  const now = options.now ?? realNow;
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const deadline = now() + timeoutMs;
  const start = await startServiceDelivery(clients, input, { now });
  if (start.action === 'already-delivered') {
    return { action: 'already-delivered', previousImage: start.previousImage };
  }
  if (start.update) {
    await followServiceUpdate(clients, start.update, {
      deadline,
      timeoutMs,
      pollMs: options.pollMs,
      sleep: options.sleep,
      now,
    });
  }
  return { action: 'delivered-first', previousImage: undefined };
}

/**
 * Records the image a successful deployment put live in the service's image parameter, so that a
 * re-deploy of the infrastructure keeps running it (the stack resolves `ImageUri` from it).
 *
 * Throws {@link DeliveryError} `BAD_INPUT` on an invalid parameter name or image URI.
 */
export async function recordServiceImage(
  ssm: SSMClient,
  input: { readonly imageParameter: string; readonly imageUri: string },
): Promise<void> {
  const parsed = serviceDeliveryInputSchema.pick({ imageParameter: true, imageUri: true }).safeParse(input);
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `cannot record the service image: ${describeIssues(parsed.error)}`);
  }
  await ssm.send(
    new PutParameterCommand({
      Name: parsed.data.imageParameter,
      Value: parsed.data.imageUri,
      Overwrite: true,
    }),
  );
}

async function readImageParameter(ssm: SSMClient, name: string, stackName: string): Promise<string> {
  try {
    const found = await ssm.send(new GetParameterCommand({ Name: name }));
    const { Type, Value } = found.Parameter ?? {};
    if (Type !== undefined && Type !== 'String') {
      throw new DeliveryError(
        'BAD_INPUT',
        `SSM parameter ${name} is a ${Type}: the image parameter must be a String (CloudFormation's AWS::SSM::Parameter::Value<String> reads no other)`,
      );
    }
    return Value ?? '';
  } catch (error) {
    if (isAwsError(error, 'ParameterNotFound')) {
      throw new DeliveryError(
        'SERVICE_MISSING',
        `SSM parameter ${name} does not exist: deploy the infrastructure first (npx cdk deploy ${stackName}), it creates the parameter`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Sets the image parameter back to `none`; says in one clause whether that worked. */
async function restoreNeverDelivered(ssm: SSMClient, name: string): Promise<string> {
  try {
    await ssm.send(new PutParameterCommand({ Name: name, Value: NEVER_DELIVERED, Overwrite: true }));
    return `SSM parameter ${name} is back to ${NEVER_DELIVERED}`;
  } catch (error) {
    return `setting SSM parameter ${name} back to ${NEVER_DELIVERED} failed too (${describeError(error)}): set it by hand before re-running`;
  }
}

/** The `STACK_FAILED` error of a failed update (after setting the parameter back to `none`). */
async function updateFailure(
  clients: ServiceReleaseClients,
  update: ServiceStackUpdate,
  status: string,
  statusReason: string | undefined,
): Promise<DeliveryError> {
  const events = await updateEvents(clients.cloudformation, update);
  const cause = firstFailure(events, statusReason);
  const restored = await restoreNeverDelivered(clients.ssm, update.imageParameter);
  return new DeliveryError(
    'STACK_FAILED',
    `delivering the first image to stack ${update.stackName} failed (${status}): ${cause}; ${restored}; fix the cause and re-run`,
  );
}

/** The events of this update (those carrying its ClientRequestToken), newest first. */
async function updateEvents(
  cloudformation: CloudFormationClient,
  update: ServiceStackUpdate,
): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  let nextToken: string | undefined;
  // The update's events are the newest; stop at the first page that reaches older ones.
  for (let page = 0; page < 10; page += 1) {
    const found = await cloudformation.send(
      new DescribeStackEventsCommand({ StackName: update.stackId, NextToken: nextToken }),
    );
    const pageEvents = found.StackEvents ?? [];
    events.push(...pageEvents.filter((event) => event.ClientRequestToken === update.requestToken));
    nextToken = found.NextToken;
    const reachedOlder =
      events.length > 0 && pageEvents.some((event) => event.ClientRequestToken !== update.requestToken);
    if (!nextToken || reachedOlder) {
      break;
    }
  }
  return events;
}

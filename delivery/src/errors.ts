/** Longest message a {@link DeliveryError} keeps: it becomes a pipeline action's failure message. */
export const MAX_MESSAGE_LENGTH = 500;

/**
 * What went wrong in a delivery step, as a code a caller can branch on.
 *
 * - `FUNCTION_MISSING`: the function (or its alias) does not exist.
 * - `STACK_FAILED`: the function's CloudFormation stack failed or is in a state that needs a person.
 * - `UPDATE_CONFLICT`: someone else is updating the function or deploying to its deployment group.
 * - `ALIAS_MID_SHIFT`: the alias still routes part of its traffic to a second version.
 * - `DEPLOYMENT_FAILED`: the code update or the CodeDeploy deployment failed without a rollback.
 * - `ROLLED_BACK`: the CodeDeploy deployment failed or was stopped and traffic went back.
 * - `TIMED_OUT`: a stack, an update or a deployment did not settle in time.
 * - `BAD_INPUT`: the caller's input (parameters, event, environment, artifact) is invalid.
 * - `SERVICE_MISSING`: the container service's infrastructure (its stack, image parameter or task
 *   definition family) does not exist yet: deploy the infrastructure first.
 * - `CONTAINER_MISSING`: the task definition has no container of the name the delivery targets.
 */
export type DeliveryErrorCode =
  | 'FUNCTION_MISSING'
  | 'STACK_FAILED'
  | 'UPDATE_CONFLICT'
  | 'ALIAS_MID_SHIFT'
  | 'DEPLOYMENT_FAILED'
  | 'ROLLED_BACK'
  | 'TIMED_OUT'
  | 'BAD_INPUT'
  | 'SERVICE_MISSING'
  | 'CONTAINER_MISSING';

/**
 * The error every delivery step throws for a failure it understands.
 *
 * Its message is one line that says what went wrong and what to do (newlines are folded and the
 * text is cut at {@link MAX_MESSAGE_LENGTH} characters), because it is shown as is as the pipeline
 * action's failure message or the ops CLI's error.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';

  /**
   * @param code - what kind of failure this is
   * @param message - one sentence: what went wrong, then what to do about it
   * @param options - the underlying error, if any, as `cause`
   */
  constructor(
    readonly code: DeliveryErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(oneLine(message), options);
  }
}

/** Folds whitespace (newlines included) to single spaces and cuts the text at `max` characters. */
export function oneLine(text: string, max = MAX_MESSAGE_LENGTH): string {
  const folded = text.replace(/\s+/g, ' ').trim();
  return folded.length > max ? `${folded.slice(0, max - 1)}…` : folded;
}

/** The one-line message of anything thrown: an AWS SDK error reads `Name: message`. */
export function describeError(error: unknown): string {
  if (error instanceof DeliveryError) {
    return error.message;
  }
  if (error instanceof Error) {
    const name = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
    return oneLine(`${name}${error.message}`);
  }
  return oneLine(String(error));
}

/**
 * Whether `error` is the AWS service error `name` (e.g. `ResourceNotFoundException`).
 *
 * Compares the name rather than using `instanceof`, so it holds when two copies of an SDK client
 * are loaded (a bundled one and the runtime's).
 */
export function isAwsError(error: unknown, name: string): error is Error {
  return error instanceof Error && error.name === name;
}

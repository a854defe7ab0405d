import type { Responder, SdkCall } from './recorder';

/** A canned answer: the output, or a function of the call's input that returns or throws one. */
export type Canned = unknown;

/**
 * A {@link Responder} from a table keyed `<service id> <command>` (e.g. `Lambda GetFunction`); a
 * function value is called with the input (it may throw an {@link awsError}), any other value is
 * the output. A call the table does not name gets no answer, which fails the recording.
 */
export function responder(table: Readonly<Record<string, Canned>>): Responder {
  return (call: SdkCall) => {
    const answer = table[`${call.serviceId} ${call.command}`];
    return typeof answer === 'function'
      ? (answer as (input: SdkCall['input']) => unknown)(call.input)
      : answer;
  };
}

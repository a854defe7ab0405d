import type { InventoryRepository } from '@ias/core';
import type { Context } from 'aws-lambda';

/**
 * The probe a deployment's traffic hooks send a new version (`events/smoke.json` of every
 * function): `{ "smoke": true }`. It is answered without side effects, so it is safe against any
 * environment's data, unlike the functions' sample events, which allocate stock or import files.
 */
export interface SmokeEvent {
  readonly smoke: true;
}

/** What a function answers a {@link SmokeEvent}: the deployment hooks require `status: 'ok'`. */
export interface SmokeAnswer {
  readonly status: 'ok';
  /** The function's folder name. */
  readonly function: string;
  /** The Lambda version that answered (`$LATEST` outside Lambda). */
  readonly version: string;
}

/** Whether an event is the deployment probe. */
export function isSmokeEvent(event: unknown): event is SmokeEvent {
  return typeof event === 'object' && event !== null && (event as { smoke?: unknown }).smoke === true;
}

/**
 * Wraps a handler so that it answers the deployment probe: the code loaded, its settings and
 * credentials resolved, and the database answered (`SELECT 1`). Any failure propagates, so the
 * invocation reports a function error and the hook fails the deployment. Other events go to the
 * handler unchanged.
 */
export function withSmokeProbe<E, R>(
  name: string,
  repository: () => Promise<InventoryRepository>,
  handler: (event: E, context: Context) => Promise<R>,
): (event: E | SmokeEvent, context: Context) => Promise<R | SmokeAnswer> {
  return async (event, context) => {
    if (!isSmokeEvent(event)) {
      return handler(event, context);
    }
    await (await repository()).ping();
    return { status: 'ok', function: name, version: context.functionVersion };
  };
}

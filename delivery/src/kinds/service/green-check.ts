import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { z } from 'zod';
import { DeliveryError, describeError, oneLine } from '../../errors.js';
import { describeIssues } from '../../schemas.js';
import { sleep as realSleep } from '../../time.js';
import {
  type EcsHookResponse,
  ecsLifecycleHookEventSchema,
  lifecycleHookSource,
  reportCodeDeployHook,
  trafficHookEventSchema,
} from '../../lifecycle-hook.js';

/** The HTTP GET the check makes, shaped like the global `fetch` (which fits it as is). */
export type HttpGet = (
  url: string,
  init: { readonly method: 'GET'; readonly signal: AbortSignal; readonly redirect: 'manual' },
) => Promise<{ readonly status: number; readonly body?: { cancel(): Promise<void> } | null }>;

/** Options of {@link checkGreen}. */
export interface GreenCheckOptions {
  /** The green side's URL through the load balancer's test listener, e.g. `http://<alb-dns>:8080/ready`. */
  readonly url: string;
  /**
   * How many requests at most.
   * @default 5
   */
  readonly attempts?: number;
  /**
   * How many 2xx answers in a row pass the check.
   * @default - 3, or `attempts` when that is smaller
   */
  readonly consecutive?: number;
  /**
   * Pause between two requests, in ms.
   * @default 5000
   */
  readonly intervalMs?: number;
  /**
   * How long one request may take, in ms.
   * @default 5000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Makes the request.
   * @default globalThis.fetch
   */
  readonly fetch?: HttpGet;
  /**
   * Waits `ms` milliseconds.
   * @default - a timer
   */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The outcome of {@link checkGreen}. */
export interface GreenCheckResult {
  /** Whether the green side answered 2xx often enough in a row. */
  readonly ok: boolean;
  /** Why, in one line. */
  readonly detail: string;
}

const greenCheckOptionsSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    attempts: z.number().int().min(1).max(100),
    consecutive: z.number().int().min(1).max(100).optional(),
    intervalMs: z.number().int().min(0).max(300_000),
    requestTimeoutMs: z.number().int().min(1).max(60_000),
  })
  .refine((options) => (options.consecutive ?? 1) <= options.attempts, {
    message: 'must not exceed attempts',
    path: ['consecutive'],
  });

/**
 * Checks the green (replacement) side of a blue/green deployment through the load balancer's test
 * listener, before production traffic moves to it.
 *
 * GETs `url` (redirects are not followed: a 3xx fails) until `consecutive` answers in a row are 2xx,
 * pausing `intervalMs` between requests; it gives up when the attempts left cannot make the streak.
 * Never throws for a failed request (that is a failed attempt); throws {@link DeliveryError}
 * `BAD_INPUT` on invalid options.
 */
export async function checkGreen(options: GreenCheckOptions): Promise<GreenCheckResult> {
  const parsed = greenCheckOptionsSchema.safeParse({
    url: options.url,
    attempts: options.attempts ?? 5,
    consecutive: options.consecutive,
    intervalMs: options.intervalMs ?? 5_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
  });
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `invalid green check: ${describeIssues(parsed.error)}`);
  }
  const { url, attempts, intervalMs, requestTimeoutMs } = parsed.data;
  const needed = parsed.data.consecutive ?? Math.min(3, attempts);
  const get = options.fetch ?? (globalThis.fetch as HttpGet);
  const sleep = options.sleep ?? realSleep;
  let streak = 0;
  let last = 'no answer';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (attempt > 1) {
      await sleep(intervalMs);
    }
    const answer = await probe(get, url, requestTimeoutMs);
    if (answer.ok) {
      streak += 1;
      if (streak >= needed) {
        return {
          ok: true,
          detail: `${url} answered 2xx ${needed} time(s) in a row (${attempt} of ${attempts} attempts)`,
        };
      }
    } else {
      streak = 0;
      last = answer.text;
    }
    if (streak + (attempts - attempt) < needed) {
      // Even all-2xx from here would not make the streak: stop instead of waiting for nothing.
      return {
        ok: false,
        detail: oneLine(
          `${url} did not answer 2xx ${needed} time(s) in a row (${attempt} of ${attempts} attempts); last failure: ${last}`,
        ),
      };
    }
  }
  return {
    ok: false,
    detail: oneLine(`${url} did not answer 2xx ${needed} time(s) in a row; last failure: ${last}`),
  };
}

async function probe(get: HttpGet, url: string, timeoutMs: number): Promise<{ ok: boolean; text: string }> {
  try {
    const response = await get(url, {
      method: 'GET',
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    // The body is not read: release the connection instead of leaving it to the garbage collector.
    await response.body?.cancel().catch(() => undefined);
    return { ok: response.status >= 200 && response.status < 300, text: `HTTP ${response.status}` };
  } catch (error) {
    // fetch reports connection errors as "TypeError: fetch failed" with the reason in `cause`.
    const cause =
      error instanceof Error && error.cause !== undefined ? ` (${describeError(error.cause)})` : '';
    return { ok: false, text: `request failed: ${describeError(error)}${cause}` };
  }
}

/** Settings of the green check hook (read from its environment by {@link readGreenCheckConfig}). */
export interface GreenCheckConfig {
  /** `GREEN_CHECK_URL`: the green side's URL through the test listener. */
  readonly url: string;
  /** `GREEN_CHECK_ATTEMPTS`: how many requests at most (default 5). */
  readonly attempts: number;
  /** `GREEN_CHECK_CONSECUTIVE`: how many 2xx in a row pass (default 3, or attempts when smaller). */
  readonly consecutive?: number;
  /** `GREEN_CHECK_INTERVAL_MS`: pause between requests (default 5000). */
  readonly intervalMs: number;
}

const integer = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.number().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

/** The green check's settings, as it parses them at start (the wiring check reads them the same way). */
export const greenCheckEnvironmentSchema = z
  .object({
    GREEN_CHECK_URL: z.url({
      protocol: /^https?$/,
      error:
        'must be the http(s) URL of the green side through the test listener, e.g. http://<alb-dns>:8080/ready',
    }),
    GREEN_CHECK_ATTEMPTS: integer('GREEN_CHECK_ATTEMPTS', 1, 100).default(5),
    GREEN_CHECK_CONSECUTIVE: integer('GREEN_CHECK_CONSECUTIVE', 1, 100).optional(),
    GREEN_CHECK_INTERVAL_MS: integer('GREEN_CHECK_INTERVAL_MS', 0, 300_000).default(5_000),
  })
  .refine((env) => (env.GREEN_CHECK_CONSECUTIVE ?? 1) <= env.GREEN_CHECK_ATTEMPTS, {
    message: 'must not exceed GREEN_CHECK_ATTEMPTS',
    path: ['GREEN_CHECK_CONSECUTIVE'],
  });

/**
 * Reads the green check hook's settings from its environment: `GREEN_CHECK_URL` (required),
 * `GREEN_CHECK_ATTEMPTS` (default 5), `GREEN_CHECK_CONSECUTIVE` (default 3, or the attempts when fewer)
 * and `GREEN_CHECK_INTERVAL_MS` (default 5000).
 *
 * Throws {@link DeliveryError} `BAD_INPUT` naming each bad variable.
 */
export function readGreenCheckConfig(env: Readonly<Record<string, string | undefined>>): GreenCheckConfig {
  const result = greenCheckEnvironmentSchema.safeParse(env);
  if (!result.success) {
    throw new DeliveryError('BAD_INPUT', `green check misconfigured: ${describeIssues(result.error)}`);
  }
  const values = result.data;
  return {
    url: values.GREEN_CHECK_URL,
    attempts: values.GREEN_CHECK_ATTEMPTS,
    ...(values.GREEN_CHECK_CONSECUTIVE === undefined ? {} : { consecutive: values.GREEN_CHECK_CONSECUTIVE }),
    intervalMs: values.GREEN_CHECK_INTERVAL_MS,
  };
}

/** The outcome of {@link runGreenCheckHook}, by the service that called it. */
export type GreenCheckHookOutcome =
  | {
      /** CodeDeploy (ECS blue/green by CodeDeploy): the status was reported with PutLifecycleEventHookExecutionStatus. */
      readonly source: 'codedeploy';
      readonly status: 'Succeeded' | 'Failed';
      readonly deploymentId: string;
      readonly detail: string;
    }
  | {
      /** Amazon ECS's own deployment: `response` is the function's answer. */
      readonly source: 'ecs';
      readonly response: EcsHookResponse;
      readonly lifecycleStage: string;
      readonly detail: string;
    };

/** What {@link runGreenCheckHook} uses besides its configuration. */
export interface GreenCheckHookDependencies {
  /** Reports the status of a CodeDeploy lifecycle hook. */
  readonly codedeploy: CodeDeployClient;
  /**
   * Makes the check's requests.
   * @default globalThis.fetch
   */
  readonly fetch?: HttpGet;
  /**
   * Waits between requests.
   * @default - a timer
   */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs the green check as a lifecycle hook of either deployment kind, recognised from the event:
 * - a CodeDeploy hook (`{ DeploymentId, LifecycleEventHookExecutionId }`, e.g. AfterAllowTestTraffic):
 *   runs the check and reports Succeeded or Failed with PutLifecycleEventHookExecutionStatus (exactly
 *   once; it throws only when that call fails, and CodeDeploy then fails the hook at its time-out);
 * - an Amazon ECS hook (`executionDetails` / `lifecycleStage`, meant for POST_TEST_TRAFFIC_SHIFT):
 *   runs the check and answers `{ hookStatus: 'SUCCEEDED' | 'FAILED' }`; a malformed ECS event
 *   answers FAILED (the deployment rolls back rather than go on unchecked).
 *
 * Throws for an event of neither kind: there is nothing to report to.
 */
export async function runGreenCheckHook(
  dependencies: GreenCheckHookDependencies,
  event: unknown,
  config: GreenCheckConfig,
): Promise<GreenCheckHookOutcome> {
  if (lifecycleHookSource(event) === 'codedeploy') {
    const parsed = trafficHookEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new Error(`not a CodeDeploy lifecycle hook event: ${describeIssues(parsed.error)}`);
    }
    const { DeploymentId } = parsed.data;
    const result = await check(dependencies, config);
    const status = result.ok ? 'Succeeded' : 'Failed';
    await reportCodeDeployHook(dependencies.codedeploy, parsed.data, status, result.detail);
    return { source: 'codedeploy', status, deploymentId: DeploymentId, detail: result.detail };
  }
  const parsed = ecsLifecycleHookEventSchema.safeParse(event);
  if (!parsed.success) {
    return {
      source: 'ecs',
      response: { hookStatus: 'FAILED' },
      lifecycleStage: 'unknown',
      detail: `not a valid Amazon ECS lifecycle hook event: ${describeIssues(parsed.error)}`,
    };
  }
  const result = await check(dependencies, config);
  return {
    source: 'ecs',
    response: { hookStatus: result.ok ? 'SUCCEEDED' : 'FAILED' },
    lifecycleStage: parsed.data.lifecycleStage,
    detail: result.detail,
  };
}

/** The check, with any unexpected error turned into a failed result (a hook must always answer). */
async function check(
  dependencies: GreenCheckHookDependencies,
  config: GreenCheckConfig,
): Promise<GreenCheckResult> {
  try {
    return await checkGreen({ ...config, fetch: dependencies.fetch, sleep: dependencies.sleep });
  } catch (error) {
    return { ok: false, detail: `green check failed: ${describeError(error)}` };
  }
}

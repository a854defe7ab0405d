/**
 * Following a deployment to its end: read its state every poll, report it as progress, and give up with
 * a plain message after a time-out (the deployment goes on; the message says how to check it).
 */
import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { checkDeployment, type DeploymentState } from '@ias/delivery';
import { EXIT, OpsError } from './errors';

/** How long `deployments stop` and `ecs rollback` wait for a stopped deployment to roll back, in ms. */
export const STOP_TIMEOUT_MS = 15 * 60_000;

/** How long an Amazon ECS service deployment is followed, in ms. */
export const ECS_FOLLOW_MS = 60 * 60_000;

/** How long the service deployment UpdateService started may take to show, in ms. */
export const SHOW_MS = 2 * 60_000;

/** How long a CodeDeploy ECS deployment is followed (its traffic shifting and the time blue is kept), in ms. */
export const CODEDEPLOY_FOLLOW_MS = 150 * 60_000;

/** The clocks of the commands that follow a deployment (tests pass ones that return at once). */
export interface Waits {
  /** @default - a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default 15000 (deploy lambda) or 5000 */
  readonly pollMs?: number;
}

/** How one follow polls, reports and gives up. */
export interface FollowOptions {
  readonly waits: Waits;
  /** @default 5000 */
  readonly pollMs?: number;
  readonly timeoutMs: number;
  /** Progress lines. */
  readonly report: (line: string) => void;
  /** What the operator should do when it times out. */
  readonly hint: string;
}

/** The hint of a follow that gives up while the deployment goes on. */
export function goesOn(environment: string): string {
  return `it goes on; follow it with "ias-ops deployments list --env ${environment}"`;
}

/** Follow options with these clocks and hint, for a step's progress and a time-out. */
export function following(waits: Waits, hint: string) {
  return (report: (line: string) => void, timeoutMs: number): FollowOptions => ({
    waits,
    timeoutMs,
    report,
    hint,
  });
}

/**
 * Calls `read` until `settled` says the state is final, reporting `describe` of each state.
 *
 * @throws OpsError (exit 1) after `timeoutMs`
 */
export async function follow<T>(
  read: () => Promise<T>,
  settled: (state: T) => boolean,
  describe: (state: T) => string,
  options: FollowOptions,
): Promise<T> {
  const sleep = options.waits.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.waits.now ?? Date.now;
  const pollMs = options.waits.pollMs ?? options.pollMs ?? 5_000;
  const started = now();
  for (;;) {
    const state = await read();
    options.report(describe(state));
    if (settled(state)) return state;
    if (now() - started >= options.timeoutMs) {
      throw new OpsError(
        `not ended after ${Math.round(options.timeoutMs / 60_000)} min (${describe(state)}): ${options.hint}`,
        EXIT.failed,
      );
    }
    await sleep(pollMs);
  }
}

/** Follows CodeDeploy deployment `deploymentId` until it succeeds, fails or is rolled back. */
export function followCodeDeploy(
  codedeploy: CodeDeployClient,
  deploymentId: string,
  options: FollowOptions,
): Promise<DeploymentState> {
  return follow(
    () => checkDeployment({ codedeploy, deploymentId }),
    (s) => s.status !== 'running',
    (s) => s.summary,
    options,
  );
}

import type { CodeDeployClient, DeploymentInfo } from '@aws-sdk/client-codedeploy';
import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { DeliveryError, describeError, isAwsError, oneLine } from '../../errors.js';
import type { Release, ReleaseOptions } from './release.js';
import { prepareRelease } from './release.js';
import { now as realNow, sleep as realSleep } from '../../time.js';

/** Options of {@link startDeployment}. */
export interface StartDeploymentOptions {
  /** CodeDeploy client of the function's account and region. */
  readonly codedeploy: CodeDeployClient;
  /** The CodeDeploy application. */
  readonly application: string;
  /** The deployment group (it holds the deployment configuration, the alarms and the rollback settings). */
  readonly deploymentGroup: string;
  /** The appspec YAML, as `renderAppSpec` writes it. */
  readonly appSpec: string;
  /**
   * Description of the deployment.
   * @default - no description
   */
  readonly description?: string;
}

/**
 * Starts a CodeDeploy deployment of a Lambda appspec and returns its id.
 *
 * Fails with `UPDATE_CONFLICT` when the group already has an active deployment and with `BAD_INPUT`
 * when the application or the group does not exist.
 */
export async function startDeployment(options: StartDeploymentOptions): Promise<string> {
  const { codedeploy, application, deploymentGroup } = options;
  try {
    const created = await codedeploy.send(
      new CreateDeploymentCommand({
        applicationName: application,
        deploymentGroupName: deploymentGroup,
        revision: { revisionType: 'AppSpecContent', appSpecContent: { content: options.appSpec } },
        description: options.description,
      }),
    );
    if (!created.deploymentId) {
      throw new DeliveryError(
        'DEPLOYMENT_FAILED',
        `CreateDeployment in ${application}/${deploymentGroup} returned no deployment id: re-run`,
      );
    }
    return created.deploymentId;
  } catch (error) {
    if (isAwsError(error, 'DeploymentLimitExceededException')) {
      throw new DeliveryError(
        'UPDATE_CONFLICT',
        `deployment group ${deploymentGroup} already has an active deployment (${error.message}): let it finish or stop it, then re-run`,
        { cause: error },
      );
    }
    if (
      isAwsError(error, 'ApplicationDoesNotExistException') ||
      isAwsError(error, 'DeploymentGroupDoesNotExistException')
    ) {
      throw new DeliveryError(
        'BAD_INPUT',
        `CodeDeploy ${application}/${deploymentGroup} does not exist (${describeError(error)}): deploy the function's stack or fix the names`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Where a deployment is, reduced to what a caller acts on. */
export interface DeploymentState {
  /** The deployment's id (`d-…`). */
  readonly deploymentId: string;
  /** `running` until CodeDeploy settles it; `rolled-back` when it failed and traffic went back. */
  readonly status: 'running' | 'succeeded' | 'failed' | 'rolled-back';
  /** One line for a person: the deployment, its status, CodeDeploy's error and rollback messages. */
  readonly summary: string;
}

/** Options of {@link checkDeployment}. */
export interface CheckDeploymentOptions {
  /** CodeDeploy client of the deployment's account and region. */
  readonly codedeploy: CodeDeployClient;
  /** The deployment's id. */
  readonly deploymentId: string;
}

/** Reads a deployment's status once (GetDeployment) and reduces it to a {@link DeploymentState}. */
export async function checkDeployment(options: CheckDeploymentOptions): Promise<DeploymentState> {
  const { deploymentId } = options;
  const found = await options.codedeploy.send(new GetDeploymentCommand({ deploymentId }));
  const info = found.deploymentInfo ?? {};
  return { deploymentId, ...reduce(deploymentId, info) };
}

function reduce(deploymentId: string, info: DeploymentInfo): Omit<DeploymentState, 'deploymentId'> {
  switch (info.status) {
    case 'Succeeded':
      return { status: 'succeeded', summary: `deployment ${deploymentId} succeeded` };
    case 'Failed':
    case 'Stopped': {
      const error = info.errorInformation;
      const onAlarm = error?.code === 'ALARM_ACTIVE';
      const rollback = info.rollbackInfo;
      const autoRollbackOnAlarm =
        onAlarm &&
        info.autoRollbackConfiguration?.enabled === true &&
        (info.autoRollbackConfiguration.events ?? ['DEPLOYMENT_STOP_ON_ALARM']).includes(
          'DEPLOYMENT_STOP_ON_ALARM',
        );
      const rolledBack = Boolean(rollback?.rollbackDeploymentId) || autoRollbackOnAlarm;
      const what = onAlarm ? 'stopped on alarm' : info.status === 'Stopped' ? 'was stopped' : 'failed';
      const cause = error ? ` (${[error.code, error.message].filter(Boolean).join(': ')})` : '';
      let back = '';
      if (rollback?.rollbackDeploymentId) {
        back = `; rolled back by ${rollback.rollbackDeploymentId}`;
      } else if (rolledBack) {
        back = '; rolled back (automatic rollback on alarm)';
      }
      const message = rollback?.rollbackMessage ? ` (${rollback.rollbackMessage})` : '';
      return {
        status: rolledBack ? 'rolled-back' : 'failed',
        summary: oneLine(`deployment ${deploymentId} ${what}${cause}${back}${message}`, 1_000),
      };
    }
    default:
      // Created, Queued, InProgress, Baking, Ready (and anything new) are not settled yet.
      return {
        status: 'running',
        summary: `deployment ${deploymentId} in progress (${info.status ?? 'status unknown'})`,
      };
  }
}

/** Options of {@link waitForDeployment}. */
export interface WaitForDeploymentOptions extends CheckDeploymentOptions {
  /** How long the deployment may run before it is stopped with rollback, in ms. */
  readonly timeoutMs: number;
  /**
   * Pause between two status reads, in ms.
   * @default 15000
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
  /**
   * Called with every state read while the deployment runs.
   * @default - nothing is called
   */
  readonly onProgress?: (state: DeploymentState) => void;
}

/**
 * Polls a deployment until it settles and resolves with its state when it succeeded.
 *
 * Throws {@link DeliveryError} `DEPLOYMENT_FAILED` or `ROLLED_BACK` (message: the state's summary)
 * when it did not; past `timeoutMs` it stops the deployment with rollback and throws `TIMED_OUT`.
 */
export async function waitForDeployment(options: WaitForDeploymentOptions): Promise<DeploymentState> {
  const now = options.now ?? realNow;
  const sleep = options.sleep ?? realSleep;
  const pollMs = options.pollMs ?? 15_000;
  const started = now();
  for (;;) {
    const state = await checkDeployment(options);
    if (state.status !== 'running') {
      return settled(state);
    }
    options.onProgress?.(state);
    if (now() - started >= options.timeoutMs) {
      throw await stopTimedOutDeployment(options);
    }
    await sleep(pollMs);
  }
}

/** Returns a succeeded state; throws `DEPLOYMENT_FAILED` or `ROLLED_BACK` for a settled failure. */
export function settled(state: DeploymentState): DeploymentState {
  if (state.status === 'failed') {
    throw new DeliveryError('DEPLOYMENT_FAILED', state.summary);
  }
  if (state.status === 'rolled-back') {
    throw new DeliveryError('ROLLED_BACK', state.summary);
  }
  return state;
}

/**
 * Stops a deployment that ran too long, with rollback (StopDeployment `autoRollbackEnabled: true`), and
 * returns the `TIMED_OUT` error to throw.
 */
export async function stopTimedOutDeployment(options: {
  readonly codedeploy: CodeDeployClient;
  readonly deploymentId: string;
  readonly timeoutMs: number;
}): Promise<DeliveryError> {
  const { deploymentId } = options;
  const minutes = Math.round(options.timeoutMs / 60_000);
  try {
    await options.codedeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
  } catch (error) {
    return new DeliveryError(
      'TIMED_OUT',
      `deployment ${deploymentId} still running after ${minutes} min, and stopping it failed (${describeError(error)}): stop it in the CodeDeploy console`,
      { cause: error },
    );
  }
  return new DeliveryError(
    'TIMED_OUT',
    `deployment ${deploymentId} still running after ${minutes} min: stopped it with rollback`,
  );
}

/** What {@link deployFunction} reports while it works. */
export type DeployProgress =
  | { readonly step: 'released'; readonly release: Release }
  | { readonly step: 'started'; readonly deploymentId: string }
  | { readonly step: 'running'; readonly state: DeploymentState }
  | { readonly step: 'succeeded'; readonly state: DeploymentState };

/** Options of {@link deployFunction}: those of a release plus where and how long to deploy. */
export interface DeployFunctionOptions extends ReleaseOptions {
  /** CodeDeploy client of the function's account and region. */
  readonly codedeploy: CodeDeployClient;
  /** The function's CodeDeploy application. */
  readonly application: string;
  /** The function's deployment group. */
  readonly deploymentGroup: string;
  /**
   * How long the deployment may run before it is stopped with rollback, in ms.
   * @default 3600000 (60 min)
   */
  readonly timeoutMs?: number;
  /**
   * Pause between two deployment status reads, in ms.
   * @default 15000
   */
  readonly deploymentPollMs?: number;
  /**
   * The current time in ms.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Called at each step: released, started, every status read while running, succeeded.
   * @default - nothing is called
   */
  readonly onProgress?: (progress: DeployProgress) => void;
}

/** What {@link deployFunction} did. */
export interface DeployFunctionResult {
  /** The release (with `unchanged: true` when there was nothing to deploy). */
  readonly release: Release;
  /** The deployment's id; absent when the release was unchanged. */
  readonly deploymentId?: string;
}

/**
 * Delivers a deployment package to a function end to end: {@link prepareRelease}, then (unless the
 * version is unchanged) {@link startDeployment} and {@link waitForDeployment}.
 *
 * Throws the {@link DeliveryError} of the step that failed.
 */
export async function deployFunction(options: DeployFunctionOptions): Promise<DeployFunctionResult> {
  const release = await prepareRelease(options);
  options.onProgress?.({ step: 'released', release });
  if (release.unchanged) {
    return { release };
  }
  const deploymentId = await startDeployment({
    codedeploy: options.codedeploy,
    application: options.application,
    deploymentGroup: options.deploymentGroup,
    appSpec: release.appSpec,
    description: options.description,
  });
  options.onProgress?.({ step: 'started', deploymentId });
  const state = await waitForDeployment({
    codedeploy: options.codedeploy,
    deploymentId,
    timeoutMs: options.timeoutMs ?? 60 * 60_000,
    pollMs: options.deploymentPollMs,
    sleep: options.sleep,
    now: options.now,
    onProgress: (running) => options.onProgress?.({ step: 'running', state: running }),
  });
  options.onProgress?.({ step: 'succeeded', state });
  return { release, deploymentId };
}

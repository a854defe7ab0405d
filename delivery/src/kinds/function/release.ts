import type { FunctionConfiguration, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import type { TrafficHooks } from './appspec.js';
import { renderAppSpec } from './appspec.js';
import { DeliveryError, describeError, isAwsError } from '../../errors.js';
import { sleep as realSleep } from '../../time.js';

/** Options of {@link prepareRelease}. */
export interface ReleaseOptions {
  /** Lambda client of the function's account and region. */
  readonly lambda: LambdaClient;
  /** The function's name. */
  readonly functionName: string;
  /** The alias CodeDeploy shifts, e.g. `live`. */
  readonly alias: string;
  /** The deployment package: the zip uploaded as the function's code. */
  readonly zip: Uint8Array;
  /**
   * The traffic hooks written into the appspec.
   * @default - no hooks
   */
  readonly hooks?: TrafficHooks;
  /**
   * Description of the published version (at most 256 characters).
   * @default - no description
   */
  readonly description?: string;
  /**
   * How many times an update refused with `ResourceConflictException` is retried (after waiting for
   * the other update to finish) before the release fails with `UPDATE_CONFLICT`.
   * @default 5
   */
  readonly conflictRetries?: number;
  /**
   * Pause between two reads of the function's update status, in ms.
   * @default 2000
   */
  readonly pollMs?: number;
  /**
   * How long one code update may stay `InProgress` before the release fails with `TIMED_OUT`, in ms.
   * @default 600000 (10 min)
   */
  readonly updateTimeoutMs?: number;
  /**
   * Waits `ms` milliseconds (tests pass one that returns at once).
   * @default - a timer
   */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A published version, ready to be shifted to. */
export interface Release {
  /** The function's name. */
  readonly functionName: string;
  /** The alias to shift. */
  readonly alias: string;
  /** The version the alias points to now. */
  readonly currentVersion: string;
  /** The version just published (or the existing one Lambda returned because nothing changed). */
  readonly targetVersion: string;
  /** SHA-256 (base64) of the uploaded package, as Lambda reports it. */
  readonly codeSha256: string;
  /** True when the published version is the one the alias already points to: nothing to deploy. */
  readonly unchanged: boolean;
  /** The appspec of the deployment from `currentVersion` to `targetVersion`; `''` when unchanged. */
  readonly appSpec: string;
}

const DEFAULT_CONFLICT_RETRIES = 5;
const DEFAULT_POLL_MS = 2_000;
const DEFAULT_UPDATE_TIMEOUT_MS = 10 * 60_000;

/**
 * Uploads a deployment package to a function and publishes it as a new version, without moving the
 * alias: CodeDeploy does that, with the returned appspec.
 *
 * Steps: read the alias (its version is the current one; an alias that still routes weight to a
 * second version fails with `ALIAS_MID_SHIFT`), update the code (retrying while another update holds
 * the function, then `UPDATE_CONFLICT`), wait for the update to succeed (`DEPLOYMENT_FAILED` with
 * Lambda's reason otherwise), and publish a version pinned to the uploaded code's SHA-256. A missing
 * function or alias fails with `FUNCTION_MISSING`.
 */
export async function prepareRelease(options: ReleaseOptions): Promise<Release> {
  const { lambda, functionName, alias } = options;
  const settings = {
    conflictRetries: options.conflictRetries ?? DEFAULT_CONFLICT_RETRIES,
    pollMs: options.pollMs ?? DEFAULT_POLL_MS,
    updateTimeoutMs: options.updateTimeoutMs ?? DEFAULT_UPDATE_TIMEOUT_MS,
    sleep: options.sleep ?? realSleep,
  };
  try {
    const currentVersion = await readAliasVersion(lambda, functionName, alias);
    const updated = await updateCode(options, settings);
    await waitForUpdate(lambda, functionName, updated, settings);
    const codeSha256 = updated.CodeSha256;
    if (!codeSha256) {
      throw new DeliveryError(
        'DEPLOYMENT_FAILED',
        `UpdateFunctionCode of ${functionName} returned no CodeSha256: re-run the release`,
      );
    }
    const published = await lambda.send(
      new PublishVersionCommand({
        FunctionName: functionName,
        CodeSha256: codeSha256,
        Description: options.description,
      }),
    );
    const targetVersion = published.Version;
    if (!targetVersion) {
      throw new DeliveryError(
        'DEPLOYMENT_FAILED',
        `PublishVersion of ${functionName} returned no version: re-run the release`,
      );
    }
    const unchanged = targetVersion === currentVersion;
    return {
      functionName,
      alias,
      currentVersion,
      targetVersion,
      codeSha256,
      unchanged,
      appSpec: unchanged
        ? ''
        : renderAppSpec({ functionName, alias, currentVersion, targetVersion, ...options.hooks }),
    };
  } catch (error) {
    throw translate(error, functionName, alias);
  }
}

/** Maps the Lambda errors a release can meet to a {@link DeliveryError}. */
function translate(error: unknown, functionName: string, alias: string): unknown {
  if (isAwsError(error, 'ResourceNotFoundException')) {
    const what = /^alias not found/i.test(error.message)
      ? `alias ${alias} of function ${functionName} does not exist: deploy the function's stack (it creates the alias)`
      : `function ${functionName} does not exist: run the CheckLambdaFunction step or deploy its stack`;
    return new DeliveryError('FUNCTION_MISSING', what, { cause: error });
  }
  if (isAwsError(error, 'PreconditionFailedException')) {
    return new DeliveryError(
      'UPDATE_CONFLICT',
      `the code of ${functionName} changed while its version was being published (another update raced this one): re-run the release`,
      { cause: error },
    );
  }
  return error;
}

async function readAliasVersion(lambda: LambdaClient, functionName: string, alias: string): Promise<string> {
  const found = await lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }));
  const weights = Object.entries(found.RoutingConfig?.AdditionalVersionWeights ?? {});
  const [shifting] = weights;
  if (shifting) {
    const [version, weight] = shifting;
    const percent = Math.round(weight * 10_000) / 100;
    throw new DeliveryError(
      'ALIAS_MID_SHIFT',
      `alias ${alias} of ${functionName} is mid-shift (version ${version} at ${percent} %): a deployment is in progress or was interrupted; let it finish or roll it back first`,
    );
  }
  const version = found.FunctionVersion;
  if (!version || !/^[1-9][0-9]*$/.test(version)) {
    throw new DeliveryError(
      'BAD_INPUT',
      `alias ${alias} of ${functionName} points to ${JSON.stringify(version ?? null)}, not a published version: point it at a published version (its stack does) and re-run`,
    );
  }
  return version;
}

interface Settings {
  readonly conflictRetries: number;
  readonly pollMs: number;
  readonly updateTimeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

async function updateCode(options: ReleaseOptions, settings: Settings): Promise<FunctionConfiguration> {
  const { lambda, functionName, zip } = options;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: functionName, ZipFile: zip }));
    } catch (error) {
      if (!isAwsError(error, 'ResourceConflictException')) {
        throw error;
      }
      if (attempt >= settings.conflictRetries) {
        throw new DeliveryError(
          'UPDATE_CONFLICT',
          `function ${functionName} is still being updated by someone else after ${attempt + 1} attempts (${describeError(error)}): wait for the other update or deployment to finish and re-run`,
          { cause: error },
        );
      }
      // Another update (a stack update, a console edit) holds the function: wait until it settles.
      await waitForUpdate(lambda, functionName, undefined, settings);
    }
  }
}

/**
 * Waits until the function's last update is no longer in progress; fails on a failed update when
 * `mine` is the configuration of our own update (a failed update of someone else's does not block ours).
 */
async function waitForUpdate(
  lambda: LambdaClient,
  functionName: string,
  mine: FunctionConfiguration | undefined,
  settings: Settings,
): Promise<void> {
  let configuration = mine;
  let waited = 0;
  while (!configuration || isUpdating(configuration)) {
    if (waited >= settings.updateTimeoutMs) {
      throw new DeliveryError(
        'TIMED_OUT',
        `function ${functionName} still updating after ${Math.round(waited / 60_000)} min: check it in the Lambda console and re-run`,
      );
    }
    await settings.sleep(settings.pollMs);
    waited += settings.pollMs;
    configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  }
  if (mine && configuration.LastUpdateStatus === 'Failed') {
    const reason = [configuration.LastUpdateStatusReasonCode, configuration.LastUpdateStatusReason]
      .filter(Boolean)
      .join(': ');
    throw new DeliveryError(
      'DEPLOYMENT_FAILED',
      `code update of ${functionName} failed (${reason || 'no reason given'}): fix the deployment package and re-run`,
    );
  }
}

function isUpdating(configuration: FunctionConfiguration): boolean {
  return configuration.LastUpdateStatus === 'InProgress' || configuration.State === 'Pending';
}

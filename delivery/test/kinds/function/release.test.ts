import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseAppSpec } from '../../../src/kinds/function/appspec.js';
import { prepareRelease } from '../../../src/kinds/function/release.js';
import { clients, mocks, sent } from '../../aws.js';
import { awsError, fakeClock } from '../../support.js';
import { RELEASE, stubRelease } from './support.js';

const lambdaMock = mocks.lambda;
const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]);

function options(clock = fakeClock()) {
  return {
    lambda: clients.lambda,
    functionName: 'ias-dev-allocate-order',
    alias: 'live',
    zip,
    hooks: { beforeAllowTraffic: 'ias-dev-pre-traffic-hook' },
    description: 'build 42',
    sleep: clock.sleep,
  };
}

beforeEach(() => {
  stubRelease('8', { readsInProgress: 1 });
});

describe('prepareRelease', () => {
  it('uploads the code, waits for the update, publishes a version pinned to its SHA and renders the appspec', async () => {
    const clock = fakeClock();
    const release = await prepareRelease(options(clock));

    expect(release).toMatchObject(RELEASE);
    const { functionName, alias, currentVersion, targetVersion } = RELEASE;
    const beforeAllowTraffic = 'ias-dev-pre-traffic-hook';
    expect(parseAppSpec(release.appSpec)).toEqual({
      functionName,
      alias,
      currentVersion,
      targetVersion,
      beforeAllowTraffic,
    });
    // Each call once: the alias read, the upload, the publication pinned to the uploaded code.
    expect(sent(lambdaMock, GetAliasCommand)).toEqual([{ FunctionName: functionName, Name: alias }]);
    expect(sent(lambdaMock, UpdateFunctionCodeCommand)).toEqual([
      { FunctionName: functionName, ZipFile: zip },
    ]);
    // InProgress once, then Successful: two reads, each after a pause.
    expect(lambdaMock.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(2);
    expect(clock.sleeps).toHaveLength(2);
    expect(sent(lambdaMock, PublishVersionCommand)).toEqual([
      { FunctionName: functionName, CodeSha256: 'sha-new', Description: 'build 42' },
    ]);
  });

  it('reports unchanged, with no appspec, when Lambda returns the version the alias is on', async () => {
    lambdaMock.on(PublishVersionCommand).resolves({ Version: '7' });
    const release = await prepareRelease(options());
    expect(release).toMatchObject({ currentVersion: '7', targetVersion: '7', unchanged: true, appSpec: '' });
  });

  it('fails FUNCTION_MISSING when the function does not exist', async () => {
    lambdaMock
      .on(GetAliasCommand)
      .rejects(
        awsError(
          'ResourceNotFoundException',
          'Function not found: arn:aws:lambda:ap-northeast-1:1:function:x',
        ),
      );
    await expect(prepareRelease(options())).rejects.toMatchObject({
      code: 'FUNCTION_MISSING',
      message:
        'function ias-dev-allocate-order does not exist: run the CheckLambdaFunction step or deploy its stack',
    });
    expect(lambdaMock.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(0);
  });

  it('fails FUNCTION_MISSING when the function disappears between the steps', async () => {
    lambdaMock
      .on(UpdateFunctionCodeCommand)
      .rejects(awsError('ResourceNotFoundException', 'Function not found'));
    await expect(prepareRelease(options())).rejects.toMatchObject({ code: 'FUNCTION_MISSING' });
    expect(lambdaMock.commandCalls(PublishVersionCommand)).toHaveLength(0);
  });

  it('fails FUNCTION_MISSING naming the alias when only the alias is missing', async () => {
    lambdaMock
      .on(GetAliasCommand)
      .rejects(awsError('ResourceNotFoundException', 'Alias not found: arn:...:live'));
    await expect(prepareRelease(options())).rejects.toMatchObject({
      code: 'FUNCTION_MISSING',
      message: expect.stringContaining('alias live of function ias-dev-allocate-order does not exist'),
    });
  });

  it('fails ALIAS_MID_SHIFT when the alias still routes weight to another version', async () => {
    lambdaMock.on(GetAliasCommand).resolves({
      FunctionVersion: '6',
      RoutingConfig: { AdditionalVersionWeights: { '7': 0.1 } },
    });
    await expect(prepareRelease(options())).rejects.toMatchObject({
      code: 'ALIAS_MID_SHIFT',
      message:
        'alias live of ias-dev-allocate-order is mid-shift (version 7 at 10 %): a deployment is in progress or was interrupted; let it finish or roll it back first',
    });
    expect(lambdaMock.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(0);
  });

  it('accepts an alias whose routing config is empty', async () => {
    lambdaMock
      .on(GetAliasCommand)
      .resolves({ FunctionVersion: '7', RoutingConfig: { AdditionalVersionWeights: {} } });
    await expect(prepareRelease(options())).resolves.toMatchObject({ targetVersion: '8' });
  });

  it('fails on an alias that points to $LATEST', async () => {
    lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: '$LATEST' });
    await expect(prepareRelease(options())).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('points to "$LATEST", not a published version'),
    });
  });

  it('retries an update refused with ResourceConflictException once the other update settles', async () => {
    lambdaMock
      .on(UpdateFunctionCodeCommand)
      .rejectsOnce(awsError('ResourceConflictException', 'An update is in progress'))
      .rejectsOnce(awsError('ResourceConflictException', 'An update is in progress'))
      .resolves({ CodeSha256: 'sha-new', LastUpdateStatus: 'Successful' });
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ LastUpdateStatus: 'Successful' });

    const release = await prepareRelease(options());

    expect(release.targetVersion).toBe('8');
    expect(lambdaMock.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(3);
    // One status read per conflict; none after our own update, which reported Successful already.
    expect(lambdaMock.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(2);
  });

  it('waits through a conflicting update that is still in progress before retrying', async () => {
    lambdaMock
      .on(UpdateFunctionCodeCommand)
      .rejectsOnce(awsError('ResourceConflictException', 'An update is in progress'))
      .resolves({ CodeSha256: 'sha-new', LastUpdateStatus: 'Successful' });
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce({ LastUpdateStatus: 'InProgress' })
      .resolvesOnce({ LastUpdateStatus: 'Successful', State: 'Pending' })
      .resolves({ LastUpdateStatus: 'Failed', State: 'Active' });
    await expect(prepareRelease(options())).resolves.toMatchObject({ targetVersion: '8' });
    expect(lambdaMock.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(3);
  });

  it('fails UPDATE_CONFLICT when the conflicts outlast the retries', async () => {
    lambdaMock
      .on(UpdateFunctionCodeCommand)
      .rejects(awsError('ResourceConflictException', 'An update is in progress'));
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ LastUpdateStatus: 'Successful' });

    await expect(prepareRelease({ ...options(), conflictRetries: 2 })).rejects.toMatchObject({
      code: 'UPDATE_CONFLICT',
      message: expect.stringContaining('still being updated by someone else after 3 attempts'),
    });
    expect(lambdaMock.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(3);
    expect(lambdaMock.commandCalls(PublishVersionCommand)).toHaveLength(0);
  });

  it('retries five times by default', async () => {
    lambdaMock.on(UpdateFunctionCodeCommand).rejects(awsError('ResourceConflictException', 'busy'));
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ LastUpdateStatus: 'Successful' });
    await expect(prepareRelease(options())).rejects.toMatchObject({ code: 'UPDATE_CONFLICT' });
    expect(lambdaMock.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(6);
  });

  it('fails DEPLOYMENT_FAILED with Lambda reason when the update fails', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({
      LastUpdateStatus: 'Failed',
      LastUpdateStatusReasonCode: 'InvalidZipFileException',
      LastUpdateStatusReason: 'Could not unzip uploaded file.',
    });
    await expect(prepareRelease(options())).rejects.toMatchObject({
      code: 'DEPLOYMENT_FAILED',
      message:
        'code update of ias-dev-allocate-order failed (InvalidZipFileException: Could not unzip uploaded file.): fix the deployment package and re-run',
    });
    expect(lambdaMock.commandCalls(PublishVersionCommand)).toHaveLength(0);
  });

  it('fails TIMED_OUT when the update never settles', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ LastUpdateStatus: 'InProgress' });
    await expect(
      prepareRelease({ ...options(), pollMs: 1_000, updateTimeoutMs: 5_000 }),
    ).rejects.toMatchObject({ code: 'TIMED_OUT' });
    expect(lambdaMock.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(5);
  });

  it('fails UPDATE_CONFLICT when the code changes while publishing', async () => {
    lambdaMock
      .on(PublishVersionCommand)
      .rejects(awsError('PreconditionFailedException', 'CodeSha256 does not match'));
    await expect(prepareRelease(options())).rejects.toMatchObject({ code: 'UPDATE_CONFLICT' });
  });

  it('passes other errors through unchanged', async () => {
    const denied = awsError('AccessDeniedException', 'not authorized to perform lambda:UpdateFunctionCode');
    lambdaMock.on(UpdateFunctionCodeCommand).rejects(denied);
    await expect(prepareRelease(options())).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { mocks } from '../../aws.js';

/** The release {@link stubRelease} makes of version 8 (what `release.json` records; the appspec aside). */
export const RELEASE = {
  functionName: 'ias-dev-allocate-order',
  alias: 'live',
  currentVersion: '7',
  targetVersion: '8',
  codeSha256: 'sha-new',
  unchanged: false,
};

/**
 * Lambda answering a release of `ias-dev-allocate-order`: its alias `live` on version 7, the uploaded
 * code (`sha-new`) still updating for `readsInProgress` reads of the configuration, then published as
 * `version` (the alias's version when Lambda finds the code unchanged).
 */
export function stubRelease(version = '8', { readsInProgress = 0 } = {}): void {
  mocks.lambda.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '7' });
  mocks.lambda
    .on(UpdateFunctionCodeCommand)
    .resolves({ CodeSha256: 'sha-new', LastUpdateStatus: 'InProgress' });
  const reads = mocks.lambda.on(GetFunctionConfigurationCommand);
  for (let read = 0; read < readsInProgress; read += 1) {
    reads.resolvesOnce({ LastUpdateStatus: 'InProgress' });
  }
  reads.resolves({ LastUpdateStatus: 'Successful', State: 'Active' });
  mocks.lambda.on(PublishVersionCommand).resolves({ Version: version });
}

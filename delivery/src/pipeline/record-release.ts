import { configurationSnapshot, recordRelease, type ReleaseChange } from '../ledger.js';
import type { StepContext, StepLedger, StepOutcome, StepSucceeded } from './step.js';
import { missingClients } from './step.js';

/** Records what a step made live as the environment's next release, and says so in its outcome. */
export async function recordStepRelease(
  context: StepContext,
  ledger: StepLedger,
  outcome: StepSucceeded,
  change: Pick<ReleaseChange, 'functions' | 'services' | 'applications' | 'fleets' | 'canary'>,
): Promise<StepOutcome> {
  const { dynamodb, ssm, secrets } = context.clients;
  if (!dynamodb || !ssm || !secrets) {
    throw missingClients('ledger', [
      dynamodb ? undefined : 'DynamoDB',
      ssm ? undefined : 'SSM',
      secrets ? undefined : 'Secrets Manager',
    ]);
  }
  const configuration = await configurationSnapshot({ ssm, secrets }, ledger.configurationPath);
  const release = await recordRelease(dynamodb, ledger.table, {
    by: `CodePipeline job ${context.job.id}`,
    source: 'pipeline',
    commit: ledger.commit,
    ...(ledger.sbom ? { sbom: ledger.sbom } : {}),
    summary: outcome.summary,
    ...change,
    configuration,
  });
  return {
    ...outcome,
    summary: `${outcome.summary}; release ${release.number} in ${ledger.table}`,
    outputVariables: { ...outcome.outputVariables, Release: String(release.number) },
  };
}

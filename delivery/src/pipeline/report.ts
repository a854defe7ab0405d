import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { z } from 'zod';
import { oneLine } from '../errors.js';
import type { PipelineJobOutcome } from './job.js';

/** Replaces any artifact credential that found its way into a message with `***`. */
export function mask(outcome: PipelineJobOutcome, job: unknown): PipelineJobOutcome {
  const credentials = z
    .object({ data: z.object({ artifactCredentials: z.record(z.string(), z.unknown()) }) })
    .safeParse(job);
  const secrets = credentials.success
    ? Object.values(credentials.data.data.artifactCredentials).filter(
        (value): value is string => typeof value === 'string' && value.length >= 8,
      )
    : [];
  const clean = (text: string): string =>
    secrets.reduce((masked, secret) => masked.split(secret).join('***'), text);
  return outcome.result === 'failed'
    ? { ...outcome, message: clean(outcome.message) }
    : { ...outcome, summary: clean(outcome.summary) };
}

/** Reports `outcome` to CodePipeline: the one PutJobSuccessResult or PutJobFailureResult of a job. */
export async function report(codepipeline: CodePipelineClient, outcome: PipelineJobOutcome): Promise<void> {
  const { jobId } = outcome;
  switch (outcome.result) {
    case 'failed':
      await codepipeline.send(
        new PutJobFailureResultCommand({
          jobId,
          failureDetails: { type: 'JobFailed', message: oneLine(outcome.message, 4_000) },
        }),
      );
      return;
    case 'in-progress':
      await codepipeline.send(
        new PutJobSuccessResultCommand({
          jobId,
          continuationToken: outcome.continuationToken,
          executionDetails: { summary: oneLine(outcome.summary, 2_000) },
        }),
      );
      return;
    case 'succeeded':
      await codepipeline.send(
        new PutJobSuccessResultCommand({
          jobId,
          executionDetails: { summary: oneLine(outcome.summary, 2_000) },
          outputVariables: outcome.outputVariables ? { ...outcome.outputVariables } : undefined,
        }),
      );
  }
}

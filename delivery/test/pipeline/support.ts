import { PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { beforeEach, expect, vi } from 'vitest';
import type { PipelineJobClients } from '../../src/pipeline/job.js';
import type { PipelineJobOptions } from '../../src/pipeline/run.js';
import { runPipelineJob } from '../../src/pipeline/run.js';
import type { ClientName } from '../aws.js';
import { clients, mocks, sent } from '../aws.js';
import { fakeClock } from '../support.js';

/** The job's artifact credentials: no report may carry them. */
export const credentials = {
  accessKeyId: 'ASIAEXAMPLEKEYID0001',
  secretAccessKey: 'secret/EXAMPLE+KEY/0123456789abcdef',
  sessionToken: 'session-token-EXAMPLE-0123456789',
};

/** CodePipeline, stubbed: where a job reports. Each test starts with no reports, every report answered. */
export const codepipelineMock = mocks.codepipeline;

beforeEach(() => {
  codepipelineMock.on(PutJobSuccessResultCommand).resolves({});
  codepipelineMock.on(PutJobFailureResultCommand).resolves({});
});

/**
 * The clients every job has, and the optional ones named in `extra` (their calls answered by
 * {@link mocks}); `artifactS3` records its calls.
 */
export function jobClients<const Extra extends ClientName = never>(...extra: Extra[]) {
  const optional = Object.fromEntries(extra.map((name) => [name, clients[name]])) as Pick<
    typeof clients,
    Extra
  >;
  const { lambda, codedeploy, codepipeline, s3 } = clients;
  return { lambda, codedeploy, codepipeline, artifactS3: vi.fn(() => s3), ...optional };
}

/** How {@link pipelineJob} differs from job-1 of the dev pipeline. */
export interface JobShape {
  /** The input artifact's name (its object is `artifacts/in.zip`). */
  readonly input: string;
  /** The output artifact's name (its object is `artifacts/out.zip`). @default - no output artifact */
  readonly output?: string;
  /** The pipeline's artifact key. @default - none */
  readonly encryptionKey?: { id: string; type: string };
  /** What an earlier invocation handed back. @default - none: the first invocation */
  readonly continuationToken?: string;
}

function artifact(name: string, objectKey: string) {
  return {
    name,
    revision: null,
    location: { type: 'S3', s3Location: { bucketName: 'artifacts', objectKey } },
  };
}

/** `event['CodePipeline.job']` of job `job-1`, with `userParameters` (an object is sent as its JSON). */
export function pipelineJob(userParameters: object | string, shape: JobShape) {
  return {
    id: 'job-1',
    accountId: '123456789012',
    data: {
      actionConfiguration: {
        configuration: {
          FunctionName: 'ias-dev-pipeline-step',
          UserParameters:
            typeof userParameters === 'string' ? userParameters : JSON.stringify(userParameters),
        },
      },
      inputArtifacts: [artifact(shape.input, 'in.zip')],
      outputArtifacts: shape.output ? [artifact(shape.output, 'out.zip')] : [],
      artifactCredentials: credentials,
      ...(shape.encryptionKey ? { encryptionKey: shape.encryptionKey } : {}),
      ...(shape.continuationToken ? { continuationToken: shape.continuationToken } : {}),
    },
  };
}

/**
 * Runs one invocation on a fake clock and checks the contract every invocation keeps: exactly one
 * PutJob* call, without the artifact credentials.
 */
export async function runJob(
  clients: PipelineJobClients,
  jobEvent: unknown,
  options: PipelineJobOptions = {},
) {
  codepipelineMock.resetHistory();
  const outcome = await runPipelineJob(clients, jobEvent, { ...fakeClock(), ...options });
  const reports = [
    ...codepipelineMock.commandCalls(PutJobSuccessResultCommand),
    ...codepipelineMock.commandCalls(PutJobFailureResultCommand),
  ];
  expect(reports).toHaveLength(1);
  expect(JSON.stringify(reports[0]?.args[0].input)).not.toMatch(/EXAMPLEKEYID|EXAMPLE\+KEY|session-token/);
  return outcome;
}

/** The job's PutJobSuccessResult input, if it reported success. */
export function success() {
  return sent(codepipelineMock, PutJobSuccessResultCommand)[0];
}

/** The job's PutJobFailureResult input, if it reported failure. */
export function failure() {
  return sent(codepipelineMock, PutJobFailureResultCommand)[0];
}

import { PutJobFailureResultCommand } from '@aws-sdk/client-codepipeline';
import { describe, expect, it } from 'vitest';
import { runPipelineJob } from '../../src/pipeline/run.js';
import { awsError, fakeClock } from '../support.js';
import { codepipelineMock, failure, jobClients, pipelineJob, runJob } from './support.js';

const clients = jobClients();

// A function's deploy job: these tests end before any step runs.
const deploy = {
  step: 'deploy',
  environment: 'dev',
  functionName: 'ias-dev-allocate-order',
  alias: 'live',
  application: 'ias-dev-allocate-order-app',
  deploymentGroup: 'ias-dev-allocate-order-group',
};

function job(userParameters: object | string) {
  return pipelineJob(userParameters, { input: 'BuildOutput', output: 'Release' });
}

function run(jobEvent: unknown) {
  return runJob(clients, jobEvent);
}

describe('runPipelineJob, the job itself', () => {
  it('fails the job naming the missing field of a malformed job', async () => {
    const malformed = job(deploy) as { data: Record<string, unknown> };
    delete malformed.data.artifactCredentials;
    await run(malformed);
    expect(failure()).toMatchObject({
      jobId: 'job-1',
      failureDetails: {
        message: expect.stringContaining('invalid CodePipeline job: data.artifactCredentials: '),
      },
    });
  });

  it('throws, reporting nothing, when the event has no job id', async () => {
    await expect(runPipelineJob(clients, { data: {} })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(runPipelineJob(clients, undefined)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(codepipelineMock.calls()).toHaveLength(0);
  });

  it('throws when reporting the result fails', async () => {
    codepipelineMock.on(PutJobFailureResultCommand).rejects(awsError('JobNotFoundException', 'no job'));
    await expect(runPipelineJob(clients, job('nope'), fakeClock())).rejects.toMatchObject({
      name: 'JobNotFoundException',
    });
  });
});

import { PutJobFailureResultCommand } from '@aws-sdk/client-codepipeline';
import { PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { mocks } from './aws.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const codepipelineMock = mocks.codepipeline;
const codedeployMock = mocks.codedeploy;

beforeEach(() => {
  vi.resetModules();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('pipeline-step handler', () => {
  it('reports a job whose UserParameters are missing as failed', async () => {
    codepipelineMock.on(PutJobFailureResultCommand).resolves({});
    const { handler } = await import('../src/handlers/pipeline-step.js');
    const outcome = await handler({
      'CodePipeline.job': {
        id: 'job-1',
        data: {
          actionConfiguration: { configuration: {} },
          inputArtifacts: [],
          outputArtifacts: [],
          artifactCredentials: { accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' },
        },
      },
    });
    expect(outcome).toMatchObject({ result: 'failed', jobId: 'job-1' });
    expect(codepipelineMock.commandCalls(PutJobFailureResultCommand)).toHaveLength(1);
  });

  it('throws on an event that is not a CodePipeline job', async () => {
    const { handler } = await import('../src/handlers/pipeline-step.js');
    await expect(handler({ Records: [] })).rejects.toThrow(/no job id/);
  });
});

describe('traffic-hook handler', () => {
  it('fails at load with a clear message when its environment is wrong', async () => {
    vi.stubEnv('HOOK_PHASE', 'sometime');
    vi.stubEnv('SMOKE_EVENTS_PATH', '/ias/dev/smoke-events/');
    await expect(import('../src/handlers/traffic-hook.js')).rejects.toThrow(
      /^traffic hook misconfigured: HOOK_PHASE: /,
    );
  });

  it('rejects an event that is not a lifecycle hook event, reporting nothing', async () => {
    vi.stubEnv('HOOK_PHASE', 'pre-traffic');
    vi.stubEnv('SMOKE_EVENTS_PATH', '/ias/dev/smoke-events/');
    const { handler } = await import('../src/handlers/traffic-hook.js');
    await expect(handler({ DeploymentId: 'd-ABC' })).rejects.toThrow(/LifecycleEventHookExecutionId/);
    expect(codedeployMock.commandCalls(PutLifecycleEventHookExecutionStatusCommand)).toHaveLength(0);
  });
});

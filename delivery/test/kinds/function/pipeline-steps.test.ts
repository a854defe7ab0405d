import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetAliasCommand, PublishVersionCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { beforeEach, describe, expect, it } from 'vitest';
import { renderAppSpec } from '../../../src/kinds/function/appspec.js';
import type { PipelineJobOptions } from '../../../src/pipeline/run.js';
import { mocks, sent } from '../../aws.js';
import { credentials, failure, jobClients, pipelineJob, runJob, success } from '../../pipeline/support.js';
import { awsError, fakeClock, s3Body } from '../../support.js';
import { RELEASE, stubRelease } from './support.js';

const { lambda: lambdaMock, codedeploy: codedeployMock, s3: s3Mock } = mocks;

const clients = jobClients();
const { artifactS3 } = clients;

const parameters = {
  environment: 'dev',
  functionName: 'ias-dev-allocate-order',
  alias: 'live',
  application: 'ias-dev-allocate-order-app',
  deploymentGroup: 'ias-dev-allocate-order-group',
  hooks: { beforeAllowTraffic: 'ias-dev-pre-traffic-hook', afterAllowTraffic: 'ias-dev-post-traffic-hook' },
  timeoutMinutes: 90,
};

const buildZip = zipSync({ 'index.js': strToU8('exports.handler = async () => ({ status: "ok" });') });
const release = RELEASE;
const appSpec = renderAppSpec(release);

function releaseZip(record: object = release, spec = appSpec): Uint8Array {
  return zipSync({ 'appspec.yml': strToU8(spec), 'release.json': strToU8(JSON.stringify(record)) });
}

// The build output in, the release out, through the pipeline's KMS key unless `encryptionKey` is null.
function job(
  userParameters: object | string,
  data: { continuationToken?: string; encryptionKey?: { id: string; type: string } | null } = {},
) {
  return pipelineJob(userParameters, {
    input: 'BuildOutput',
    output: 'Release',
    encryptionKey:
      data.encryptionKey === null
        ? undefined
        : (data.encryptionKey ?? { id: 'arn:aws:kms:ap-northeast-1:123456789012:key/k', type: 'KMS' }),
    continuationToken: data.continuationToken,
  });
}

function run(jobEvent: unknown, options: PipelineJobOptions = {}) {
  return runJob(clients, jobEvent, options);
}

beforeEach(() => {
  artifactS3.mockClear();
  stubRelease('8');
  s3Mock.on(GetObjectCommand, { Key: 'in.zip' }).resolves({ Body: s3Body(buildZip) });
  s3Mock.on(PutObjectCommand).resolves({});
  codedeployMock.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-ABC' });
  codedeployMock.on(StopDeploymentCommand).resolves({ status: 'Pending' });
});

describe('runPipelineJob, create-appspec', () => {
  const create = { ...parameters, step: 'create-appspec' };

  it('publishes the build output as a version and writes appspec.yml and release.json', async () => {
    const outcome = await run(job(create));

    expect(outcome.result).toBe('succeeded');
    expect(artifactS3).toHaveBeenCalledWith(credentials);
    expect(sent(s3Mock, GetObjectCommand)[0]).toEqual({
      Bucket: 'artifacts',
      Key: 'in.zip',
    });
    expect(sent(lambdaMock, UpdateFunctionCodeCommand)[0]?.ZipFile).toEqual(buildZip);
    expect(sent(lambdaMock, PublishVersionCommand)[0]?.Description).toBe('CodePipeline job job-1');

    const put = sent(s3Mock, PutObjectCommand)[0];
    expect(put).toMatchObject({
      Bucket: 'artifacts',
      Key: 'out.zip',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:ap-northeast-1:123456789012:key/k',
    });
    const files = unzipSync(put?.Body as Uint8Array);
    expect(Object.keys(files).sort()).toEqual(['appspec.yml', 'release.json']);
    expect(strFromU8(files['appspec.yml']!)).toBe(
      renderAppSpec({
        ...release,
        beforeAllowTraffic: 'ias-dev-pre-traffic-hook',
        afterAllowTraffic: 'ias-dev-post-traffic-hook',
      }),
    );
    expect(JSON.parse(strFromU8(files['release.json']!))).toEqual(release);

    expect(success()).toEqual({
      jobId: 'job-1',
      outputVariables: { CurrentVersion: '7', TargetVersion: '8' },
      executionDetails: { summary: 'published version 8 of ias-dev-allocate-order (live is on 7)' },
    });
  });

  it('writes an empty appspec and says so when the version is unchanged', async () => {
    lambdaMock.on(PublishVersionCommand).resolves({ Version: '7' });
    await run(job(create));
    const files = unzipSync(sent(s3Mock, PutObjectCommand)[0]?.Body as Uint8Array);
    expect(strFromU8(files['appspec.yml']!)).toBe('');
    expect(JSON.parse(strFromU8(files['release.json']!))).toMatchObject({
      unchanged: true,
      targetVersion: '7',
    });
    expect(success()?.executionDetails?.summary).toBe(
      'ias-dev-allocate-order unchanged: version 7 is already live',
    );
  });

  it('writes without SSE parameters when the pipeline has no encryption key', async () => {
    await run(job(create, { encryptionKey: null }));
    const put = sent(s3Mock, PutObjectCommand)[0];
    expect(put?.ServerSideEncryption).toBeUndefined();
    expect(put?.SSEKMSKeyId).toBeUndefined();
  });

  it('fails the job with FUNCTION_MISSING when the function does not exist', async () => {
    lambdaMock.on(GetAliasCommand).rejects(awsError('ResourceNotFoundException', 'Function not found'));
    const outcome = await run(job(create));
    expect(outcome.result).toBe('failed');
    expect(failure()).toEqual({
      jobId: 'job-1',
      failureDetails: {
        type: 'JobFailed',
        message:
          'function ias-dev-allocate-order does not exist: run the CheckLambdaFunction step or deploy its stack',
      },
    });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('fails the job when the input artifact is not a zip', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: s3Body(strToU8('not a zip')) });
    await run(job(create));
    expect(failure()?.failureDetails?.message).toContain('input artifact BuildOutput is not a zip');
    expect(lambdaMock.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(0);
  });

  it('never puts the artifact credentials in the failure message', async () => {
    s3Mock
      .on(GetObjectCommand)
      .rejects(
        awsError(
          'AccessDenied',
          `Access Denied for ${credentials.accessKeyId} (${credentials.sessionToken})`,
        ),
      );
    const outcome = await run(job(create));
    expect(outcome).toMatchObject({ result: 'failed', message: 'AccessDenied: Access Denied for *** (***)' });
  });
});

describe('runPipelineJob, deploy', () => {
  const deploy = { ...parameters, step: 'deploy' };

  beforeEach(() => {
    s3Mock.on(GetObjectCommand, { Key: 'in.zip' }).resolves({ Body: s3Body(releaseZip()) });
  });

  it('starts the deployment and reports success when it finishes within the budget', async () => {
    codedeployMock
      .on(GetDeploymentCommand)
      .resolvesOnce({ deploymentInfo: { status: 'InProgress' } })
      .resolves({ deploymentInfo: { status: 'Succeeded' } });
    const outcome = await run(job(deploy));

    expect(outcome.result).toBe('succeeded');
    expect(sent(codedeployMock, CreateDeploymentCommand)[0]).toMatchObject({
      applicationName: 'ias-dev-allocate-order-app',
      deploymentGroupName: 'ias-dev-allocate-order-group',
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec } },
    });
    expect(success()).toEqual({
      jobId: 'job-1',
      executionDetails: { summary: 'deployment d-ABC succeeded: live → version 8' },
      outputVariables: { TargetVersion: '8', DeploymentId: 'd-ABC' },
    });
  });

  it("records the release with the canary watcher's last look at the deployment, kept under its ID", async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'Succeeded' } });
    const look = {
      at: '2026-01-05T09:07:00.000Z',
      verdict: 'fail',
      action: 'continue',
      reason: 'look 4 of 4 (level 0.017): pass',
      look: 4,
      looks: 4,
      level: 0.017,
      final: true,
      metrics: [],
    };
    const canaryQuery = { ExpressionAttributeValues: { ':pk': { S: 'canary#d-ABC' } } };
    mocks.dynamodb.on(QueryCommand).resolves({ Items: [] });
    mocks.dynamodb.on(QueryCommand, canaryQuery).resolves({
      Items: [{ number: { N: '4' }, evidence: { S: JSON.stringify({ ...look, verdict: 'pass' }) } }],
    });
    mocks.dynamodb.on(PutItemCommand).resolves({});
    mocks.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    mocks.secrets.on(ListSecretsCommand).resolves({ SecretList: [] });
    const ledger = { table: 'ias-dev-releases', name: 'allocate-order', configurationPath: '/ias/dev/' };
    const outcome = await runJob(jobClients('dynamodb', 'ssm', 'secrets'), job({ ...deploy, ledger }));
    expect(outcome.result).toBe('succeeded');
    const written = JSON.parse(sent(mocks.dynamodb, PutItemCommand)[0]?.Item?.release?.S ?? '{}') as object;
    expect(written).toMatchObject({
      functions: { 'allocate-order': '8' },
      canary: { deploymentId: 'd-ABC', verdict: 'pass', look: 4, looks: 4 },
    });
  });

  it('hands back a continuation token when the deployment outlasts the budget', async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'InProgress' } });
    const clock = fakeClock();
    const startedAt = clock.now();
    const outcome = await run(job(deploy), clock);

    expect(outcome.result).toBe('in-progress');
    const input = success();
    expect(JSON.parse(input?.continuationToken ?? '')).toEqual({
      deploymentId: 'd-ABC',
      startedAt,
      alias: 'live',
      targetVersion: '8',
    });
    expect(input?.executionDetails?.summary).toMatch(/^deployment d-ABC in progress/);
    expect(input?.outputVariables).toBeUndefined();
    // Polls every 10 s and stays within the 60 s budget.
    expect(clock.sleeps.every((ms) => ms === 10_000)).toBe(true);
    expect(clock.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(60_000);
    expect(codedeployMock.commandCalls(GetDeploymentCommand).length).toBeGreaterThan(1);
  });

  it('resumes the same deployment on the next invocation, starting none', async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'InProgress' } });
    const clock = fakeClock();
    await run(job(deploy), clock);
    const token = success()?.continuationToken ?? '';
    expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(1);

    codedeployMock.resetHistory();
    s3Mock.resetHistory();
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'Succeeded' } });
    clock.advance(30_000);
    const outcome = await run(job(deploy, { continuationToken: token }), clock);

    expect(outcome.result).toBe('succeeded');
    expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
    expect(sent(codedeployMock, GetDeploymentCommand)[0]).toEqual({
      deploymentId: 'd-ABC',
    });
    expect(success()?.executionDetails?.summary).toBe('deployment d-ABC succeeded: live → version 8');
  });

  it('keeps handing back the token while the deployment runs', async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'Baking' } });
    const clock = fakeClock();
    const token = JSON.stringify({ deploymentId: 'd-ABC', startedAt: clock.now() - 5 * 60_000 });
    const outcome = await run(job(deploy, { continuationToken: token }), clock);
    expect(outcome.result).toBe('in-progress');
    expect(success()?.executionDetails?.summary).toMatch(/^deployment d-ABC in progress \(\d+ of 90 min\)$/);
    expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  it('stops the deployment with rollback and fails TIMED_OUT past timeoutMinutes', async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'InProgress' } });
    const clock = fakeClock();
    const token = JSON.stringify({ deploymentId: 'd-ABC', startedAt: clock.now() - 90 * 60_000 });
    const outcome = await run(job(deploy, { continuationToken: token }), clock);

    expect(outcome.result).toBe('failed');
    expect(sent(codedeployMock, StopDeploymentCommand)).toEqual([
      { deploymentId: 'd-ABC', autoRollbackEnabled: true },
    ]);
    expect(failure()?.failureDetails).toEqual({
      type: 'JobFailed',
      message: 'deployment d-ABC still running after 90 min: stopped it with rollback',
    });
  });

  it('fails the job with the summary when the deployment is rolled back', async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        status: 'Stopped',
        errorInformation: {
          code: 'ALARM_ACTIVE',
          message: 'Activated alarms: <ias-dev-allocate-order-errors>',
        },
        rollbackInfo: { rollbackDeploymentId: 'd-XYZ' },
      },
    });
    await run(job(deploy));
    expect(failure()?.failureDetails).toEqual({
      type: 'JobFailed',
      message:
        'deployment d-ABC stopped on alarm (ALARM_ACTIVE: Activated alarms: <ias-dev-allocate-order-errors>); rolled back by d-XYZ',
    });
  });

  it('fails the job when the deployment fails', async () => {
    codedeployMock.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        status: 'Failed',
        errorInformation: { code: 'HOOK_EXECUTION_FAILURE', message: 'hook failed' },
      },
    });
    const outcome = await run(job(deploy));
    expect(outcome).toMatchObject({
      result: 'failed',
      message: 'deployment d-ABC failed (HOOK_EXECUTION_FAILURE: hook failed)',
    });
  });

  it('deploys nothing when the release is unchanged', async () => {
    s3Mock
      .on(GetObjectCommand)
      .resolves({ Body: s3Body(releaseZip({ ...release, targetVersion: '7', unchanged: true }, '')) });
    const outcome = await run(job(deploy));
    expect(outcome).toMatchObject({
      result: 'succeeded',
      summary: 'nothing to deploy: ias-dev-allocate-order version 7 is already live',
    });
    expect(codedeployMock.calls()).toHaveLength(0);
  });

  it('refuses a release of another function', async () => {
    s3Mock
      .on(GetObjectCommand)
      .resolves({ Body: s3Body(releaseZip({ ...release, functionName: 'ias-dev-import-stock' })) });
    await run(job(deploy));
    expect(failure()?.failureDetails?.message).toContain('is a release of ias-dev-import-stock:live');
    expect(codedeployMock.calls()).toHaveLength(0);
  });

  it('refuses an input artifact without release.json', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: s3Body(zipSync({ 'appspec.yml': strToU8(appSpec) })) });
    await run(job(deploy));
    expect(failure()?.failureDetails?.message).toContain('has no release.json');
  });

  it('fails on a continuation token it did not write', async () => {
    await run(job(deploy, { continuationToken: 'opaque' }));
    expect(failure()?.failureDetails?.message).toContain('continuation token is not one this step wrote');
    expect(codedeployMock.calls()).toHaveLength(0);
  });
});

describe('runPipelineJob, bad input', () => {
  it.each([
    [{ ...parameters, step: 'deploy', functionName: undefined }, 'invalid UserParameters: functionName: '],
    [{ ...parameters, step: 'deploy', timeoutMinutes: '90' }, 'invalid UserParameters: timeoutMinutes: '],
    [{ ...parameters, step: 'deploy', deploymentGroup: '' }, 'invalid UserParameters: deploymentGroup: '],
    [
      { ...parameters, step: 'create-appspec', alias: '1' },
      'invalid UserParameters: alias: must be a Lambda alias name',
    ],
    [{ ...parameters, step: 'ship-it' }, 'invalid UserParameters: step: '],
    ['{"step": "deploy",', 'UserParameters is not JSON'],
    ['', 'the action has no UserParameters'],
  ])('fails the job naming the bad field of %j', async (userParameters, message) => {
    const outcome = await run(job(userParameters));
    expect(outcome.result).toBe('failed');
    expect(failure()?.failureDetails?.message).toContain(message);
    expect(lambdaMock.calls()).toHaveLength(0);
    expect(codedeployMock.calls()).toHaveLength(0);
  });
});

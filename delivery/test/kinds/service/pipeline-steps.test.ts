import { DescribeStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import {
  GetParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { strToU8, zipSync } from 'fflate';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PipelineJobClients } from '../../../src/pipeline/job.js';
import type { PipelineJobOptions } from '../../../src/pipeline/run.js';
import { userParametersSchema } from '../../../src/pipeline/steps.js';
import { clients as aws, mocks, sent } from '../../aws.js';
import { credentials, failure, jobClients, pipelineJob, runJob, success } from '../../pipeline/support.js';
import { fakeClock, s3Body } from '../../support.js';
import { IMAGE, SERVICE, serviceStack } from './support.js';

const { cloudformation: cfnMock, ssm: ssmMock, s3: s3Mock } = mocks;

const clients: PipelineJobClients = jobClients('cloudformation', 'ssm');

const { stackName, stackId, imageParameter } = SERVICE;
const service = { environment: 'dev', stackName, imageParameter };
const stack = serviceStack;

function buildOutput(
  files: Record<string, string> = { 'imageDetail.json': JSON.stringify({ ImageURI: IMAGE }) },
) {
  return zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, strToU8(text)])));
}

// The container build's output in; no output artifact.
function job(userParameters: object, continuationToken?: string) {
  return pipelineJob(userParameters, { input: 'ContainerBuild', continuationToken });
}

function run(jobEvent: unknown, options: PipelineJobOptions = {}, jobClients = clients) {
  return runJob(jobClients, jobEvent, options);
}

function puts(): unknown[] {
  return sent(ssmMock, PutParameterCommand);
}

beforeEach(() => {
  s3Mock.on(GetObjectCommand).resolves({ Body: s3Body(buildOutput()) });
  cfnMock.on(DescribeStacksCommand, { StackName: stackName }).resolves(stack('CREATE_COMPLETE'));
  cfnMock.on(DescribeStacksCommand, { StackName: stackId }).resolves(stack('UPDATE_COMPLETE', IMAGE));
  cfnMock.on(UpdateStackCommand).resolves({ StackId: stackId });
  ssmMock.on(GetParameterCommand).resolves({ Parameter: { Type: 'String', Value: 'none' } });
  ssmMock.on(PutParameterCommand).resolves({ Version: 2 });
});

describe('userParametersSchema, service steps', () => {
  it('defaults the ensure-service time-out to 30 minutes and checks names', () => {
    expect(userParametersSchema.parse({ step: 'ensure-service', ...service })).toEqual({
      step: 'ensure-service',
      ...service,
      timeoutMinutes: 30,
    });
    expect(
      userParametersSchema.safeParse({ step: 'record-service-image', ...service, stackName: 'a_b' }).success,
    ).toBe(false);
  });
});

describe('runPipelineJob, ensure-service', () => {
  const ensure = { step: 'ensure-service', ...service };

  it('delivers the first image of imageDetail.json and reports it', async () => {
    const outcome = await run(job(ensure));
    expect(outcome.result).toBe('succeeded');
    expect(clients.artifactS3).toHaveBeenCalledWith(credentials);
    expect(puts()).toEqual([{ Name: imageParameter, Value: IMAGE, Overwrite: true }]);
    expect(cfnMock.commandCalls(UpdateStackCommand)).toHaveLength(1);
    expect(success()).toEqual({
      jobId: 'job-1',
      executionDetails: { summary: `${stackName} now runs the service with its first image ${IMAGE}` },
      outputVariables: { ImageUri: IMAGE, Delivery: 'delivered-first' },
    });
  });

  it('changes nothing when the service already runs a delivered image', async () => {
    const previous = IMAGE.replace(':3f2c1ab', ':0a0a0a0');
    cfnMock.on(DescribeStacksCommand, { StackName: stackName }).resolves(stack('UPDATE_COMPLETE', previous));
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Type: 'String', Value: previous } });
    await run(job(ensure));
    expect(puts()).toEqual([]);
    expect(cfnMock.commandCalls(UpdateStackCommand)).toHaveLength(0);
    expect(success()).toEqual({
      jobId: 'job-1',
      executionDetails: {
        summary: `${stackName} already runs a delivered image (${previous}): the deployment brings ${IMAGE}`,
      },
      outputVariables: { ImageUri: IMAGE, Delivery: 'already-delivered' },
    });
  });

  it('hands back a continuation token while the stack updates, and resumes it', async () => {
    cfnMock.on(DescribeStacksCommand, { StackName: stackId }).resolves(stack('UPDATE_IN_PROGRESS'));
    const clock = fakeClock();
    const startedAt = clock.now();
    const first = await run(job(ensure), clock);

    expect(first.result).toBe('in-progress');
    const token = success()?.continuationToken ?? '';
    expect(JSON.parse(token)).toEqual({
      stackId,
      requestToken: `deliver-first-image-${startedAt}`,
      startedAt,
      imageUri: IMAGE,
    });
    expect(success()?.executionDetails?.summary).toMatch(
      /^ias-dev-inventory-api is creating the service with its first image \(\d of 30 min\)$/,
    );
    expect(clock.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(60_000);

    cfnMock.resetHistory();
    ssmMock.resetHistory();
    s3Mock.resetHistory();
    cfnMock.on(DescribeStacksCommand, { StackName: stackId }).resolves(stack('UPDATE_COMPLETE', IMAGE));
    const second = await run(job(ensure, token), clock);

    expect(second.result).toBe('succeeded');
    expect(success()?.outputVariables).toEqual({ ImageUri: IMAGE, Delivery: 'delivered-first' });
    // Resuming reads only the stack: no artifact, no parameter write, no second update.
    expect(s3Mock.calls()).toHaveLength(0);
    expect(ssmMock.calls()).toHaveLength(0);
    expect(cfnMock.commandCalls(UpdateStackCommand)).toHaveLength(0);
  });

  it('fails TIMED_OUT on a resumed update past timeoutMinutes', async () => {
    cfnMock.on(DescribeStacksCommand, { StackName: stackId }).resolves(stack('UPDATE_IN_PROGRESS'));
    const clock = fakeClock();
    const token = JSON.stringify({
      stackId,
      requestToken: 't',
      startedAt: clock.now() - 31 * 60_000,
      imageUri: IMAGE,
    });
    await run(job(ensure, token), clock);
    expect(failure()?.failureDetails).toEqual({
      type: 'JobFailed',
      message: `stack ${stackName} still UPDATE_IN_PROGRESS after 30 min: follow it in the CloudFormation console and re-run once it settles`,
    });
  });

  it('fails the job on a token it did not write', async () => {
    await run(job(ensure, '{"deploymentId":"d-ABC"}'));
    expect(failure()?.failureDetails?.message).toBe(
      'the continuation token is not one this step wrote: retry the stage',
    );
  });

  it('fails the job when the artifact has no valid imageDetail.json', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: s3Body(buildOutput({ 'taskdef-dev.json': '{}' })) });
    await run(job(ensure));
    expect(failure()?.failureDetails?.message).toBe(
      "input artifact ContainerBuild has no imageDetail.json: is it the container build's output?",
    );
    s3Mock.on(GetObjectCommand).resolves({
      Body: s3Body(
        buildOutput({
          'imageDetail.json': JSON.stringify({ ImageURI: IMAGE.replace(':3f2c1ab', ':latest') }),
        }),
      ),
    });
    await run(job(ensure));
    expect(failure()?.failureDetails?.message).toMatch(
      /^input artifact ContainerBuild: invalid imageDetail\.json: ImageURI: ".*:latest" is tagged latest/,
    );
    expect(ssmMock.calls()).toHaveLength(0);
    expect(cfnMock.calls()).toHaveLength(0);
  });

  it('fails the job when the step function has no CloudFormation or SSM client', async () => {
    await run(job(ensure), {}, { ...clients, cloudformation: undefined, ssm: undefined });
    expect(failure()?.failureDetails?.message).toBe(
      "the ensure-service step needs the CloudFormation and SSM client, which this step function was not given: add it to the function's clients",
    );
  });

  it('fails the job on invalid UserParameters', async () => {
    await run(job({ step: 'ensure-service', environment: 'dev', stackName, imageParameter: 'not a name' }));
    expect(failure()?.failureDetails?.message).toBe(
      'invalid UserParameters: imageParameter: must be an SSM parameter name such as /ias/dev/inventory-api/image',
    );
  });
});

describe('runPipelineJob, record-service-image', () => {
  const record = { step: 'record-service-image', ...service };

  it('writes the deployed image to the image parameter', async () => {
    const outcome = await run(job(record));
    expect(outcome.result).toBe('succeeded');
    expect(puts()).toEqual([{ Name: imageParameter, Value: IMAGE, Overwrite: true }]);
    expect(cfnMock.calls()).toHaveLength(0);
    expect(success()).toEqual({
      jobId: 'job-1',
      executionDetails: {
        summary: `recorded ${IMAGE} in ${imageParameter}: infrastructure deploys of ${stackName} keep it`,
      },
      outputVariables: { ImageUri: IMAGE },
    });
  });

  it('needs only the SSM client, and fails the job without it', async () => {
    expect((await run(job(record), {}, { ...clients, cloudformation: undefined })).result).toBe('succeeded');
    await run(job(record), {}, { ...clients, ssm: undefined });
    expect(failure()?.failureDetails?.message).toBe(
      "the record-service-image step needs the SSM client, which this step function was not given: add it to the function's clients",
    );
  });

  it('fails the job when the parameter cannot be written', async () => {
    ssmMock
      .on(PutParameterCommand)
      .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    await run(job(record));
    expect(failure()?.failureDetails?.message).toBe('AccessDeniedException: not allowed');
  });
});

describe('runPipelineJob in another account (roleArn)', () => {
  const roleArn = 'arn:aws:iam::444444444444:role/ias-prod-delivery';
  const record = { step: 'record-service-image', ...service, roleArn };

  it("acts through the clients of the environment's role, and reports with its own", async () => {
    const assumedSsm = new SSMClient({});
    const forRole = vi.fn(() => ({ ...aws, ssm: assumedSsm }));
    const ownSsm = new SSMClient({});
    const sent = vi.spyOn(assumedSsm, 'send');
    const ownSent = vi.spyOn(ownSsm, 'send');
    const outcome = await run(job(record), {}, { ...clients, ssm: ownSsm, forRole });
    expect(outcome.result).toBe('succeeded');
    expect(forRole).toHaveBeenCalledWith(roleArn);
    expect(sent).toHaveBeenCalledTimes(1);
    expect(ownSent).not.toHaveBeenCalled();
    expect(success()?.jobId).toBe('job-1');
  });

  it('fails the job when the function cannot assume roles, or the ARN is not a role', async () => {
    await run(job(record));
    expect(failure()?.failureDetails?.message).toBe(
      `the step names the role ${roleArn}, but this function cannot assume roles (no forRole clients)`,
    );
    await run(job({ ...record, roleArn: 'arn:aws:iam::444444444444:user/someone' }));
    expect(failure()?.failureDetails?.message).toBe(
      'invalid UserParameters: roleArn: must be an IAM role ARN',
    );
  });
});

describe('runPipelineJob, recording the release', () => {
  const ledger = {
    table: 'ias-dev-releases',
    name: 'ias-dev-inventory-api',
    configurationPath: '/ias/dev/',
    commit: 'abc123',
  };
  const record = { step: 'record-service-image', ...service, ledger };

  it('records the image as the next release, with the configuration in use and the commit', async () => {
    const { dynamodb: ddbMock, secrets: secretsMock } = mocks;
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    ddbMock.on(PutItemCommand).resolves({});
    ssmMock
      .on(GetParametersByPathCommand)
      .resolves({ Parameters: [{ Name: '/ias/dev/db/port', Version: 1 }] });
    secretsMock.on(ListSecretsCommand).resolves({ SecretList: [] });
    const outcome = await run(job(record), {}, jobClients('cloudformation', 'ssm', 'dynamodb', 'secrets'));
    expect(outcome).toMatchObject({ result: 'succeeded' });
    const written = JSON.parse(sent(ddbMock, PutItemCommand)[0]?.Item?.release?.S ?? '{}');
    expect(written).toMatchObject({
      number: 1,
      source: 'pipeline',
      commit: 'abc123',
      services: { 'ias-dev-inventory-api': { image: IMAGE } },
      parameters: { '/ias/dev/db/port': 1 },
    });
    expect(success()?.outputVariables).toEqual({ ImageUri: IMAGE, Release: '1' });
    expect(written).not.toHaveProperty('sbom');
    ddbMock.restore();
    secretsMock.restore();
  });

  it('records where the stage’s gate stored the SBOM of the image, when the ledger parameters say', async () => {
    const { dynamodb: ddbMock, secrets: secretsMock } = mocks;
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    ddbMock.on(PutItemCommand).resolves({});
    ssmMock.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    secretsMock.on(ListSecretsCommand).resolves({ SecretList: [] });
    const sbom = {
      bucket: 'ias-dev-artifact-store-123456789012-ap-northeast-1',
      key: 'sbom/inventory-api/abc123.cdx.json',
    };
    const outcome = await run(
      job({ ...record, ledger: { ...ledger, sbom } }),
      {},
      jobClients('cloudformation', 'ssm', 'dynamodb', 'secrets'),
    );
    expect(outcome).toMatchObject({ result: 'succeeded' });
    expect(JSON.parse(sent(ddbMock, PutItemCommand)[0]?.Item?.release?.S ?? '{}')).toMatchObject({ sbom });
  });

  it('fails, recording nothing, on an SBOM location that is not an S3 object', async () => {
    await run(
      job({ ...record, ledger: { ...ledger, sbom: { bucket: '#{SupplyChain-dev.SbomBucket}', key: 'k' } } }),
    );
    expect(failure()?.failureDetails?.message).toMatch(
      /UserParameters.*ledger\.sbom\.bucket: must be an S3 bucket name/,
    );
  });

  it('fails the job, naming the clients, when it cannot record', async () => {
    await run(job(record));
    expect(failure()?.failureDetails?.message).toBe(
      "the ledger step needs the DynamoDB and Secrets Manager client, which this step function was not given: add it to the function's clients",
    );
  });
});

import { GetDeploymentCommand, GetDeploymentGroupCommand } from '@aws-sdk/client-codedeploy';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PipelineJobClients } from '../../../src/pipeline/job.js';
import { userParametersSchema } from '../../../src/pipeline/steps.js';
import { mocks, sent } from '../../aws.js';
import { failure, jobClients, pipelineJob, runJob, success } from '../../pipeline/support.js';

const APPLICATION = 'ias-dev-inventory-api-ec2-app';
const GROUP = 'ias-dev-inventory-api-ec2-group';
const DEPLOYMENT = 'd-ABCDEF123';
// pipelineJob's input artifact is s3://artifacts/in.zip: the revision the CodeDeploy action deployed.
const REVISION = { bucket: 'artifacts', key: 'in.zip' };
const parameters = {
  step: 'ec2-record',
  environment: 'dev',
  application: APPLICATION,
  deploymentGroup: GROUP,
};
const ledger = { table: 'ias-dev-releases', name: 'inventory-api', configurationPath: '/ias/dev/' };
const clients: PipelineJobClients = jobClients('dynamodb', 'ssm', 'secrets');

function job(params: object) {
  return pipelineJob(params, { input: 'Revision' });
}

/** The group's last successful deployment (none when `deploymentId` is undefined) and its revision. */
function fleetRuns(deploymentId: string | undefined, revision?: object) {
  mocks.codedeploy.on(GetDeploymentGroupCommand).resolves({
    deploymentGroupInfo: {
      applicationName: APPLICATION,
      deploymentGroupName: GROUP,
      ...(deploymentId ? { lastSuccessfulDeployment: { deploymentId, status: 'Succeeded' } } : {}),
    },
  });
  mocks.codedeploy.on(GetDeploymentCommand).resolves({
    deploymentInfo: { deploymentId, status: 'Succeeded', ...(revision ? { revision } : {}) },
  });
}

beforeEach(() => {
  mocks.dynamodb.on(QueryCommand).resolves({ Items: [] });
  mocks.dynamodb.on(PutItemCommand).resolves({});
  mocks.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
  mocks.secrets.on(ListSecretsCommand).resolves({ SecretList: [] });
});

/** The release the job wrote to the ledger, if any. */
function recorded(): unknown {
  const [put] = sent(mocks.dynamodb, PutItemCommand);
  return put ? (JSON.parse(put.Item?.release?.S ?? '{}') as unknown) : undefined;
}

describe('runPipelineJob, ec2-record', () => {
  it('takes the CodeDeploy application and deployment group', () => {
    expect(userParametersSchema.parse({ ...parameters, ledger })).toMatchObject(parameters);
  });

  it('fails on parameters that name no deployment group, or not a CodeDeploy name', () => {
    const withoutGroup = { ...parameters, deploymentGroup: undefined };
    for (const bad of [
      withoutGroup,
      { ...parameters, application: '' },
      { ...parameters, deploymentGroup: 'has spaces' },
      { ...parameters, application: 'a'.repeat(101) },
      { ...parameters, environment: 'Dev' },
    ]) {
      expect(userParametersSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    const parsed = userParametersSchema.safeParse({ ...parameters, deploymentGroup: 'has spaces' });
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['deploymentGroup', 'must be a CodeDeploy name: 1-100 letters, digits and _ . + = , @ -'],
    ]);
  });

  it('records the deployment and the revision the fleet runs, under the ledger name, without reading the artifact', async () => {
    fleetRuns(DEPLOYMENT, {
      revisionType: 'S3',
      s3Location: { ...REVISION, bundleType: 'zip', eTag: 'etag-1', version: 'v-1' },
    });
    const outcome = await runJob(clients, job({ ...parameters, ledger }));
    expect(outcome.result).toBe('succeeded');
    expect(sent(mocks.codedeploy, GetDeploymentGroupCommand)).toEqual([
      { applicationName: APPLICATION, deploymentGroupName: GROUP },
    ]);
    expect(sent(mocks.codedeploy, GetDeploymentCommand)).toEqual([{ deploymentId: DEPLOYMENT }]);
    expect(sent(mocks.s3, GetObjectCommand)).toEqual([]);
    expect(success()?.executionDetails?.summary).toBe(
      `dev: ${GROUP} runs in.zip (deployment ${DEPLOYMENT}); release 1 in ias-dev-releases`,
    );
    expect(success()?.outputVariables).toEqual({
      DeploymentId: DEPLOYMENT,
      Bucket: 'artifacts',
      Key: 'in.zip',
      BundleType: 'zip',
      ETag: 'etag-1',
      Version: 'v-1',
      Release: '1',
    });
    expect(recorded()).toMatchObject({
      fleets: {
        'inventory-api': {
          deploymentId: DEPLOYMENT,
          revision: { ...REVISION, bundleType: 'zip', eTag: 'etag-1', version: 'v-1' },
        },
      },
    });
  });

  it('records a revision without bundle type as the zip CodePipeline made, and no version or ETag it lacks', async () => {
    fleetRuns(DEPLOYMENT, { revisionType: 'S3', s3Location: REVISION });
    await runJob(clients, job({ ...parameters, ledger }));
    expect(success()?.outputVariables).toEqual({
      DeploymentId: DEPLOYMENT,
      Bucket: 'artifacts',
      Key: 'in.zip',
      BundleType: 'zip',
      Release: '1',
    });
    expect(recorded()).toMatchObject({
      fleets: { 'inventory-api': { deploymentId: DEPLOYMENT, revision: { ...REVISION, bundleType: 'zip' } } },
    });
  });

  it('fails without recording when the last successful deployment installed another revision', async () => {
    fleetRuns('d-OTHER0001', {
      revisionType: 'S3',
      s3Location: { bucket: 'artifacts', key: 'other.zip', bundleType: 'zip' },
    });
    await runJob(clients, job({ ...parameters, ledger }));
    expect(failure()?.failureDetails?.message).toBe(
      `dev: ${GROUP}'s last successful deployment d-OTHER0001 installed s3://artifacts/other.zip, not this pipeline's s3://artifacts/in.zip: another deployment got there first; the release is not recorded (see ias-ops deployments, then retry this action or the stage)`,
    );
    expect(sent(mocks.dynamodb, PutItemCommand)).toEqual([]);
  });

  it('fails without recording when the key matches but the bucket does not, or the revision is not in S3', async () => {
    fleetRuns(DEPLOYMENT, { revisionType: 'S3', s3Location: { bucket: 'other-bucket', key: 'in.zip' } });
    await runJob(clients, job({ ...parameters, ledger }));
    expect(failure()?.failureDetails?.message).toContain(
      'installed s3://other-bucket/in.zip, not this pipeline',
    );
    fleetRuns(DEPLOYMENT, { revisionType: 'GitHub', gitHubLocation: { repository: 'o/r', commitId: 'abc' } });
    await runJob(clients, job({ ...parameters, ledger }));
    expect(failure()?.failureDetails?.message).toContain('installed a revision that is not in S3');
    expect(sent(mocks.dynamodb, PutItemCommand)).toEqual([]);
  });

  it('fails clearly when the group has no successful deployment', async () => {
    fleetRuns(undefined);
    await runJob(clients, job({ ...parameters, ledger }));
    expect(failure()?.failureDetails?.message).toBe(
      `dev: ${GROUP} (${APPLICATION}) has no successful deployment, so there is nothing to record: does this action run after the CodeDeploy action that deploys artifact Revision to it?`,
    );
    expect(sent(mocks.codedeploy, GetDeploymentCommand)).toEqual([]);
    expect(sent(mocks.dynamodb, PutItemCommand)).toEqual([]);
  });

  it('fails, asking for the artifact, when the action has no input artifact', async () => {
    const noInput = job(parameters);
    await runJob(clients, { ...noInput, data: { ...noInput.data, inputArtifacts: [] } });
    expect(failure()?.failureDetails?.message).toBe(
      'the ec2-record step needs one input artifact: the revision the CodeDeploy action deployed',
    );
    expect(sent(mocks.codedeploy, GetDeploymentGroupCommand)).toEqual([]);
  });

  it('reports without recording when its parameters name no ledger', async () => {
    fleetRuns(DEPLOYMENT, { revisionType: 'S3', s3Location: { ...REVISION, bundleType: 'zip' } });
    const outcome = await runJob(clients, job(parameters));
    expect(outcome.result).toBe('succeeded');
    expect(sent(mocks.dynamodb, PutItemCommand)).toEqual([]);
  });
});

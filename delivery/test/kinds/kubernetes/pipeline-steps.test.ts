import { BatchGetBuildsCommand, StartBuildCommand, type StatusType } from '@aws-sdk/client-codebuild';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { strToU8, zipSync } from 'fflate';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PipelineJobClients } from '../../../src/pipeline/job.js';
import { userParametersSchema } from '../../../src/pipeline/steps.js';
import { clients as aws, mocks, sent } from '../../aws.js';
import { failure, jobClients, pipelineJob, runJob, success } from '../../pipeline/support.js';
import { s3Body } from '../../support.js';

const IMAGE = `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ias-dev-inventory-api@sha256:${'a'.repeat(64)}`;
const PROJECT = 'ias-dev-inventory-api-k8s-deploy';
const BUILD = `${PROJECT}:0a1b2c3d`;
const parameters = { step: 'kubernetes-deploy', environment: 'dev', project: PROJECT, timeoutMinutes: 60 };
const clients: PipelineJobClients = { ...jobClients('dynamodb', 'ssm', 'secrets'), codebuild: aws.codebuild };

function job(params: object, continuationToken?: string) {
  return pipelineJob(params, { input: 'Image_dev', continuationToken });
}

function build(status: StatusType, vars: Record<string, string> = {}) {
  return {
    builds: [
      {
        id: BUILD,
        buildStatus: status,
        exportedEnvironmentVariables: Object.entries(vars).map(([name, value]) => ({ name, value })),
      },
    ],
  };
}

beforeEach(() => {
  mocks.s3.on(GetObjectCommand).resolves({
    Body: s3Body(zipSync({ 'imageDetail.json': strToU8(JSON.stringify({ ImageURI: IMAGE })) })),
  });
  mocks.codebuild.on(StartBuildCommand).resolves({ build: { id: BUILD } });
});

describe('runPipelineJob, kubernetes-deploy', () => {
  it('takes the deploy project and a time-out of at most 8 hours', () => {
    expect(userParametersSchema.parse(parameters)).toMatchObject(parameters);
    expect(userParametersSchema.safeParse({ ...parameters, timeoutMinutes: 481 }).success).toBe(false);
    expect(userParametersSchema.safeParse({ ...parameters, project: 'no spaces allowed' }).success).toBe(
      false,
    );
  });

  it('starts the deploy project with the artifact’s image and hands back a token while it runs', async () => {
    mocks.codebuild.on(BatchGetBuildsCommand).resolves(build('IN_PROGRESS'));
    const outcome = await runJob(clients, job(parameters));
    expect(sent(mocks.codebuild, StartBuildCommand)).toEqual([
      {
        projectName: PROJECT,
        environmentVariablesOverride: [
          { name: 'ACTION', value: 'deploy', type: 'PLAINTEXT' },
          { name: 'IMAGE', value: IMAGE, type: 'PLAINTEXT' },
        ],
      },
    ]);
    expect(outcome.result).toBe('in-progress');
    const token = JSON.parse((outcome as { continuationToken: string }).continuationToken) as object;
    expect(token).toMatchObject({ buildId: BUILD, image: IMAGE });
  });

  it('follows the started build without starting another, and records the color, image and revision it switched to', async () => {
    mocks.codebuild
      .on(BatchGetBuildsCommand)
      .resolves(build('SUCCEEDED', { RESULT: 'succeeded', COLOR: 'green', IMAGE, REVISION: 'sha256:rev' }));
    mocks.dynamodb.on(QueryCommand).resolves({ Items: [] });
    mocks.dynamodb.on(PutItemCommand).resolves({});
    mocks.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    mocks.secrets.on(ListSecretsCommand).resolves({ SecretList: [] });
    const token = JSON.stringify({ buildId: BUILD, startedAt: 0, image: IMAGE });
    const ledger = {
      table: 'ias-dev-releases',
      name: 'ias-dev-inventory-api',
      configurationPath: '/ias/dev/',
    };
    const outcome = await runJob(clients, job({ ...parameters, ledger }, token));
    expect(outcome.result).toBe('succeeded');
    expect(sent(mocks.codebuild, StartBuildCommand)).toEqual([]);
    expect(success()?.outputVariables).toMatchObject({
      Color: 'green',
      ImageUri: IMAGE,
      Revision: 'sha256:rev',
    });
    const written = JSON.parse(sent(mocks.dynamodb, PutItemCommand)[0]?.Item?.release?.S ?? '{}') as object;
    expect(written).toMatchObject({
      applications: { 'ias-dev-inventory-api': { color: 'green', image: IMAGE, revision: 'sha256:rev' } },
    });
  });

  describe('the canary judge’s last look at the build', () => {
    const LEDGER = { table: 'ias-dev-releases', name: 'inventory-api', configurationPath: '/ias/dev/' };
    const LOOK = {
      at: '2026-01-05T09:07:00.000Z',
      verdict: 'pass',
      action: 'promote',
      reason: 'look 6 of 10 (level 0.0123): pass — every metric no worse',
      look: 6,
      looks: 10,
      level: 0.0123,
      final: false,
      metrics: [
        {
          metric: 'error-rate',
          test: 'conditional binomial',
          effect: 0.9,
          pValueWorse: 0.6,
          pValueNotWorse: 0.001,
          adjustedAlpha: 0.0041,
          samples: { baseline: 20000, canary: 1000 },
          errors: { baseline: 20, canary: 1 },
          verdict: 'pass',
        },
      ],
    };
    const succeeded = () => {
      mocks.codebuild
        .on(BatchGetBuildsCommand)
        .resolves(build('SUCCEEDED', { RESULT: 'succeeded', COLOR: 'green', IMAGE, REVISION: 'sha256:rev' }));
      mocks.dynamodb.on(QueryCommand).resolves({ Items: [] });
      mocks.dynamodb.on(PutItemCommand).resolves({});
      mocks.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
      mocks.secrets.on(ListSecretsCommand).resolves({ SecretList: [] });
    };
    const canaryQuery = { ExpressionAttributeValues: { ':pk': { S: `canary#${BUILD}` } } };
    const recorded = () =>
      JSON.parse(sent(mocks.dynamodb, PutItemCommand)[0]?.Item?.release?.S ?? '{}') as Record<
        string,
        unknown
      >;
    const token = JSON.stringify({ buildId: BUILD, startedAt: 0, image: IMAGE });

    it('goes on the release: the summary of the look kept under the build’s ID', async () => {
      succeeded();
      mocks.dynamodb
        .on(QueryCommand, canaryQuery)
        .resolves({ Items: [{ number: { N: '6' }, evidence: { S: JSON.stringify(LOOK) } }] });
      await runJob(clients, job({ ...parameters, ledger: LEDGER }, token));
      expect(sent(mocks.dynamodb, QueryCommand)).toContainEqual(
        expect.objectContaining({ TableName: 'ias-dev-releases', ...canaryQuery, Limit: 1 }),
      );
      expect(recorded()).toMatchObject({
        applications: { 'inventory-api': { color: 'green' } },
        canary: {
          deploymentId: BUILD,
          verdict: 'pass',
          action: 'promote',
          look: 6,
          looks: 10,
          metrics: [{ metric: 'error-rate', verdict: 'pass', effect: 0.9 }],
        },
      });
    });

    it('leaves the release without it when the build was not judged', async () => {
      succeeded();
      await runJob(clients, job({ ...parameters, ledger: LEDGER }, token));
      expect(recorded()).not.toHaveProperty('canary');
    });

    it('records the release all the same when the look cannot be read, saying so in the summary', async () => {
      succeeded();
      mocks.dynamodb
        .on(QueryCommand, canaryQuery)
        .rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
      const outcome = await runJob(clients, job({ ...parameters, ledger: LEDGER }, token));
      expect(outcome.result).toBe('succeeded');
      expect(recorded()).not.toHaveProperty('canary');
      expect(recorded()['summary']).toContain(
        `the canary judge's last look at build ${BUILD} could not be read (ProvisionedThroughputExceededException: throttled)`,
      );
    });
  });

  it('fails saying who switched back when the build exported it', async () => {
    const reason = 'the canary judge at 5 %: look 2 of 10 (level 0.0012): fail — error-rate worse than 1.1×';
    mocks.codebuild.on(BatchGetBuildsCommand).resolves(
      build('SUCCEEDED', {
        RESULT: 'rolled-back',
        COLOR: 'green',
        IMAGE,
        REVISION: 'sha256:rev',
        REASON: reason,
      }),
    );
    const token = JSON.stringify({ buildId: BUILD, startedAt: 0, image: IMAGE });
    await runJob(clients, job(parameters, token));
    expect(failure()?.failureDetails?.message).toBe(
      `dev: ${PROJECT} rolled back (${reason}): users are back on the color that served before green; see build ${BUILD}'s log`,
    );
  });

  it('fails saying the previous color serves again when the switch rolled back, and records nothing', async () => {
    mocks.codebuild
      .on(BatchGetBuildsCommand)
      .resolves(build('SUCCEEDED', { RESULT: 'rolled-back', COLOR: 'green', IMAGE, REVISION: 'sha256:rev' }));
    const token = JSON.stringify({ buildId: BUILD, startedAt: 0, image: IMAGE });
    await runJob(clients, job(parameters, token));
    expect(failure()?.failureDetails?.message).toBe(
      `dev: ${PROJECT} rolled back: users are back on the color that served before green; see build ${BUILD}'s log`,
    );
    expect(sent(mocks.dynamodb, PutItemCommand)).toEqual([]);
  });

  it('fails on a build that failed or was stopped, users left on the color that served', async () => {
    mocks.codebuild.on(BatchGetBuildsCommand).resolves(build('STOPPED'));
    const token = JSON.stringify({ buildId: BUILD, startedAt: 0, image: IMAGE });
    await runJob(clients, job(parameters, token));
    expect(failure()?.failureDetails?.message).toContain(
      'failed (STOPPED); users stay on the color that served',
    );
  });

  it('gives up, saying the build goes on, past its time-out', async () => {
    mocks.codebuild.on(BatchGetBuildsCommand).resolves(build('IN_PROGRESS'));
    const token = JSON.stringify({ buildId: BUILD, startedAt: 0, image: IMAGE });
    await runJob(clients, job(parameters, token), { now: () => 61 * 60_000 });
    expect(failure()?.failureDetails?.message).toContain('still running after 60 min; it goes on');
  });

  it('fails naming the client when its function has no CodeBuild client', async () => {
    await runJob(jobClients(), job(parameters));
    expect(failure()?.failureDetails?.message).toContain('needs the CodeBuild client');
  });
});

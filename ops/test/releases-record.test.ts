import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import { recordReleaseCommand } from '../src/commands/releases';
import { EXIT } from '../src/errors';
import { awsError, context, prefix, runMain, stubbedAws } from './helpers';

const IMAGE = `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/${prefix}-staging-inventory-api@sha256:${'b'.repeat(64)}`;
const TASK = `arn:aws:ecs:ap-northeast-1:123456789012:task-definition/${prefix}-staging-inventory-api:8`;
const RUN = 'https://github.com/acme/ias/actions/runs/42';

const latest = {
  number: 6,
  at: '2026-11-25T00:00:00.000Z',
  by: 'CodePipeline job 1',
  source: 'pipeline',
  summary: 'before',
  functions: { [`${prefix}-staging-allocate-order`]: '3', [`${prefix}-staging-import-stock`]: '9' },
  services: {},
  parameters: { [`/${prefix}/staging/old`]: 1 },
  secrets: {},
};

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
  aws.mocks.sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::123456789012:assumed-role/x/y' });
  aws.mocks.ssm
    .on(GetParametersByPathCommand)
    .resolves({ Parameters: [{ Name: `/${prefix}/staging/db/port`, Version: 2 }] });
  aws.mocks.secrets.on(ListSecretsCommand).resolves({ SecretList: [] });
  aws.mocks.dynamodb.on(QueryCommand).resolves({
    Items: [{ pk: { S: 'release' }, number: { N: '6' }, release: { S: JSON.stringify(latest) } }],
  });
  aws.mocks.dynamodb.on(PutItemCommand).resolves({});
});

const written = () =>
  JSON.parse(
    aws.mocks.dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.release?.S ?? '{}',
  ) as Record<string, unknown>;

describe('releases record', () => {
  it("records a workflow's deployment as the next release: the latest with its entries set, the configuration now", async () => {
    const result = await recordReleaseCommand(context(aws), {
      env: 'staging',
      summary: 'lambda-deploy: allocate-order live -> 4',
      functions: ['allocate-order=4'],
      services: [`inventory-api=${IMAGE}`],
      taskDefinitions: [`inventory-api=${TASK}`],
      source: 'workflow',
      by: RUN,
      commit: 'a'.repeat(40),
    });
    expect(aws.mocks.sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
    expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
      TableName: `${prefix}-staging-releases`,
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(written()).toMatchObject({
      number: 7,
      source: 'workflow',
      by: RUN,
      commit: 'a'.repeat(40),
      summary: 'lambda-deploy: allocate-order live -> 4',
      functions: { [`${prefix}-staging-allocate-order`]: '4', [`${prefix}-staging-import-stock`]: '9' },
      services: { [`${prefix}-staging-inventory-api`]: { image: IMAGE, taskDefinition: TASK } },
      parameters: { [`/${prefix}/staging/db/port`]: 2 },
    });
    expect(result).toMatchObject({
      environment: 'staging',
      table: `${prefix}-staging-releases`,
      recorded: { number: 7 },
    });
  });

  it("records the caller's identity when --by is not given, and prints one line through main", async () => {
    const run = await runMain(
      ['releases', 'record', '--env', 'staging', '--summary', 'by hand', '--function', 'import-stock=10'],
      aws,
    );
    expect(run).toEqual({
      code: EXIT.ok,
      stderr: '',
      stdout: `recorded release 7 of staging in ${prefix}-staging-releases: by hand\n`,
    });
    expect(written()).toMatchObject({ by: 'arn:aws:sts::123456789012:assumed-role/x/y', source: 'cli' });
    // Recorded once: the command's own write, not a second one by the CLI's after-change hook.
    expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)).toHaveLength(1);
  });

  it.each([
    [['--function', 'nope=3'], '--function nope=3: "nope" is not one of allocate-order, import-stock'],
    [
      ['--function', 'allocate-order=$LATEST'],
      '--function allocate-order=$LATEST: "$LATEST" is not a published version number',
    ],
    [['--service', 'inventory-api=repo:latest'], '"repo:latest" is not an image by digest'],
    [
      ['--service', `inventory-api=${IMAGE}`, '--task-definition', 'inventory-api=ias:8'],
      '"ias:8" is not a task definition ARN',
    ],
    [
      ['--function', 'allocate-order=4', '--task-definition', `inventory-api=${TASK}`],
      'give the image it runs too, with --service inventory-api=<image>',
    ],
    [
      ['--function', 'allocate-order=4', '--source', 'jenkins'],
      '--source must be one of pipeline, workflow, cli, got "jenkins"',
    ],
    [['--function', 'allocate-order=4', '--commit', 'main'], '--commit must be a git commit'],
    [[], 'nothing to record: give at least one --function <name>=<version> or --service <name>=<image>'],
  ])('refuses bad input %j with exit 2, writing nothing', async (extra, message) => {
    const run = await runMain(['releases', 'record', '--env', 'staging', '--summary', 's', ...extra], aws);
    expect(run.code).toBe(EXIT.badInput);
    expect(run.stderr).toContain(message);
    expect(aws.calls()).toEqual([]);
  });

  it('says plainly (exit 1) when the environment has no ledger table yet', async () => {
    aws.mocks.dynamodb.on(QueryCommand).rejects(awsError('ResourceNotFoundException'));
    const run = await runMain(
      ['releases', 'record', '--env', 'dev', '--summary', 's', '--function', 'allocate-order=1'],
      aws,
    );
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toBe(
      `error: there is no ledger table ${prefix}-dev-releases in ap-northeast-1: deploy dev's infrastructure first (its deployment stack creates it)\n`,
    );
  });

  it('prints the calls and makes none under --dry-run', async () => {
    const run = await runMain(
      [
        '--dry-run',
        'releases',
        'record',
        '--env',
        'dev',
        '--summary',
        's',
        '--function',
        'allocate-order=1',
        '--by',
        RUN,
      ],
      aws,
    );
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(`dynamodb PutItem {"TableName":"${prefix}-dev-releases"`);
    expect(run.stdout).not.toContain('GetCallerIdentity');
    expect(aws.calls()).toEqual([]);
  });
});

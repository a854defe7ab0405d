import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { GetAliasCommand, PublishVersionCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { SBOM_CONTENT_TYPE } from '@ias/delivery';
import { environmentArtifactBucketName, Naming, sbomKey } from '@ias/targets';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors';
import { awsError, prefix, runMain, serviceDeployment, stubbedAws } from './helpers';

const ACCOUNT = '123456789012';
const COMMIT = 'c0ffee'.padEnd(40, '0');
const bucket = (env: string) =>
  environmentArtifactBucketName(new Naming(prefix, env), ACCOUNT, 'ap-northeast-1');

const dir = mkdtempSync(join(tmpdir(), 'ias-ops-sbom-'));
const ZIP = join(dir, 'function.zip');
writeFileSync(ZIP, Buffer.from('PK\x03\x04 a deployment package', 'latin1'));
/** What the build writes beside the artifact: a CycloneDX SBOM of its production dependencies. */
const SBOM_JSON = JSON.stringify({
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  components: [{ name: 'pg', version: '8.13.1', purl: 'pkg:npm/pg@8.13.1' }],
});
const SBOM = join(dir, 'sbom.cdx.json');
writeFileSync(SBOM, SBOM_JSON);
const NOT_JSON = join(dir, 'not-json.cdx.json');
writeFileSync(NOT_JSON, 'bomFormat: CycloneDX\n');
const SPDX = join(dir, 'spdx.json');
writeFileSync(SPDX, JSON.stringify({ spdxVersion: 'SPDX-2.3', packages: [] }));
const MISSING = join(dir, 'nope.cdx.json');

const IMAGE = `${ACCOUNT}.dkr.ecr.ap-northeast-1.amazonaws.com/${prefix}-dev-inventory-api@sha256:${'a'.repeat(64)}`;
const TASK = (revision: number) =>
  `arn:aws:ecs:ap-northeast-1:${ACCOUNT}:task-definition/${prefix}-dev-inventory-api:${revision}`;

const deployLambda = (...extra: string[]) => [
  ...['deploy', 'lambda', 'allocate-order', '--env', 'dev', '--zip', ZIP],
  ...extra,
];
const deployService = (...extra: string[]) => [
  ...['deploy', 'service', 'inventory-api', '--env', 'dev', '--image', IMAGE],
  ...extra,
];

let aws: ReturnType<typeof stubbedAws>;
/** The order of the writes that matter here, across clients. */
let writes: string[];

beforeEach(() => {
  aws = stubbedAws();
  writes = [];
  // deploy lambda: allocate-order's alias on 7, version 8 published, deployed.
  aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  aws.mocks.lambda.on(GetAliasCommand).resolves({ FunctionVersion: '7' });
  aws.mocks.lambda
    .on(UpdateFunctionCodeCommand)
    .resolves({ CodeSha256: 'sha', LastUpdateStatus: 'Successful', State: 'Active' });
  aws.mocks.lambda.on(PublishVersionCommand).resolves({ Version: '8' });
  aws.mocks.codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW' });
  aws.mocks.codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'Succeeded' } });
  // deploy service: inventory-api ACTIVE on revision 4, deployed by Amazon ECS in dev.
  aws.mocks.ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: `${prefix}-dev-inventory-api`,
        status: 'ACTIVE',
        taskDefinition: TASK(4),
        deploymentController: { type: 'ECS' },
        deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
      },
    ],
  });
  aws.mocks.ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      taskDefinitionArn: TASK(4),
      family: `${prefix}-dev-inventory-api`,
      containerDefinitions: [{ name: 'inventory-api', image: 'old@sha256:0' }],
    },
    tags: [{ key: 'project', value: prefix }],
  });
  aws.mocks.ecs
    .on(RegisterTaskDefinitionCommand)
    .resolves({ taskDefinition: { taskDefinitionArn: TASK(5) } });
  aws.mocks.ecs.on(UpdateServiceCommand).resolves({});
  aws.mocks.ssm.on(PutParameterCommand).resolves({ Version: 2 });
  // The ledger, empty; the caller, in the environment's account.
  aws.mocks.sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ops` });
  aws.mocks.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
  aws.mocks.secrets.on(ListSecretsCommand).resolves({ SecretList: [] });
  aws.mocks.dynamodb.on(QueryCommand).resolves({ Items: [] });
  aws.mocks.dynamodb.on(PutItemCommand).callsFake(() => {
    writes.push('ledger');
    return {};
  });
  aws.mocks.s3.on(PutObjectCommand).callsFake(() => {
    writes.push('sbom');
    return {};
  });
});

/** The release the command wrote to the ledger. */
const recorded = () =>
  JSON.parse(
    aws.mocks.dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.release?.S ?? '{}',
  ) as Record<string, unknown>;

describe('deploy lambda --sbom', () => {
  it("stores the SBOM once deployed, at sbom/<function>/<commit>.cdx.json in the environment's artifact bucket, then records the release pointing at it", async () => {
    const run = await runMain(['--json', ...deployLambda('--commit', COMMIT, '--sbom', SBOM)], aws);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    const location = { bucket: bucket('dev'), key: sbomKey('allocate-order', COMMIT) };
    expect(location.key).toBe(`sbom/allocate-order/${COMMIT}.cdx.json`);
    expect(aws.mocks.s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: location.bucket, Key: location.key, Body: SBOM_JSON, ContentType: SBOM_CONTENT_TYPE },
    ]);
    expect(writes).toEqual(['sbom', 'ledger']);
    expect(recorded()).toMatchObject({
      commit: COMMIT,
      functions: { [`${prefix}-dev-allocate-order`]: '8' },
      sbom: location,
    });
    expect(JSON.parse(run.stdout)).toMatchObject({
      outcome: 'succeeded',
      sbom: location,
      ledger: { release: 1 },
    });
  });

  it('says where the SBOM went in its text', async () => {
    const run = await runMain(deployLambda('--commit', COMMIT, '--sbom', SBOM), aws);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toBe(
      `${prefix}-dev-allocate-order:live: version 7 → 8, deployment d-NEW succeeded; SBOM at s3://${bucket('dev')}/sbom/allocate-order/${COMMIT}.cdx.json\nrecorded as release 1 of dev\n`,
    );
  });

  it('stores nothing when the zip is the code the alias already runs (nothing deployed, nothing recorded)', async () => {
    aws.mocks.lambda.on(PublishVersionCommand).resolves({ Version: '7' });
    const run = await runMain(['--json', ...deployLambda('--commit', COMMIT, '--sbom', SBOM)], aws);
    expect(run.code).toBe(EXIT.ok);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'unchanged' });
    expect(JSON.parse(run.stdout)).not.toHaveProperty('sbom');
    expect(writes).toEqual([]);
  });

  it('stores nothing when the deployment rolled back', async () => {
    aws.mocks.codedeploy.on(GetDeploymentCommand).resolves({
      deploymentInfo: { status: 'Stopped', rollbackInfo: { rollbackDeploymentId: 'd-BACK' } },
    });
    const run = await runMain(deployLambda('--commit', COMMIT, '--sbom', SBOM), aws);
    expect(run.code).toBe(EXIT.rolledBack);
    expect(writes).toEqual([]);
  });

  it.each([
    [MISSING, `--sbom ${MISSING} does not exist`],
    [dir, `--sbom ${dir} cannot be read (EISDIR)`],
    [NOT_JSON, `--sbom ${NOT_JSON} is not a CycloneDX SBOM: not JSON (`],
    [SPDX, `--sbom ${SPDX} is not a CycloneDX SBOM: bomFormat`],
  ])(
    'fails with exit 2 on --sbom %s, naming the flag and the fix, before any AWS call',
    async (file, says) => {
      const run = await runMain(deployLambda('--commit', COMMIT, '--sbom', file), aws);
      expect(run.code).toBe(EXIT.badInput);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: .*\n$/);
      expect(run.stderr).toContain(`error: ${says}`);
      expect(run.stderr).toContain(
        ': give the CycloneDX JSON SBOM the build wrote beside the artifact (supply-chain/sbom.cdx.json)\n',
      );
      expect(aws.calls()).toEqual([]);
    },
  );

  it('refuses --sbom without --commit (exit 2), which names its key, before any AWS call', async () => {
    const run = await runMain(deployLambda('--sbom', SBOM), aws);
    expect(run).toEqual({
      code: EXIT.badInput,
      stdout: '',
      stderr:
        'error: --sbom needs --commit <sha>: the SBOM is stored as sbom/allocate-order/<commit>.cdx.json, named by the commit it was built from\n',
    });
    expect(aws.calls()).toEqual([]);
  });

  it('refuses a --commit that cannot name the key (exit 2), before any AWS call', async () => {
    const run = await runMain(deployLambda('--commit', '../main', '--sbom', SBOM), aws);
    expect(run.code).toBe(EXIT.badInput);
    expect(run.stderr).toMatch(
      /^error: --commit \.\.\/main cannot name the SBOM \(.*\): give the git commit SHA\n$/,
    );
    expect(aws.calls()).toEqual([]);
  });

  it('lists the PutObject under --dry-run, still checking the file, and makes no call', async () => {
    const dry = await runMain(
      ['--dry-run', '--json', ...deployLambda('--commit', COMMIT, '--sbom', SBOM)],
      aws,
    );
    expect(dry.code).toBe(EXIT.ok);
    const { calls } = JSON.parse(dry.stdout) as {
      calls: { service: string; command: string; input: unknown }[];
    };
    expect(calls.map((c) => `${c.service} ${c.command}`).slice(-2)).toEqual([
      'codedeploy GetDeployment',
      's3 PutObject',
    ]);
    expect(calls.at(-1)?.input).toEqual({
      Bucket: `${prefix}-dev-artifact-store-<the account of your credentials>-ap-northeast-1`,
      Key: `sbom/allocate-order/${COMMIT}.cdx.json`,
      Body: `<${SBOM_JSON.length} bytes of ${SBOM}, once a deployment is made>`,
      ContentType: SBOM_CONTENT_TYPE,
    });
    const bad = await runMain(['--dry-run', ...deployLambda('--commit', COMMIT, '--sbom', SPDX)], aws);
    expect(bad.code).toBe(EXIT.badInput);
    expect(aws.calls()).toEqual([]);
  });

  it('exits 1 when the SBOM cannot be stored, the deployment still recorded as the release, without an SBOM', async () => {
    aws.mocks.s3
      .on(PutObjectCommand)
      .rejects(awsError('AccessDenied', 'not authorized to perform s3:PutObject'));
    const run = await runMain(deployLambda('--commit', COMMIT, '--sbom', SBOM), aws);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stdout).toContain('recorded as release 1 of dev\n');
    expect(run.stderr).toBe(
      `error: the deployment succeeded, but its SBOM was not stored (storing the SBOM at s3://${bucket('dev')}/sbom/allocate-order/${COMMIT}.cdx.json failed: AccessDenied: not authorized to perform s3:PutObject): its release records no SBOM\n`,
    );
    expect(recorded()).toMatchObject({ functions: { [`${prefix}-dev-allocate-order`]: '8' } });
    expect(recorded()).not.toHaveProperty('sbom');
  });

  it('makes no S3 call without --sbom', async () => {
    const run = await runMain(deployLambda('--commit', COMMIT), aws);
    expect(run.code).toBe(EXIT.ok);
    expect(writes).toEqual(['ledger']);
    expect(recorded()).not.toHaveProperty('sbom');
  });
});

describe('deploy service --sbom', () => {
  it('stores the SBOM after the image parameter, at sbom/<service>/<commit>.cdx.json, and records the release pointing at it', async () => {
    serviceDeployment(aws, 'arn:aws:ecs:ap-northeast-1:123456789012:service-deployment/c/s/n', {
      status: 'SUCCESSFUL',
    });
    const run = await runMain(['--json', ...deployService('--commit', COMMIT, '--sbom', SBOM)], aws);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    const location = { bucket: bucket('dev'), key: `sbom/inventory-api/${COMMIT}.cdx.json` };
    expect(aws.mocks.s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: location.bucket, Key: location.key, Body: SBOM_JSON, ContentType: SBOM_CONTENT_TYPE },
    ]);
    expect(writes).toEqual(['sbom', 'ledger']);
    expect(aws.mocks.ssm.commandCalls(PutParameterCommand)).toHaveLength(1);
    expect(recorded()).toMatchObject({
      commit: COMMIT,
      services: { [`${prefix}-dev-inventory-api`]: { image: IMAGE, taskDefinition: TASK(5) } },
      sbom: location,
    });
    expect(JSON.parse(run.stdout)).toMatchObject({ sbom: location, ledger: { release: 1 } });
  });

  it('stores nothing when Amazon ECS rolled the deployment back', async () => {
    serviceDeployment(aws, 'arn:aws:ecs:ap-northeast-1:123456789012:service-deployment/c/s/n', {
      status: 'ROLLBACK_SUCCESSFUL',
    });
    const run = await runMain(deployService('--commit', COMMIT, '--sbom', SBOM), aws);
    expect(run.code).toBe(EXIT.rolledBack);
    expect(writes).toEqual([]);
  });

  it('fails with exit 2 on a bad --sbom or one without --commit, before any AWS call', async () => {
    const bad = await runMain(deployService('--commit', COMMIT, '--sbom', NOT_JSON), aws);
    expect(bad.code).toBe(EXIT.badInput);
    expect(bad.stderr).toContain(`error: --sbom ${NOT_JSON} is not a CycloneDX SBOM: not JSON (`);
    const uncommitted = await runMain(deployService('--sbom', SBOM), aws);
    expect(uncommitted).toEqual({
      code: EXIT.badInput,
      stdout: '',
      stderr:
        'error: --sbom needs --commit <sha>: the SBOM is stored as sbom/inventory-api/<commit>.cdx.json, named by the commit it was built from\n',
    });
    expect(aws.calls()).toEqual([]);
  });

  it('lists the PutObject last under --dry-run, and makes no call', async () => {
    const dry = await runMain(['--dry-run', ...deployService('--commit', COMMIT, '--sbom', SBOM)], aws);
    expect(dry.code).toBe(EXIT.ok);
    const lines = dry.stdout.trimEnd().split('\n');
    expect(lines.at(-2)).toMatch(/^ {2}ssm PutParameter /);
    expect(lines.at(-1)).toBe(
      `  s3 PutObject ${JSON.stringify({
        Bucket: `${prefix}-dev-artifact-store-<the account of your credentials>-ap-northeast-1`,
        Key: `sbom/inventory-api/${COMMIT}.cdx.json`,
        Body: `<${SBOM_JSON.length} bytes of ${SBOM}, once a deployment is made>`,
        ContentType: SBOM_CONTENT_TYPE,
      })}`,
    );
    expect(aws.calls()).toEqual([]);
  });
});

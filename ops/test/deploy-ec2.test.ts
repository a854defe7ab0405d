/**
 * `deploy ec2`, against {@link ec2Project}: dev deploys inventory-api's fleet in place, staging
 * blue/green, prod holds none.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors';
import { awsError, ec2Project, prefix, runMain, stubbedAws } from './helpers';
import { created, creates, deployment, group, IN_FLIGHT, ledger, names, written } from './ec2-support';
import { revisionZip, zipOf } from './zip-support';

let aws: ReturnType<typeof stubbedAws>;
let dir: string;
beforeEach(() => {
  aws = stubbedAws();
  dir = mkdtempSync(join(tmpdir(), 'deploy-ec2-'));
});

const BUCKET = `${prefix}-dev-artifact-store-123456789012-ap-northeast-1`;
const COMMIT = 'abc1234';
const KEY = `ec2/inventory-api/${COMMIT}.zip`;
const SBOM = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] });

/** Writes a file of the test's folder, and returns its path. */
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const run = (argv: string[]) => runMain(argv, aws, '', ec2Project);
const deploy = (revision: string, ...more: string[]) =>
  run(['deploy', 'ec2', 'inventory-api', '--env', 'dev', '--revision', revision, ...more]);

/** dev's group, deployed once (d-1); the upload answers with version v9; CreateDeployment starts `d-NEW`. */
function deployable(outcome = deployment('d-NEW', 'Succeeded', 2, 6)): void {
  const d1 = deployment('d-1', 'Succeeded', 1, 1);
  group(aws, { lastSuccessful: d1 });
  creates(aws, outcome, [d1]);
  aws.mocks.s3.on(PutObjectCommand).resolves({ VersionId: 'v9', ETag: '"etag9"' });
  ledger(aws);
}

const uploaded = { bucket: BUCKET, key: KEY, bundleType: 'zip', version: 'v9', eTag: 'etag9' } as const;

describe('deploy ec2', () => {
  it('uploads the revision, deploys it through the group, follows it and records the fleet (exit 0)', async () => {
    deployable();
    const zip = revisionZip();
    const sbom = file('sbom.cdx.json', SBOM);
    const result = await deploy(
      file('revision.zip', zip),
      ...['--source', 'workflow', '--by', 'run 7', '--commit', COMMIT, '--sbom', sbom],
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(aws.calls().map((c) => c.command)).toEqual(
      expect.arrayContaining([
        'codedeploy GetDeploymentGroup',
        'codedeploy ListDeployments',
        'codedeploy CreateDeployment',
        'codedeploy GetDeployment',
        's3 PutObject',
      ]),
    );
    expect(aws.mocks.codedeploy.commandCalls(ListDeploymentsCommand)[0]?.args[0].input).toEqual({
      applicationName: names().application,
      deploymentGroupName: names().deploymentGroup,
      includeOnlyStatuses: IN_FLIGHT,
    });
    const [revision, stored] = aws.mocks.s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(revision).toEqual({
      Bucket: BUCKET,
      Key: KEY,
      Body: zip,
      ContentType: 'application/zip',
      ChecksumSHA256: createHash('sha256').update(zip).digest('base64'),
    });
    expect(stored).toMatchObject({ Bucket: BUCKET, Key: `sbom/inventory-api/${COMMIT}.cdx.json` });
    expect(created(aws)).toEqual([
      {
        applicationName: names().application,
        deploymentGroupName: names().deploymentGroup,
        description: `ias-ops deploy ec2 ${KEY}`,
        revision: { revisionType: 'S3', s3Location: uploaded },
      },
    ]);
    expect(result.stdout).toBe(
      [
        `inventory-api: s3://${BUCKET}/${KEY} (version v9) deployed in place, all at once (deployment d-NEW succeeded); SBOM at s3://${BUCKET}/sbom/inventory-api/${COMMIT}.cdx.json`,
        'recorded as release 1 of dev',
        '',
      ].join('\n'),
    );
    expect(written(aws)[0]).toMatchObject({
      number: 1,
      source: 'workflow',
      by: 'run 7',
      commit: COMMIT,
      fleets: { 'inventory-api': { deploymentId: 'd-NEW', revision: uploaded } },
      sbom: { bucket: BUCKET, key: `sbom/inventory-api/${COMMIT}.cdx.json` },
    });
  });

  it("names the revision by the zip's SHA-256 without --commit, and prints the result and the release as JSON", async () => {
    deployable();
    const zip = revisionZip();
    const result = await deploy(file('revision.zip', zip), '--json');
    expect(result.code).toBe(EXIT.ok);
    const key = `ec2/inventory-api/${createHash('sha256').update(zip).digest('hex')}.zip`;
    expect(JSON.parse(result.stdout)).toMatchObject({
      environment: 'dev',
      app: 'inventory-api',
      deploymentGroup: names().deploymentGroup,
      deploymentId: 'd-NEW',
      outcome: 'succeeded',
      live: { deploymentId: 'd-NEW', revision: { ...uploaded, key } },
      ledger: { release: 1 },
    });
  });

  it('ends blue/green once the green fleet serves, recording it (the blue one is kept for its wait)', async () => {
    const d1 = deployment('d-1', 'Succeeded', 1, 1, {}, 'staging');
    group(aws, { lastSuccessful: d1 }, 'staging');
    creates(
      aws,
      deployment('d-NEW', 'InProgress', 2, 6, { instanceTerminationWaitTimeStarted: true }, 'staging'),
      [d1],
    );
    aws.mocks.s3.on(PutObjectCommand).resolves({ VersionId: 'v9', ETag: '"etag9"' });
    ledger(aws);
    const result = await run([
      ...['deploy', 'ec2', 'inventory-api', '--env', 'staging', '--json'],
      ...['--revision', file('revision.zip', revisionZip()), '--commit', COMMIT],
    ]);
    expect(result.code).toBe(EXIT.ok);
    expect(JSON.parse(result.stdout)).toMatchObject({
      outcome: 'serving',
      summary: expect.stringContaining(
        'deployed blue/green (copied Auto Scaling group), half at a time, blue fleet terminated after 60 min (deployment d-NEW: the green fleet serves',
      ) as unknown,
    });
    expect(written(aws)[0]).toMatchObject({ fleets: { 'inventory-api': { deploymentId: 'd-NEW' } } });
  });

  it('exits 3 when CodeDeploy rolled the deployment back, recording nothing', async () => {
    deployable(
      deployment('d-NEW', 'Failed', 2, 6, {
        errorInformation: { code: 'ALARM_ACTIVE', message: 'alarm' },
        rollbackInfo: { rollbackDeploymentId: 'd-BACK' },
      }),
    );
    const result = await deploy(file('revision.zip', revisionZip()), '--commit', COMMIT);
    expect(result.code).toBe(EXIT.rolledBack);
    expect(result.stderr).toBe(
      'error: inventory-api: deployment d-NEW failed (ALARM_ACTIVE: alarm); rolled back by d-BACK; the fleet runs the revision it ran before\n',
    );
    expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('exits 1 when the deployment failed without a rollback, recording nothing', async () => {
    deployable(deployment('d-NEW', 'Failed', 2, 6, { errorInformation: { code: 'HEALTH_CONSTRAINTS' } }));
    const result = await deploy(file('revision.zip', revisionZip()), '--commit', COMMIT);
    expect(result).toMatchObject({
      code: EXIT.failed,
      stderr: 'error: inventory-api: deployment d-NEW failed (HEALTH_CONSTRAINTS)\n',
    });
    expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('refuses (exit 4) while a deployment is in flight on the group, uploading nothing', async () => {
    const d1 = deployment('d-1', 'Succeeded', 1, 1);
    group(aws, { lastSuccessful: d1 });
    creates(
      aws,
      deployment('d-NEW', 'Succeeded', 2, 6),
      [d1, deployment('d-RUN', 'InProgress', 2, 5)],
      ['d-RUN'],
    );
    const result = await deploy(file('revision.zip', revisionZip()));
    expect(result).toEqual({
      code: EXIT.unsafe,
      stdout: '',
      stderr: `error: deployment d-RUN of ${names().deploymentGroup} is in progress: wait for it to end or stop it ("ias-ops deployments stop d-RUN --env dev"), then deploy again\n`,
    });
    expect(aws.mocks.s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(aws.mocks.codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  it('fails (exit 1) where the application is not deployed, uploading nothing', async () => {
    aws.mocks.codedeploy.on(GetDeploymentGroupCommand).rejects(awsError('ApplicationDoesNotExistException'));
    const result = await deploy(file('revision.zip', revisionZip()));
    expect(result.code).toBe(EXIT.failed);
    expect(result.stderr).toBe(
      `error: inventory-api is not deployed in dev (no deployment group ${names().application} / ${names().deploymentGroup}): deploy the infrastructure first\n`,
    );
    expect(aws.mocks.s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it.each([
    ['a missing file', () => join(dir, 'none.zip'), 'none.zip does not exist: give the EC2 revision'],
    [
      'what is not a zip',
      () => file('a.zip', '#!/bin/sh\n'),
      'a.zip is not a zip (no end-of-central-directory',
    ],
    [
      'a zip without appspec.yml',
      () => file('b.zip', zipOf({ 'dist/main.js': 'x' })),
      'b.zip holds no appspec.yml at its root (1 entries)',
    ],
    [
      'a zip of the folder rather than of its content',
      () => file('c.zip', zipOf({ 'revision/appspec.yml': 'x', 'revision/dist/main.js': 'x' })),
      'c.zip holds revision/appspec.yml, not appspec.yml at its root: zip the folder',
    ],
  ])('fails with exit 2 on %s, calling nothing', async (_, path, message) => {
    const result = await deploy(path());
    expect(result.code).toBe(EXIT.badInput);
    expect(result.stderr).toContain(message);
    expect(aws.calls()).toEqual([]);
  });

  it.each([
    [['--commit', 'a/b'], '--commit a/b cannot name the revision'],
    [['--sbom', 'sbom.cdx.json'], '--sbom needs --commit <sha>'],
  ])('fails with exit 2 on bad arguments (%j), calling nothing', async (args, message) => {
    const result = await deploy(file('revision.zip', revisionZip()), ...args);
    expect(result.code).toBe(EXIT.badInput);
    expect(result.stderr).toContain(message);
    expect(aws.calls()).toEqual([]);
  });

  it('fails with exit 2 on an unknown application, or an environment without EC2 applications', async () => {
    const zip = file('revision.zip', revisionZip());
    expect(await run(['deploy', 'ec2', 'nope', '--env', 'dev', '--revision', zip])).toEqual({
      code: EXIT.badInput,
      stdout: '',
      stderr:
        'error: unknown EC2 application "nope": use one of inventory-api (service folders with an ec2.json)\n',
    });
    expect(await run(['deploy', 'ec2', 'inventory-api', '--env', 'prod', '--revision', zip])).toEqual({
      code: EXIT.badInput,
      stdout: '',
      stderr:
        "error: prod runs no EC2 application: its profile's ec2.enabled is false (infra/lib/config/environments.ts)\n",
    });
    expect(aws.calls()).toEqual([]);
  });

  it('lists its calls under --dry-run as JSON, and makes none', async () => {
    const zip = revisionZip();
    const result = await run([
      ...['--dry-run', '--json', 'deploy', 'ec2', 'inventory-api', '--env', 'dev'],
      ...['--revision', file('revision.zip', zip), '--commit', COMMIT, '--sbom', file('sbom.json', SBOM)],
    ]);
    expect(result.code).toBe(EXIT.ok);
    const planned = JSON.parse(result.stdout) as { calls: { command: string; input: unknown }[] };
    expect(planned.calls.map((c) => c.command)).toEqual([
      'GetDeploymentGroup',
      'ListDeployments',
      'PutObject',
      'CreateDeployment',
      'GetDeployment',
      'PutObject',
    ]);
    const bucket = `${prefix}-dev-artifact-store-<the account of your credentials>-ap-northeast-1`;
    expect(planned.calls[2]?.input).toMatchObject({
      Bucket: bucket,
      Key: KEY,
      Body: `<${zip.length} bytes of ${join(dir, 'revision.zip')}>`,
    });
    expect(planned.calls[3]?.input).toEqual({
      applicationName: names().application,
      deploymentGroupName: names().deploymentGroup,
      description: `ias-ops deploy ec2 ${KEY}`,
      revision: {
        revisionType: 'S3',
        s3Location: {
          bucket,
          key: KEY,
          bundleType: 'zip',
          version: '<VersionId from PutObject>',
          eTag: '<ETag from PutObject>',
        },
      },
    });
    expect(aws.calls()).toEqual([]);
  });
});

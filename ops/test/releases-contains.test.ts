import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { environmentArtifactBucketName, Naming, sbomKey } from '@ias/targets';
import { beforeEach, describe, expect, it } from 'vitest';
import { releases } from '../src/commands/releases';
import type { ContainsResult } from '../src/commands/releases-contains';
import { EXIT } from '../src/errors';
import { awsError, context, prefix, runMain, stubbedAws } from './helpers';

/** The prod artifact bucket, in the account and region the operator-policy check holds calls to. */
const BUCKET = environmentArtifactBucketName(new Naming(prefix, 'prod'), '123456789012', 'ap-northeast-1');
const ALLOCATE = `${prefix}-prod-allocate-order`;
const IMPORT = `${prefix}-prod-import-stock`;
const API = `${prefix}-prod-inventory-api`;
const IMAGE = (n: number) => `repo@sha256:${String(n).repeat(64)}`;
const at = (key: string) => ({ bucket: BUCKET, key });
const uri = (key: string) => `s3://${BUCKET}/${key}`;

/** A CycloneDX SBOM listing `packages` (`name` → version), the scoped ones as cyclonedx-npm writes them. */
function sbom(packages: Record<string, string>): string {
  return JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    components: Object.entries(packages).map(([name, version]) => {
      const [group, bare] = name.startsWith('@') ? name.split('/') : [undefined, name];
      return { type: 'library', name: bare, ...(group ? { group } : {}), version };
    }),
  });
}
const body = (text: string) =>
  ({ transformToString: () => Promise.resolve(text) }) as unknown as GetObjectCommandOutput['Body'];

const release = (number: number, more: Record<string, unknown>) => ({
  number,
  at: `2026-11-2${number}T00:00:00.000Z`,
  by: 'CodePipeline job 1',
  source: 'pipeline',
  summary: `release ${number}`,
  functions: { [ALLOCATE]: '5', [IMPORT]: '3' },
  services: { [API]: { image: IMAGE(1) } },
  parameters: {},
  secrets: {},
  ...more,
});

const KEYS = {
  allocate6: sbomKey('allocate-order', 'c6'),
  api: sbomKey('inventory-api', 'c4'),
  allocate5: sbomKey('allocate-order', 'c2'),
};

/**
 * Newest first: 6 the function's new version, 5 its version before (deployed from the CLI, no SBOM),
 * 4 and 3 the service's images (the SBOM of 3 gone), 2 the function, 1 the first release.
 */
const LEDGER = [
  release(6, {
    functions: { [ALLOCATE]: '7', [IMPORT]: '3' },
    services: { [API]: { image: IMAGE(2) } },
    sbom: at(KEYS.allocate6),
  }),
  release(5, { functions: { [ALLOCATE]: '6', [IMPORT]: '3' }, services: { [API]: { image: IMAGE(2) } } }),
  release(4, { services: { [API]: { image: IMAGE(2) } }, sbom: at(KEYS.api) }),
  release(3, { services: { [API]: { image: IMAGE(3) } }, sbom: at('sbom/inventory-api/gone.cdx.json') }),
  release(2, { sbom: at(KEYS.allocate5) }),
  release(1, { functions: { [ALLOCATE]: '4', [IMPORT]: '3' } }),
];

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
  aws.mocks.dynamodb.on(QueryCommand).callsFake((input: { Limit: number }) => ({
    Items: LEDGER.slice(0, input.Limit).map((r) => ({
      pk: { S: 'release' },
      number: { N: String(r.number) },
      release: { S: JSON.stringify(r) },
    })),
  }));
  aws.mocks.s3.on(GetObjectCommand).rejects(awsError('NoSuchKey', 'The specified key does not exist.'));
  aws.mocks.s3
    .on(GetObjectCommand, { Bucket: BUCKET, Key: KEYS.allocate6 })
    .resolves({ Body: body(sbom({ pg: '8.23.1', '@aws-sdk/client-s3': '3.1175.0' })) });
  aws.mocks.s3
    .on(GetObjectCommand, { Bucket: BUCKET, Key: KEYS.api })
    .resolves({ Body: body(sbom({ express: '5.1.0' })) });
  aws.mocks.s3
    .on(GetObjectCommand, { Bucket: BUCKET, Key: KEYS.allocate5 })
    .resolves({ Body: body(sbom({ pg: '8.11.0', 'pg-pool': '3.6.0' })) });
});

describe('releases --contains', () => {
  it('lists the releases whose SBOM has the package in the range, with the versions, and those without an SBOM', async () => {
    const run = await runMain(['releases', '--env', 'prod', '--limit', '5', '--contains', 'pg@^8'], aws);
    expect(run).toEqual({
      code: EXIT.failed,
      stderr: '',
      stdout: [
        `release 6  2026-11-26T00:00:00.000Z  prod  function ${ALLOCATE}: version 7`,
        `  contains pg@8.23.1 (${uri(KEYS.allocate6)})`,
        `release 5  2026-11-25T00:00:00.000Z  prod  function ${ALLOCATE}: version 6`,
        '  no SBOM recorded',
        `release 3  2026-11-23T00:00:00.000Z  prod  service ${API}: ${IMAGE(3)}`,
        `  SBOM ${uri('sbom/inventory-api/gone.cdx.json')}: not found (NoSuchKey)`,
        `release 2  2026-11-22T00:00:00.000Z  prod  function ${ALLOCATE}: version 5`,
        `  contains pg@8.11.0 (${uri(KEYS.allocate5)})`,
        '2 of 5 releases of prod contain pg@^8; 1 does not; 1 has no SBOM recorded; 1 SBOM could not be read',
        '',
      ].join('\n'),
    });
    // One Query, with the release before the oldest to tell what that one changed, then each SBOM once.
    expect(aws.calls()).toEqual([
      {
        command: 'dynamodb Query',
        input: {
          TableName: `${prefix}-prod-releases`,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'release' } },
          ScanIndexForward: false,
          Limit: 6,
        },
      },
      ...[KEYS.allocate6, KEYS.api, 'sbom/inventory-api/gone.cdx.json', KEYS.allocate5].map((Key) => ({
        command: 's3 GetObject',
        input: { Bucket: BUCKET, Key },
      })),
    ]);
  });

  it('answers 0 when every SBOM was read, matching scoped names exactly', async () => {
    const result = (await releases(context(aws), {
      env: 'prod',
      limit: 2,
      contains: '@aws-sdk/client-s3@>=3.600 <4',
    })) as ContainsResult;
    expect(result.releases.map((r) => [r.number, r.answer, r.matches])).toEqual([
      [6, 'contains', ['@aws-sdk/client-s3@3.1175.0']],
      [5, 'no-sbom', []],
    ]);
    expect(result.releases[0]?.deployed).toEqual([
      { kind: 'function', name: ALLOCATE, artifact: 'version 7' },
    ]);
    const run = await runMain(['releases', '--env', 'prod', '--limit', '3', '--contains', 'express'], aws);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(`release 4  2026-11-24T00:00:00.000Z  prod  service ${API}: ${IMAGE(2)}\n`);
    expect(run.stdout).toContain(`  contains express@5.1.0 (${uri(KEYS.api)})\n`);
    expect(run.stdout).toContain(
      '1 of 3 releases of prod contains express; 1 does not; 1 has no SBOM recorded\n',
    );
  });

  it('names an SBOM it may not read, or cannot read, with its URI, and goes on with the others', async () => {
    aws.mocks.s3.on(GetObjectCommand, { Key: KEYS.allocate6 }).rejects(awsError('AccessDenied'));
    aws.mocks.s3.on(GetObjectCommand, { Key: KEYS.api }).resolves({ Body: body('{"bomFormat":"SPDX"}') });
    const run = await runMain(['releases', '--env', 'prod', '--limit', '4', '--contains', 'pg'], aws);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stdout).toContain(
      `  SBOM ${uri(KEYS.allocate6)}: access denied (AccessDenied): missing, or outside what the operator policy reads (the sbom/ keys of the environment's artifact bucket)\n`,
    );
    expect(run.stdout).toContain(`  SBOM ${uri(KEYS.api)}: not a CycloneDX SBOM: bomFormat: `);
    expect(run.stdout).toContain(
      '0 of 4 releases of prod contain pg; 0 do not; 1 has no SBOM recorded; 3 SBOMs could not be read\n',
    );
  });

  it('gives the whole answer as JSON', async () => {
    const run = await runMain(
      ['--json', 'releases', '--env', 'prod', '--limit', '1', '--contains', 'pg@8.23.1'],
      aws,
    );
    expect(JSON.parse(run.stdout)).toEqual({
      environment: 'prod',
      table: `${prefix}-prod-releases`,
      contains: 'pg@8.23.1',
      releases: [
        {
          number: 6,
          at: '2026-11-26T00:00:00.000Z',
          summary: 'release 6',
          deployed: [{ kind: 'function', name: ALLOCATE, artifact: 'version 7' }],
          sbom: uri(KEYS.allocate6),
          answer: 'contains',
          matches: ['pg@8.23.1'],
        },
      ],
    });
  });

  it('fails when an S3 call fails for another reason than the object', async () => {
    aws.mocks.s3.on(GetObjectCommand).rejects(awsError('SlowDown', 'Please reduce your request rate.'));
    const run = await runMain(['releases', '--env', 'prod', '--limit', '1', '--contains', 'pg'], aws);
    expect(run).toEqual({
      code: EXIT.failed,
      stdout: '',
      stderr: 'error: SlowDown: Please reduce your request rate.\n',
    });
  });

  it('prints the calls and makes none under --dry-run', async () => {
    const run = await runMain(['--dry-run', 'releases', '--env', 'dev', '--contains', 'pg@^8'], aws);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toBe(
      [
        'dry run: 2 AWS calls would be made, none was:',
        `  dynamodb Query {"TableName":"${prefix}-dev-releases","KeyConditionExpression":"pk = :pk","ExpressionAttributeValues":{":pk":{"S":"release"}},"ScanIndexForward":false,"Limit":11}`,
        `  s3 GetObject {"Bucket":"<each release's sbom.bucket, from the Query>","Key":"<its sbom.key>"}`,
        '',
      ].join('\n'),
    );
    expect(aws.calls()).toEqual([]);
  });

  it.each([
    [
      '',
      '--contains no package given: write PACKAGE[@RANGE], e.g. pg, pg@^8 or "@aws-sdk/client-s3@>=3.600 <4"',
    ],
    ['@', '--contains "@": "@" is not an npm package name; write PACKAGE[@RANGE]'],
    ['pg@', '--contains "pg@": no version range after "@"'],
    ['pg@banana', '--contains "pg@banana": "banana" is not a semver range'],
  ])('refuses the spec %j with exit 2 and one line, calling nothing', async (spec, message) => {
    for (const dry of [[], ['--dry-run']]) {
      const run = await runMain([...dry, 'releases', '--env', 'prod', '--contains', spec], aws);
      expect(run.code).toBe(EXIT.badInput);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: .*\n$/);
      expect(run.stderr).toContain(message);
    }
    expect(aws.calls()).toEqual([]);
  });
});

import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { ledgerTableName } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import type { CanaryLookSummary } from '../src/canary/index.js';
import {
  configurationSnapshot,
  getRelease,
  listReleases,
  recordRelease,
  type Release,
} from '../src/ledger.js';
import { clients, mocks, sent } from './aws.js';

const { dynamodb: ddbMock, ssm: ssmMock, secrets: secretsMock } = mocks;
const ddb = clients.dynamodb;
const table = ledgerTableName('ias', 'prod');
const now = () => new Date('2026-11-26T00:00:00.000Z');

const release = (number: number, extra: Partial<Release> = {}): Release => ({
  number,
  at: '2026-11-25T00:00:00.000Z',
  by: 'someone',
  source: 'pipeline',
  summary: `release ${number}`,
  functions: { 'ias-prod-allocate-order': '3' },
  services: {},
  parameters: { '/ias/prod/db/port': 1 },
  secrets: {},
  ...extra,
});
const item = (r: Release) => ({
  pk: { S: 'release' },
  number: { N: String(r.number) },
  release: { S: JSON.stringify(r) },
});
/** The last look of a canary that failed its error rate at look 3 of 10. */
const canary: CanaryLookSummary = {
  deploymentId: 'd-ABC123',
  at: '2026-11-25T23:58:00.000Z',
  verdict: 'fail',
  action: 'rollback',
  reason: 'look 3 of 10 (level 0.00033): fail — error-rate worse than 1.5× the baseline',
  look: 3,
  looks: 10,
  metrics: [
    { metric: 'error-rate', verdict: 'fail', effect: 2.2, pValueWorse: 1e-6, pValueNotWorse: 1 },
    { metric: 'p99', verdict: 'inconclusive', effect: null, pValueWorse: 1, pValueNotWorse: 1 },
  ],
};
const written = (): Release[] =>
  sent(ddbMock, PutItemCommand).map((input) => JSON.parse(input.Item?.release?.S ?? '{}') as Release);

describe('the release ledger', () => {
  it('is the table <prefix>-<env>-releases', () => {
    expect(table).toBe('ias-prod-releases');
  });

  it('numbers the first release 1, only if nobody wrote it first', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    ddbMock.on(PutItemCommand).resolves({});
    const r = await recordRelease(
      ddb,
      table,
      { by: 'arn:aws:iam::1:role/x', source: 'cli', summary: 'first', functions: { f: '1' } },
      { now },
    );
    expect(r).toMatchObject({
      number: 1,
      at: '2026-11-26T00:00:00.000Z',
      functions: { f: '1' },
      parameters: {},
    });
    expect(sent(ddbMock, PutItemCommand)[0]).toMatchObject({
      TableName: 'ias-prod-releases',
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('applies a change over the latest snapshot: new versions replace, the rest is kept', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [item(release(7))] });
    ddbMock.on(PutItemCommand).resolves({});
    const r = await recordRelease(
      ddb,
      table,
      {
        by: 'pipeline ias-inventory-api-pipeline/abc',
        source: 'pipeline',
        commit: '0123abc',
        summary: 'inventory-api image',
        services: { 'ias-prod-inventory-api': { image: 'repo@sha256:aa' } },
      },
      { now },
    );
    expect(r.number).toBe(8);
    expect(r.functions).toEqual({ 'ias-prod-allocate-order': '3' });
    expect(r.services).toEqual({ 'ias-prod-inventory-api': { image: 'repo@sha256:aa' } });
    expect(r.parameters).toEqual({ '/ias/prod/db/port': 1 });
    expect(written()[0]).toEqual(r);
  });

  it('re-reads and takes the next number when another writer won the race, and gives up after the attempts', async () => {
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [item(release(7))] })
      .resolves({ Items: [item(release(8))] });
    ddbMock
      .on(PutItemCommand)
      .rejectsOnce(Object.assign(new Error('taken'), { name: 'ConditionalCheckFailedException' }))
      .resolves({});
    const r = await recordRelease(ddb, table, { by: 'x', source: 'cli', summary: 's' }, { now });
    expect(written().map((w) => w.number)).toEqual([8, 9]);
    expect(r.number).toBe(9);

    ddbMock.reset();
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    ddbMock
      .on(PutItemCommand)
      .rejects(Object.assign(new Error('taken'), { name: 'ConditionalCheckFailedException' }));
    await expect(
      recordRelease(ddb, table, { by: 'x', source: 'cli', summary: 's' }, { attempts: 2 }),
    ).rejects.toThrow('taken');
    expect(ddbMock.commandCalls(PutItemCommand)).toHaveLength(2);
  });

  it('lists newest first and reads one release, naming a missing one', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [item(release(2)), item(release(1))] });
    expect((await listReleases(ddb, table)).map((r) => r.number)).toEqual([2, 1]);
    expect(sent(ddbMock, QueryCommand)[0]).toMatchObject({
      ScanIndexForward: false,
      Limit: 20,
    });
    ddbMock.on(GetItemCommand).resolves({});
    await expect(getRelease(ddb, table, 5)).rejects.toThrow(
      'there is no release 5 in ias-prod-releases: list them with `releases`',
    );
  });

  it('records where the SBOM of the deployed artifact lies, reads it back, and does not carry it to the next release', async () => {
    const sbom = {
      bucket: 'ias-prod-artifact-store-123456789012-ap-northeast-1',
      key: 'sbom/allocate-order/0123abc.cdx.json',
    };
    ddbMock.on(QueryCommand).resolves({ Items: [item(release(7))] });
    ddbMock.on(PutItemCommand).resolves({});
    const r = await recordRelease(
      ddb,
      table,
      { by: 'x', source: 'pipeline', summary: 's', functions: { 'ias-prod-allocate-order': '4' }, sbom },
      { now },
    );
    expect(r.sbom).toEqual(sbom);
    expect(written()[0]?.sbom).toEqual(sbom);

    ddbMock.on(QueryCommand).resolves({ Items: [item(r)] });
    expect((await listReleases(ddb, table))[0]?.sbom).toEqual(sbom);
    ddbMock.on(GetItemCommand).resolves({ Item: item(r) });
    expect((await getRelease(ddb, table, 8)).sbom).toEqual(sbom);

    const next = await recordRelease(ddb, table, { by: 'x', source: 'cli', summary: 'next' }, { now });
    expect(next.number).toBe(9);
    expect(next).not.toHaveProperty('sbom');
  });

  it("records the canary judge's last look at the deployment, reads it back, and does not carry it to the next release", async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [item(release(7))] });
    ddbMock.on(PutItemCommand).resolves({});
    const r = await recordRelease(
      ddb,
      table,
      { by: 'x', source: 'pipeline', summary: 's', functions: { 'ias-prod-allocate-order': '4' }, canary },
      { now },
    );
    expect(r.canary).toEqual(canary);
    expect(written()[0]?.canary).toEqual(canary);
    expect(sent(ddbMock, PutItemCommand)[0]?.ConditionExpression).toBe('attribute_not_exists(pk)');

    ddbMock.on(QueryCommand).resolves({ Items: [item(r)] });
    expect((await listReleases(ddb, table))[0]?.canary).toEqual(canary);
    ddbMock.on(GetItemCommand).resolves({ Item: item(r) });
    expect((await getRelease(ddb, table, 8)).canary).toEqual(canary);

    const next = await recordRelease(ddb, table, { by: 'x', source: 'cli', summary: 'next' }, { now });
    expect(next).not.toHaveProperty('canary');
  });

  it.each([
    [{ ...canary, verdict: 'maybe' }, 'canary.verdict'],
    [{ ...canary, deploymentId: 'd-1#2' }, 'canary.deploymentId: must not contain #'],
    [{ ...canary, metrics: [{ metric: 'p50', verdict: 'pass' }] }, 'canary.metrics.0.effect'],
  ])('fails on a canary summary that is not one (%j), writing nothing', async (summary, message) => {
    await expect(
      recordRelease(ddb, table, { by: 'x', source: 'cli', summary: 's', canary: summary as never }, { now }),
    ).rejects.toThrow(`the release's canary summary is not recordable: ${message}`);
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('reads a release written before SBOMs, canary summaries and Kubernetes applications were recorded', async () => {
    const old = release(3);
    expect(Object.keys(old)).not.toContain('sbom');
    expect(Object.keys(old)).not.toContain('canary');
    ddbMock.on(QueryCommand).resolves({
      Items: [{ pk: { S: 'release' }, number: { N: '3' }, release: { S: JSON.stringify(old) } }],
    });
    const [read] = await listReleases(ddb, table);
    expect(read?.number).toBe(3);
    expect(read?.sbom).toBeUndefined();
    expect(read?.canary).toBeUndefined();
    expect(read?.applications).toBeUndefined();
  });

  it("merges the Kubernetes applications switched over the latest snapshot's, keeping the others", async () => {
    const blue = { color: 'blue', image: 'repo@sha256:aa', revision: 'sha256:r1' } as const;
    const other = { color: 'green', image: 'other@sha256:bb', revision: 'sha256:r2' } as const;
    ddbMock
      .on(QueryCommand)
      .resolves({ Items: [item(release(7, { applications: { 'inventory-api': blue, worker: other } }))] });
    ddbMock.on(PutItemCommand).resolves({});
    const green = { color: 'green', image: 'repo@sha256:cc', revision: 'sha256:r3' } as const;
    const r = await recordRelease(
      ddb,
      table,
      { by: 'x', source: 'cli', summary: 'inventory-api on green', applications: { 'inventory-api': green } },
      { now },
    );
    expect(r.applications).toEqual({ 'inventory-api': green, worker: other });
    expect(r.functions).toEqual({ 'ias-prod-allocate-order': '3' });
    expect(written()[0]).toEqual(r);

    ddbMock.on(GetItemCommand).resolves({ Item: item(r) });
    expect((await getRelease(ddb, table, 8)).applications).toEqual(r.applications);
  });

  it('writes no applications for a project without one: its releases stay as they were', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [item(release(7))] });
    ddbMock.on(PutItemCommand).resolves({});
    const r = await recordRelease(
      ddb,
      table,
      { by: 'x', source: 'cli', summary: 's', functions: { 'ias-prod-allocate-order': '4' } },
      { now },
    );
    expect(r).not.toHaveProperty('applications');
    expect(written()[0]).not.toHaveProperty('applications');
  });

  it.each([
    [{ color: 'red', image: 'repo@sha256:aa', revision: 'sha256:r' }, 'applications.api.color'],
    [{ color: 'blue', image: '', revision: 'sha256:r' }, 'applications.api.image: must be an image'],
    [{ color: 'blue', image: 'repo@sha256:aa' }, 'applications.api.revision'],
  ])(
    'fails on an application entry that is not a color, image and revision (%j), writing nothing',
    async (entry, message) => {
      await expect(
        recordRelease(
          ddb,
          table,
          { by: 'x', source: 'cli', summary: 's', applications: { api: entry as never } },
          { now },
        ),
      ).rejects.toThrow(`the release's Kubernetes applications are not recordable: ${message}`);
      expect(ddbMock.calls()).toHaveLength(0);
    },
  );

  it.each([
    [{ bucket: 'Not_A_Bucket', key: 'sbom/a/b.cdx.json' }, 'sbom.bucket: must be an S3 bucket name'],
    [{ bucket: 'ias-prod-artifacts', key: '' }, 'sbom.key: must be an object key'],
  ])('fails on an SBOM location that is not an S3 object (%j), writing nothing', async (sbom, message) => {
    await expect(
      recordRelease(ddb, table, { by: 'x', source: 'cli', summary: 's', sbom }, { now }),
    ).rejects.toThrow(`the release's SBOM location is not an S3 object: ${message}`);
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it("snapshots the versions of every parameter and current secret under the environment's path", async () => {
    ssmMock
      .on(GetParametersByPathCommand)
      .resolvesOnce({ Parameters: [{ Name: '/ias/prod/a', Version: 2 }], NextToken: 't' })
      .resolves({ Parameters: [{ Name: '/ias/prod/b', Version: 5 }] });
    secretsMock.on(ListSecretsCommand).resolves({
      SecretList: [
        {
          Name: '/ias/prod/db/credentials',
          SecretVersionsToStages: { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] },
        },
      ],
    });
    const snapshot = await configurationSnapshot(clients, '/ias/prod/');
    expect(snapshot).toEqual({
      parameters: { '/ias/prod/a': 2, '/ias/prod/b': 5 },
      secrets: { '/ias/prod/db/credentials': 'v2' },
    });
    expect(sent(ssmMock, GetParametersByPathCommand)[1]).toMatchObject({
      Path: '/ias/prod/',
      Recursive: true,
      NextToken: 't',
    });
  });
});

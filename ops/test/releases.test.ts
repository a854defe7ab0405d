import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatReleases, releases, type ReleasesResult } from '../src/commands/releases';
import { context, prefix, stubbedAws } from './helpers';

const release = {
  number: 4,
  at: '2026-11-26T00:00:00.000Z',
  by: 'CodePipeline job 1',
  source: 'pipeline',
  commit: 'abc123',
  summary: 'deployment d-1 succeeded',
  functions: { [`${prefix}-prod-allocate-order`]: '7' },
  services: { [`${prefix}-prod-inventory-api`]: { image: 'repo@sha256:aa' } },
  parameters: { [`/${prefix}/prod/db/port`]: 1 },
  secrets: {},
};

describe('releases', () => {
  let aws: ReturnType<typeof stubbedAws>;
  beforeEach(() => {
    aws = stubbedAws();
  });

  it("reads the environment's ledger, newest first", async () => {
    aws.mocks.dynamodb.on(QueryCommand).resolves({
      Items: [{ pk: { S: 'release' }, number: { N: '4' }, release: { S: JSON.stringify(release) } }],
    });
    const result = (await releases(context(aws), { env: 'prod', limit: 5 })) as ReleasesResult;
    expect(result.table).toBe(`${prefix}-prod-releases`);
    expect(result.releases.map((r) => r.number)).toEqual([4]);
    expect(aws.calls()).toEqual([
      {
        command: 'dynamodb Query',
        input: {
          TableName: `${prefix}-prod-releases`,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'release' } },
          ScanIndexForward: false,
          Limit: 5,
        },
      },
    ]);
    expect(formatReleases(result)).toContain(
      'release 4  2026-11-26T00:00:00.000Z  pipeline (CodePipeline job 1)  commit abc123',
    );
    expect(formatReleases(result)).toContain(`function ${prefix}-prod-allocate-order: version 7`);
  });

  it('makes no call on a dry run, and refuses a bad limit or environment', async () => {
    const planned = await releases(context(aws, { dryRun: true }), { env: 'dev' });
    expect(planned).toMatchObject({ dryRun: true, calls: [{ service: 'dynamodb', command: 'Query' }] });
    expect(aws.calls()).toEqual([]);
    await expect(releases(context(aws), { env: 'dev', limit: 0 })).rejects.toThrow(
      '--limit must be a whole number from 1 to 100, got 0',
    );
    await expect(releases(context(aws), { env: 'qa' })).rejects.toThrow('unknown environment "qa"');
  });
});

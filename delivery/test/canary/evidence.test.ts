import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ledgerTableName } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import {
  type CanaryAnalysis,
  type CanaryLook,
  type CanaryMinute,
  DeliveryError,
  latestCanaryLook,
  recordCanaryLook,
  summarizeCanaryLook,
  watchLook,
} from '../../src/canary/index.js';
import { listReleases } from '../../src/ledger.js';
import { clients, mocks, sent } from '../aws.js';

const { dynamodb: ddbMock } = mocks;
const ddb = clients.dynamodb;
const table = ledgerTableName('ias', 'prod');
const now = new Date('2026-11-26T10:03:00.000Z');
const ECS_ARN =
  'arn:aws:ecs:ap-northeast-1:123456789012:service-deployment/ias-prod-cluster/ias-prod-inventory-api/r4nd0m';

/** `minutes` minutes of a side serving `requests` a minute with `errors` errors. */
function side(minutes: number, requests: number, errors: number) {
  return {
    minutes: Array.from({ length: minutes }, (_, i): CanaryMinute => {
      const wobble = 1 + 0.05 * Math.sin(2.7 * i + 1);
      return { requests, errors, p50Ms: 100 * wobble, p99Ms: 250 * wobble };
    }),
  };
}

const analysis: CanaryAnalysis = {
  judge: {},
  bakeMinutes: 10,
  inconclusive: 'rollback',
  earlyPromotion: true,
};
/** Look 3 of 10 of a canary failing a fifth of its requests: fail, roll back. */
const failing: CanaryLook = watchLook(side(3, 900, 9), side(3, 100, 20), analysis);

/** The item look `look` of `deploymentId` is kept as, holding `json`. */
const item = (deploymentId: string, look: number, json: string) => ({
  pk: { S: `canary#${deploymentId}` },
  number: { N: String(look) },
  evidence: { S: json },
});

describe('canary evidence', () => {
  it('keeps a look under the deployment and reads it back as it was', async () => {
    expect(failing).toMatchObject({ look: 3, looks: 10, action: 'rollback' });
    ddbMock.on(PutItemCommand).resolves({});
    const stored = await recordCanaryLook(ddb, table, 'd-ABC123', failing, now);
    expect(stored).toMatchObject({
      deploymentId: 'd-ABC123',
      at: '2026-11-26T10:03:00.000Z',
      verdict: failing.judgement.verdict,
      action: 'rollback',
      reason: failing.reason,
      look: 3,
      looks: 10,
      level: failing.level,
      final: false,
    });
    expect(stored.metrics.map((m) => m.metric)).toEqual(['error-rate', 'p50', 'p99']);
    expect(stored.metrics[0]).toEqual({
      metric: 'error-rate',
      test: failing.judgement.metrics[0]?.test,
      effect: failing.judgement.metrics[0]?.effect,
      pValueWorse: failing.judgement.metrics[0]?.pValueWorse,
      pValueNotWorse: failing.judgement.metrics[0]?.pValueNotWorse,
      adjustedAlpha: failing.judgement.metrics[0]?.adjustedAlpha,
      samples: { baseline: 2700, canary: 300 },
      errors: { baseline: 27, canary: 60 },
      verdict: 'fail',
    });
    expect(stored.metrics[2]).toMatchObject({ metric: 'p99', pairedMinutes: 3 });

    const [put] = sent(ddbMock, PutItemCommand);
    expect(put).toMatchObject({ TableName: 'ias-prod-releases', Item: { pk: { S: 'canary#d-ABC123' } } });
    expect(put?.Item?.number).toEqual({ N: '3' });
    expect(put?.ConditionExpression).toBeUndefined();
    // Compact: the statistics, not the series nor the judge's settings.
    const json = put?.Item?.evidence?.S ?? '';
    expect(json.length).toBeLessThan(2500);
    expect(json).not.toContain('minutes"');
    expect(json).not.toContain('settings');

    ddbMock.on(QueryCommand).resolves({ Items: [put?.Item ?? {}] });
    expect(await latestCanaryLook(ddb, table, 'd-ABC123')).toEqual(stored);
    expect(sent(ddbMock, QueryCommand)).toEqual([
      {
        TableName: 'ias-prod-releases',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'canary#d-ABC123' } },
        ScanIndexForward: false,
        Limit: 1,
      },
    ]);
  });

  it('overwrites a look written twice with the same item: a retried watcher keeps one look', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    await recordCanaryLook(ddb, table, 'd-ABC123', failing, now);
    await recordCanaryLook(ddb, table, 'd-ABC123', failing, now);
    const puts = sent(ddbMock, PutItemCommand);
    expect(puts).toHaveLength(2);
    expect(puts[1]).toEqual(puts[0]);
  });

  it('takes an Amazon ECS service deployment ARN and a build ID as deployments', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    await recordCanaryLook(ddb, table, ECS_ARN, failing, now);
    await recordCanaryLook(ddb, table, 'ias-prod-inventory-api-k8s-deploy:0b1c2d3e', failing, now);
    expect(sent(ddbMock, PutItemCommand).map((p) => p.Item?.pk?.S)).toEqual([
      `canary#${ECS_ARN}`,
      'canary#ias-prod-inventory-api-k8s-deploy:0b1c2d3e',
    ]);
  });

  it('answers undefined for a deployment no watcher judged', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    expect(await latestCanaryLook(ddb, table, ECS_ARN)).toBeUndefined();
  });

  it('is out of the releases: the ledger lists only its own partition', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    await listReleases(ddb, table);
    expect(sent(ddbMock, QueryCommand)[0]?.ExpressionAttributeValues).toEqual({ ':pk': { S: 'release' } });
  });

  it('summarizes a look as a release keeps it: verdict, action, reason, position and each metric', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    const stored = await recordCanaryLook(ddb, table, 'd-ABC123', failing, now);
    const summary = summarizeCanaryLook(stored);
    expect(summary).toEqual({
      deploymentId: 'd-ABC123',
      at: '2026-11-26T10:03:00.000Z',
      verdict: stored.verdict,
      action: 'rollback',
      reason: failing.reason,
      look: 3,
      looks: 10,
      metrics: stored.metrics.map((m) => ({
        metric: m.metric,
        verdict: m.verdict,
        effect: m.effect,
        pValueWorse: m.pValueWorse,
        pValueNotWorse: m.pValueNotWorse,
      })),
    });
  });

  it.each([
    ['', 'deploymentId: must not be empty'],
    ['d-1#2', 'deploymentId: must not contain #'],
    ['d'.repeat(1025), 'deploymentId: must be at most 1,024 characters'],
  ])('fails on a deployment ID that cannot key its looks (%j), calling nothing', async (id, message) => {
    await expect(recordCanaryLook(ddb, table, id, failing, now)).rejects.toThrow(message);
    await expect(latestCanaryLook(ddb, table, id)).rejects.toThrow(DeliveryError);
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('fails on a look that could not be read back (a p-value that is not a number), writing nothing', async () => {
    const metrics = failing.judgement.metrics.map((m, i) =>
      i === 0 ? { ...m, pValueWorse: Number.NaN } : m,
    );
    const broken: CanaryLook = { ...failing, judgement: { ...failing.judgement, metrics } };
    await expect(recordCanaryLook(ddb, table, 'd-ABC123', broken, now)).rejects.toThrow(
      'look 3 of deployment d-ABC123 cannot be kept as canary evidence: metrics.0.pValueWorse',
    );
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it.each([
    ['not JSON', 3, '{"verdict":', 'its evidence attribute is not JSON'],
    ['of a verdict the judge does not give', 3, good({ verdict: 'maybe' }), 'verdict: Invalid option'],
    [
      'of a metric without its p-values',
      3,
      good({ metrics: [{ metric: 'p50', verdict: 'pass' }] }),
      'metrics.0.pValueWorse',
    ],
    ['of a look beyond its bake', 11, good({ look: 11 }), 'look: look must be at most looks'],
    ['of another look than its key', 4, good({}), 'it says look 3'],
  ])('fails on stored evidence %s, naming the deployment and the look', async (_, look, json, detail) => {
    ddbMock.on(QueryCommand).resolves({ Items: [item(ECS_ARN, look, json)] });
    const read = latestCanaryLook(ddb, table, ECS_ARN);
    await expect(read).rejects.toThrow(DeliveryError);
    await expect(read).rejects.toThrow(
      `the canary evidence of deployment ${ECS_ARN} in ias-prod-releases (look ${look}) cannot be read: `,
    );
    await expect(read).rejects.toThrow(detail);
  });
});

/** The JSON a good look is kept as, with `changes` over it. */
function good(changes: Record<string, unknown>): string {
  return JSON.stringify({
    at: '2026-11-26T10:03:00.000Z',
    verdict: 'inconclusive',
    action: 'wait',
    reason: 'look 3 of 10: inconclusive, looking again in a minute',
    look: 3,
    looks: 10,
    level: 0.0003,
    final: false,
    metrics: [],
    ...changes,
  });
}

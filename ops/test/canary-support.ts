import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { stubbedAws } from './helpers';

/** A look of the canary judge: its verdict and action, where in the bake. */
export interface Look {
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  readonly action: 'rollback' | 'promote' | 'wait' | 'continue';
  readonly look: number;
  readonly looks: number;
}

/** The error rate's statistics of a look, as the watcher keeps them. */
export const ERROR_RATE = {
  metric: 'error-rate',
  test: 'conditional binomial test of two Poisson rates (exposure: requests)',
  effect: 2.4,
  pValueWorse: 0.00001,
  pValueNotWorse: 0.99,
  adjustedAlpha: 0.0001,
  samples: { baseline: 2700, canary: 300 },
  errors: { baseline: 27, canary: 60 },
  verdict: 'fail',
} as const;

/** The item a watcher keeps of `look` of deployment `id` in the releases table (delivery's canary/evidence.ts). */
export function lookItem(id: string, look: Look) {
  return {
    pk: { S: `canary#${id}` },
    number: { N: String(look.look) },
    evidence: {
      S: JSON.stringify({
        at: '2026-11-26T10:03:00.000Z',
        reason: `look ${look.look} of ${look.looks}: ${look.verdict}`,
        level: 0.0003,
        final: look.look === look.looks,
        metrics: [{ ...ERROR_RATE, verdict: look.verdict }],
        ...look,
      }),
    },
  };
}

/**
 * The releases table answers the latest look of each deployment of `looks` (none kept for the
 * others).
 */
export function stubLooks(aws: ReturnType<typeof stubbedAws>, looks: Readonly<Record<string, Look>> = {}) {
  aws.mocks.dynamodb.on(QueryCommand).resolves({ Items: [] });
  for (const [id, look] of Object.entries(looks)) {
    aws.mocks.dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: `canary#${id}` } } })
      .resolves({ Items: [lookItem(id, look)] });
  }
}

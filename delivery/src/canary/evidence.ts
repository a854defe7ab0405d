/**
 * The canary judge's evidence: each look a watcher takes of a deployment in flight, kept in the
 * environment's release ledger table (`<prefix>-<env>-releases`) beside the releases, so an operator
 * sees the live verdict (`ias-ops deployments list`) and a release can say what its canary showed.
 *
 * One item per look: partition `pk` = `canary#<deploymentId>` (never `release`, so `listReleases`
 * does not see them), sort key `number` = the look (1-based), and the attribute `evidence`: compact
 * JSON of the verdict, the action, the reason, the look's position and level, when, and each
 * metric's statistics — the series themselves are not kept (an item stays around a kilobyte,
 * far below DynamoDB's 400 KB). A look written twice (a watcher retried) overwrites itself.
 *
 * Loads the DynamoDB SDK only when it is called, as the CloudWatch reader does: `ias-ops canary
 * judge` imports this module's index and never calls it.
 *
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items (the item size limit)
 */
import type { AttributeValue, DynamoDBClient, QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { DeliveryError } from '../errors.js';
import { describeIssues } from '../schemas.js';
import type { CanaryLook } from './watch.js';

/** What precedes the deployment ID in the partition key of its looks. */
const PARTITION_PREFIX = 'canary#';

/** The attribute that holds a look's JSON. */
const ATTRIBUTE = 'evidence';

/**
 * A deployment a watcher judges: a CodeDeploy ID (`d-…`), an Amazon ECS service deployment ARN, or
 * a Kubernetes deploy's own id. Any non-empty text up to 1,024 characters without `#` (the partition
 * key's separator).
 */
export const canaryDeploymentIdSchema = z
  .string({ error: 'must be a deployment ID' })
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1,024 characters')
  .refine((id) => !id.includes('#'), 'must not contain #');

const verdictSchema = z.enum(['pass', 'fail', 'inconclusive']);
const actionSchema = z.enum(['rollback', 'promote', 'wait', 'continue']);
const metricSchema = z.enum(['error-rate', 'p50', 'p99']);
const pValueSchema = z.number().min(0).max(1);
const sidesSchema = z.object({ baseline: z.number().min(0), canary: z.number().min(0) });

/** One metric of a look, as kept: its test, estimate, p-values, level, data and verdict. */
export const canaryMetricEvidenceSchema = z.object({
  metric: metricSchema,
  test: z.string(),
  /** The canary/baseline ratio estimate; `null` when a side had no data for it. */
  effect: z.number().nullable(),
  pValueWorse: pValueSchema,
  pValueNotWorse: pValueSchema,
  /** The Holm-adjusted level; `null` when too few data to test. */
  adjustedAlpha: z.number().nullable(),
  samples: sidesSchema,
  errors: sidesSchema.optional(),
  pairedMinutes: z.number().int().min(0).optional(),
  verdict: verdictSchema,
});

/** One metric of a look, as kept. */
export type CanaryMetricEvidence = z.infer<typeof canaryMetricEvidenceSchema>;

/** A look as the `evidence` attribute holds it (its deployment is the item's partition). */
export const canaryEvidenceSchema = z
  .object({
    /** When the watcher took the look (ISO 8601). */
    at: z.iso.datetime(),
    verdict: verdictSchema,
    action: actionSchema,
    reason: z.string(),
    look: z.number().int().min(1),
    looks: z.number().int().min(1),
    /** The alpha this look was held to. */
    level: z.number().gt(0).lt(1),
    final: z.boolean(),
    metrics: z.array(canaryMetricEvidenceSchema),
  })
  .refine((e) => e.look <= e.looks, { error: 'look must be at most looks', path: ['look'] });

/** One look of a deployment, as stored and read back, with the deployment it judged. */
export type CanaryEvidence = z.infer<typeof canaryEvidenceSchema> & { readonly deploymentId: string };

/**
 * What a release keeps of its deployment's canary (the ledger's `canary`): the last look's verdict,
 * action and reason, where in the bake it was, and each metric's verdict, estimate and p-values.
 */
export const canaryLookSummarySchema = z.object({
  deploymentId: canaryDeploymentIdSchema,
  at: z.iso.datetime(),
  verdict: verdictSchema,
  action: actionSchema,
  reason: z.string(),
  look: z.number().int().min(1),
  looks: z.number().int().min(1),
  metrics: z.array(
    z.object({
      metric: metricSchema,
      verdict: verdictSchema,
      effect: z.number().nullable(),
      pValueWorse: pValueSchema,
      pValueNotWorse: pValueSchema,
    }),
  ),
});

/** What a release keeps of its deployment's canary. */
export type CanaryLookSummary = z.infer<typeof canaryLookSummarySchema>;

/** The summary of a look a release keeps, or `ias-ops deployments list --json` shows. */
export function summarizeCanaryLook(evidence: CanaryEvidence): CanaryLookSummary {
  return {
    deploymentId: evidence.deploymentId,
    at: evidence.at,
    verdict: evidence.verdict,
    action: evidence.action,
    reason: evidence.reason,
    look: evidence.look,
    looks: evidence.looks,
    metrics: evidence.metrics.map((m) => ({
      metric: m.metric,
      verdict: m.verdict,
      effect: m.effect,
      pValueWorse: m.pValueWorse,
      pValueNotWorse: m.pValueNotWorse,
    })),
  };
}

/**
 * The deployment ID, checked.
 * @throws DeliveryError `BAD_INPUT` quoting it
 */
function checkedId(deploymentId: string): string {
  const result = canaryDeploymentIdSchema.safeParse(deploymentId);
  if (!result.success) {
    const shown = typeof deploymentId === 'string' ? JSON.stringify(deploymentId.slice(0, 120)) : '?';
    throw new DeliveryError(
      'BAD_INPUT',
      `the canary evidence needs a deployment ID (a CodeDeploy ID, an Amazon ECS service deployment ARN or a deploy's own id): ${shown} ${describeIssues(result.error, 'deploymentId')}`,
    );
  }
  return result.data;
}

function partitionOf(deploymentId: string): AttributeValue {
  return { S: `${PARTITION_PREFIX}${deploymentId}` };
}

/**
 * The Query that reads a deployment's latest look (what {@link latestCanaryLook} sends; a dry run
 * prints it).
 */
export function canaryLookQuery(table: string, deploymentId: string): QueryCommandInput {
  return {
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': partitionOf(deploymentId) },
    ScanIndexForward: false,
    Limit: 1,
  };
}

/** The kept form of a look: the judgement's statistics without the series or the settings. */
function evidenceOf(look: CanaryLook, now: Date) {
  return {
    at: now.toISOString(),
    verdict: look.judgement.verdict,
    action: look.action,
    reason: look.reason,
    look: look.look,
    looks: look.looks,
    level: look.level,
    final: look.final,
    metrics: look.judgement.metrics.map((m): CanaryMetricEvidence => ({
      metric: m.metric,
      test: m.test,
      effect: m.effect,
      pValueWorse: m.pValueWorse,
      pValueNotWorse: m.pValueNotWorse,
      adjustedAlpha: m.adjustedAlpha,
      samples: { baseline: m.samples.baseline, canary: m.samples.canary },
      ...(m.errors && { errors: { baseline: m.errors.baseline, canary: m.errors.canary } }),
      ...(m.pairedMinutes !== undefined && { pairedMinutes: m.pairedMinutes }),
      verdict: m.verdict,
    })),
  } satisfies z.input<typeof canaryEvidenceSchema>;
}

/**
 * Keeps `look` of the deployment `deploymentId` in `table` (PutItem, unconditional: the same look
 * written again overwrites itself).
 *
 * @param now - when the look was taken
 * @returns the look as stored
 * @throws DeliveryError `BAD_INPUT` when the deployment ID is not one, or the look holds what could
 *   not be read back (a number that is not finite), before anything is written
 */
export async function recordCanaryLook(
  ddb: DynamoDBClient,
  table: string,
  deploymentId: string,
  look: CanaryLook,
  now: Date = new Date(),
): Promise<CanaryEvidence> {
  const id = checkedId(deploymentId);
  // The JSON round trip first, so a value JSON cannot hold (NaN, Infinity) fails here, not on reading.
  const text = JSON.stringify(evidenceOf(look, now));
  const checked = canaryEvidenceSchema.safeParse(JSON.parse(text));
  if (!checked.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `look ${look.look} of deployment ${id} cannot be kept as canary evidence: ${describeIssues(checked.error)}`,
    );
  }
  // Loaded on first use: `ias-ops canary judge` loads this module (index.ts) and never the SDK.
  const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
  await ddb.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        pk: partitionOf(id),
        number: { N: String(checked.data.look) },
        [ATTRIBUTE]: { S: text },
      },
    }),
  );
  return { deploymentId: id, ...checked.data };
}

/**
 * The latest look of the deployment `deploymentId` in `table`, or undefined when none was kept (not
 * judged yet, or not a canary deployment).
 *
 * @throws DeliveryError `BAD_INPUT` when the deployment ID is not one, or when the stored look cannot
 *   be read (naming the deployment, the look and the field)
 */
export async function latestCanaryLook(
  ddb: DynamoDBClient,
  table: string,
  deploymentId: string,
): Promise<CanaryEvidence | undefined> {
  const id = checkedId(deploymentId);
  const { QueryCommand } = await import('@aws-sdk/client-dynamodb');
  const answer = await ddb.send(new QueryCommand(canaryLookQuery(table, id)));
  const item = answer.Items?.[0];
  if (item === undefined) return undefined;
  const number = item.number?.N ?? '?';
  const unreadable = (why: string) =>
    new DeliveryError(
      'BAD_INPUT',
      `the canary evidence of deployment ${id} in ${table} (look ${number}) cannot be read: ${why}`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(item[ATTRIBUTE]?.S ?? '');
  } catch {
    throw unreadable(`its ${ATTRIBUTE} attribute is not JSON`);
  }
  const parsed = canaryEvidenceSchema.safeParse(raw);
  if (!parsed.success) throw unreadable(describeIssues(parsed.error));
  if (String(parsed.data.look) !== number) {
    throw unreadable(`it says look ${parsed.data.look}`);
  }
  return { deploymentId: id, ...parsed.data };
}

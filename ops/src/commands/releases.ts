/**
 * `releases --env E`: the environment's release ledger (`<prefix>-<env>-releases`, see
 * delivery/src/ledger.ts), newest first: what each deployment made live.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { ledgerTableName, listReleases, type LedgerRelease as Release } from '@ias/delivery';
import { dryRun, environment, planned, type DryRunResult, type OpsContext } from '../context';
import { badInput } from '../errors';

/** Arguments of `releases`. */
export interface ReleasesArgs {
  readonly env: string | undefined;
  /** How many, newest first. @default 10 */
  readonly limit?: number;
}

/** The releases of an environment, newest first. */
export interface ReleasesResult {
  readonly environment: string;
  readonly table: string;
  readonly releases: readonly Release[];
}

/** `releases`: Query on the ledger table, newest first. */
export async function releases(ctx: OpsContext, args: ReleasesArgs): Promise<ReleasesResult | DryRunResult> {
  const env = environment(ctx, args.env);
  const limit = args.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw badInput(`--limit must be a whole number from 1 to 100, got ${String(args.limit)}`);
  }
  const table = ledgerTableName(env.prefix, env.name);
  if (ctx.dryRun) {
    return dryRun(
      planned(
        'dynamodb',
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'release' } },
          ScanIndexForward: false,
          Limit: limit,
        }),
      ),
    );
  }
  const list = await listReleases(ctx.clientsFor(env.profile.region).dynamodb, table, limit);
  return { environment: env.name, table, releases: list };
}

/** The text form: one block per release. */
export function formatReleases(result: ReleasesResult): string {
  if (result.releases.length === 0) {
    return `${result.table}: no release recorded yet (the pipelines record each deployment)`;
  }
  return result.releases
    .map((r) =>
      [
        `release ${r.number}  ${r.at}  ${r.source} (${r.by})${r.commit ? `  commit ${r.commit}` : ''}`,
        `  ${r.summary}`,
        ...Object.entries(r.functions).map(([name, version]) => `  function ${name}: version ${version}`),
        ...Object.entries(r.services).map(
          ([name, s]) => `  service ${name}: ${s.image}${s.taskDefinition ? ` (${s.taskDefinition})` : ''}`,
        ),
        `  configuration: ${Object.keys(r.parameters).length} parameters, ${Object.keys(r.secrets).length} secrets`,
      ].join('\n'),
    )
    .join('\n');
}

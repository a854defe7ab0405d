/**
 * `releases --env E --contains PACKAGE[@RANGE]`: which of the environment's releases deployed an
 * artifact whose SBOM lists the package at a version in the range. Each release's SBOM is read from
 * where the ledger says it lies (an object under `sbom/` in the environment's artifact bucket, see
 * `sbomKey` of @ias/targets); a release whose deployment recorded none says so.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  DeliveryError,
  findComponents,
  listReleases,
  parsePackageSpec,
  readSbom,
  sbomUri,
  type LedgerRelease as Release,
  type PackageSpec,
  type SbomLocation,
} from '@ias/delivery';
import type { EnvironmentConfig } from '@ias/infra/config';
import { ledgerTableName } from '@ias/targets';
import { dryRun, planned, type DryRunResult, type OpsContext, type PlannedCall } from '../context';
import { badInput, errorName, EXIT, type ExitCode } from '../errors';
import { runSteps } from '../progress';
import { revisionWords, sameRevision } from '../kinds/ec2/revision';

/** A workload a release deployed, and the artifact it deployed. */
export interface DeployedWorkload {
  readonly kind: 'function' | 'service' | 'kubernetes' | 'ec2';
  /** Its physical name (`<prefix>-<env>-<name>`), a Kubernetes or EC2 application's name. */
  readonly name: string;
  /** A function's published version, a service's or Kubernetes application's image, an EC2 application's revision. */
  readonly artifact: string;
}

/** What one release's SBOM says of the package. */
export type SbomAnswer =
  /** The SBOM lists the package in the range: `matches` are its versions there. */
  | 'contains'
  /** The SBOM does not list it. */
  | 'absent'
  /** The release's deployment recorded no SBOM. */
  | 'no-sbom'
  /** The SBOM could not be read: `problem` says why. */
  | 'unreadable';

/** One release, and what its SBOM says of the package. */
export interface ReleaseContents {
  readonly number: number;
  readonly at: string;
  readonly summary: string;
  /** What the release changed since the one before it. */
  readonly deployed: readonly DeployedWorkload[];
  /** Where its SBOM lies, `s3://<bucket>/<key>`. @default - none recorded */
  readonly sbom?: string;
  readonly answer: SbomAnswer;
  /** `name@version` of each matching component. */
  readonly matches: readonly string[];
  /** Why the SBOM could not be read. */
  readonly problem?: string;
}

/** What one SBOM says of the package. */
type SbomReading = Pick<ReleaseContents, 'answer' | 'matches' | 'problem'>;

/** The releases of an environment, newest first, each with what its SBOM says of the package. */
export interface ContainsResult {
  readonly environment: string;
  readonly table: string;
  /** The package asked for, `PACKAGE[@RANGE]` as given. */
  readonly contains: string;
  readonly releases: readonly ReleaseContents[];
}

/** What S3 answers when one object cannot be read: said of that release, not a failure of the command. */
const OBJECT_ERRORS: Readonly<Record<string, string>> = {
  NoSuchKey: 'not found (NoSuchKey)',
  NoSuchBucket: 'no such bucket (NoSuchBucket)',
  // Without s3:ListBucket, which the operator policy does not grant, S3 answers a missing key so too.
  AccessDenied:
    "access denied (AccessDenied): missing, or outside what the operator policy reads (the sbom/ keys of the environment's artifact bucket)",
  InvalidObjectState: 'archived (InvalidObjectState)',
};

/**
 * The package spec of `--contains`.
 *
 * @throws OpsError (exit 2) quoting the spec
 */
export function containsSpec(spec: string): PackageSpec {
  try {
    return parsePackageSpec(spec);
  } catch (err) {
    if (err instanceof DeliveryError) throw badInput(`--contains ${err.message}`);
    throw err;
  }
}

/** What `current` changed since `previous` (everything, for the first release). */
function deployedSince(current: Release, previous: Release | undefined): DeployedWorkload[] {
  return [
    ...Object.entries(current.functions)
      .filter(([name, version]) => previous?.functions[name] !== version)
      .map(([name, version]) => ({ kind: 'function' as const, name, artifact: `version ${version}` })),
    ...Object.entries(current.services)
      .filter(([name, s]) => previous?.services[name]?.image !== s.image)
      .map(([name, s]) => ({ kind: 'service' as const, name, artifact: s.image })),
    ...Object.entries(current.applications ?? {})
      .filter(([name, a]) => previous?.applications?.[name]?.image !== a.image)
      .map(([name, a]) => ({ kind: 'kubernetes' as const, name, artifact: a.image })),
    ...Object.entries(current.fleets ?? {})
      .filter(([name, f]) => {
        const before = previous?.fleets?.[name]?.revision;
        return before === undefined || !sameRevision(before, f.revision);
      })
      .map(([name, f]) => ({ kind: 'ec2' as const, name, artifact: revisionWords(f.revision) })),
  ];
}

/** Reads one SBOM object and answers what it says of the package. */
async function askSbom(
  ctx: OpsContext,
  env: EnvironmentConfig,
  location: SbomLocation,
  spec: PackageSpec,
): Promise<SbomReading> {
  const uri = sbomUri(location);
  let text: string | undefined;
  try {
    const answer = await (
      await ctx.awsFor(env)
    ).s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    text = await answer.Body?.transformToString('utf8');
  } catch (err) {
    const known = OBJECT_ERRORS[errorName(err) ?? ''];
    if (known === undefined) throw err;
    return { answer: 'unreadable', matches: [], problem: `${uri}: ${known}` };
  }
  try {
    const matches = findComponents(readSbom(text ?? ''), spec);
    return { answer: matches.length > 0 ? 'contains' : 'absent', matches };
  } catch (err) {
    if (!(err instanceof DeliveryError)) throw err;
    return { answer: 'unreadable', matches: [], problem: `${uri}: ${err.message}` };
  }
}

/** The planned call that reads the `limit` latest releases of a ledger table, newest first (for --dry-run). */
export function plannedReleaseQuery(table: string, limit: number): PlannedCall {
  return planned(
    'dynamodb',
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'release' } },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
}

/**
 * The `limit` latest releases of `env`, each with what its SBOM says of the package: one Query (one
 * release more than asked, to tell what the oldest changed), then one GetObject per SBOM.
 */
export async function releasesContaining(
  ctx: OpsContext,
  env: EnvironmentConfig,
  contains: string,
  limit: number,
): Promise<ContainsResult | DryRunResult> {
  const spec = containsSpec(contains);
  const table = ledgerTableName(env.prefix, env.name);
  if (ctx.dryRun) {
    return dryRun(plannedReleaseQuery(table, limit + 1), {
      service: 's3',
      command: 'GetObject',
      input: { Bucket: "<each release's sbom.bucket, from the Query>", Key: '<its sbom.key>' },
    });
  }
  const fetched = await listReleases((await ctx.awsFor(env)).dynamodb, table, limit + 1);
  const examined = fetched.slice(0, limit);
  // Each SBOM once, though two releases may name the same (the same build deployed again).
  const sboms = new Map<string, SbomLocation>();
  for (const r of examined) {
    if (r.sbom) sboms.set(sbomUri(r.sbom), r.sbom);
  }
  const readings = new Map<string, SbomReading>();
  await runSteps(
    ctx,
    [...sboms].map(([uri, location]) => ({
      title: `read ${uri}`,
      task: async () => {
        readings.set(uri, await askSbom(ctx, env, location, spec));
      },
    })),
  );
  return {
    environment: env.name,
    table,
    contains,
    releases: examined.map((r, i): ReleaseContents => {
      const common = {
        number: r.number,
        at: r.at,
        summary: r.summary,
        deployed: deployedSince(r, fetched[i + 1]),
      };
      if (!r.sbom) return { ...common, answer: 'no-sbom', matches: [] };
      const uri = sbomUri(r.sbom);
      return {
        ...common,
        sbom: uri,
        ...(readings.get(uri) ?? { answer: 'unreadable', matches: [], problem: `${uri}: not read` }),
      };
    }),
  };
}

/** How many releases, in words: `1 release`, `2 releases`. */
function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The text form: the releases that contain the package (with the versions), those with no SBOM
 * recorded and those whose SBOM could not be read, newest first; then one line of counts.
 */
export function formatContains(result: ContainsResult): string {
  if (result.releases.length === 0) {
    return `${result.table}: no release recorded yet (the pipelines record each deployment)`;
  }
  const of = (answer: SbomAnswer) => result.releases.filter((r) => r.answer === answer).length;
  const lines = result.releases
    .filter((r) => r.answer !== 'absent')
    .map((r) => {
      const what =
        r.deployed.length > 0
          ? r.deployed.map((w) => `${w.kind} ${w.name}: ${w.artifact}`).join(', ')
          : r.summary;
      const detail =
        r.answer === 'contains'
          ? `contains ${r.matches.join(', ')} (${r.sbom ?? ''})`
          : r.answer === 'no-sbom'
            ? 'no SBOM recorded'
            : `SBOM ${r.problem ?? ''}`;
      return `release ${r.number}  ${r.at}  ${result.environment}  ${what}\n  ${detail}`;
    });
  const counts = [
    `${of('contains')} of ${count(result.releases.length, 'release', 'releases')} of ${result.environment} ${of('contains') === 1 ? 'contains' : 'contain'} ${result.contains}`,
    `${of('absent')} ${of('absent') === 1 ? 'does' : 'do'} not`,
    ...(of('no-sbom') > 0
      ? [`${of('no-sbom')} ${of('no-sbom') === 1 ? 'has' : 'have'} no SBOM recorded`]
      : []),
    ...(of('unreadable') > 0 ? [`${count(of('unreadable'), 'SBOM', 'SBOMs')} could not be read`] : []),
  ];
  return [...lines, counts.join('; ')].join('\n');
}

/** Exit 1 when an SBOM could not be read (the answer is incomplete), else 0. */
export function containsExit(result: ContainsResult): ExitCode {
  return result.releases.some((r) => r.answer === 'unreadable') ? EXIT.failed : EXIT.ok;
}

/**
 * `releases --env E`: the environment's release ledger (`<prefix>-<env>-releases`, see
 * delivery/src/ledger.ts), newest first: what each deployment made live; with `--contains`, which of
 * them deployed a given package (releases-contains.ts). `releases record` writes one by hand, for
 * deployments made outside the pipelines and this CLI (the GitHub workflows).
 */
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { listReleases, type LedgerRelease as Release } from '@ias/delivery';
import { ledgerTableName } from '@ias/targets';
import { dryRun, inEnvironment, naming, planned, services } from '../context';
import { badInput, errorName, EXIT, OpsError, type ExitCode } from '../errors';
import { revisionWords } from '../kinds/ec2/revision';
import { releaseSource, writeRelease } from '../record';
import {
  containsExit,
  formatContains,
  plannedReleaseQuery,
  releasesContaining,
  type ContainsResult,
} from './releases-contains';

/** Arguments of `releases`. */
export interface ReleasesArgs {
  readonly env: string | undefined;
  /** How many, newest first. @default 10 */
  readonly limit?: number;
  /**
   * `PACKAGE[@RANGE]`: instead of what each release made live, whether the SBOM of what it deployed
   * lists the package at a version in the range. @default - every release as recorded
   */
  readonly contains?: string;
}

/** The releases of an environment, newest first. */
export interface ReleasesResult {
  readonly environment: string;
  readonly table: string;
  readonly releases: readonly Release[];
}

/**
 * `releases`: Query on the ledger table, newest first; with `contains`, each release's SBOM read too
 * ({@link releasesContaining}).
 */
export const releases = inEnvironment<ReleasesArgs, ReleasesResult | ContainsResult>(
  async (ctx, env, args) => {
    const limit = args.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw badInput(`--limit must be a whole number from 1 to 100, got ${String(args.limit)}`);
    }
    if (args.contains !== undefined) {
      return releasesContaining(ctx, env, args.contains, limit);
    }
    const table = ledgerTableName(env.prefix, env.name);
    if (ctx.dryRun) {
      return dryRun(plannedReleaseQuery(table, limit));
    }
    const list = await listReleases((await ctx.awsFor(env)).dynamodb, table, limit);
    return { environment: env.name, table, releases: list };
  },
);

/** The text form: one block per release (with `--contains`, see {@link formatContains}). */
export function formatReleases(result: ReleasesResult | ContainsResult): string {
  if ('contains' in result) {
    return formatContains(result);
  }
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
        ...Object.entries(r.applications ?? {}).map(
          ([name, a]) =>
            `  Kubernetes application ${name}: ${a.color} serves ${a.image} (manifests ${a.revision})`,
        ),
        ...Object.entries(r.fleets ?? {}).map(
          ([name, f]) =>
            `  EC2 application ${name}: ${revisionWords(f.revision)} (deployment ${f.deploymentId})`,
        ),
        `  configuration: ${Object.keys(r.parameters).length} parameters, ${Object.keys(r.secrets).length} secrets`,
      ].join('\n'),
    )
    .join('\n');
}

/** The exit code of `releases`: 1 when `--contains` could not read an SBOM, else 0. */
export function releasesExit(result: ReleasesResult | ContainsResult): ExitCode {
  return 'contains' in result ? containsExit(result) : EXIT.ok;
}

/** Arguments of `releases record`. */
export interface RecordArgs {
  readonly env: string | undefined;
  /** One line: what changed. */
  readonly summary: string;
  /** `<function>=<version>`, each a function's folder name and the version its alias now serves. */
  readonly functions?: readonly string[];
  /** `<service>=<image by digest>`, each a service's folder name and the image it now runs. */
  readonly services?: readonly string[];
  /** `<service>=<task definition ARN>`, for services also given in `services`. */
  readonly taskDefinitions?: readonly string[];
  /** Where the change came from. @default 'cli' */
  readonly source?: string;
  /** Who: a workflow run's URL, a pipeline execution. @default - the caller's AWS identity */
  readonly by?: string;
  /** The git commit deployed. */
  readonly commit?: string;
}

/** What `releases record` wrote. */
export interface RecordResult {
  readonly environment: string;
  readonly table: string;
  /** The release written. */
  readonly recorded: Release;
}

const IMAGE_BY_DIGEST = /^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$/;
const TASK_DEFINITION_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]+:\d+$/;

/** The repeatable `name=value` options: each one's flag, what its values must match, and what they are. */
const PAIR_OPTIONS = {
  functions: ['--function', /^[1-9]\d*$/, 'a published version number'],
  services: ['--service', IMAGE_BY_DIGEST, 'an image by digest (<repository>@sha256:<64 hex>)'],
  taskDefinitions: ['--task-definition', TASK_DEFINITION_ARN, 'a task definition ARN with its revision'],
} as const;

/** Splits the `name=value` pairs of an option, checking each name is one of `known` and each value's form. */
function pairs(
  key: keyof typeof PAIR_OPTIONS,
  args: RecordArgs,
  known: readonly string[],
): Map<string, string> {
  const [option, valid, what] = PAIR_OPTIONS[key];
  const found = new Map<string, string>();
  for (const pair of args[key] ?? []) {
    const at = pair.indexOf('=');
    const name = at > 0 ? pair.slice(0, at) : '';
    const value = at > 0 ? pair.slice(at + 1) : '';
    if (!known.includes(name)) {
      throw badInput(
        `${option} ${pair}: "${name || pair}" is not one of ${known.join(', ') || 'none'}; write ${option} <name>=<${what}>`,
      );
    }
    if (!valid.test(value)) {
      throw badInput(`${option} ${pair}: "${value}" is not ${what}`);
    }
    found.set(name, value);
  }
  return found;
}

/**
 * `releases record`: writes the environment's next release by hand, for deployments made outside the
 * pipelines and this CLI (the GitHub workflows call it after each deployment). Every argument is checked
 * before the first call; the release is the latest with these entries set, and the configuration in use
 * now.
 */
export const recordReleaseCommand = inEnvironment<RecordArgs, RecordResult>(async (ctx, env, args) => {
  const names = naming(env);
  const source = releaseSource(args.source ?? 'cli');
  if (args.summary.trim() === '') {
    throw badInput('--summary must say what changed, in one line');
  }
  if (args.commit !== undefined && !/^[0-9a-f]{7,40}$/.test(args.commit)) {
    throw badInput(`--commit must be a git commit (7 to 40 hex digits), got "${args.commit}"`);
  }
  const functions = pairs(
    'functions',
    args,
    ctx.project.functions.map((f) => f.name),
  );
  const serviceNames = services(ctx).map((s) => s.name);
  const images = pairs('services', args, serviceNames);
  const taskDefinitions = pairs('taskDefinitions', args, serviceNames);
  for (const name of taskDefinitions.keys()) {
    if (!images.has(name)) {
      throw badInput(
        `--task-definition ${name}=…: give the image it runs too, with --service ${name}=<image>`,
      );
    }
  }
  if (functions.size === 0 && images.size === 0) {
    throw badInput(
      'nothing to record: give at least one --function <name>=<version> or --service <name>=<image>',
    );
  }
  const change = {
    ...(args.by !== undefined ? { by: args.by } : {}),
    source,
    ...(args.commit !== undefined ? { commit: args.commit } : {}),
    summary: args.summary,
    functions: Object.fromEntries([...functions].map(([name, version]) => [names.name(name), version])),
    services: Object.fromEntries(
      [...images].map(([name, image]) => {
        const taskDefinition = taskDefinitions.get(name);
        return [names.name(name), { image, ...(taskDefinition !== undefined ? { taskDefinition } : {}) }];
      }),
    ),
  };
  const table = ledgerTableName(env.prefix, env.name);
  if (ctx.dryRun) {
    return dryRun(
      ...(args.by === undefined ? [planned('sts', new GetCallerIdentityCommand({}))] : []),
      planned('ssm', new GetParametersByPathCommand({ Path: names.pathPrefix, Recursive: true })),
      planned('secrets', new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [names.pathPrefix] }] })),
      { service: 'dynamodb', command: 'Query', input: { TableName: table, note: 'the latest release' } },
      {
        service: 'dynamodb',
        command: 'PutItem',
        input: { TableName: table, release: { by: '<the caller, from GetCallerIdentity>', ...change } },
      },
    );
  }
  const aws = await ctx.awsFor(env);
  try {
    const recorded = await writeRelease(aws, env, change);
    return { environment: env.name, table, recorded };
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') {
      throw new OpsError(
        `there is no ledger table ${table} in ${env.profile.region}: deploy ${env.name}'s infrastructure first (its deployment stack creates it)`,
        EXIT.failed,
      );
    }
    throw err;
  }
});

/** The text form of `releases record`. */
export function formatRecord(result: RecordResult): string {
  return `recorded release ${result.recorded.number} of ${result.environment} in ${result.table}: ${result.recorded.summary}`;
}

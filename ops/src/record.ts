/**
 * What the CLI makes live goes into the environment's release ledger too (as the pipelines'
 * deployments do): after a command that moved an alias, returned a service to its previous revision,
 * switched a Kubernetes application, deployed an EC2 application's revision (a new one, or the
 * previous one again) or restored a release, the next release records the versions and images, the
 * configuration in use, and who (the caller's AWS identity).
 *
 * Recording follows the change, which has already happened: when it fails (no ledger table yet,
 * no permission), the command still succeeds, and says so in one warning line.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  configurationSnapshot,
  recordRelease,
  type LedgerRelease,
  type ReleaseChange,
  type SbomLocation,
} from '@ias/delivery';
import { canaryLookSummarySchema, type CanaryLookSummary } from '@ias/delivery/canary';
import { ledgerTableName, type Color } from '@ias/targets';
import type { EnvironmentConfig } from '@ias/infra/config';
import type { AwsClients, OpsContext } from './context';
import { naming } from './context';
import { badInput } from './errors';
import type { FleetEntry } from './kinds/ec2/revision';

/** Where a release may come from, as the ledger records it. */
const SOURCES: readonly LedgerRelease['source'][] = ['pipeline', 'workflow', 'cli'];

/**
 * `--source` as the ledger takes it.
 *
 * @throws OpsError (bad input) naming the sources it accepts
 */
export function releaseSource(source: string): LedgerRelease['source'] {
  const known = SOURCES.find((s) => s === source);
  if (known === undefined) {
    throw badInput(`--source must be one of ${SOURCES.join(', ')}, got "${source}"`);
  }
  return known;
}

/** What a command made live, to record. */
export interface CliChange {
  /** Function name → the version its alias now serves. */
  readonly functions: Readonly<Record<string, string>>;
  /** Service name → its image and the task definition now rolling out. */
  readonly services?: Readonly<Record<string, { image: string; taskDefinition?: string }>>;
  /** Kubernetes application name → the color serving it now, that color's image and manifest revision. */
  readonly applications?: Readonly<Record<string, { color: string; image: string; revision: string }>>;
  /** EC2 application name → the deployment that installed its fleet's revision, and that revision. */
  readonly fleets?: Readonly<Record<string, FleetEntry>>;
  /** One line: what changed. */
  readonly summary: string;
  /** Where the SBOM of the artifact deployed lies (a deploy's `--sbom`, stored). @default - none */
  readonly sbom?: SbomLocation;
  /** The canary judge's last look at the deployment that made the change. @default - none */
  readonly canary?: CanaryLookSummary;
}

/** The outcome of recording: the release number, or why it could not be written. */
export interface RecordOutcome {
  readonly release?: number;
  readonly warning?: string;
}

/** A command result that says what it made live (alias commands and `deploy lambda`). */
interface LiveResult {
  readonly environment: string;
  readonly functionName: string;
  readonly summary: string;
  readonly changed?: boolean;
  readonly version?: string;
  readonly outcome?: string;
  readonly targetVersion?: string;
  readonly sbom?: unknown;
}

/** The SBOM a deploy's result says it stored, as the ledger records it. */
function sbomOf(result: { readonly sbom?: unknown }): { sbom?: SbomLocation } {
  const sbom = result.sbom as Partial<SbomLocation> | undefined;
  return typeof sbom?.bucket === 'string' && typeof sbom.key === 'string'
    ? { sbom: { bucket: sbom.bucket, key: sbom.key } }
    : {};
}

/** The canary judge's last look a deploy's result carries (checked by its shape), as the ledger records it. */
function canaryOf(result: { readonly canary?: unknown }): { canary?: CanaryLookSummary } {
  const canary = canaryLookSummarySchema.safeParse(result.canary);
  return canary.success ? { canary: canary.data } : {};
}

/**
 * The change a command result describes, if it made a function version live: an alias command
 * that changed the alias with no traffic left on another version, or a deployment that succeeded.
 */
export function changeOf(result: unknown): { environment: string; change: CliChange } | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const restore = restoreChange(result);
  if (restore) return restore;
  const service = serviceChange(result);
  if (service) return service;
  const application = applicationChange(result);
  if (application) return application;
  const fleet = fleetChange(result);
  if (fleet) return fleet;
  const r = result as Partial<LiveResult> & { additionalVersionWeights?: Record<string, number> };
  if (
    typeof r.environment !== 'string' ||
    typeof r.functionName !== 'string' ||
    typeof r.summary !== 'string'
  ) {
    return undefined;
  }
  const shifted = Object.keys(r.additionalVersionWeights ?? {}).length > 0;
  const version =
    r.outcome === 'succeeded' ? r.targetVersion : r.changed === true && !shifted ? r.version : undefined;
  return version
    ? {
        environment: r.environment,
        change: { functions: { [r.functionName]: version }, summary: r.summary, ...sbomOf(r) },
      }
    : undefined;
}

/**
 * A service made live: an `ecs rollback` that returned the service to its previous revision, or a
 * `deploy service`, once that succeeded.
 */
function serviceChange(result: object): { environment: string; change: CliChange } | undefined {
  const r = result as {
    environment?: unknown;
    serviceName?: unknown;
    summary?: unknown;
    live?: { image?: unknown; taskDefinition?: unknown };
    sbom?: unknown;
  };
  if (
    typeof r.environment !== 'string' ||
    typeof r.serviceName !== 'string' ||
    typeof r.summary !== 'string' ||
    typeof r.live?.image !== 'string' ||
    typeof r.live.taskDefinition !== 'string'
  ) {
    return undefined;
  }
  return {
    environment: r.environment,
    change: {
      functions: {},
      services: { [r.serviceName]: { image: r.live.image, taskDefinition: r.live.taskDefinition } },
      summary: r.summary,
      ...sbomOf(r),
    },
  };
}

/**
 * A Kubernetes application switched: a `deploy kubernetes` or `kubernetes rollback` whose build
 * succeeded, with what serves now.
 */
function applicationChange(result: object): { environment: string; change: CliChange } | undefined {
  const r = result as {
    environment?: unknown;
    application?: unknown;
    summary?: unknown;
    live?: { color?: unknown; image?: unknown; revision?: unknown };
    sbom?: unknown;
    canary?: unknown;
  };
  const live = r.live;
  if (
    typeof r.environment !== 'string' ||
    typeof r.application !== 'string' ||
    typeof r.summary !== 'string' ||
    typeof live?.color !== 'string' ||
    typeof live.image !== 'string' ||
    typeof live.revision !== 'string'
  ) {
    return undefined;
  }
  return {
    environment: r.environment,
    change: {
      functions: {},
      applications: { [r.application]: { color: live.color, image: live.image, revision: live.revision } },
      summary: r.summary,
      ...sbomOf(r),
      ...canaryOf(r),
    },
  };
}

/** A fleet entry as a command result carries it: a deployment ID and an S3 revision, checked by shape. */
function isFleetEntry(live: unknown): live is FleetEntry {
  const l = live as {
    deploymentId?: unknown;
    revision?: { bucket?: unknown; key?: unknown; bundleType?: unknown };
  };
  return (
    typeof l?.deploymentId === 'string' &&
    typeof l.revision?.bucket === 'string' &&
    typeof l.revision.key === 'string' &&
    typeof l.revision.bundleType === 'string'
  );
}

/** An EC2 application's fleet given a revision: a `deploy ec2` or `ec2 rollback` whose deployment succeeded. */
function fleetChange(result: object): { environment: string; change: CliChange } | undefined {
  const r = result as {
    environment?: unknown;
    app?: unknown;
    summary?: unknown;
    live?: unknown;
    sbom?: unknown;
  };
  if (
    typeof r.environment !== 'string' ||
    typeof r.app !== 'string' ||
    typeof r.summary !== 'string' ||
    !isFleetEntry(r.live)
  ) {
    return undefined;
  }
  return {
    environment: r.environment,
    change: { functions: {}, fleets: { [r.app]: r.live }, summary: r.summary, ...sbomOf(r) },
  };
}

/** A `rollback --release N` that changed something: the versions and images it put back. */
function restoreChange(result: object): { environment: string; change: CliChange } | undefined {
  const r = result as {
    environment?: unknown;
    release?: unknown;
    summary?: unknown;
    changed?: {
      functions?: readonly { name: string; to: string }[];
      services?: readonly { name: string; to: string; taskDefinition: string }[];
      applications?: readonly {
        name: string;
        live: { color: string; image: string; revision: string } | undefined;
      }[];
      fleets?: readonly { name: string; live: FleetEntry | undefined }[];
      parameters?: readonly unknown[];
      secrets?: readonly unknown[];
    };
  };
  if (typeof r.environment !== 'string' || typeof r.release !== 'number' || typeof r.summary !== 'string') {
    return undefined;
  }
  const changed = r.changed ?? {};
  const count = ['functions', 'services', 'applications', 'fleets', 'parameters', 'secrets'].reduce(
    (n, k) => n + ((changed as Record<string, readonly unknown[] | undefined>)[k]?.length ?? 0),
    0,
  );
  if (count === 0) return undefined;
  return {
    environment: r.environment,
    change: {
      functions: Object.fromEntries((changed.functions ?? []).map((f) => [f.name, f.to])),
      services: Object.fromEntries(
        (changed.services ?? []).map((s) => [s.name, { image: s.to, taskDefinition: s.taskDefinition }]),
      ),
      // What each application's build says serves it now (a redeployment may land on the other color).
      applications: Object.fromEntries(
        (changed.applications ?? []).flatMap((a) => (a.live ? [[a.name, a.live]] : [])),
      ),
      // What each fleet's deployment installed, once it succeeded.
      fleets: Object.fromEntries((changed.fleets ?? []).flatMap((f) => (f.live ? [[f.name, f.live]] : []))),
      summary: `rollback to release ${r.release}: ${r.summary}`,
    },
  };
}

/**
 * Writes the environment's next release: the latest with `change`'s entries set, the configuration in
 * use now, and who (the caller's AWS identity unless `change.by` names someone).
 */
export async function writeRelease(
  aws: AwsClients,
  env: EnvironmentConfig,
  change: Omit<ReleaseChange, 'by' | 'configuration'> & { readonly by?: string },
): Promise<LedgerRelease> {
  const by = change.by ?? (await aws.sts.send(new GetCallerIdentityCommand({}))).Arn ?? 'unknown caller';
  const configuration = await configurationSnapshot(
    { ssm: aws.ssm, secrets: aws.secrets },
    naming(env).pathPrefix,
  );
  return recordRelease(aws.dynamodb, ledgerTableName(env.prefix, env.name), {
    ...change,
    by,
    configuration,
  });
}

/** Who made a release and from where, when not the CLI as its caller (`--source`, `--by`, `--commit`). */
export interface Provenance {
  readonly source: string;
  readonly by?: string;
  readonly commit?: string;
}

/** The application entries as the ledger takes them: `recordRelease` checks each color is one. */
function toEntries(
  applications: NonNullable<CliChange['applications']>,
): NonNullable<ReleaseChange['applications']> {
  return Object.fromEntries(
    Object.entries(applications).map(([name, a]) => [name, { ...a, color: a.color as Color }]),
  );
}

/** Records `change` as the environment's next release, made by the CLI unless `provenance` says who. */
export async function recordCliRelease(
  ctx: OpsContext,
  env: EnvironmentConfig,
  change: CliChange,
  provenance: Provenance = { source: 'cli' },
): Promise<RecordOutcome> {
  const aws = await ctx.awsFor(env);
  try {
    const release = await writeRelease(aws, env, {
      source: releaseSource(provenance.source),
      ...(provenance.by === undefined ? {} : { by: provenance.by }),
      ...(provenance.commit === undefined ? {} : { commit: provenance.commit }),
      summary: change.summary,
      functions: change.functions,
      services: change.services,
      ...(change.applications === undefined ? {} : { applications: toEntries(change.applications) }),
      ...(change.fleets === undefined ? {} : { fleets: change.fleets }),
      ...(change.sbom === undefined ? {} : { sbom: change.sbom }),
      ...(change.canary === undefined ? {} : { canary: change.canary }),
    });
    return { release: release.number };
  } catch (err) {
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return {
      warning: `the change is made, but it was not recorded in ${ledgerTableName(env.prefix, env.name)} (${reason})`,
    };
  }
}

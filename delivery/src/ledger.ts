/**
 * The release ledger: per environment, every deployment's result as a numbered snapshot of what is
 * live — function versions, service task definitions and images, the color, image and manifest
 * revision each Kubernetes application serves, the versions of the SSM
 * parameters and secrets in use, the commit, who and when, and where the SBOM of the artifact it
 * deployed lies when its deployment gave one, and the canary judge's last look at that deployment
 * when a watcher judged it — in the DynamoDB table
 * `<prefix>-<env>-releases` that the infrastructure layer creates. Pipelines, workflows and the ops
 * CLI record into it; `rollback --release N` restores a snapshot.
 *
 * Each record is the previous snapshot with one change applied, numbered one higher; two writers
 * racing for the same number are serialized by a conditional put (the loser re-reads and retries).
 * The table also keeps the canary judge's looks, under partitions of their own
 * (`canary#<deploymentId>`, canary/evidence.ts) that the releases' queries never read.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { COLORS } from '@ias/targets';
import { z } from 'zod';
import { type CanaryLookSummary, canaryLookSummarySchema } from './canary/evidence.js';
import { DeliveryError } from './errors.js';
import { describeIssues } from './schemas.js';

/** The partition key every release shares: one table per environment, ordered by number. */
const PARTITION = 'release';

/**
 * What serves a Kubernetes application's users: the color whose Deployment the routing points at, the
 * image that color runs (by digest), and the revision of the manifests applied with it (`sha256:` of
 * their canonical JSON, as the switch computes it).
 */
export const applicationEntrySchema = z.object({
  color: z.enum(COLORS),
  image: z.string().min(1, 'must be an image'),
  revision: z.string().min(1, 'must be a manifest revision'),
});

/** What serves a Kubernetes application's users. */
export type ApplicationEntry = z.infer<typeof applicationEntrySchema>;

/**
 * What an EC2 application's fleet runs: the CodeDeploy deployment that installed it and its revision
 * (the zip in S3 the pipeline's CodeDeploy action deployed, by version and ETag when known), which
 * `rollback --release N` deploys again.
 */
export const fleetEntrySchema = z.object({
  deploymentId: z.string().regex(/^d-[A-Z0-9]+$/, 'must be a CodeDeploy deployment ID (d-…)'),
  revision: z.object({
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 a-z, 0-9, . and -)'),
    key: z.string().min(1, 'must be an object key').max(1024, 'must be at most 1024 characters'),
    bundleType: z.enum(['zip', 'tar', 'tgz']),
    version: z.string().min(1).optional(),
    eTag: z.string().min(1).optional(),
  }),
});

/** What an EC2 application's fleet runs. */
export type FleetEntry = z.infer<typeof fleetEntrySchema>;

/** What a release says is live. */
export const releaseSnapshotSchema = z.object({
  /** Function name → published version behind its alias. */
  functions: z.record(z.string(), z.string()).default({}),
  /** Service name → its task definition (ARN with revision) and image. */
  services: z
    .record(z.string(), z.object({ taskDefinition: z.string().optional(), image: z.string() }))
    .default({}),
  /**
   * Kubernetes application name (its folder, `kubernetesTarget(…).app` of @ias/targets: unique in its
   * environment's namespace) → the color serving its users, that color's image and manifest revision.
   * Absent from releases written before the kind existed, and from those of projects without one.
   */
  applications: z.record(z.string(), applicationEntrySchema).optional(),
  /**
   * EC2 application name (its folder, `ec2Target(…).app`) → the deployment and revision its fleet
   * runs. Absent from releases written before the kind existed, and from those of projects without one.
   */
  fleets: z.record(z.string(), fleetEntrySchema).optional(),
  /** SSM parameter name → version in use. */
  parameters: z.record(z.string(), z.number().int()).default({}),
  /** Secret name → the version ID labelled AWSCURRENT. */
  secrets: z.record(z.string(), z.string()).default({}),
});

/** What a release says is live. */
export type ReleaseSnapshot = z.infer<typeof releaseSnapshotSchema>;

/**
 * Where the SBOM of a release's artifact lies: an S3 object, in the environment's artifact bucket
 * under `sbom/` (`sbomKey` of @ias/targets), the only keys the operator policy lets `ias-ops` read.
 */
export const sbomLocationSchema = z.object({
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 a-z, 0-9, . and -)'),
  key: z.string().min(1, 'must be an object key').max(1024, 'must be at most 1024 characters'),
});

/** Where the SBOM of a release's artifact lies. */
export type SbomLocation = z.infer<typeof sbomLocationSchema>;

/** The location as a URI, `s3://<bucket>/<key>`. */
export function sbomUri(location: SbomLocation): string {
  return `s3://${location.bucket}/${location.key}`;
}

/** One numbered release of an environment. */
export const releaseSchema = releaseSnapshotSchema.extend({
  number: z.number().int().positive(),
  at: z.string(),
  /** Who: a pipeline execution, a workflow run, or the caller's ARN. */
  by: z.string(),
  /** Where the change came from. */
  source: z.enum(['pipeline', 'workflow', 'cli']),
  /** The git commit, when known. */
  commit: z.string().optional(),
  /** One line: what changed. */
  summary: z.string(),
  /**
   * The CycloneDX SBOM of the artifact this release deployed, when its deployment gave one; it
   * describes this release's change only, and is not carried to the next release.
   */
  sbom: sbomLocationSchema.optional(),
  /**
   * What the canary judge last saw of the deployment that made this release (its last look's
   * verdict, action, reason and metrics), when a watcher judged it; the whole evidence stays under
   * the deployment's own partition (`canary/evidence.ts`). Not carried to the next release.
   */
  canary: canaryLookSummarySchema.optional(),
});

/** One numbered release of an environment. */
export type Release = z.infer<typeof releaseSchema>;

/** A change to record: what it sets, on top of the latest snapshot. */
export interface ReleaseChange {
  readonly by: string;
  readonly source: Release['source'];
  readonly commit?: string;
  readonly summary: string;
  /** Entries to set (merged over the latest snapshot's). */
  readonly functions?: Readonly<Record<string, string>>;
  readonly services?: Readonly<Record<string, { taskDefinition?: string; image: string }>>;
  /** Kubernetes applications switched: what serves each now. */
  readonly applications?: Readonly<Record<string, ApplicationEntry>>;
  /** EC2 applications deployed: the deployment and revision each fleet runs now. */
  readonly fleets?: Readonly<Record<string, FleetEntry>>;
  /** The configuration in use now (replaces the latest's when given: see {@link configurationSnapshot}). */
  readonly configuration?: Pick<ReleaseSnapshot, 'parameters' | 'secrets'>;
  /** The SBOM of the artifact deployed. @default - none recorded */
  readonly sbom?: SbomLocation;
  /**
   * The last look of the canary judge at the deployment that made the release
   * (`summarizeCanaryLook` of its latest look). @default - none recorded
   */
  readonly canary?: CanaryLookSummary;
}

function toItem(release: Release) {
  return {
    pk: { S: PARTITION },
    number: { N: String(release.number) },
    release: { S: JSON.stringify(release) },
  };
}

function fromItem(item: Record<string, { S?: string }> | undefined): Release | undefined {
  const text = item?.release?.S;
  if (!text) return undefined;
  const parsed = releaseSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `the ledger holds a release it cannot read: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

/** The latest releases, newest first. */
export async function listReleases(ddb: DynamoDBClient, table: string, limit = 20): Promise<Release[]> {
  const answer = await ddb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: PARTITION } },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (answer.Items ?? []).map((i) => fromItem(i as Record<string, { S?: string }>) as Release);
}

/** Release `number`, or a DeliveryError naming the releases there are. */
export async function getRelease(ddb: DynamoDBClient, table: string, number: number): Promise<Release> {
  const answer = await ddb.send(
    new GetItemCommand({
      TableName: table,
      Key: { pk: { S: PARTITION }, number: { N: String(number) } },
      ConsistentRead: true,
    }),
  );
  const release = fromItem(answer.Item as Record<string, { S?: string }> | undefined);
  if (!release) {
    throw new DeliveryError(
      'BAD_INPUT',
      `there is no release ${number} in ${table}: list them with \`releases\``,
    );
  }
  return release;
}

/**
 * Records `change` as the next release: the latest snapshot with the change applied. Retries when
 * another writer took the number first.
 */
export async function recordRelease(
  ddb: DynamoDBClient,
  table: string,
  change: ReleaseChange,
  options: { now?: () => Date; attempts?: number } = {},
): Promise<Release> {
  const attempts = options.attempts ?? 5;
  const now = options.now ?? (() => new Date());
  if (change.sbom !== undefined) {
    const sbom = sbomLocationSchema.safeParse(change.sbom);
    if (!sbom.success) {
      throw new DeliveryError(
        'BAD_INPUT',
        `the release's SBOM location is not an S3 object: ${describeIssues(sbom.error, 'sbom')}`,
      );
    }
  }
  const canary = change.canary === undefined ? undefined : canaryLookSummarySchema.safeParse(change.canary);
  if (canary !== undefined && !canary.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `the release's canary summary is not recordable: ${describeIssues(canary.error, 'canary')}`,
    );
  }
  const switched = z.record(z.string(), applicationEntrySchema).safeParse(change.applications ?? {});
  if (!switched.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `the release's Kubernetes applications are not recordable: ${describeIssues(switched.error, 'applications')}`,
    );
  }
  const deployed = z.record(z.string(), fleetEntrySchema).safeParse(change.fleets ?? {});
  if (!deployed.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `the release's EC2 fleets are not recordable: ${describeIssues(deployed.error, 'fleets')}`,
    );
  }
  for (let attempt = 1; ; attempt += 1) {
    const [latest] = await listReleases(ddb, table, 1);
    // Written only once an application is recorded: the releases of a project without one stay as they were.
    const applications = { ...latest?.applications, ...switched.data };
    const fleets = { ...latest?.fleets, ...deployed.data };
    const release: Release = {
      number: (latest?.number ?? 0) + 1,
      at: now().toISOString(),
      by: change.by,
      source: change.source,
      commit: change.commit,
      summary: change.summary,
      functions: { ...latest?.functions, ...change.functions },
      services: { ...latest?.services, ...change.services },
      ...(Object.keys(applications).length > 0 ? { applications } : {}),
      ...(Object.keys(fleets).length > 0 ? { fleets } : {}),
      parameters: change.configuration?.parameters ?? latest?.parameters ?? {},
      secrets: change.configuration?.secrets ?? latest?.secrets ?? {},
      ...(change.sbom !== undefined ? { sbom: { bucket: change.sbom.bucket, key: change.sbom.key } } : {}),
      ...(canary?.success ? { canary: canary.data } : {}),
    };
    try {
      await ddb.send(
        new PutItemCommand({
          TableName: table,
          Item: toItem(release),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return release;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException' || attempt >= attempts) {
        throw error;
      }
    }
  }
}

/** The versions of every SSM parameter and secret under the environment's path, now. */
export async function configurationSnapshot(
  clients: { ssm: SSMClient; secrets: SecretsManagerClient },
  pathPrefix: string,
): Promise<Pick<ReleaseSnapshot, 'parameters' | 'secrets'>> {
  const parameters: Record<string, number> = {};
  let next: string | undefined;
  do {
    const page = await clients.ssm.send(
      new GetParametersByPathCommand({ Path: pathPrefix, Recursive: true, NextToken: next }),
    );
    for (const p of page.Parameters ?? []) {
      if (p.Name && p.Version !== undefined) parameters[p.Name] = p.Version;
    }
    next = page.NextToken;
  } while (next);
  const secrets: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await clients.secrets.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [pathPrefix] }], NextToken: token }),
    );
    for (const s of page.SecretList ?? []) {
      const current = Object.entries(s.SecretVersionsToStages ?? {}).find(([, stages]) =>
        stages.includes('AWSCURRENT'),
      );
      if (s.Name && current) secrets[s.Name] = current[0];
    }
    token = page.NextToken;
  } while (token);
  return { parameters, secrets };
}

/**
 * `--sbom <file>` of the deploy commands: the artifact's CycloneDX SBOM, read and checked before
 * anything is deployed, stored once the deployment succeeded in the environment's artifact bucket
 * under `sbomKey(workload, commit)` of @ias/targets, and then referenced by the release the command
 * records (`ias-ops releases --contains` reads it there). Stored before the release is recorded, so
 * that no release points at a missing object.
 */
import { readFileSync } from 'node:fs';
import {
  DeliveryError,
  readSbom,
  SBOM_CONTENT_TYPE,
  SBOM_FILE,
  storeSbom,
  type SbomLocation,
} from '@ias/delivery';
import type { EnvironmentConfig } from '@ias/infra/config';
import { environmentArtifactBucketName, sbomKey } from '@ias/targets';
import { environmentAccount, naming, type AwsClients, type PlannedCall } from './context';
import { badInput, EXIT, toOpsError, type ExitCode } from './errors';
import type { Step } from './progress';

/** An SBOM given with `--sbom`, checked: what a deploy stores once it has deployed. */
export interface GivenSbom {
  /** The path given. */
  readonly path: string;
  /** Its JSON text, stored as it is. */
  readonly json: string;
  /** The workload it describes: its folder name, the key's first segment. */
  readonly workload: string;
  /** The commit it was built from (`--commit`), which names it. */
  readonly build: string;
  /** Its key in the artifact bucket, `sbom/<workload>/<commit>.cdx.json`. */
  readonly key: string;
}

/** What a deploy says of the SBOM it was given, once it has deployed. */
export interface SbomOutcome {
  /** Where the SBOM was stored, and the release points. @default - none stored */
  readonly sbom?: SbomLocation;
  /**
   * Why the SBOM given was not stored, though the deployment succeeded (which stands and is recorded,
   * without an SBOM): the command then exits 1. @default - no problem
   */
  readonly problem?: string;
}

/** How each message about `--sbom` ends: what to give instead. */
const GIVE = `give the CycloneDX JSON SBOM the build wrote beside the artifact (${SBOM_FILE})`;

/**
 * Reads and checks `--sbom` for `workload`, before any AWS call: it needs `--commit` (the commit names
 * its key), must exist and be a CycloneDX SBOM.
 *
 * @returns undefined when no `--sbom` was given
 * @throws OpsError (exit 2) naming the flag, the problem and the fix
 */
export function readGivenSbom(
  workload: string,
  path: string | undefined,
  commit: string | undefined,
): GivenSbom | undefined {
  if (path === undefined) return undefined;
  if (commit === undefined) {
    throw badInput(
      `--sbom needs --commit <sha>: the SBOM is stored as sbom/${workload}/<commit>.cdx.json, named by the commit it was built from`,
    );
  }
  let key: string;
  try {
    key = sbomKey(workload, commit);
  } catch (err) {
    throw badInput(
      `--commit ${commit} cannot name the SBOM (${toOpsError(err).message}): give the git commit SHA`,
    );
  }
  let json: string;
  try {
    json = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw badInput(
      code === 'ENOENT'
        ? `--sbom ${path} does not exist: ${GIVE}`
        : `--sbom ${path} cannot be read (${code ?? String(err)}): ${GIVE}`,
    );
  }
  try {
    readSbom(json);
  } catch (err) {
    if (err instanceof DeliveryError) throw badInput(`--sbom ${path} is ${err.message}: ${GIVE}`);
    throw err;
  }
  return { path, json, workload, build: commit, key };
}

/** The environment's artifact bucket, in the account given (the SBOMs', and the EC2 revisions' `deploy ec2` uploads). */
export function artifactBucket(env: EnvironmentConfig, account: string): string {
  return environmentArtifactBucketName(naming(env), account, env.profile.region);
}

/** The PutObject a deploy makes once it has deployed, as `--dry-run` lists it. */
export function plannedSbomPut(env: EnvironmentConfig, given: GivenSbom): PlannedCall {
  return {
    service: 's3',
    command: 'PutObject',
    input: {
      Bucket: artifactBucket(env, env.profile.account ?? '<the account of your credentials>'),
      Key: given.key,
      Body: `<${Buffer.byteLength(given.json)} bytes of ${given.path}, once a deployment is made>`,
      ContentType: SBOM_CONTENT_TYPE,
    },
  };
}

/**
 * Stores the SBOM given, once its deployment succeeded, in the environment's artifact bucket (the
 * profile's account, else the caller's). A failure is reported, not thrown: the deployment has been
 * made, and its release must still be recorded.
 */
export async function storeGivenSbom(
  aws: AwsClients,
  env: EnvironmentConfig,
  given: GivenSbom,
): Promise<SbomOutcome> {
  try {
    const stored = await storeSbom(aws.s3, {
      bucket: artifactBucket(env, await environmentAccount(aws, env)),
      workload: given.workload,
      build: given.build,
      json: given.json,
      source: `--sbom ${given.path}`,
    });
    return { sbom: stored.location };
  } catch (err) {
    return {
      problem: `the deployment succeeded, but its SBOM was not stored (${toOpsError(err).message}): its release records no SBOM`,
    };
  }
}

/**
 * A deploy's last step where an SBOM was given (none otherwise): store it, report where (or why not),
 * and hand the outcome to `stored`.
 */
export function storeSbomSteps(
  aws: AwsClients,
  env: EnvironmentConfig,
  given: GivenSbom | undefined,
  stored: (outcome: SbomOutcome) => void,
): Step[] {
  if (!given) return [];
  return [
    {
      title: `store the SBOM at ${given.key} in the artifact bucket`,
      task: async (report) => {
        const outcome = await storeGivenSbom(aws, env, given);
        stored(outcome);
        report(outcome.problem ?? `stored ${given.key}`);
      },
    },
  ];
}

/** A deploy's exit code: 1 when the SBOM given could not be stored, else 0. */
export function sbomExit(result: SbomOutcome): ExitCode {
  return result.problem === undefined ? EXIT.ok : EXIT.failed;
}

/**
 * The revision `deploy ec2` is given: a zip holding `appspec.yml` at its root (the service's `ec2/`
 * folder and its image's `/app/dist`, as the builds pack it), checked before any call, then uploaded
 * to the environment's artifact bucket under `ec2/<app>/<commit, or the zip's SHA-256>.zip`, where
 * CodeDeploy's agents download it by version and ETag.
 *
 * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/application-revisions-appspec-file.html
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { EnvironmentConfig } from '@ias/infra/config';
import { EC2_REVISION_KEY_PREFIX } from '@ias/targets';
import { environmentAccount, type AwsClients, type PlannedCall } from '../../context';
import { badInput } from '../../errors';
import { artifactBucket } from '../../sbom';
import { zipEntryNames, ZipError } from '../../zip';
import type { FleetRevision } from './revision';

/** Where CodeDeploy reads a revision's AppSpec file: at the root of the bundle. */
export const APPSPEC_FILE = 'appspec.yml';

/** A revision zip, read and checked. */
export interface RevisionBundle {
  /** The path given. */
  readonly path: string;
  readonly bytes: Uint8Array;
  /** Its SHA-256, hex: its name in the bucket when no commit names it. */
  readonly sha256: string;
}

/** How each message about `--revision` ends: what to give instead. */
const GIVE = `give the EC2 revision the build packs: a zip of the service's ec2/ folder and dist/, ${APPSPEC_FILE} at its root`;

/**
 * Reads `--revision` and checks it is a zip holding `appspec.yml` at its root, from its central
 * directory (nothing is unpacked).
 *
 * @throws OpsError (exit 2) naming the path, the problem and the fix
 */
export function readRevisionBundle(path: string): RevisionBundle {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw badInput(
      code === 'ENOENT'
        ? `--revision ${path} does not exist: ${GIVE}`
        : `--revision ${path} cannot be read (${code ?? String(err)}): ${GIVE}`,
    );
  }
  let names: string[];
  try {
    names = zipEntryNames(bytes);
  } catch (err) {
    if (err instanceof ZipError) throw badInput(`--revision ${path} is not a zip (${err.message}): ${GIVE}`);
    throw err;
  }
  if (!names.includes(APPSPEC_FILE)) {
    // A zip of the folder rather than of its content puts the file one level down.
    const nested = names.find((n) => n.endsWith(`/${APPSPEC_FILE}`));
    throw badInput(
      nested !== undefined
        ? `--revision ${path} holds ${nested}, not ${APPSPEC_FILE} at its root: zip the folder's content (cd into it, then zip -r), not the folder`
        : `--revision ${path} holds no ${APPSPEC_FILE} at its root (${names.length} entries): ${GIVE}`,
    );
  }
  return { path, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * The revision's key: `ec2/<app>/<build>.zip`, `build` the commit given, else the zip's SHA-256.
 *
 * @throws OpsError (exit 2) when the commit is not one path segment
 */
export function revisionKey(app: string, bundle: RevisionBundle, commit: string | undefined): string {
  if (commit !== undefined && !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(commit)) {
    throw badInput(
      `--commit ${commit} cannot name the revision: give the git commit SHA (letters, digits, ".", "_" and "-")`,
    );
  }
  return `${EC2_REVISION_KEY_PREFIX}${app}/${commit ?? bundle.sha256}.zip`;
}

function putRevision(bucket: string, key: string, bundle: RevisionBundle, body: Uint8Array | string) {
  return new PutObjectCommand({
    Bucket: bucket,
    Key: key,
    Body: body,
    ContentType: 'application/zip',
    // S3 checks the bytes it stores against the zip that was checked here.
    ChecksumSHA256: Buffer.from(bundle.sha256, 'hex').toString('base64'),
  });
}

/**
 * Uploads the revision to the environment's artifact bucket (versioned: the version pins what
 * CodeDeploy installs, though a later upload of the same commit reuses the key).
 *
 * @returns the revision as CodeDeploy deploys it and the ledger records it
 */
export async function uploadRevision(
  aws: AwsClients,
  env: EnvironmentConfig,
  key: string,
  bundle: RevisionBundle,
): Promise<FleetRevision> {
  const bucket = artifactBucket(env, await environmentAccount(aws, env));
  const put = await aws.s3.send(putRevision(bucket, key, bundle, bundle.bytes));
  // S3 quotes the ETag; CodeDeploy takes it bare.
  const eTag = put.ETag?.replace(/^"|"$/g, '');
  return {
    bucket,
    key,
    bundleType: 'zip',
    ...(put.VersionId !== undefined ? { version: put.VersionId } : {}),
    ...(eTag ? { eTag } : {}),
  };
}

/** The bucket `--dry-run` names: the profile's account, else a placeholder for the caller's. */
export function plannedBucket(env: EnvironmentConfig): string {
  return artifactBucket(env, env.profile.account ?? '<the account of your credentials>');
}

/** The PutObject of the revision, as `--dry-run` lists it. */
export function plannedUpload(env: EnvironmentConfig, key: string, bundle: RevisionBundle): PlannedCall {
  const call = putRevision(
    plannedBucket(env),
    key,
    bundle,
    `<${bundle.bytes.length} bytes of ${bundle.path}>`,
  );
  return { service: 's3', command: 'PutObject', input: call.input };
}

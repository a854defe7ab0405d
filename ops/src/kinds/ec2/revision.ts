/**
 * The revision an EC2 application's fleet runs: the S3 bundle (zip, tar or tgz) a CodeDeploy
 * deployment installs, as the release ledger records it, compared and named in one place.
 */
import type { DeploymentInfo } from '@aws-sdk/client-codedeploy';
import type { LedgerRelease } from '@ias/delivery';
import type { Ec2Target } from '@ias/targets';

/** What the ledger records of a fleet: the deployment that installed it, and its revision. */
export type FleetEntry = NonNullable<LedgerRelease['fleets']>[string];

/** The zip (or tar) in S3 a deployment installs, as the ledger records it. */
export type FleetRevision = FleetEntry['revision'];

/** A fleet's CodeDeploy application and deployment group. */
export type FleetGroup = Pick<Ec2Target, 'application' | 'deploymentGroup'>;

/** The bundle types the ledger records (CodeDeploy's YAML and JSON are Lambda's and Amazon ECS's). */
const BUNDLE_TYPES: readonly FleetRevision['bundleType'][] = ['zip', 'tar', 'tgz'];

/** The S3 bundle a deployment installs, or undefined when its revision is not one (a GitHub commit). */
export function revisionOf(info: DeploymentInfo): FleetRevision | undefined {
  const s3 = info.revision?.revisionType === 'S3' ? info.revision.s3Location : undefined;
  const bundleType = BUNDLE_TYPES.find((b) => b === s3?.bundleType);
  if (s3?.bucket === undefined || s3.key === undefined || bundleType === undefined) return undefined;
  return {
    bucket: s3.bucket,
    key: s3.key,
    bundleType,
    ...(s3.version !== undefined ? { version: s3.version } : {}),
    ...(s3.eTag !== undefined ? { eTag: s3.eTag } : {}),
  };
}

/**
 * Whether two revisions are the same object: bucket, key and bundle type, and the version and the
 * ETag where both name one (an unversioned deployment of a key names neither).
 */
export function sameRevision(a: FleetRevision, b: FleetRevision): boolean {
  const agree = (x: string | undefined, y: string | undefined) =>
    x === undefined || y === undefined || x === y;
  return (
    a.bucket === b.bucket &&
    a.key === b.key &&
    a.bundleType === b.bundleType &&
    agree(a.version, b.version) &&
    agree(a.eTag, b.eTag)
  );
}

/** A revision in a few words: `s3://<bucket>/<key> (version <v>)`. */
export function revisionWords(r: FleetRevision): string {
  return `s3://${r.bucket}/${r.key}${r.version !== undefined ? ` (version ${r.version})` : ''}`;
}

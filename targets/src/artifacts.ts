import type { Naming } from './naming';

/**
 * An environment's artifact bucket, `<prefix>-<env>-artifact-store-<account>-<region>`: seed 003's
 * `${ProjectName}-artifact-store`, made globally unique by account and region (the foundation stack
 * creates it, encrypted with the environment key).
 */
export function environmentArtifactBucketName(naming: Naming, account: string, region: string): string {
  return `${naming.name('artifact-store')}-${account}-${region}`;
}

/**
 * Where the SBOMs of an environment's artifacts live in its artifact bucket: the only keys the
 * operator policy lets `ias-ops releases --contains` read.
 */
export const SBOM_KEY_PREFIX = 'sbom/';

/**
 * Where the GitHub Actions path (`ias-ops deploy ec2`) puts an EC2 application's revisions in its
 * environment's artifact bucket: `ec2/<app>/<build>.zip`, which the fleet's instances may read.
 */
export const EC2_REVISION_KEY_PREFIX = 'ec2/';

/**
 * The key of a workload's SBOM for one build: `sbom/<workload>/<build>.cdx.json`, `build` being what
 * names the artifact it describes (the commit it was built from).
 *
 * @throws Error when `workload` or `build` is not one path segment of letters, digits, `.`, `_`, `-`
 */
export function sbomKey(workload: string, build: string): string {
  for (const [what, value] of [
    ['workload', workload],
    ['build', build],
  ] as const) {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(value)) {
      throw new Error(
        `an SBOM's ${what} must be one path segment of letters, digits, ".", "_" and "-", got "${value}"`,
      );
    }
  }
  return `${SBOM_KEY_PREFIX}${workload}/${build}.cdx.json`;
}

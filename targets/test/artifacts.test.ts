import { describe, expect, it } from 'vitest';
import { environmentArtifactBucketName, Naming, SBOM_KEY_PREFIX, sbomKey } from '../src';

describe('artifact names', () => {
  it("name an environment's artifact bucket from the prefix, its account and its region", () => {
    expect(environmentArtifactBucketName(new Naming('ias', 'prod'), '123456789012', 'eu-west-1')).toBe(
      'ias-prod-artifact-store-123456789012-eu-west-1',
    );
  });

  it("key a workload's SBOM by the build it describes, under the SBOM prefix", () => {
    expect(sbomKey('allocate-order', '0123abc')).toBe('sbom/allocate-order/0123abc.cdx.json');
    expect(sbomKey('inventory-api', 'abc').startsWith(SBOM_KEY_PREFIX)).toBe(true);
  });

  it.each([
    ['../x', 'c', "an SBOM's workload must be one path segment"],
    ['allocate-order', 'a/b', "an SBOM's build must be one path segment"],
    ['allocate-order', '', 'got ""'],
    ['.hidden', 'c', 'got ".hidden"'],
  ])('fails on a key that is not one segment each (%s, %s)', (workload, build, message) => {
    expect(() => sbomKey(workload, build)).toThrow(message);
  });
});

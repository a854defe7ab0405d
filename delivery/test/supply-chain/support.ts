import type { DescribeImageScanFindingsCommandOutput } from '@aws-sdk/client-ecr';
import { ECRClient } from '@aws-sdk/client-ecr';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';

/** The repository and digest every recorded scan answer is about. */
export const REPOSITORY = 'ias-dev-inventory-api';
export const DIGEST = 'sha256:4f6d6c1b0a3e2f4c9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e';

/** The day the tests' gate runs. */
export const TODAY = '2025-03-04';

/**
 * An ECR client of its own, stubbed on the instance: test/aws.ts has no ECR client, and stubbing the
 * class here would clash with it if it ever gets one. Test files reset it before each test.
 */
export const ecr = new ECRClient({ region: 'ap-northeast-1' });
export const ecrMock = mockClient(ecr);

/** The text of a recorded fixture (`fixtures/<name>`). */
export function fixtureText(name: string): string {
  return readFileSync(join(__dirname, 'fixtures', name), 'utf8');
}

/** The path of a recorded fixture, for the CLI. */
export function fixturePath(name: string): string {
  return join(__dirname, 'fixtures', name);
}

/** A recorded JSON fixture, parsed. */
export function fixture(name: string): unknown {
  return JSON.parse(fixtureText(name)) as unknown;
}

/**
 * A recorded DescribeImageScanFindings answer, as the SDK hands it over: its ISO timestamps as Dates.
 * `status` replaces the recorded scan status, for the same findings in another state.
 */
export function scanAnswer(name: string, status?: string): DescribeImageScanFindingsCommandOutput {
  const answer = JSON.parse(fixtureText(name), (_key, value: unknown) =>
    typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(value) ? new Date(value) : value,
  ) as DescribeImageScanFindingsCommandOutput;
  return status ? { ...answer, imageScanStatus: { status: status as 'COMPLETE' } } : answer;
}

/** An answer with a scan in `status` and no findings (a scan still running, or one that failed). */
export function scanStatus(status: string, description?: string): DescribeImageScanFindingsCommandOutput {
  return {
    $metadata: {},
    repositoryName: REPOSITORY,
    imageId: { imageDigest: DIGEST },
    imageScanStatus: { status: status as 'COMPLETE', ...(description ? { description } : {}) },
  };
}

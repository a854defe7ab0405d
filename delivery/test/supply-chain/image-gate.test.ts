import { DescribeImageScanFindingsCommand } from '@aws-sdk/client-ecr';
import { beforeEach, describe, expect, it } from 'vitest';
import { readImageScan } from '../../src/supply-chain/ecr-scan.js';
import type { SupplyChainException } from '../../src/supply-chain/exceptions.js';
import { gateImage, type ImageGateOptions } from '../../src/supply-chain/image-gate.js';
import { sent } from '../aws.js';
import { awsError, fakeClock, rejectionOf } from '../support.js';
import { DIGEST, ecr, ecrMock, REPOSITORY, scanAnswer, scanStatus, TODAY } from './support.js';

beforeEach(() => {
  ecrMock.reset();
});

const SUBJECT = `image ${REPOSITORY}@${DIGEST}`;

/** The gate on the recorded image with a fake clock, waiting up to 60 s, looking every 10 s. */
function gate(clock = fakeClock(), overrides: Partial<ImageGateOptions> = {}) {
  return gateImage({
    ecr,
    repository: REPOSITORY,
    digest: DIGEST,
    failOn: 'HIGH',
    exceptions: [],
    today: TODAY,
    deadlineSeconds: 60,
    sleep: clock.sleep,
    now: clock.now,
    ...overrides,
  });
}

/** Answers the basic scan's two recorded pages, by their token. */
function answerBasicPages(status?: string) {
  ecrMock
    .on(DescribeImageScanFindingsCommand)
    .resolves(scanAnswer('ecr-basic-page-1.json', status))
    .on(DescribeImageScanFindingsCommand, { nextToken: 'eyJwYWdlIjoyfQ==' })
    .resolves(scanAnswer('ecr-basic-page-2.json', status));
}

describe('readImageScan', () => {
  it("reads every page of a basic scan, with each finding's package and version", async () => {
    answerBasicPages();
    const scan = await readImageScan({ ecr, repository: REPOSITORY, digest: DIGEST });
    expect(scan.status).toBe('COMPLETE');
    expect(
      scan.findings.map((finding) => [finding.id, finding.severity, finding.package, finding.version]),
    ).toEqual([
      ['CVE-2023-4911', 'HIGH', 'glibc', '2.36-9+deb12u1'],
      ['CVE-2023-5678', 'MEDIUM', 'openssl', '3.0.11-1~deb12u1'],
      ['CVE-2023-39804', 'LOW', 'tar', '1.34+dfsg-1.2+deb12u1'],
      ['CVE-2005-2541', 'INFORMATIONAL', 'tar', '1.34+dfsg-1.2+deb12u1'],
      ['CVE-2011-3374', 'UNDEFINED', 'apt', '2.6.1'],
    ]);
    expect(scan.findings[0]).toMatchObject({
      source: 'ecr-basic',
      title: expect.stringMatching(/^A buffer overflow was discovered in the GNU C Library's dynamic loader/),
    });
    expect(sent(ecrMock, DescribeImageScanFindingsCommand)).toEqual([
      { repositoryName: REPOSITORY, imageId: { imageDigest: DIGEST } },
      { repositoryName: REPOSITORY, imageId: { imageDigest: DIGEST }, nextToken: 'eyJwYWdlIjoyfQ==' },
    ]);
  });

  it('reads an enhanced (Inspector) scan: one finding per vulnerable package, closed ones left out', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(scanAnswer('ecr-enhanced.json'));
    const scan = await readImageScan({ ecr, repository: REPOSITORY, digest: DIGEST });
    expect(scan).toMatchObject({ status: 'ACTIVE', description: 'Continuous scan is selected for image.' });
    expect(scan.findings).toEqual([
      {
        id: 'CVE-2023-44487',
        severity: 'CRITICAL',
        package: 'golang.org/x/net',
        version: 'v0.7.0',
        source: 'inspector',
        title: 'CVE-2023-44487 - golang.org/x/net, google.golang.org/grpc',
      },
      {
        id: 'CVE-2023-44487',
        severity: 'CRITICAL',
        package: 'google.golang.org/grpc',
        version: 'v1.53.0',
        source: 'inspector',
        title: 'CVE-2023-44487 - golang.org/x/net, google.golang.org/grpc',
      },
      {
        id: 'GHSA-c2qf-rxjj-qqgw',
        severity: 'MEDIUM',
        package: 'semver',
        version: '7.5.1',
        source: 'inspector',
        title: 'GHSA-c2qf-rxjj-qqgw - semver',
      },
      {
        id: 'CVE-2024-45490',
        severity: 'UNDEFINED',
        package: 'expat',
        version: '2.5.0-1',
        source: 'inspector',
        title: 'CVE-2024-45490 - expat',
      },
    ]);
  });
});

describe('gateImage', () => {
  it('passes a clean scan at the first look, without waiting', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(scanAnswer('ecr-basic-clean.json'));
    const clock = fakeClock();
    const result = await gate(clock);
    expect(result).toMatchObject({ outcome: 'PASSED', pass: true, scanStatus: 'COMPLETE', looks: 1 });
    expect(result.summary[0]).toBe(`${SUBJECT}: scan COMPLETE`);
    expect(clock.sleeps).toEqual([]);
  });

  it('passes findings that are all below the threshold', async () => {
    answerBasicPages();
    await expect(gate(fakeClock(), { failOn: 'CRITICAL' })).resolves.toMatchObject({
      outcome: 'PASSED',
      decision: { below: 5 },
    });
  });

  it('blocks on a finding at the threshold, saying which in its detail', async () => {
    answerBasicPages();
    const result = await gate();
    expect(result).toMatchObject({ outcome: 'BLOCKED', pass: false });
    expect(result.detail).toBe(
      `${SUBJECT}: result: BLOCKED by 1 finding at or above HIGH (CVE-2023-4911); 0 excepted, 4 below HIGH`,
    );
    expect(result.summary).toContain(
      "blocking: CVE-2023-4911 HIGH glibc@2.36-9+deb12u1: A buffer overflow was discovered in the GNU C Library's dynamic loader ld.so while processing the GLIBC_TUNABLES environment variable. This issue could allow a…",
    );
  });

  it('blocks on an enhanced scan finding unless an exception names its package', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(scanAnswer('ecr-enhanced.json'));
    const onlyNet: SupplyChainException = {
      finding: 'CVE-2023-44487',
      package: 'golang.org/x/net',
      reason: 'the server speaks HTTP/1.1 only behind the load balancer',
      expires: '2025-04-30',
    };
    const blocked = await gate(fakeClock(), { exceptions: [onlyNet] });
    expect(blocked.decision?.blocking.map((finding) => finding.package)).toEqual(['google.golang.org/grpc']);
    const passed = await gate(fakeClock(), {
      exceptions: [onlyNet, { ...onlyNet, package: 'google.golang.org/grpc' }],
    });
    expect(passed).toMatchObject({ outcome: 'PASSED' });
  });

  it('fails on an expired exception that still matches a finding, naming it', async () => {
    answerBasicPages();
    const result = await gate(fakeClock(), {
      exceptions: [
        { finding: 'CVE-2023-4911', reason: 'no SUID binaries in the image', expires: '2025-03-01' },
      ],
    });
    expect(result.outcome).toBe('BLOCKED');
    expect(result.summary).toContain(
      'expired exception: CVE-2023-4911 expired 2025-03-01 and still matches 1 finding (CVE-2023-4911 HIGH): renew it with a new reason or fix the finding',
    );
  });

  it('waits while the scan is in progress, then decides', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolvesOnce(scanStatus('IN_PROGRESS'))
      .resolvesOnce(scanStatus('IN_PROGRESS'))
      .resolvesOnce(scanAnswer('ecr-basic-clean.json'));
    const clock = fakeClock();
    await expect(gate(clock)).resolves.toMatchObject({ outcome: 'PASSED', looks: 3 });
    expect(clock.sleeps).toEqual([10_000, 10_000]);
  });

  it('waits while the scan has not started after the push (ScanNotFoundException), then decides', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejectsOnce(
        awsError(
          'ScanNotFoundException',
          `Image scan does not exist for the image with '{imageDigest:'${DIGEST}'}'`,
        ),
      )
      .resolvesOnce(scanStatus('PENDING'))
      .resolves(scanAnswer('ecr-enhanced.json'));
    const clock = fakeClock();
    await expect(gate(clock)).resolves.toMatchObject({ outcome: 'BLOCKED', scanStatus: 'ACTIVE', looks: 3 });
    expect(clock.sleeps).toEqual([10_000, 10_000]);
  });

  it('fails when the scan does not finish before the deadline, saying how long it waited', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolves(scanStatus('IN_PROGRESS', 'The scan is in progress.'));
    const clock = fakeClock();
    const result = await gate(clock, { deadlineSeconds: 25 });
    expect(result).toMatchObject({ outcome: 'TIMED_OUT', pass: false, scanStatus: 'IN_PROGRESS', looks: 4 });
    expect(result.detail).toBe(
      `the scan of ${SUBJECT} did not finish in 25 s (status IN_PROGRESS: The scan is in progress.); rerun the gate later, or raise its deadline`,
    );
    // The last pause ends at the deadline, for one last look.
    expect(clock.sleeps).toEqual([10_000, 10_000, 5_000]);
  });

  it('stops at once on a failed scan, naming the status and its description', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolves(
        scanStatus(
          'FAILED',
          'UnsupportedImageError: The operating system and/or package manager are not supported.',
        ),
      );
    const clock = fakeClock();
    const result = await gate(clock);
    expect(result).toMatchObject({ outcome: 'FAILED', pass: false, scanStatus: 'FAILED', looks: 1 });
    expect(result.detail).toBe(
      `the scan of ${SUBJECT} ended FAILED: UnsupportedImageError: The operating system and/or package manager are not supported.: there are no findings to decide on; push the image again or start a scan, then rerun the gate`,
    );
    expect(result.summary.at(-1)).toBe('result: FAILED');
    expect(clock.sleeps).toEqual([]);
  });

  it.each(['SCAN_ELIGIBILITY_EXPIRED', 'FINDINGS_UNAVAILABLE'])(
    'stops at once on an enhanced scan %s',
    async (status) => {
      ecrMock.on(DescribeImageScanFindingsCommand).resolves(scanStatus(status));
      const result = await gate();
      expect(result).toMatchObject({ outcome: 'FAILED', looks: 1 });
      expect(result.detail).toContain(`ended ${status} (no description)`);
    },
  );

  it('fails at once when it may not read the scan, naming the permission it needs', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(
        awsError(
          'AccessDeniedException',
          `User: arn:aws:sts::123456789012:assumed-role/ias-dev-build/x is not authorized to perform: ecr:DescribeImageScanFindings`,
        ),
      );
    const result = await gate();
    expect(result).toMatchObject({ outcome: 'FAILED', looks: 1 });
    expect(result.detail).toBe(
      `not allowed to read the scan of ${SUBJECT}: the caller needs ecr:DescribeImageScanFindings on repository ${REPOSITORY} (AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ias-dev-build/x is not authorized to perform: ecr:DescribeImageScanFindings)`,
    );
  });

  it('fails at once on an image that does not exist, saying what to check', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(awsError('ImageNotFoundException', 'The image requested does not exist'));
    await expect(gate()).resolves.toMatchObject({
      outcome: 'FAILED',
      detail: expect.stringMatching(
        /ImageNotFoundException: .*; check the repository, the digest and the region$/,
      ),
    });
  });

  it('looks again after a server-side fault', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejectsOnce(Object.assign(awsError('ServerException', 'try later'), { $fault: 'server' }))
      .resolves(scanAnswer('ecr-basic-clean.json'));
    await expect(gate()).resolves.toMatchObject({ outcome: 'PASSED', looks: 2 });
  });

  it('fails on bad options, naming each', async () => {
    expect(await rejectionOf(gate(fakeClock(), { digest: 'sha256:abc', deadlineSeconds: -1 }))).toBe(
      'BAD_INPUT: image gate: digest: must be an image digest sha256:<64 hex digits>; deadlineSeconds: Too small: expected number to be >=0',
    );
  });
});

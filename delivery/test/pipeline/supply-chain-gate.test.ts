import { DescribeImageScanFindingsCommand } from '@aws-sdk/client-ecr';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { strToU8, zipSync } from 'fflate';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PipelineJobClients } from '../../src/pipeline/job.js';
import { AUDIT_FILE, fitMessage, MAX_GATE_MESSAGE } from '../../src/pipeline/supply-chain-gate.js';
import { userParametersSchema } from '../../src/pipeline/steps.js';
import { clients as aws, mocks, sent } from '../aws.js';
import { fakeClock, s3Body } from '../support.js';
import {
  DIGEST,
  ecr,
  ecrMock,
  fixtureText,
  REPOSITORY,
  scanAnswer,
  scanStatus,
} from '../supply-chain/support.js';
import { failure, jobClients, pipelineJob, runJob, success } from './support.js';

const IMAGE = `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/${REPOSITORY}@${DIGEST}`;
const CLEAN_AUDIT = fixtureText('npm-audit-clean.json');
const NO_EXCEPTIONS = JSON.stringify({ exceptions: [] });

const clients: PipelineJobClients = { ...jobClients(), ecr };

const fn = { step: 'supply-chain-gate', environment: 'dev', failOn: 'HIGH' };
const service = { ...fn, repository: REPOSITORY };

function artifact(files: Record<string, string>) {
  mocks.s3.on(GetObjectCommand).resolves({
    Body: s3Body(zipSync(Object.fromEntries(Object.entries(files).map(([n, t]) => [n, strToU8(t)])))),
  });
}

function job(parameters: object, continuationToken?: string) {
  return pipelineJob(parameters, { input: 'Image_dev', continuationToken });
}

beforeEach(() => {
  ecrMock.reset();
  artifact({ [AUDIT_FILE]: CLEAN_AUDIT, 'supply-chain/exceptions.json': NO_EXCEPTIONS });
});

describe('userParametersSchema, supply-chain-gate', () => {
  it('takes the environment’s failOn and, for a service, its repository, waiting 10 minutes by default', () => {
    expect(userParametersSchema.parse(service)).toEqual({ ...service, scanTimeoutMinutes: 10 });
    expect(userParametersSchema.safeParse({ ...fn, failOn: 'SEVERE' }).success).toBe(false);
  });
});

describe('runPipelineJob, supply-chain-gate', () => {
  it('passes a function whose audit finds nothing, without looking at ECR', async () => {
    const outcome = await runJob(clients, job(fn));
    expect(outcome.result).toBe('succeeded');
    expect(success()?.executionDetails?.summary).toMatch(
      /^supply chain gate PASSED for dev \(npm audit; stops on findings >= HIGH\) \| npm audit of the bundle/,
    );
    expect(success()?.outputVariables).toMatchObject({ Decision: 'PASSED', FailOn: 'HIGH' });
    expect(ecrMock.calls()).toHaveLength(0);
  });

  it('fails on an audit finding at the threshold, naming it in the action’s message', async () => {
    artifact({ [AUDIT_FILE]: fixtureText('npm-audit.json'), 'supply-chain/exceptions.json': NO_EXCEPTIONS });
    const outcome = await runJob(clients, job(fn));
    expect(outcome.result).toBe('failed');
    const message = failure()?.failureDetails?.message ?? '';
    expect(message).toMatch(/^supply chain gate BLOCKED for dev/);
    expect(message).toContain('GHSA-grv7-fg5c-xmjg');
  });

  it('passes that audit where the environment stops only on CRITICAL', async () => {
    artifact({ [AUDIT_FILE]: fixtureText('npm-audit.json'), 'supply-chain/exceptions.json': NO_EXCEPTIONS });
    expect((await runJob(clients, job({ ...fn, failOn: 'CRITICAL' }))).result).toBe('succeeded');
  });

  it('fails on an expired exception still in use, from the artifact’s own exceptions', async () => {
    const expired = {
      exceptions: [{ finding: 'GHSA-grv7-fg5c-xmjg', reason: 'not reachable', expires: '2023-01-31' }],
    };
    artifact({
      [AUDIT_FILE]: fixtureText('npm-audit.json'),
      'supply-chain/exceptions.json': JSON.stringify(expired),
    });
    await runJob(clients, job(fn));
    expect(failure()?.failureDetails?.message).toMatch(
      /BLOCKED[\s\S]*GHSA-grv7-fg5c-xmjg[\s\S]*expired|expired[\s\S]*GHSA-grv7/i,
    );
  });

  it('fails naming the file when the artifact has no audit or no exceptions', async () => {
    artifact({ 'supply-chain/exceptions.json': NO_EXCEPTIONS });
    await runJob(clients, job(fn));
    expect(failure()?.failureDetails?.message).toContain(`has no ${AUDIT_FILE}`);
    artifact({ [AUDIT_FILE]: CLEAN_AUDIT });
    await runJob(clients, job(fn));
    expect(failure()?.failureDetails?.message).toContain('has no supply-chain/exceptions.json');
  });

  it('decides a service on the audit and the scan of the image’s digest in the environment’s repository', async () => {
    artifact({
      [AUDIT_FILE]: CLEAN_AUDIT,
      'supply-chain/exceptions.json': NO_EXCEPTIONS,
      'imageDetail.json': JSON.stringify({ ImageURI: IMAGE }),
    });
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(scanAnswer('ecr-basic-clean.json'));
    const outcome = await runJob(clients, job(service));
    expect(outcome.result).toBe('succeeded');
    expect(sent(ecrMock, DescribeImageScanFindingsCommand)[0]).toMatchObject({
      repositoryName: REPOSITORY,
      imageId: { imageDigest: DIGEST },
      registryId: '123456789012',
    });
    expect(success()?.outputVariables).toMatchObject({ Decision: 'PASSED', ImageScan: 'COMPLETE' });
    expect(success()?.executionDetails?.summary).toContain('npm audit and image scan');
  });

  it('blocks a service whose image scan finds what the threshold stops', async () => {
    artifact({
      [AUDIT_FILE]: CLEAN_AUDIT,
      'supply-chain/exceptions.json': NO_EXCEPTIONS,
      'imageDetail.json': JSON.stringify({ ImageURI: IMAGE }),
    });
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(scanAnswer('ecr-enhanced.json'));
    await runJob(clients, job({ ...service, failOn: 'LOW' }));
    expect(failure()?.failureDetails?.message).toMatch(
      /^supply chain gate BLOCKED[\s\S]*image ias-dev-inventory-api@sha256/,
    );
  });

  it('waits for a running scan across invocations, then fails when it never finishes', async () => {
    artifact({
      [AUDIT_FILE]: CLEAN_AUDIT,
      'supply-chain/exceptions.json': NO_EXCEPTIONS,
      'imageDetail.json': JSON.stringify({ ImageURI: IMAGE }),
    });
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(scanStatus('IN_PROGRESS'));
    const clock = fakeClock();
    const first = await runJob(clients, job({ ...service, scanTimeoutMinutes: 2 }), clock);
    expect(first.result).toBe('in-progress');
    const token = first.result === 'in-progress' ? first.continuationToken : '';
    expect(JSON.parse(token)).toEqual({ startedAt: 1_700_000_000_000 });
    clock.advance(120_000);
    const last = await runJob(clients, job({ ...service, scanTimeoutMinutes: 2 }, token), clock);
    expect(last.result).toBe('failed');
    expect(failure()?.failureDetails?.message).toMatch(/did not finish[\s\S]*result: TIMED_OUT/);
  });

  it('fails a service whose imageDetail.json names another repository or no digest', async () => {
    const other = IMAGE.replace(REPOSITORY, 'ias-dev-other');
    artifact({
      [AUDIT_FILE]: CLEAN_AUDIT,
      'supply-chain/exceptions.json': NO_EXCEPTIONS,
      'imageDetail.json': JSON.stringify({ ImageURI: other }),
    });
    await runJob(clients, job(service));
    expect(failure()?.failureDetails?.message).toContain(`not an image of ${REPOSITORY}`);
    artifact({
      [AUDIT_FILE]: CLEAN_AUDIT,
      'supply-chain/exceptions.json': NO_EXCEPTIONS,
      'imageDetail.json': JSON.stringify({ ImageURI: IMAGE.replace(`@${DIGEST}`, ':3f2c1ab') }),
    });
    await runJob(clients, job(service));
    expect(failure()?.failureDetails?.message).toContain('by tag only');
    expect(ecrMock.calls()).toHaveLength(0);
  });

  it('fails a service step whose function has no ECR client, saying so', async () => {
    artifact({
      [AUDIT_FILE]: CLEAN_AUDIT,
      'supply-chain/exceptions.json': NO_EXCEPTIONS,
      'imageDetail.json': JSON.stringify({ ImageURI: IMAGE }),
    });
    await runJob(jobClients(), job(service));
    expect(failure()?.failureDetails?.message).toContain('needs the ECR client');
  });
});

describe('runPipelineJob, supply-chain-gate storing the SBOM of what passes', () => {
  const SBOM = JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    components: [{ name: 'pg', version: '8.13.1', components: [{ name: 'pg-types', version: '4.0.2' }] }],
  });
  const withSbom = {
    ...fn,
    sbom: {
      bucket: 'ias-dev-artifact-store-123456789012-ap-northeast-1',
      workload: 'allocate-order',
      commit: 'abc123',
    },
  };
  const sbomClients: PipelineJobClients = { ...clients, s3: aws.s3 };

  beforeEach(() => {
    mocks.s3.on(PutObjectCommand).resolves({});
  });

  it('stores the artifact’s SBOM under sbom/<workload>/<commit>.cdx.json and says where in its output variables', async () => {
    artifact({
      [AUDIT_FILE]: CLEAN_AUDIT,
      'supply-chain/exceptions.json': NO_EXCEPTIONS,
      'supply-chain/sbom.cdx.json': SBOM,
    });
    expect((await runJob(sbomClients, job(withSbom))).result).toBe('succeeded');
    expect(sent(mocks.s3, PutObjectCommand)).toEqual([
      {
        Bucket: withSbom.sbom.bucket,
        Key: 'sbom/allocate-order/abc123.cdx.json',
        Body: SBOM,
        ContentType: 'application/vnd.cyclonedx+json',
      },
    ]);
    expect(success()?.outputVariables).toMatchObject({
      SbomBucket: withSbom.sbom.bucket,
      SbomKey: 'sbom/allocate-order/abc123.cdx.json',
    });
    expect(success()?.executionDetails?.summary).toContain(
      `SBOM (2 components) stored at s3://${withSbom.sbom.bucket}/sbom/allocate-order/abc123.cdx.json`,
    );
  });

  it('stores nothing for what it blocks', async () => {
    artifact({
      [AUDIT_FILE]: fixtureText('npm-audit.json'),
      'supply-chain/exceptions.json': NO_EXCEPTIONS,
      'supply-chain/sbom.cdx.json': SBOM,
    });
    expect((await runJob(sbomClients, job(withSbom))).result).toBe('failed');
    expect(sent(mocks.s3, PutObjectCommand)).toEqual([]);
  });

  it('fails, storing nothing, when the build wrote no SBOM or one that is not CycloneDX', async () => {
    await runJob(sbomClients, job(withSbom));
    expect(failure()?.failureDetails?.message).toBe(
      'input artifact Image_dev has no supply-chain/sbom.cdx.json: does its build write the SBOM (delivery/src/sbom/cli.ts)?',
    );
    artifact({
      [AUDIT_FILE]: CLEAN_AUDIT,
      'supply-chain/exceptions.json': NO_EXCEPTIONS,
      'supply-chain/sbom.cdx.json': '{"bomFormat":"SPDX"}',
    });
    await runJob(sbomClients, job(withSbom));
    expect(failure()?.failureDetails?.message).toMatch(
      /^input artifact Image_dev supply-chain\/sbom.cdx.json: not a CycloneDX SBOM: bomFormat/,
    );
    expect(sent(mocks.s3, PutObjectCommand)).toEqual([]);
  });

  it('fails when its function has no S3 client for the environment, saying so', async () => {
    artifact({
      [AUDIT_FILE]: CLEAN_AUDIT,
      'supply-chain/exceptions.json': NO_EXCEPTIONS,
      'supply-chain/sbom.cdx.json': SBOM,
    });
    await runJob(clients, job(withSbom));
    expect(failure()?.failureDetails?.message).toContain('needs the S3 client');
  });

  it('fails naming the object when the bucket refuses the write', async () => {
    artifact({
      [AUDIT_FILE]: CLEAN_AUDIT,
      'supply-chain/exceptions.json': NO_EXCEPTIONS,
      'supply-chain/sbom.cdx.json': SBOM,
    });
    mocks.s3
      .on(PutObjectCommand)
      .rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    await runJob(sbomClients, job(withSbom));
    expect(failure()?.failureDetails?.message).toContain(
      `storing the SBOM at s3://${withSbom.sbom.bucket}/sbom/allocate-order/abc123.cdx.json failed`,
    );
  });
});

describe('fitMessage', () => {
  it('keeps a short decision whole', () => {
    expect(fitMessage(['a', 'b'], 'input artifact X')).toBe('a | b');
  });

  it('cuts a long decision at whole lines under CodePipeline’s limit, saying how many were left out', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `finding ${i}: ${'x'.repeat(40)}`);
    const message = fitMessage(lines, 'input artifact Image_dev');
    expect(message.length).toBeLessThanOrEqual(MAX_GATE_MESSAGE);
    expect(message).toMatch(/^finding 0: /);
    expect(message).toMatch(
      /… \d+ more lines cut \(CodePipeline keeps 5000 characters\): the whole audit is supply-chain\/audit.json in input artifact Image_dev$/,
    );
  });
});

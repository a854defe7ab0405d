import { DescribeImageScanFindingsCommand } from '@aws-sdk/client-ecr';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSupplyChainCli } from '../../src/supply-chain/run-cli.js';
import { fakeClock } from '../support.js';
import { DIGEST, ecr, ecrMock, fixturePath, REPOSITORY, scanAnswer, scanStatus } from './support.js';

// The CLI as a buildspec or a workflow runs it (through tsx), in a clean environment: no AWS settings.
const SCRIPT = resolve(__dirname, '../../src/supply-chain/cli.ts');
const TSX = pathToFileURL(createRequire(__filename).resolve('tsx')).href;

let root: string;

beforeEach(async () => {
  ecrMock.reset();
  root = await mkdtemp(join(tmpdir(), 'supply-chain-cli-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function runCli(args: string[]) {
  const result = spawnSync(process.execPath, ['--import', TSX, SCRIPT, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', HOME: root },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function exceptionsFile(content: unknown): Promise<string> {
  const path = join(root, 'exceptions.json');
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const AUDIT = fixturePath('npm-audit.json');

describe('supply-chain CLI (child process)', () => {
  it.each([
    [[], /^supply-chain: no command: the commands are image and npm-audit \(--help for the usage\)$/],
    [['sbom'], /^supply-chain: unknown command "sbom": the commands are image and npm-audit/],
    [
      ['npm-audit', '--audit-file', 'a.json', '--fail-on', 'HIGH', '--repository', 'r'],
      /^supply-chain: npm-audit: Unknown option '--repository'/,
    ],
    [
      ['npm-audit', '--audit-file', 'a.json', '--fail-on'],
      /^supply-chain: npm-audit: Option '--fail-on <value>' argument missing$/,
    ],
    [
      ['npm-audit', '--fail-on', 'SEVERE'],
      /^supply-chain: npm-audit: --audit-file: is required; --fail-on: must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL \(UNDEFINED never blocks\)$/,
    ],
    [
      ['image', '--repository', REPOSITORY, '--digest', 'sha256:abc', '--fail-on', 'HIGH'],
      /^supply-chain: image: AWS_REGION is not set/,
    ],
  ])(
    'exits 2 with one line naming the bad input: %j',
    (args, line) => {
      const result = runCli(args);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(line)]);
    },
    30_000,
  );

  it('exits 2 on a bad exceptions file, naming the path of each problem', async () => {
    const file = await exceptionsFile({
      exceptions: [{ finding: 'GHSA-grv7-fg5c-xmjg', reason: '', expires: 'soon' }],
    });
    const result = runCli(['npm-audit', '--audit-file', AUDIT, '--fail-on', 'HIGH', '--exceptions', file]);
    expect(result.status).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `supply-chain: ${file}: 2 problems in the supply-chain exceptions; fix each and run again: exceptions.0.reason: must say why the finding is accepted; exceptions.0.expires: must be a date YYYY-MM-DD`,
    ]);
  }, 30_000);

  it('exits 1 on an npm audit report with a finding at the threshold, printing the summary', () => {
    const result = runCli(['npm-audit', '--audit-file', AUDIT, '--fail-on', 'high']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      `npm audit ${AUDIT}`,
      'threshold: fail on HIGH or above (UNDEFINED never blocks)',
      'findings: 4 (CRITICAL 0, HIGH 1, MEDIUM 2, LOW 1, INFORMATIONAL 0, UNDEFINED 0)',
      'blocking: GHSA-grv7-fg5c-xmjg HIGH braces: Uncontrolled resource consumption in braces (vulnerable <3.0.3)',
      'result: BLOCKED by 1 finding at or above HIGH (GHSA-grv7-fg5c-xmjg); 0 excepted, 3 below HIGH',
    ]);
  }, 30_000);

  it('exits 0 when an exception accepts the finding, printing it with its reason', async () => {
    const file = await exceptionsFile({
      exceptions: [
        {
          finding: 'GHSA-grv7-fg5c-xmjg',
          package: 'braces',
          reason: 'only our build globs',
          expires: '2099-12-31',
        },
      ],
    });
    const result = runCli(['npm-audit', '--audit-file', AUDIT, '--fail-on', 'HIGH', '--exceptions', file]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      'excepted: GHSA-grv7-fg5c-xmjg HIGH braces: Uncontrolled resource consumption in braces (vulnerable <3.0.3) — exception GHSA-grv7-fg5c-xmjg (package braces) until 2099-12-31: only our build globs',
    );
  }, 30_000);

  it('exits 0 on a clean npm audit report', () => {
    const result = runCli([
      'npm-audit',
      '--audit-file',
      fixturePath('npm-audit-clean.json'),
      '--fail-on',
      'LOW',
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('result: PASSED');
  }, 30_000);
});

describe('supply-chain CLI image command (in process, ECR stubbed)', () => {
  async function image(
    args: string[],
    env: Record<string, string> = { AWS_REGION: 'ap-northeast-1' },
    digest = DIGEST,
  ) {
    const out: string[] = [];
    const err: string[] = [];
    const regions: string[] = [];
    const clock = fakeClock(Date.parse('2025-03-04T09:30:00Z'));
    const code = await runSupplyChainCli(['image', '--repository', REPOSITORY, '--digest', digest, ...args], {
      env,
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      ecr: (region) => {
        regions.push(region);
        return ecr;
      },
      now: clock.now,
      sleep: clock.sleep,
    });
    return { code, out, err, regions, sleeps: clock.sleeps };
  }

  it('exits 0 on a clean scan, reading it in AWS_REGION', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(scanAnswer('ecr-basic-clean.json'));
    const result = await image(['--fail-on', 'HIGH']);
    expect(result).toMatchObject({ code: 0, err: [], regions: ['ap-northeast-1'] });
    expect(result.out.at(-1)).toMatch(/^result: PASSED/);
  });

  it('exits 1 on a blocking finding, and uses the exceptions of the day the clock says', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(scanAnswer('ecr-enhanced.json'));
    const blocked = await image(['--fail-on', 'CRITICAL']);
    expect(blocked.code).toBe(1);
    expect(blocked.out).toContain(
      'blocking: CVE-2023-44487 CRITICAL golang.org/x/net@v0.7.0: CVE-2023-44487 - golang.org/x/net, google.golang.org/grpc',
    );
    const file = join(root, 'exceptions.json');
    await writeFile(
      file,
      JSON.stringify({
        exceptions: [
          {
            finding: 'CVE-2023-44487',
            reason: 'HTTP/1.1 only behind the load balancer',
            expires: '2025-03-04',
          },
        ],
      }),
    );
    await expect(image(['--fail-on', 'CRITICAL', '--exceptions', file])).resolves.toMatchObject({ code: 0 });
  });

  it('exits 1 when the scan does not finish before --deadline-seconds', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(scanStatus('IN_PROGRESS'));
    const result = await image(['--fail-on', 'HIGH', '--deadline-seconds', '20']);
    expect(result.code).toBe(1);
    expect(result.sleeps).toEqual([10_000, 10_000]);
    expect(result.out.at(-1)).toBe('result: TIMED_OUT');
  });

  it('exits 2 on a bad digest, naming it, before reading anything', async () => {
    const result = await image(['--fail-on', 'HIGH'], { AWS_REGION: 'ap-northeast-1' }, 'latest');
    expect(result).toMatchObject({ code: 2, out: [] });
    expect(result.err).toEqual([
      'supply-chain: image gate: digest: must be an image digest sha256:<64 hex digits>',
    ]);
    expect(ecrMock.calls()).toHaveLength(0);
  });
});

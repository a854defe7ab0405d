import { BatchGetBuildsCommand, StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors';
import { kubernetesProject, prefix, runMain, stubbedAws } from './helpers';
import {
  build,
  buildId,
  builds,
  image,
  ledger,
  project,
  release,
  startedWith,
  starts,
  written,
} from './kubernetes-support';

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
});

const run = (argv: string[]) => runMain(argv, aws, '', kubernetesProject);
const deploy = (...more: string[]) =>
  run(['deploy', 'kubernetes', 'inventory-api', '--env', 'dev', '--image', image('b'), ...more]);
const SUCCEEDED = { RESULT: 'succeeded', COLOR: 'green', IMAGE: image('b'), REVISION: 'sha256:r2' };

describe('deploy kubernetes', () => {
  it('starts the deploy project with ACTION=deploy and the image, follows the build, and records what serves (exit 0)', async () => {
    ledger(aws, release(1, { color: 'blue', image: image('a'), revision: 'sha256:r1' }));
    starts(
      aws,
      build(3, 'SUCCEEDED', { image: image('b'), exported: SUCCEEDED }),
      build(2, 'SUCCEEDED', { image: image('a') }),
    );
    const result = await deploy();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toBe(
      `inventory-api: green serves ${image('b')} (manifests sha256:r2), switched by build ${buildId(3)}\nrecorded as release 2 of dev\n`,
    );
    expect(startedWith(aws)).toEqual([{ ACTION: 'deploy', IMAGE: image('b') }]);
    expect(aws.mocks.codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input.projectName).toBe(project());
    expect(written(aws)[0]).toMatchObject({
      number: 2,
      source: 'cli',
      applications: { 'inventory-api': { color: 'green', image: image('b'), revision: 'sha256:r2' } },
    });
  });

  it('records the provenance and stores the SBOM given before the release that references it', async () => {
    ledger(aws);
    starts(aws, build(3, 'SUCCEEDED', { image: image('b'), exported: SUCCEEDED }));
    aws.mocks.s3.on(PutObjectCommand).resolves({});
    const dir = mkdtempSync(join(tmpdir(), 'k8s-sbom-'));
    const sbom = join(dir, 'sbom.cdx.json');
    writeFileSync(sbom, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] }));
    const result = await deploy(
      '--source',
      'workflow',
      '--by',
      'run 7',
      '--commit',
      'abc1234',
      '--sbom',
      sbom,
    );
    expect(result.code).toBe(EXIT.ok);
    const key = 'sbom/inventory-api/abc1234.cdx.json';
    expect(aws.mocks.s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Key).toBe(key);
    expect(written(aws)[0]).toMatchObject({
      source: 'workflow',
      by: 'run 7',
      commit: 'abc1234',
      sbom: { key },
    });
  });

  it.each([
    ['an alarm', 'alarm ias-dev-inventory-api-k8s-health during the bake'],
    [
      'the canary judge',
      'the canary judge at 5 %: look 3 of 10 (level 0.0021): fail — error-rate worse than 1.1×',
    ],
  ])('exits 3 naming who switched the deployment back (%s), recording nothing', async (_, reason) => {
    ledger(aws);
    starts(
      aws,
      build(3, 'SUCCEEDED', {
        image: image('b'),
        exported: { RESULT: 'rolled-back', COLOR: 'green', IMAGE: image('b'), REASON: reason },
      }),
    );
    const result = await deploy();
    expect(result.code).toBe(EXIT.rolledBack);
    expect(result.stderr).toBe(
      `error: inventory-api: switched back by ${reason}, users are on the color that served (build ${buildId(3)} ended SUCCEEDED)\n`,
    );
    expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('exits 3 without saying who switched back when the build did not export it', async () => {
    ledger(aws);
    starts(
      aws,
      build(3, 'FAILED', {
        image: image('b'),
        exported: { RESULT: 'rolled-back', COLOR: 'green', IMAGE: image('b') },
      }),
    );
    const result = await deploy();
    expect(result.code).toBe(EXIT.rolledBack);
    expect(result.stderr).toBe(
      `error: inventory-api: the deployment was switched back (by an alarm or the canary judge), users are on the color that served (build ${buildId(3)} ended FAILED)\n`,
    );
  });

  describe('a judged switch', () => {
    /** A look of the canary judge, as the build keeps it. */
    const look = (n: number, verdict: 'pass' | 'inconclusive', action: 'promote' | 'wait') => ({
      at: `2026-12-03T12:0${n}:00.000Z`,
      verdict,
      action,
      reason: `look ${n} of 10 (level 0.01): ${verdict}`,
      look: n,
      looks: 10,
      level: 0.01,
      final: false,
      metrics: [
        {
          metric: 'p99',
          test: 'Wilcoxon signed-rank',
          effect: 0.97,
          pValueWorse: 0.8,
          pValueNotWorse: 0.002,
          adjustedAlpha: 0.005,
          samples: { baseline: 6, canary: 6 },
          pairedMinutes: 6,
          verdict: 'pass',
        },
      ],
    });

    it('records the judge’s last look at the build with the release', async () => {
      ledger(aws, { looks: { [buildId(3)]: [look(5, 'inconclusive', 'wait'), look(6, 'pass', 'promote')] } });
      starts(aws, build(3, 'SUCCEEDED', { image: image('b'), exported: SUCCEEDED }));
      const result = await deploy();
      expect(result.stderr).toBe('');
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toContain(`switched by build ${buildId(3)}; canary pass at look 6 of 10`);
      expect(written(aws)[0]).toMatchObject({
        applications: { 'inventory-api': { color: 'green' } },
        canary: {
          deploymentId: buildId(3),
          verdict: 'pass',
          action: 'promote',
          look: 6,
          looks: 10,
          metrics: [{ metric: 'p99', verdict: 'pass', effect: 0.97 }],
        },
      });
    });

    it('records the release without it, with a warning, when the look cannot be read', async () => {
      ledger(aws, { looks: { [buildId(3)]: [{ look: 2, something: 'else' }] } });
      starts(aws, build(3, 'SUCCEEDED', { image: image('b'), exported: SUCCEEDED }));
      const result = await deploy();
      expect(result.code).toBe(EXIT.ok);
      expect(result.stderr).toMatch(
        new RegExp(
          `^warning: the canary judge's last look at build ${buildId(3)} could not be read from ${prefix}-dev-releases; the release is recorded without it \\(DeliveryError: `,
        ),
      );
      expect(written(aws)[0]).not.toHaveProperty('canary');
      expect(written(aws)[0]).toMatchObject({ applications: { 'inventory-api': { color: 'green' } } });
    });
  });

  it.each([
    ['the switch failed', { RESULT: 'failed' }, 'did not go live; users stay on the color that served'],
    ['the build crashed before the switch said anything', {}, 'did not go live'],
  ])('exits 1 when %s, recording nothing', async (_, exported, message) => {
    ledger(aws);
    starts(aws, build(3, 'FAILED', { image: image('b'), exported }));
    const result = await deploy();
    expect(result.code).toBe(EXIT.failed);
    expect(result.stderr).toContain(message);
    expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('refuses (exit 4) while another build of the project is in progress, starting nothing', async () => {
    builds(aws, build(5, 'IN_PROGRESS', { image: image('c') }));
    const result = await deploy();
    expect(result.code).toBe(EXIT.unsafe);
    expect(result.stderr).toBe(
      `error: build ${buildId(5)} of ${project()} is in progress: wait for it to end or stop it ("ias-ops deployments stop ${buildId(5)} --env dev"), then deploy again\n`,
    );
    expect(aws.mocks.codebuild.commandCalls(StartBuildCommand)).toHaveLength(0);
  });

  it.each([
    [['--image', 'repo:latest'], '--image must be an image by digest'],
    [['--env', 'qa'], 'unknown environment "qa"'],
  ])('fails with exit 2 on bad input (%j), calling nothing', async (args, message) => {
    const argv = ['deploy', 'kubernetes', 'inventory-api', '--env', 'dev', '--image', image('b')];
    const result = await run([...argv, ...args]);
    expect(result.code).toBe(EXIT.badInput);
    expect(result.stderr).toContain(message);
    expect(aws.calls()).toEqual([]);
  });

  it('fails with exit 2 on an application the project does not have', async () => {
    const result = await run(['deploy', 'kubernetes', 'nope', '--env', 'dev', '--image', image('b')]);
    expect(result).toMatchObject({ code: EXIT.badInput });
    expect(result.stderr).toContain('unknown Kubernetes application "nope": use one of inventory-api');
  });

  it('lists its calls under --dry-run as JSON, and makes none', async () => {
    const result = await run([
      '--dry-run',
      '--json',
      'deploy',
      'kubernetes',
      'inventory-api',
      '--env',
      'dev',
      '--image',
      image('b'),
    ]);
    expect(result.code).toBe(EXIT.ok);
    const planned = JSON.parse(result.stdout) as { calls: { command: string; input: unknown }[] };
    expect(planned.calls.map((c) => c.command)).toEqual([
      'ListBuildsForProject',
      'BatchGetBuilds',
      'StartBuild',
      'BatchGetBuilds',
      'Query',
    ]);
    expect(planned.calls[4]?.input).toMatchObject({
      TableName: `${prefix}-dev-releases`,
      ExpressionAttributeValues: { ':pk': { S: 'canary#<the build StartBuild started>' } },
    });
    expect(planned.calls[2]?.input).toEqual({
      projectName: project(),
      environmentVariablesOverride: [
        { name: 'ACTION', value: 'deploy', type: 'PLAINTEXT' },
        { name: 'IMAGE', value: image('b'), type: 'PLAINTEXT' },
      ],
    });
    expect(aws.calls()).toEqual([]);
  });

  it('prints the result and the release as JSON', async () => {
    ledger(aws);
    starts(aws, build(3, 'SUCCEEDED', { image: image('b'), exported: SUCCEEDED }));
    const result = await deploy('--json');
    expect(result.code).toBe(EXIT.ok);
    expect(JSON.parse(result.stdout)).toMatchObject({
      environment: 'dev',
      application: 'inventory-api',
      deployProject: project(),
      build: buildId(3),
      outcome: 'succeeded',
      live: { color: 'green', image: image('b'), revision: 'sha256:r2' },
      ledger: { release: 1 },
    });
  });
});

describe('kubernetes rollback', () => {
  const rollback = (...more: string[]) =>
    run(['kubernetes', 'rollback', 'inventory-api', '--env', 'dev', ...more]);
  const BLUE = { color: 'blue', image: image('a'), revision: 'sha256:r1' } as const;
  const GREEN = { color: 'green', image: image('b'), revision: 'sha256:r2' } as const;

  it('switches every user back to the color that served before, which still runs its image, and records it', async () => {
    // Release 3 is a configuration change (green still serves); blue served in release 1.
    ledger(
      aws,
      release(3, GREEN, '2026-12-03T00:00:00.000Z'),
      release(2, GREEN, '2026-12-02T00:00:00.000Z'),
      release(1, BLUE, '2026-12-01T00:00:00.000Z'),
    );
    starts(
      aws,
      build(9, 'SUCCEEDED', {
        action: 'switch-back',
        to: 'blue',
        exported: { RESULT: 'switched-back', COLOR: 'blue' },
      }),
      // The deployment that moved users to green started before blue went idle.
      build(2, 'SUCCEEDED', { image: image('b'), started: '2026-12-01T12:00:00Z' }),
    );
    const result = await rollback();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toBe(
      `inventory-api: every user back on blue (${image('a')}, manifests sha256:r1), switched by build ${buildId(9)}\nrecorded as release 4 of dev\n`,
    );
    expect(startedWith(aws)).toEqual([{ ACTION: 'switch-back', TO: 'blue' }]);
    expect(written(aws)[0]).toMatchObject({ number: 4, applications: { 'inventory-api': BLUE } });
  });

  it('refuses (exit 4) when a deployment of another image ran on the idle color since, naming the release to restore', async () => {
    ledger(aws, release(2, GREEN, '2026-12-02T00:00:00.000Z'), release(1, BLUE, '2026-12-01T00:00:00.000Z'));
    builds(
      aws,
      build(4, 'FAILED', {
        image: image('c'),
        exported: { RESULT: 'failed' },
        started: '2026-12-03T00:00:00Z',
      }),
      build(2, 'SUCCEEDED', { image: image('b'), started: '2026-12-01T12:00:00Z' }),
    );
    const result = await rollback();
    expect(result.code).toBe(EXIT.unsafe);
    expect(result.stderr).toBe(
      `error: blue may no longer run ${image('a')} (build ${buildId(4)} deployed ${image('c')} to the idle color since 2026-12-02T00:00:00.000Z (release 2)): deploy it again with "ias-ops rollback --release 1 --env dev"\n`,
    );
    expect(aws.mocks.codebuild.commandCalls(StartBuildCommand)).toHaveLength(0);
  });

  it('refuses (exit 4) when the ledger records one color only', async () => {
    ledger(aws, release(2, GREEN), release(1, GREEN));
    builds(aws);
    const result = await rollback();
    expect(result.code).toBe(EXIT.unsafe);
    expect(result.stderr).toContain('has served on green only in the last 100 releases');
  });

  it('stops a deployment in progress instead: the switch puts the routing back (exit 0), recording nothing', async () => {
    const running = build(5, 'IN_PROGRESS', { image: image('c') });
    builds(aws, running);
    aws.mocks.codebuild.on(StopBuildCommand).resolves({});
    aws.mocks.codebuild
      .on(BatchGetBuildsCommand)
      .resolvesOnce({ builds: [running] })
      .resolves({ builds: [build(5, 'STOPPED', { image: image('c') })] });
    const result = await rollback();
    expect(result.code).toBe(EXIT.ok);
    expect(aws.mocks.codebuild.commandCalls(StopBuildCommand)[0]?.args[0].input).toEqual({ id: buildId(5) });
    expect(result.stdout).toContain(`build ${buildId(5)} stopped (STOPPED)`);
    expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('lists its calls under --dry-run, and makes none', async () => {
    const result = await rollback('--dry-run');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain(`codebuild StopBuild`);
    expect(result.stdout).toContain(`codebuild StartBuild {"projectName":"${project()}"`);
    expect(result.stdout).toContain(`"TableName":"${prefix}-dev-releases"`);
    expect(aws.calls()).toEqual([]);
  });
});

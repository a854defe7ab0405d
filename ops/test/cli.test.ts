import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(__dirname, '..', 'bin', 'ias-ops.js');

/** The binary as an operator without any AWS configuration runs it. */
function ias(...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    input: '',
    env: {
      PATH: process.env.PATH,
      HOME: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

// Each test starts the binary (up to 20 s on a loaded machine): vitest's 5 s default would cut it short.
describe('ias-ops binary', { timeout: 30_000 }, () => {
  it('prints the commands and the exit codes with --help', () => {
    const run = ias('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: ias-ops [options] [command]');
    for (const command of ['plan', 'status', 'lambda', 'params', 'secrets']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(run.stdout).toContain(
      '4  refused as unsafe (nothing was changed)\n  5  no AWS credentials or region',
    );
  });

  it('fails with exit 2 on an unknown command', () => {
    const run = ias('deploy-everything');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: unknown command 'deploy-everything'");
  });

  it('fails with exit 2 on a missing required option', () => {
    const run = ias('lambda', 'shift', 'allocate-order', '--env', 'dev', '--to', '8');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: required option '--weight <percent>' not specified");
  });

  it('fails with exit 2 listing the environments on an unknown one', () => {
    const run = ias('status', '--env', 'qa');
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: unknown environment "qa": use one of dev, staging, prod\n',
    });
  });

  it('says plainly that credentials are missing, with exit 5', () => {
    const run = ias('lambda', 'publish', 'allocate-order', '--env', 'dev');
    expect(run).toEqual({
      code: 5,
      stdout: '',
      stderr:
        'error: no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and AWS_REGION ' +
        "(the region defaults to the environment profile's region)\n",
    });
  });

  it('prints the calls of a dry run as JSON, with no credentials needed', () => {
    const run = ias('--dry-run', '--json', 'lambda', 'rollback', 'import-stock', '--env', 'prod');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      dryRun: boolean;
      calls: { service: string; command: string }[];
    };
    expect(result.dryRun).toBe(true);
    expect(result.calls.map((c) => `${c.service} ${c.command}`)).toEqual([
      'codedeploy ListDeployments',
      'lambda GetAlias',
      'lambda ListVersionsByFunction',
      'lambda UpdateAlias',
    ]);
  });
});

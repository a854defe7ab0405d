/**
 * lambda-deploy.yml's deploy step under a cancel or a time-out: the runner signals the step's shell
 * alone (SIGINT, then SIGTERM), and npx passes no signal on, so the step signals ias-ops' process
 * group itself and waits for it: under the judged strategy ias-ops puts the alias back first.
 * @see https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-workflow-runs/canceling-a-workflow
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkflows, stepOf } from './support';

/**
 * An `npx` as npm's: it runs the command as its child and, on SIGINT, exits at once without passing
 * the signal on. The child (ias-ops) answers a first SIGINT by "putting the alias back" for a moment
 * (a second changes nothing), then exits 3; it would otherwise run for a minute.
 */
const NPX = `#!/usr/bin/env bash
child() {
  trap 'trap "" INT; echo "SIGINT: alias back" >> "$RUNNER_TEMP/ias-ops.log"; sleep 1; echo back >> "$RUNNER_TEMP/ias-ops.log"; echo "rolled back"; exit 3' INT
  trap '' TERM
  echo started >> "$RUNNER_TEMP/ias-ops.log"
  for _ in $(seq 600); do sleep 0.1; done
  echo "deployed"
}
child &
trap 'exit 130' INT
wait $!
`;

/** Runs the step's script as the runner does, signals its shell after `afterMs`, and returns how it ended. */
function runCancelled(script: string, afterMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'cancel-'));
  const bin = join(dir, 'bin');
  const temp = join(dir, 'temp');
  mkdirSync(bin);
  mkdirSync(join(temp, 'artifact', 'supply-chain'), { recursive: true });
  writeFileSync(join(bin, 'npx'), NPX);
  chmodSync(join(bin, 'npx'), 0o755);
  const shell = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    env: {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      RUNNER_TEMP: temp,
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/ias',
      GITHUB_RUN_ID: '42',
      GITHUB_SHA: 'd'.repeat(40),
      FUNCTION: 'allocate-order',
      ENVIRONMENT: 'dev',
    },
    stdio: 'ignore',
  });
  setTimeout(() => shell.kill('SIGINT'), afterMs);
  // The runner's SIGTERM 7.5 s later, here sooner: it changes nothing.
  setTimeout(() => shell.kill('SIGTERM'), afterMs + 300);
  return new Promise<{ code: number | null; signal: string | null; log: string; summary: string }>(
    (resolve) =>
      shell.on('exit', (code, signal) => {
        const read = (path: string) => {
          try {
            return readFileSync(path, 'utf8');
          } catch {
            return '';
          }
        };
        resolve({ code, signal, log: read(join(temp, 'ias-ops.log')), summary: read(join(dir, 'summary')) });
      }),
  );
}

describe('lambda-deploy.yml on a cancel', () => {
  it('signals ias-ops through npx and waits until it has put the alias back', async () => {
    const file = loadWorkflows().find((f) => f.name === 'lambda-deploy.yml');
    const step = stepOf(file, 'deploy', 'deploy with CodeDeploy');
    const ended = await runCancelled(step.run ?? '', 1_000);
    expect(ended.log).toBe('started\nSIGINT: alias back\nback\n');
    expect(ended.summary).toBe('rolled back\n');
    // The step fails: the job was cancelled.
    expect(ended.code === 0).toBe(false);
  }, 20_000);
});

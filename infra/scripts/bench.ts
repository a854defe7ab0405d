/**
 * `npm run bench`: wall time (median of 3) of synthesizing every environment and of the test
 * suite, beside a minimal one-bucket CDK app synthesized the same way, with the ratio.
 * Targets (issue 2): full synth ≤ 4× the minimal app and ≤ 20 s; test suite ≤ 60 s, on 2 cores.
 * Exits 1 when a target is missed.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { INFRA_DIR, REPO_ROOT } from '../lib/config/project';

const RUNS = 3;
const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const vitest = join(REPO_ROOT, 'node_modules', '.bin', 'vitest');

function time(label: string, command: string, args: string[]): number {
  const samples: number[] = [];
  for (let i = 1; i <= RUNS; i += 1) {
    const start = performance.now();
    const result = spawnSync(command, args, {
      cwd: INFRA_DIR,
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    const seconds = (performance.now() - start) / 1000;
    if (result.status !== 0) {
      process.stderr.write(`${label} failed (exit ${result.status}):\n${result.stderr}\n`);
      process.exit(2);
    }
    samples.push(seconds);
    process.stderr.write(`  ${label}: run ${i}/${RUNS} ${seconds.toFixed(2)} s\n`);
  }
  return samples.sort((a, b) => a - b)[Math.floor(RUNS / 2)] ?? Number.NaN;
}

process.stderr.write(`benchmarking on ${cpus().length} cores, ${RUNS} runs each\n`);
const full = time('full synth (npm run synth)', tsx, ['scripts/synth.ts']);
const minimal = time('minimal one-bucket app', tsx, ['bench/minimal-app.ts']);
const tests = time('infra test suite (vitest run)', vitest, ['run', '--reporter=dot']);
const ratio = full / minimal;

const rows: [string, string, string, boolean][] = [
  ['full synth: 3 environments, every stack', `${full.toFixed(2)} s`, '≤ 20 s', full <= 20],
  ['minimal one-bucket app, same way', `${minimal.toFixed(2)} s`, '', true],
  ['ratio full / minimal', `${ratio.toFixed(2)}×`, '≤ 4×', ratio <= 4],
  ['infra test suite', `${tests.toFixed(2)} s`, '≤ 60 s', tests <= 60],
];
process.stdout.write(`\nwall time, median of ${RUNS}\n`);
for (const [name, value, target, ok] of rows) {
  const verdict = target ? `${target.padEnd(7)} ${ok ? 'met' : 'MISSED'}` : '';
  process.stdout.write(`  ${name.padEnd(42)} ${value.padStart(9)}   ${verdict}\n`);
}
if (rows.some(([, , , ok]) => !ok)) {
  process.exitCode = 1;
}

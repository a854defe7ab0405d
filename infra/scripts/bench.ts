/**
 * `npm run bench`: wall time (median of 3) of synthesizing every environment and of the test
 * suite, beside a minimal one-bucket CDK app synthesized the same way, with the ratio. Synth is
 * measured twice: cold (`IAS_GUARD_CACHE=off`: every template through the guard rules, as on a fresh
 * clone) and warm (the guard cache primed: what a re-synth costs when the templates are unchanged).
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

function time(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const samples: number[] = [];
  for (let i = 1; i <= RUNS; i += 1) {
    const start = performance.now();
    const result = spawnSync(command, args, {
      cwd: INFRA_DIR,
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      env: { ...process.env, ...env },
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
const cold = { IAS_GUARD_CACHE: 'off' };
const full = time('full synth, cold (npm run synth)', tsx, ['scripts/synth.ts'], cold);
const minimal = time('minimal one-bucket app, cold', tsx, ['bench/minimal-app.ts'], cold);
// Primes the guard cache (the minimal app's one template and every real one), then measures.
for (const script of ['scripts/synth.ts', 'bench/minimal-app.ts']) {
  spawnSync(tsx, [script], { cwd: INFRA_DIR, stdio: 'ignore' });
}
const fullWarm = time('full synth, warm', tsx, ['scripts/synth.ts']);
const minimalWarm = time('minimal one-bucket app, warm', tsx, ['bench/minimal-app.ts']);
// Cold, as CI runs it on a fresh clone.
const tests = time('infra test suite (vitest run), cold', vitest, ['run', '--reporter=dot'], cold);
const ratio = full / minimal;
const ratioWarm = fullWarm / minimalWarm;

const rows: [string, string, string, boolean][] = [
  ['full synth: 3 environments, every stack, cold', `${full.toFixed(2)} s`, '≤ 20 s', full <= 20],
  ['minimal one-bucket app, same way, cold', `${minimal.toFixed(2)} s`, '', true],
  ['ratio full / minimal, cold', `${ratio.toFixed(2)}×`, '≤ 4×', ratio <= 4],
  ['full synth, warm guard cache', `${fullWarm.toFixed(2)} s`, '≤ 20 s', fullWarm <= 20],
  ['minimal one-bucket app, warm', `${minimalWarm.toFixed(2)} s`, '', true],
  ['ratio full / minimal, warm', `${ratioWarm.toFixed(2)}×`, '≤ 4×', ratioWarm <= 4],
  ['infra test suite', `${tests.toFixed(2)} s`, '≤ 60 s', tests <= 60],
];
process.stdout.write(`\nwall time, median of ${RUNS}\n`);
for (const [name, value, target, ok] of rows) {
  const verdict = target ? `${target.padEnd(7)} ${ok ? 'met' : 'MISSED'}` : '';
  process.stdout.write(`  ${name.padEnd(48)} ${value.padStart(9)}   ${verdict}\n`);
}
if (rows.some(([, , , ok]) => !ok)) {
  process.exitCode = 1;
}

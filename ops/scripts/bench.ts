/**
 * `npm run bench` (ops part): wall time of `ias-ops --help` (the built CLI, started as the npm bin
 * starts it) beside a bare `node -e 0`, run in turn (A B A B …) so that both see the same machine,
 * medians and their ratio. Target (issue 15): ≤ 4× `node -e 0`. Exits 1 when it is missed, 2 when
 * a run fails.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const TARGET = 4;
const BIN = join(__dirname, '..', 'bin', 'ias-ops.js');

const commands = {
  'ias-ops --help': [BIN, '--help'],
  'node -e 0': ['-e', '0'],
} as const;

function once(label: string, args: readonly string[]): number {
  const start = performance.now();
  const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (run.status !== 0) {
    process.stderr.write(`${label} failed (exit ${run.status}):\n${run.stderr}\n`);
    process.exit(2);
  }
  return seconds;
}

function median(samples: number[]): number {
  return [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? Number.NaN;
}

process.stderr.write(`ops: benchmarking on ${cpus().length} cores, ${RUNS} runs each, in turn\n`);
// The warm-up also rebuilds the bundle if a source changed, so no timed run pays for a build.
for (const [label, args] of Object.entries(commands)) once(label, args);
const samples: Record<keyof typeof commands, number[]> = { 'ias-ops --help': [], 'node -e 0': [] };
for (let i = 0; i < RUNS; i += 1) {
  for (const [label, args] of Object.entries(commands) as [keyof typeof commands, readonly string[]][]) {
    samples[label].push(once(label, args));
  }
}
const cli = median(samples['ias-ops --help']);
const node = median(samples['node -e 0']);
const ratio = cli / node;
process.stdout.write(`\nops: wall time, median of ${RUNS}\n`);
const rows: [string, string, string][] = [
  ['ias-ops --help', `${cli.toFixed(3)} s`, ''],
  ['node -e 0', `${node.toFixed(3)} s`, ''],
  [
    'ratio ias-ops --help / node -e 0',
    `${ratio.toFixed(2)}×`,
    `≤ ${TARGET}×    ${ratio <= TARGET ? 'met' : 'MISSED'}`,
  ],
];
for (const [name, value, verdict] of rows) {
  process.stdout.write(`  ${name.padEnd(48)} ${value.padStart(9)}   ${verdict}\n`);
}
if (ratio > TARGET) process.exitCode = 1;

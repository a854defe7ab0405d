/**
 * `npm run bench` (infrastructure part): the wall times of issue 16, each beside its target.
 *
 * - `npm start` on a first run (`IAS_GUARD_CACHE=off`: every template through the Control Tower
 *   guard rules, as on a fresh clone), median of 3, beside a minimal one-bucket CDK app synthesized
 *   the same way, with the ratio. Targets: ≤ 20 s and ≤ 4× the one-bucket app.
 * - `npm run synth` again, the gates' caches warm, beside the one-bucket app warm. Target: keep what
 *   issue 16 measured before its changes, 13.8 s (2.3× the one-bucket app then; the ratio is shown, but
 *   caching the CloudFormation validation took its fixed cost from both apps alike).
 * - `npm test` as on a fresh clone (the gates' caches emptied first), once: it takes minutes. Target
 *   ≤ 90 s.
 *
 * Exits 1 when a target is missed.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { INFRA_DIR, REPO_ROOT } from '../lib/config/project';

const RUNS = 3;
const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

function time(
  label: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd: string = INFRA_DIR,
  runs: number = RUNS,
): number {
  const samples: number[] = [];
  for (let i = 1; i <= runs; i += 1) {
    const start = performance.now();
    const result = spawnSync(command, args, {
      cwd,
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
    process.stderr.write(`  ${label}: run ${i}/${runs} ${seconds.toFixed(2)} s\n`);
  }
  return samples.sort((a, b) => a - b)[Math.floor(runs / 2)] ?? Number.NaN;
}

process.stderr.write(`benchmarking on ${cpus().length} cores\n`);
const cold = { IAS_GUARD_CACHE: 'off' };
const start = time('npm start, first run', tsx, [join(REPO_ROOT, 'scripts', 'start.ts')], cold, REPO_ROOT);
const minimal = time('minimal one-bucket app, cold', tsx, ['bench/minimal-app.ts'], cold);
// Primes the guard cache (the minimal app's one template and every real one), then measures.
for (const script of ['scripts/synth.ts', 'bench/minimal-app.ts']) {
  spawnSync(tsx, [script], { cwd: INFRA_DIR, stdio: 'ignore' });
}
const synthWarm = time('npm run synth, warm', tsx, ['scripts/synth.ts']);
const minimalWarm = time('minimal one-bucket app, warm', tsx, ['bench/minimal-app.ts']);
// As on a fresh clone: neither gate's cache (the first synth fills them, as `npm ci` leaves them empty).
for (const cache of ['ias-guard', 'ias-cfn-validate']) {
  rmSync(join(REPO_ROOT, 'node_modules', '.cache', cache), { recursive: true, force: true });
}
const tests = time('npm test, fresh clone', 'npm', ['test'], {}, REPO_ROOT, 1);
const ratio = start / minimal;
const ratioWarm = synthWarm / minimalWarm;

const rows: [string, string, string, boolean][] = [
  ['npm start, first run (cold guard rules)', `${start.toFixed(2)} s`, '≤ 20 s', start <= 20],
  ['minimal one-bucket app, same way, cold', `${minimal.toFixed(2)} s`, '', true],
  ['ratio, cold', `${ratio.toFixed(2)}×`, '≤ 4×', ratio <= 4],
  ['npm run synth again, warm caches (kept)', `${synthWarm.toFixed(2)} s`, '≤ 13.8 s', synthWarm <= 13.8],
  ['minimal one-bucket app, warm', `${minimalWarm.toFixed(2)} s`, '', true],
  ['ratio, warm', `${ratioWarm.toFixed(2)}×`, '', true],
  ['npm test, fresh clone (1 run)', `${tests.toFixed(2)} s`, '≤ 90 s', tests <= 90],
];
process.stdout.write(`\nwall time, median of ${RUNS} unless said\n`);
for (const [name, value, target, ok] of rows) {
  const verdict = target ? `${target.padEnd(7)} ${ok ? 'met' : 'MISSED'}` : '';
  process.stdout.write(`  ${name.padEnd(48)} ${value.padStart(9)}   ${verdict}\n`);
}
if (rows.some(([, , , ok]) => !ok)) {
  process.exitCode = 1;
}

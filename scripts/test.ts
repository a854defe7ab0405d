/**
 * `npm test`: every workspace's tests, after synthesizing the whole app once for the two suites
 * that read it.
 *
 * The infra and wiring suites each synthesized the real app in their global setup (the same
 * assembly, twice); here it is synthesized once, into a temporary folder that both read
 * (SHARED_ASSEMBLY_ENV), and removed at the end. The workspaces then run as the projects of one
 * vitest run (the root vitest.config.mts): one vitest and one PostgreSQL server instead of one per
 * workspace, and files of every project share the two cores (one workspace after another, as
 * `npm test -w <name>`, took 212 s where one run takes 170 s). The run ends with a
 * `<workspace>: N passed, N failed` line per workspace. Exits 1 when the synth or any test fails
 * (without the assembly, the suites that need it are not run; the others are).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SHARED_ASSEMBLY_ENV } from '@ias/infra/synth';

const ROOT = join(__dirname, '..');
/** The projects (workspaces) that read the shared assembly. */
const READ_ASSEMBLY = ['infra', 'wiring'];

/** Runs `command` with the output shown as it comes: whether it passed, and in how long. */
function run(label: string, command: string[], env: NodeJS.ProcessEnv = {}): { ok: boolean; line: string } {
  const begin = performance.now();
  const [file, ...args] = command;
  const result = spawnSync(file ?? 'npx', args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
  const ok = result.status === 0;
  const seconds = ((performance.now() - begin) / 1000).toFixed(1);
  return {
    ok,
    line: `${ok ? '✔' : '✘'} ${label} (${ok ? '' : `exit ${result.status ?? result.signal}, `}${seconds} s)`,
  };
}

const started = performance.now();
const assembly = mkdtempSync(join(tmpdir(), 'test-assembly-'));
const removeAssembly = () => rmSync(assembly, { recursive: true, force: true });
process.on('exit', removeAssembly);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => process.exit(130));
}

const synth = run('synth: the assembly the infra and wiring suites read', [
  'npx',
  'tsx',
  'infra/scripts/synth-into.ts',
  assembly,
]);
const tests = synth.ok
  ? run('every workspace', ['npx', 'vitest', 'run'], { [SHARED_ASSEMBLY_ENV]: assembly })
  : run(`every workspace but ${READ_ASSEMBLY.join(' and ')} (not run: the synth failed)`, [
      'npx',
      'vitest',
      'run',
      ...READ_ASSEMBLY.map((p) => `--project=!${p}`),
    ]);
const failed = [synth, tests].filter((r) => !r.ok).length;
const seconds = ((performance.now() - started) / 1000).toFixed(1);
process.stdout.write(
  `\n${synth.line}\n${tests.line}\nnpm test: ${failed === 0 ? 'passed' : 'FAILED'} in ${seconds} s\n`,
);
process.exitCode = failed === 0 ? 0 : 1;

/**
 * `npm test`: every workspace's tests, after synthesizing the whole app once for the two suites
 * that read it.
 *
 * The infra and wiring suites each synthesized the real app in their global setup (the same
 * assembly, twice); here it is synthesized once, into a temporary folder that both read
 * (SHARED_ASSEMBLY_ENV), and removed at the end. Workspaces run one after another as
 * `npm test -w <name>`, each ending with its `<workspace>: N passed, N failed` line. Running two at
 * once on 2 cores took as long (255 s against 258 s) with a third more CPU. Exits 1 when any
 * workspace or the synth fails, after running the others (a suite that needs the assembly is not
 * run without it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SHARED_ASSEMBLY_ENV } from '@ias/infra/synth';

const ROOT = join(__dirname, '..');
/** The suites that read the shared assembly. */
const READ_ASSEMBLY = new Set(['infra', 'wiring']);

const workspaces = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }
).workspaces.filter((ws) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, ws, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  return pkg.scripts?.test !== undefined;
});

/** Runs `command` with the output shown as it comes: whether it passed, and in how long. */
function run(label: string, command: string[], env: NodeJS.ProcessEnv = {}): { ok: boolean; line: string } {
  const begin = performance.now();
  const [file, ...args] = command;
  const result = spawnSync(file ?? 'npm', args, {
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
const lines = [synth.line];
let failed = synth.ok ? 0 : 1;
for (const ws of workspaces) {
  if (READ_ASSEMBLY.has(ws) && !synth.ok) {
    lines.push(`✘ ${ws} (not run: the synth failed)`);
    failed += 1;
    continue;
  }
  const env = READ_ASSEMBLY.has(ws) ? { [SHARED_ASSEMBLY_ENV]: assembly } : {};
  const result = run(ws, ['npm', 'test', `--workspace=${ws}`], env);
  lines.push(result.line);
  failed += result.ok ? 0 : 1;
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
process.stdout.write(
  `\n${lines.join('\n')}\nnpm test: ${failed === 0 ? 'every workspace passed' : `${failed} FAILED`} in ${seconds} s\n`,
);
process.exitCode = failed === 0 ? 0 : 1;

/**
 * `npm run wiring [-- --assembly DIR]`: checks the cloud assembly in infra/cdk.out (or DIR) and
 * prints a table per stage and every finding. Exit 0 when every workload is wired, 1 on any
 * finding, 2 when there is no assembly or the arguments are wrong.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_OUTDIR } from '@ias/infra/config';

async function main(): Promise<number> {
  let values: { assembly?: string };
  try {
    ({ values } = parseArgs({ options: { assembly: { type: 'string' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`wiring: ${(err as Error).message}; usage: npm run wiring [-- --assembly DIR]\n`);
    return 2;
  }
  // npm runs workspace scripts in the workspace folder: a relative DIR means the caller's folder.
  const outdir = values.assembly
    ? resolve(process.env.INIT_CWD ?? process.cwd(), values.assembly)
    : DEFAULT_OUTDIR;
  // The check's modules load once the arguments are known to be right: a wrong option is told at once.
  const { checkAssemblyDir, NoAssemblyError, renderReport } = await import('./index.js');
  try {
    const report = await checkAssemblyDir(outdir);
    process.stdout.write(`${renderReport(report)}\n`);
    return report.findings.length === 0 ? 0 : 1;
  } catch (err) {
    if (err instanceof NoAssemblyError) {
      process.stderr.write(`wiring: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`wiring: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);

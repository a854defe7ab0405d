/**
 * `npm run assembly:compare -- BEFORE AFTER`: proves a refactor kept the infrastructure as it was.
 * Compares every stack's template of two cloud assemblies, asset hashes aside; prints each
 * difference (stack, JSON path, before → after) and exits 1 on any, 0 when identical, 2 on bad input.
 */
import { resolve } from 'node:path';
import { compareAssemblies } from '../lib/plan/compare';

const USAGE = 'usage: npm run assembly:compare -- <before cdk.out> <after cdk.out>';

function main(): number {
  const [before, after, ...rest] = process.argv.slice(2);
  if (!before || !after || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const cwd = process.env.INIT_CWD ?? process.cwd();
  let lines: string[];
  try {
    lines = compareAssemblies(resolve(cwd, before), resolve(cwd, after));
  } catch (err) {
    process.stderr.write(`assembly:compare: ${(err as Error).message}\n`);
    return 2;
  }
  if (lines.length === 0) {
    process.stdout.write('identical: every stack template is the same, asset hashes aside\n');
    return 0;
  }
  process.stdout.write(
    `${lines.length} difference${lines.length === 1 ? '' : 's'}:\n${lines.map((l) => `  ${l}`).join('\n')}\n`,
  );
  return 1;
}

process.exitCode = main();

/**
 * `npm run readme:operator`: rewrites the README's table of the IAM actions each `ias-ops` command
 * calls (between `<!-- operator-actions:start -->` and `<!-- operator-actions:end -->`) from
 * `infra/lib/config/operator-access.ts`, the source of the operator policy too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withOperatorTable } from '@ias/infra/config';

const README = join(__dirname, '..', 'README.md');

try {
  const before = readFileSync(README, 'utf8');
  const after = withOperatorTable(before);
  if (after === before) {
    process.stdout.write('README.md: the operator table is up to date\n');
  } else {
    writeFileSync(README, after);
    process.stdout.write('README.md: rewrote the operator table\n');
  }
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

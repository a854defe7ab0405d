/**
 * `tsx infra/scripts/synth-into.ts <dir>`: synthesizes the real app into `<dir>` as the test
 * suites' global setups do (README prefix, real profiles, every gate), for the root `npm test` to
 * share with the infra and wiring suites. Gate findings do not fail it: the suites judge them.
 * Exits 1 on a configuration error, 2 without a folder.
 */
import { exitOnConfigError } from '../lib/config/exit';

const [dir] = process.argv.slice(2);
if (dir === undefined || dir === '') {
  process.stderr.write('usage: synth-into.ts <dir>\n');
  process.exit(2);
}
// aws-cdk-lib loads once the arguments are known to be right (bin/infra.ts says why).
void import('../lib/synth.js').then(({ synthesizeRealApp }) => {
  exitOnConfigError(() => synthesizeRealApp(dir));
  process.exitCode = 0;
});

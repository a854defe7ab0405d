/**
 * `npm run synth`: synthesizes every stack of every environment into infra/cdk.out, offline.
 * Exits non-zero on a configuration error or a policy-gate failure.
 */
import { exitOnConfigError } from '../lib/config/exit';
import { cdkContext, DEFAULT_OUTDIR, loadProject } from '../lib/config/project';

const config = exitOnConfigError(() => loadProject());
// aws-cdk-lib loads once the configuration is known to be valid (bin/infra.ts says why).
void Promise.all([import('../lib/plan/gates.js'), import('../lib/synth.js')]).then(
  ([{ countFindings, gatesPassed }, { synthesize }]) =>
    exitOnConfigError(() => {
      const gates = synthesize(config, { outdir: DEFAULT_OUTDIR, context: cdkContext() });
      const errors = countFindings(gates.errors);
      if (!gatesPassed(gates)) {
        process.stderr.write(
          `synth: ${errors} unacknowledged policy-gate error${errors === 1 ? '' : 's'} (reported above; npm start lists them per environment)\n`,
        );
        process.exitCode = 1;
      } else {
        process.exitCode = 0;
      }
    }),
);

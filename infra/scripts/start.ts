/**
 * `npm start`, the main job: synthesizes every stack of every environment into infra/cdk.out,
 * offline (no credentials, no context lookups, no network), then prints the delivery plan.
 * Exits non-zero on a configuration error, an unacknowledged cdk-nag error or a guard-rule failure.
 */
import { exitOnConfigError } from '../lib/config/exit';
import { cdkContext, DEFAULT_OUTDIR, loadProject, REPO_ROOT } from '../lib/config/project';

const config = exitOnConfigError(() => loadProject());
// aws-cdk-lib loads once the configuration is known to be valid (bin/infra.ts says why).
void Promise.all([import('../lib/plan/index.js'), import('../lib/synth.js')]).then(
  ([{ buildPlan }, { synthesize }]) =>
    exitOnConfigError(() => {
      synthesize(config, { outdir: DEFAULT_OUTDIR, context: cdkContext() });
      const plan = buildPlan(config, DEFAULT_OUTDIR, REPO_ROOT);
      process.stdout.write(`${plan.text}\n`);
      // The verdict is the plan's (finding severities), whatever exit code the synth left behind.
      process.exitCode = plan.passed ? 0 : 1;
    }),
);

/**
 * `npm run synth`: synthesizes every stack of every environment into infra/cdk.out, offline.
 * Exits non-zero on a configuration error or a policy-gate failure.
 */
import { exitOnConfigError } from '../lib/cli/exit';
import { cdkContext, DEFAULT_OUTDIR, loadProject } from '../lib/config/project';
import { synthesize } from '../lib/synth';

exitOnConfigError(() => {
  synthesize(loadProject(), { outdir: DEFAULT_OUTDIR, context: cdkContext() });
});

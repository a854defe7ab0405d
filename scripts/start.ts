/**
 * `npm start`, the main job: synthesizes every stack of every environment into infra/cdk.out
 * (offline), prints the delivery plan with the policy gates, then runs the wiring check over what
 * was synthesized and shows its summary. Exits non-zero on a configuration error, an
 * unacknowledged policy-gate error or a guard-rule failure, or any wiring finding.
 */
import { exitOnConfigError, cdkContext, DEFAULT_OUTDIR, loadProject, REPO_ROOT } from '@ias/infra/config';
import { buildPlan } from '@ias/infra/plan';
import { synthesize } from '@ias/infra/synth';
import { checkAssemblyDir, renderSummary } from '@ias/wiring';

async function main(): Promise<number> {
  const plan = exitOnConfigError(() => {
    const config = loadProject();
    synthesize(config, { outdir: DEFAULT_OUTDIR, context: cdkContext() });
    return buildPlan(config, DEFAULT_OUTDIR, REPO_ROOT);
  });
  process.stdout.write(`${plan.text}\n`);
  if (!plan.passed) {
    return 1;
  }
  // The wiring gate, after the policy gates: what each workload's code needs, against the templates.
  const report = await checkAssemblyDir(DEFAULT_OUTDIR);
  process.stdout.write(`\n${renderSummary(report)}\n`);
  return report.findings.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);

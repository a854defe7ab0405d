/**
 * `npm start`, the main job: synthesizes every stack of every environment into infra/cdk.out
 * (offline), prints the delivery plan with the policy gates, then runs the wiring check over what
 * was synthesized and shows its summary. Exits non-zero on a configuration error, an
 * unacknowledged policy-gate error or a guard-rule failure, or any wiring finding.
 */
import { exitOnConfigError, cdkContext, DEFAULT_OUTDIR, loadProject, REPO_ROOT } from '@ias/infra/config';

async function main(): Promise<number> {
  const config = exitOnConfigError(() => loadProject());
  // aws-cdk-lib and the wiring check load once the configuration is known to be valid: a bad prefix
  // or profile is reported in a fraction of a second, not after seconds of imports.
  const [{ buildPlan }, { synthesize }, { checkAssemblyDir, renderSummary }] = await Promise.all([
    import('@ias/infra/plan'),
    import('@ias/infra/synth'),
    import('@ias/wiring'),
  ]);
  const plan = exitOnConfigError(() => {
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

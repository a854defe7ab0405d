/**
 * `npm run guard:equivalence -w infra`: proves, over every template of a synthesized assembly
 * (infra/cdk.out by default, or the folder given), that the Control Tower guard rules run the way
 * the synth runs them (ParallelCfnGuardValidator: each rule over only the resources it reads) find
 * exactly what the plugin finds alone (every rule over every resource, one guard process). Prints
 * both counts and times; exits 1 on any difference, 2 when there is no assembly. Slow on purpose:
 * the plugin alone takes a minute or more on 2 cores.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContextBeta1, PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';
import { DISABLED_GUARD_RULES } from '../lib/aspects/policy-gates';
import { ParallelCfnGuardValidator } from '../lib/aspects/parallel-guard';
import { DEFAULT_OUTDIR } from '../lib/config/project';

const dir = resolve(process.argv[2] ?? DEFAULT_OUTDIR);
if (!existsSync(join(dir, 'manifest.json'))) {
  process.stderr.write(
    `guard-equivalence: no cloud assembly at ${dir}: run npm run synth first, or name an assembly's folder\n`,
  );
  process.exit(2);
}
const templatePaths = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.template.json'))
  .map((f) => join(dir, f));
const context = { templatePaths } as unknown as IPolicyValidationContextBeta1;
const disabledRules = DISABLED_GUARD_RULES.map((r) => r.rule);

/** Every finding as one line: rule, message, template, resource, locations. */
function findings(report: PolicyValidationPluginReportBeta1): string[] {
  return report.violations
    .flatMap((v) =>
      v.violatingResources.map((r) =>
        JSON.stringify([
          v.ruleName,
          v.description,
          v.fix,
          r.templatePath,
          r.resourceLogicalId,
          [...r.locations].sort(),
        ]),
      ),
    )
    .sort();
}

function timed(label: string, run: () => PolicyValidationPluginReportBeta1): string[] {
  const start = performance.now();
  const found = findings(run());
  process.stdout.write(
    `${label.padEnd(46)} ${String(found.length).padStart(4)} findings  ${((performance.now() - start) / 1000).toFixed(1)} s\n`,
  );
  return found;
}

process.stdout.write(`${templatePaths.length} templates in ${dir}\n`);
const ours = timed('each rule over the resources it reads', () =>
  new ParallelCfnGuardValidator({ disabledRules }).validate(context),
);
const alone = timed('the plugin alone, every rule over everything', () =>
  new CfnGuardValidator({ disabledRules }).validate(context),
);
const missing = alone.filter((f) => !ours.includes(f));
const extra = ours.filter((f) => !alone.includes(f));
if (missing.length > 0 || extra.length > 0) {
  process.stdout.write(
    `DIFFERENT: ${missing.length} missing, ${extra.length} extra; first: ${missing[0] ?? extra[0]}\n`,
  );
  process.exitCode = 1;
} else {
  process.stdout.write('identical findings\n');
}

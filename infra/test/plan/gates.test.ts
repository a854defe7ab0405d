import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type IPolicyValidationContextBeta1, Stack, Stage } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { addPolicyGates, DISABLED_GUARD_RULES } from '../../lib/aspects/policy-gates';
import { cdkContext, loadProject } from '../../lib/config/project';
import { buildPlan, gatesPassed, readGateResults } from '../../lib/plan';
import { ParallelCfnGuardValidator } from '../../lib/aspects/parallel-guard';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { environmentConfig } from '../support/stages';

const assemblyDir = inject('assemblyDir');
/** The prefix README.md holds: the global synth names the real app's stages with it. */
const { prefix } = loadProject({});
const scratch = mkdtempSync(join(tmpdir(), 'gates-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('policy gates on the real app', () => {
  const gates = readGateResults(assemblyDir);

  it('ran cdk-nag AwsSolutions, the Control Tower guard rules and the CloudFormation validation', () => {
    expect(gates.plugins).toEqual(
      expect.arrayContaining(['AwsSolutions', 'cdk-validator-cfnguard', 'CloudFormation Validate']),
    );
  });

  it('leaves no unacknowledged error', () => {
    expect(gates.errors).toEqual([]);
  });

  it('gives every acknowledgement a specific reason', () => {
    expect(gates.acknowledgements.length).toBeGreaterThan(0);
    for (const ack of gates.acknowledgements) {
      expect(ack.rule).not.toBe('');
      expect(ack.reason.length, `${ack.rule} on ${ack.path}`).toBeGreaterThan(40);
    }
  });

  it('never acknowledges a finding on a whole stack or stage', () => {
    for (const ack of gates.acknowledgements.filter((a) => !a.rule.startsWith('CloudFormation-Validate::'))) {
      expect(ack.path.split('/').length, `${ack.rule} on ${ack.path}`).toBeGreaterThan(2);
    }
  });

  it('turns guard rules off only with a reason', () => {
    for (const rule of DISABLED_GUARD_RULES) {
      expect(rule.rule).toMatch(/^ct-[a-z0-9]+-pr-\d+$/);
      expect(rule.reason.length).toBeGreaterThan(40);
    }
  });

  it('prints a passing plan that lists each gate and the turned-off rules', () => {
    const plan = buildPlan(loadProject({}), assemblyDir, scratch);
    expect(plan.passed).toBe(true);
    expect(plan.text).toContain('✔ AwsSolutions: 0 errors');
    expect(plan.text).toContain('✔ cdk-validator-cfnguard: 0 errors');
    expect(plan.text).toContain('guard rule ct-s3-pr-9 is turned off: Object Lock');
    expect(plan.text).toMatch(/^PASS: /m);
  });
});

describe('policy gates on a non-compliant resource', () => {
  it('fail the plan, naming the rule and the construct', () => {
    const outdir = join(scratch, 'bad');
    // A stage and stack named as an environment's foundation, holding only the careless bucket: the
    // gates on the real stages are the tests above. The built-in CloudFormation validation, which the
    // plan does not need here, is left out (its engine alone takes seconds to start).
    const app = new App({
      outdir,
      context: { ...cdkContext(), '@aws-cdk/core:appMode': 'inmemory' },
      builtinCloudFormationValidation: false,
    });
    const config = environmentConfig('dev');
    const stage = new Stage(app, 'ias-dev', {
      env: { account: config.profile.account, region: config.profile.region },
    });
    // A bucket without encryption settings, TLS enforcement, logging or versioning.
    new s3.Bucket(new Stack(stage, 'foundation'), 'Careless');
    addPolicyGates(stage);
    // aws-cdk-lib fails the synth itself, and still writes the report the plan reads.
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);

    const gates = readGateResults(outdir);
    const rules = gates.errors
      .filter((f) => f.paths.some((p) => p.includes('/Careless/')))
      .map((f) => f.rule);
    expect(rules).toEqual(
      expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10', 's3_bucket_versioning_enabled_check']),
    );

    const plan = buildPlan({ prefix: 'ias', environments: [config], functions: [] }, outdir, scratch);
    expect(plan.passed).toBe(false);
    expect(plan.text).toMatch(
      /✖ \[AwsSolutions\] AwsSolutions-S10 at ias-dev\/foundation\/Careless\/Resource/,
    );
    expect(plan.text).toMatch(/^FAIL: \d+ unacknowledged policy-gate errors/m);
  });
});

describe('judging a validation report', () => {
  function report(pluginReports: unknown[]): string {
    const dir = mkdtempSync(join(scratch, 'report-'));
    writeFileSync(join(dir, 'validation-report.json'), JSON.stringify({ pluginReports }));
    return dir;
  }
  const violation = (severity: string) => ({
    ruleName: 'some_rule',
    description: 'something is wrong',
    severity,
    violatingConstructs: [{ constructPath: 'ias-dev/foundation/Thing/Resource' }],
  });

  it('fails on an error finding even when the plugin concluded success', () => {
    const gates = readGateResults(
      report([
        { pluginName: 'cdk-validator-cfnguard', conclusion: 'success', violations: [violation('error')] },
      ]),
    );
    expect(gates.errors.map((e) => e.rule)).toEqual(['some_rule']);
    expect(gatesPassed(gates)).toBe(false);
  });

  it('fails when a plugin concluded failure, even with no error finding', () => {
    const gates = readGateResults(
      report([{ pluginName: 'AwsSolutions', conclusion: 'failure', violations: [] }]),
    );
    expect(gates.errors).toEqual([]);
    expect(gatesPassed(gates)).toBe(false);
  });

  it('passes with warnings only, listing them as warnings', () => {
    const gates = readGateResults(
      report([
        { pluginName: 'CloudFormation Validate', conclusion: 'success', violations: [violation('warning')] },
      ]),
    );
    expect(gates.warnings).toHaveLength(1);
    expect(gatesPassed(gates)).toBe(true);
  });
});

describe('ParallelCfnGuardValidator', () => {
  it('finds exactly what the plugin finds alone, each rule run over only the resources it reads, in parallel', () => {
    // One environment's three smallest templates: the plugin alone, over every resource with every
    // rule, takes most of this test's time (about a second per template), and the equivalence needs
    // findings (asserted below), not every template. `npm run guard:equivalence -w infra` compares the
    // two ways over the whole assembly.
    const real = readdirSync(assemblyDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.template.json') && f.includes(`${prefix}-dev`))
      .map((f) => ({ f: join(assemblyDir, f), bytes: statSync(join(assemblyDir, f)).size }))
      .sort((a, b) => a.bytes - b.bytes)
      .slice(0, 3)
      .map(({ f }) => f);
    expect(real).toHaveLength(3);
    const key = (r: {
      violations: {
        ruleName: string;
        violatingResources: { resourceLogicalId?: string; templatePath?: string }[];
      }[];
    }) =>
      r.violations
        .flatMap((v) =>
          v.violatingResources.map((res) => `${v.ruleName} ${res.templatePath} ${res.resourceLogicalId}`),
        )
        .sort();
    // The plugins read only the template paths of their context.
    const context = { templatePaths: real } as unknown as IPolicyValidationContextBeta1;
    const alone = new CfnGuardValidator({ disabledRules: ['ct-s3-pr-9'] }).validate(context);
    const cacheDir = join(scratch, 'guard-cache');
    const validator = () =>
      new ParallelCfnGuardValidator({ disabledRules: ['ct-s3-pr-9'], workers: 3, cacheDir });
    const first = validator();
    const parallel = first.validate(context);
    expect(key(parallel)).toEqual(key(alone));
    expect(key(parallel).length).toBeGreaterThan(0);
    expect(parallel.success).toBe(alone.success);
    expect(first.lastRun).toEqual({ templates: real.length, fromCache: 0 });

    // Again, from the cache: the same findings, no template checked.
    const second = validator();
    const cached = second.validate(context);
    expect(second.lastRun).toEqual({ templates: real.length, fromCache: real.length });
    expect(key(cached)).toEqual(key(alone));
    expect(cached.success).toBe(alone.success);

    // A template that changed is checked again, under its new path; the others come from the cache.
    const moved = join(scratch, 'changed.template.json');
    const template = JSON.parse(readFileSync(real[0] ?? '', 'utf8')) as { Description?: string };
    writeFileSync(moved, JSON.stringify({ ...template, Description: 'changed' }));
    const third = validator();
    const changed = third.validate({
      templatePaths: [moved, ...real.slice(1)],
    } as unknown as IPolicyValidationContextBeta1);
    expect(third.lastRun).toEqual({ templates: real.length, fromCache: real.length - 1 });
    expect(key(changed)).toEqual(
      key(alone)
        .map((k) => k.replace(real[0] ?? '', moved))
        .sort(),
    );

    // A cache that cannot be written (here: under a file) only costs time.
    const blocker = join(scratch, 'not-a-directory');
    writeFileSync(blocker, '');
    const unwritable = new ParallelCfnGuardValidator({
      disabledRules: ['ct-s3-pr-9'],
      cacheDir: join(blocker, 'cache'),
    });
    expect(key(unwritable.validate(context))).toEqual(key(alone));
    expect(unwritable.lastRun).toEqual({ templates: real.length, fromCache: 0 });
  });
});

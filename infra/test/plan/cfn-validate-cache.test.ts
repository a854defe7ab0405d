import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  App,
  CloudFormationValidatePlugin,
  type IPolicyValidationContext,
  type PolicyValidationPluginReport,
  type PolicyValidationStack,
} from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CachedCloudFormationValidatePlugin } from '../../lib/aspects/cached-cfn-validate';

const assemblyDir = inject('assemblyDir');
const scratch = mkdtempSync(join(tmpdir(), 'cfn-validate-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every finding as one line: rule, severity, message, template, resource, locations. */
function findings(report: PolicyValidationPluginReport): string[] {
  return report.violations
    .flatMap((v) =>
      v.violatingResources.map((r) =>
        JSON.stringify([
          v.ruleName,
          v.severity,
          v.description,
          r.templatePath,
          r.resourceLogicalId,
          r.constructPath,
          r.locations,
        ]),
      ),
    )
    .sort();
}

describe('CachedCloudFormationValidatePlugin', () => {
  // The network stacks of every environment (they hold findings, acknowledged in the app) and the
  // smallest other: the engine costs seconds to start, the equivalence needs findings, not volume.
  const stacks = new CloudAssembly(assemblyDir).nestedAssemblies
    .flatMap((n) => n.nestedAssembly.stacks)
    .map((s): PolicyValidationStack => ({
      stackConstructPath: s.hierarchicalId,
      templatePath: s.templateFullPath,
      accountId: undefined,
      region: undefined,
    }))
    .sort((a, b) => statSync(a.templatePath).size - statSync(b.templatePath).size);
  const chosen = [...stacks.filter((s) => s.templatePath.includes('network')), ...stacks.slice(0, 1)];
  const context = (stackTemplates: typeof chosen): IPolicyValidationContext => ({
    templatePaths: stackTemplates.map((s) => s.templatePath),
    stackTemplates,
    appConstruct: new App(),
  });

  it('finds what aws-cdk-lib’s plugin finds, then the same from its cache, checking only changed templates', () => {
    const cached = CachedCloudFormationValidatePlugin.forCacheDir(join(scratch, 'cache'));
    // aws-cdk-lib's own validate, run on the same instance: the same code path as the plugin alone,
    // without starting a second engine (seconds each).
    const alone = CloudFormationValidatePlugin.prototype.validate.call(cached, context(chosen));
    expect(findings(alone).length).toBeGreaterThan(0);

    expect(CachedCloudFormationValidatePlugin.forCacheDir(join(scratch, 'cache'))).toBe(cached);
    const first = cached.validate(context(chosen));
    expect(cached.lastRun).toEqual({ templates: chosen.length, fromCache: 0 });
    expect(findings(first)).toEqual(findings(alone));
    expect(first.success).toBe(alone.success);

    const second = cached.validate(context(chosen));
    expect(cached.lastRun).toEqual({ templates: chosen.length, fromCache: chosen.length });
    expect(findings(second)).toEqual(findings(alone));

    // A changed template is validated again, under its new path; the others come from the cache.
    const [changed, ...rest] = chosen;
    if (changed === undefined) throw new Error('no stack');
    const moved = join(scratch, 'changed.template.json');
    const template = JSON.parse(readFileSync(changed.templatePath, 'utf8')) as { Description?: string };
    writeFileSync(moved, JSON.stringify({ ...template, Description: 'changed' }));
    const third = cached.validate(context([{ ...changed, templatePath: moved }, ...rest]));
    expect(cached.lastRun).toEqual({ templates: chosen.length, fromCache: chosen.length - 1 });
    expect(findings(third)).toEqual(
      findings(alone)
        .map((f) => f.replace(JSON.stringify(changed.templatePath), JSON.stringify(moved)))
        .sort(),
    );
  });

  it('keys a template’s findings by its stack’s account and region too', () => {
    // The instance of the test above (its engine started): this stack's findings are in its cache.
    const cached = CachedCloudFormationValidatePlugin.forCacheDir(join(scratch, 'cache'));
    const [one] = chosen;
    if (one === undefined) throw new Error('no stack');
    cached.validate(context([one]));
    expect(cached.lastRun).toEqual({ templates: 1, fromCache: 1 });
    cached.validate(context([{ ...one, accountId: '111111111111', region: 'eu-west-3' }]));
    expect(cached.lastRun).toEqual({ templates: 1, fromCache: 0 });
  });
});

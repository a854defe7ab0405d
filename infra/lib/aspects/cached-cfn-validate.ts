import {
  CloudFormationValidatePlugin,
  type IPolicyValidationContext,
  type PolicyValidationPluginReport,
  type PolicyViolation,
} from 'aws-cdk-lib';
import { mergeByRule, ownFindings, TemplateFindingsCache } from './template-cache';

/** How the last {@link CachedCloudFormationValidatePlugin.validate} went. */
export interface ValidationCacheStats {
  readonly templates: number;
  /** Templates whose findings came from the cache. */
  readonly fromCache: number;
}

/**
 * aws-cdk-lib's built-in CloudFormation validation (the same plugin, rules and findings), with each
 * template's findings kept between synths under a key of the template's content, the stack's
 * construct path, account and region, and the validation engine's version: a synth validates only
 * the templates that changed, and starts the engine (3.4 s of rule compilation on 2 cores) only when
 * one did. Registered in place of the default instance, which aws-cdk-lib then leaves out; errors
 * are still turned into warnings or kept by aws-cdk-lib's own rules, by the plugin's name.
 *
 * Written by hand because the plugin has no cache and a re-synth of unchanged templates spent
 * about 7 s in it.
 */
export class CachedCloudFormationValidatePlugin extends CloudFormationValidatePlugin {
  private static readonly instances = new Map<string, CachedCloudFormationValidatePlugin>();

  /**
   * The instance for `cacheDir`, one per process, as aws-cdk-lib keeps one default instance: the
   * engine it starts is reused by every app synthesized in the process (the tests synthesize many).
   */
  static forCacheDir(cacheDir: string): CachedCloudFormationValidatePlugin {
    const existing = CachedCloudFormationValidatePlugin.instances.get(cacheDir);
    if (existing) {
      return existing;
    }
    const created = new CachedCloudFormationValidatePlugin(cacheDir);
    CachedCloudFormationValidatePlugin.instances.set(cacheDir, created);
    return created;
  }

  private readonly cache: TemplateFindingsCache<PolicyViolation>;
  /** How the last validation went (undefined before the first). */
  lastRun?: ValidationCacheStats;

  private constructor(cacheDir: string) {
    super();
    this.cache = new TemplateFindingsCache(cacheDir, { plugin: this.name, version: this.version });
  }

  override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const stacks = context.stackTemplates.map((stack) => ({
      stack,
      file: this.cache.file(stack.templatePath, [stack.stackConstructPath, stack.accountId, stack.region]),
    }));
    const found = new Map<string, PolicyViolation[]>();
    const missing: typeof stacks = [];
    for (const s of stacks) {
      const cached = this.cache.read(s.file, s.stack.templatePath);
      if (cached) {
        found.set(s.stack.templatePath, cached);
      } else {
        missing.push(s);
      }
    }
    if (missing.length > 0) {
      const report = super.validate({
        ...context,
        templatePaths: missing.map((m) => m.stack.templatePath),
        stackTemplates: missing.map((m) => m.stack),
      });
      const attributed = new Set(
        report.violations.flatMap((v) => v.violatingResources.map((r) => r.templatePath)),
      );
      // Findings that name no template of this run cannot be kept per template: keep none.
      const cacheable = [...attributed].every((p) => missing.some((m) => m.stack.templatePath === p));
      for (const m of missing) {
        const own = ownFindings(report.violations, m.stack.templatePath);
        found.set(m.stack.templatePath, own);
        if (cacheable) {
          this.cache.write(m.file, own);
        }
      }
    }
    this.lastRun = { templates: stacks.length, fromCache: stacks.length - missing.length };
    const violations = mergeByRule(context.stackTemplates.flatMap((s) => found.get(s.templatePath) ?? []));
    return { success: violations.every((v) => v.severity !== 'error' && v.severity !== 'fatal'), violations };
  }
}

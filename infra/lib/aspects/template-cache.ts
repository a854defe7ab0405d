import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A finding's resource, as the validation plugins report it: only its template path is read here. */
export interface FoundResource {
  readonly templatePath?: string;
}

/** A plugin's finding about some resources: only the resources are read here. */
export interface Finding<R extends FoundResource = FoundResource> {
  readonly violatingResources: readonly R[];
}

/** Stands for the template's path in cached findings (assemblies move between synths). */
const TEMPLATE = '<template>';

/**
 * A validation plugin's findings per template, kept on disk between synths under a key of the
 * template's content and `salt` (the plugin's version and settings, and whatever else the findings
 * depend on): an unchanged template is not checked again. Written by hand because a synth's
 * validation plugins have no cache of their own; shared by the guard rules and the CloudFormation
 * validation.
 */
export class TemplateFindingsCache<V extends Finding> {
  /**
   * @param dir where the findings are kept (one file per key).
   * @param salt what the findings depend on besides the template (serialised to JSON).
   */
  constructor(
    private readonly dir: string,
    private readonly salt: unknown,
  ) {}

  /**
   * The findings about `templates`, merged by rule: each template's from the cache where kept, the
   * others' from one `evaluate` over them, kept for next time (unless some finding names a template
   * outside the run, which cannot be kept per template). `extra` gives what a template's findings
   * depend on besides its content (a stack's path, account and region). `success` is `evaluate`'s,
   * or true when every template came from the cache.
   */
  collect<T extends { readonly templatePath: string }>(
    templates: readonly T[],
    evaluate: (missing: readonly T[]) => { readonly success: boolean; readonly violations: readonly V[] },
    extra?: (template: T) => unknown,
  ): { readonly success: boolean; readonly violations: V[]; readonly fromCache: number } {
    const keyed = templates.map((template) => ({
      template,
      file: this.file(template.templatePath, extra?.(template)),
    }));
    const found = new Map<string, V[]>();
    const missing: typeof keyed = [];
    for (const k of keyed) {
      const cached = this.read(k.file, k.template.templatePath);
      if (cached) {
        found.set(k.template.templatePath, cached);
      } else {
        missing.push(k);
      }
    }
    let success = true;
    if (missing.length > 0) {
      const report = evaluate(missing.map((m) => m.template));
      success = report.success;
      const paths = new Set(missing.map((m) => m.template.templatePath));
      const cacheable = report.violations.every((v) =>
        v.violatingResources.every((r) => r.templatePath !== undefined && paths.has(r.templatePath)),
      );
      for (const m of missing) {
        const own = ownFindings(report.violations, m.template.templatePath);
        found.set(m.template.templatePath, own);
        if (cacheable) {
          this.write(m.file, own);
        }
      }
    }
    const violations = mergeByRule(templates.flatMap((t) => found.get(t.templatePath) ?? []));
    return { success, violations, fromCache: templates.length - missing.length };
  }

  /** The file of `templatePath`'s findings; `extra` is hashed in too (a stack's account and region). */
  file(templatePath: string, extra?: unknown): string {
    const hash = createHash('sha256').update(JSON.stringify(this.salt));
    if (extra !== undefined) {
      hash.update(JSON.stringify(extra));
    }
    return join(this.dir, `${hash.update(readFileSync(templatePath)).digest('hex')}.json`);
  }

  /** The findings kept in `file`, about the template now at `templatePath`; undefined when none. */
  read(file: string, templatePath: string): V[] | undefined {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { violations?: unknown };
      return Array.isArray(parsed.violations) ? withPath(parsed.violations as V[], templatePath) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Keeps `findings` (about one template) in `file`, whole or not at all (a rename), so that a
   * reader never sees half. The cache only saves time: where it cannot be written (a read-only
   * checkout), the synth goes on without it.
   */
  write(file: string, findings: readonly V[]): void {
    const partial = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(partial, JSON.stringify({ violations: withPath(findings, TEMPLATE) }));
      renameSync(partial, file);
    } catch {
      try {
        rmSync(partial, { force: true });
      } catch {
        // Nothing was written there either.
      }
    }
  }
}

/** The findings about `templatePath`'s resources, each narrowed to them. */
export function ownFindings<V extends Finding>(findings: readonly V[], templatePath: string): V[] {
  return findings.flatMap((v) => {
    const resources = v.violatingResources.filter((r) => r.templatePath === templatePath);
    return resources.length > 0 ? [{ ...v, violatingResources: resources }] : [];
  });
}

/** `findings` with every resource's template path set to `templatePath`. */
export function withPath<V extends Finding>(findings: readonly V[], templatePath: string): V[] {
  return findings.map((v) => ({
    ...v,
    violatingResources: v.violatingResources.map((r) => ({ ...r, templatePath })),
  }));
}

/** One finding per rule and message, as the plugins report them, with the resources of every template. */
export function mergeByRule<V extends Finding>(findings: readonly V[]): V[] {
  const merged = new Map<string, V>();
  for (const v of findings) {
    const { violatingResources, ...rule } = v;
    const key = JSON.stringify(rule);
    const seen = merged.get(key);
    merged.set(
      key,
      seen ? { ...seen, violatingResources: [...seen.violatingResources, ...violatingResources] } : v,
    );
  }
  return [...merged.values()];
}

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type {
  IPolicyValidationContextBeta1,
  IPolicyValidationPluginBeta1,
  PolicyValidationPluginReportBeta1,
  PolicyViolationBeta1,
} from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';

/** Props of {@link ParallelCfnGuardValidator}. */
export interface ParallelCfnGuardValidatorProps {
  /** Guard rules turned off (`ct-s3-pr-9`). */
  readonly disabledRules: readonly string[];
  /** Guard processes at once. @default - the cores available */
  readonly workers?: number;
  /**
   * Where each template's findings are kept, keyed by the template's content, the plugin's version
   * (its rules and guard binary) and the disabled rules: an unchanged template is not checked again.
   * @default - no cache
   */
  readonly cacheDir?: string;
}

/** How the last {@link ParallelCfnGuardValidator.validate} went. */
export interface GuardRunStats {
  readonly templates: number;
  /** Templates whose findings came from the cache. */
  readonly fromCache: number;
}

/** One template's findings as the cache keeps them: its own resources only, its path left out. */
interface CachedFindings {
  readonly violations: PolicyViolationBeta1[];
}

/** Stands for the template's path in cached findings (assemblies move between synths). */
const TEMPLATE = '<template>';

/**
 * The AWS Control Tower guard rules of `@cdklabs/cdk-validator-cfnguard`, run over the templates in
 * several guard processes at once instead of one.
 *
 * Written by hand because the plugin runs a single, single-threaded guard process over every
 * template, at about a third of a second per template: 18 templates took 6 s of a 9.5 s synth on
 * two cores. This splits the templates (largest first, across the workers), runs the plugin itself
 * on each share in a child process (`guard-worker.cjs`), and merges the reports; the rules, the
 * findings and their format are the plugin's own. Guard's cost grows with the template (a 130 KB
 * pipeline template takes 4 s), so with `cacheDir` each template's findings are kept under a key of
 * its content, the plugin's version and the disabled rules: a synth checks only the templates that
 * changed.
 */
export class ParallelCfnGuardValidator implements IPolicyValidationPluginBeta1 {
  readonly name = 'cdk-validator-cfnguard';
  readonly version?: string;
  readonly ruleIds?: string[];
  private readonly disabledRules: string[];
  private readonly workers: number;
  private readonly cacheDir?: string;
  /** How the last validation went (undefined before the first). */
  lastRun?: GuardRunStats;

  constructor(props: ParallelCfnGuardValidatorProps) {
    this.disabledRules = [...props.disabledRules];
    this.workers = Math.max(1, props.workers ?? availableParallelism());
    this.cacheDir = props.cacheDir;
    const inner = new CfnGuardValidator({ disabledRules: this.disabledRules });
    this.version = inner.version;
    this.ruleIds = inner.ruleIds;
  }

  validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const paths = context.templatePaths;
    if (this.cacheDir === undefined) {
      this.lastRun = { templates: paths.length, fromCache: 0 };
      return this.evaluate(paths);
    }
    const keyed = paths.map((path) => ({ path, file: join(this.cacheDir ?? '', `${this.key(path)}.json`) }));
    const found = new Map<string, PolicyViolationBeta1[]>();
    const missing: typeof keyed = [];
    for (const k of keyed) {
      const cached = readCached(k.file);
      if (cached) {
        found.set(k.path, withPath(cached.violations, k.path));
      } else {
        missing.push(k);
      }
    }
    let success = true;
    if (missing.length > 0) {
      const report = this.evaluate(missing.map((m) => m.path));
      success = report.success;
      const attributed = new Set(
        report.violations.flatMap((v) => v.violatingResources.map((r) => r.templatePath)),
      );
      // Findings that name no template of this run cannot be kept per template: keep none.
      const cacheable = [...attributed].every((p) => missing.some((m) => m.path === p));
      for (const m of missing) {
        const own = ownViolations(report.violations, m.path);
        found.set(m.path, own);
        if (cacheable) {
          writeCached(m.file, { violations: withPath(own, TEMPLATE) });
        }
      }
    }
    this.lastRun = { templates: paths.length, fromCache: paths.length - missing.length };
    const violations = mergeByRule(paths.flatMap((p) => found.get(p) ?? []));
    return { success: success && violations.length === 0, violations, pluginVersion: this.version };
  }

  /** The cache key of a template: its content, the plugin's version and the disabled rules. */
  private key(templatePath: string): string {
    return createHash('sha256')
      .update(JSON.stringify({ plugin: this.version, disabled: [...this.disabledRules].sort() }))
      .update(readFileSync(templatePath))
      .digest('hex');
  }

  /** Runs the plugin over `templatePaths`, in parallel shares. */
  private evaluate(templatePaths: readonly string[]): PolicyValidationPluginReportBeta1 {
    const context = { templatePaths: [...templatePaths] } as unknown as IPolicyValidationContextBeta1;
    const shares = this.share(templatePaths);
    if (shares.length <= 1) {
      return new CfnGuardValidator({ disabledRules: this.disabledRules }).validate(context);
    }
    const dir = mkdtempSync(join(tmpdir(), 'guard-'));
    try {
      const worker = join(__dirname, 'guard-worker.cjs');
      const jobs = shares.map((templatePaths, i) => {
        const input = join(dir, `${i}.input.json`);
        writeFileSync(input, JSON.stringify({ disabledRules: this.disabledRules, templatePaths }));
        return { input, output: join(dir, `${i}.json`), status: join(dir, `${i}.status`) };
      });
      const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      const script = [
        ...jobs.map(
          (j) =>
            `(${quote(process.execPath)} ${quote(worker)} ${quote(j.input)} > ${quote(j.output)}; echo $? > ${quote(j.status)}) &`,
        ),
        'wait',
      ].join('\n');
      const run = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
      const reports = jobs.map((j) => {
        const status = readFileSync(j.status, 'utf8').trim();
        if (run.status !== 0 || status !== '0') {
          throw new Error(
            `the guard rules failed on a share of the templates (exit ${status}): ${run.stderr}`,
          );
        }
        return JSON.parse(readFileSync(j.output, 'utf8')) as PolicyValidationPluginReportBeta1;
      });
      return {
        success: reports.every((r) => r.success),
        violations: reports.flatMap((r) => r.violations),
        pluginVersion: this.version,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Splits the templates into balanced shares: largest first, each to the lightest share. */
  private share(templatePaths: readonly string[]): string[][] {
    const count = Math.min(this.workers, templatePaths.length);
    const shares = Array.from({ length: count }, () => ({ bytes: 0, paths: [] as string[] }));
    const sized = templatePaths
      .map((p) => ({ p, bytes: statSync(p).size }))
      .sort((a, b) => b.bytes - a.bytes);
    for (const { p, bytes } of sized) {
      const lightest = shares.reduce((min, s) => (s.bytes < min.bytes ? s : min));
      lightest.paths.push(p);
      lightest.bytes += bytes;
    }
    return shares.map((s) => s.paths).filter((paths) => paths.length > 0);
  }
}

/** The cached findings in `file`, or undefined (none, or unreadable: checked again). */
function readCached(file: string): CachedFindings | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CachedFindings>;
    return Array.isArray(parsed.violations) ? { violations: parsed.violations } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes `findings` to `file` whole or not at all (a rename), so a reader never sees half. The cache
 * only saves time: where it cannot be written (a read-only checkout), the synth goes on without it.
 */
function writeCached(file: string, findings: CachedFindings): void {
  const partial = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(partial, JSON.stringify(findings));
    renameSync(partial, file);
  } catch {
    try {
      rmSync(partial, { force: true });
    } catch {
      // Nothing was written there either.
    }
  }
}

/** The findings about `templatePath`'s resources, each violation narrowed to them. */
function ownViolations(
  violations: readonly PolicyViolationBeta1[],
  templatePath: string,
): PolicyViolationBeta1[] {
  return violations.flatMap((v) => {
    const resources = v.violatingResources.filter((r) => r.templatePath === templatePath);
    return resources.length > 0 ? [{ ...v, violatingResources: resources }] : [];
  });
}

/** `violations` with every resource's template path set to `templatePath`. */
function withPath(violations: readonly PolicyViolationBeta1[], templatePath: string): PolicyViolationBeta1[] {
  return violations.map((v) => ({
    ...v,
    violatingResources: v.violatingResources.map((r) => ({ ...r, templatePath })),
  }));
}

/** One violation per rule, as the plugin reports them, with the resources of every template. */
function mergeByRule(violations: readonly PolicyViolationBeta1[]): PolicyViolationBeta1[] {
  const merged = new Map<string, PolicyViolationBeta1>();
  for (const v of violations) {
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

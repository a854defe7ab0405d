import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  IPolicyValidationContextBeta1,
  IPolicyValidationPluginBeta1,
  PolicyValidationPluginReportBeta1,
  PolicyViolationBeta1,
} from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import {
  controlTowerRules,
  planGuardJobs,
  pruneTemplate,
  resourceReferences,
  type Template,
} from './guard-rules';
import { mergeByRule, TemplateFindingsCache } from './template-cache';

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

/**
 * The AWS Control Tower guard rules of `@cdklabs/cdk-validator-cfnguard`, each run over only the
 * resources it reads, in several guard processes at once.
 *
 * Written by hand because the plugin runs every rule over every resource of every template in one
 * guard process, and guard 3.1.1 pays for each (rule, resource) pair in memory churn: its musl
 * allocator maps and unmaps large blocks for every value it copies and every regular expression it
 * compiles, and on this project's 33 templates that was 221,000 munmap calls for the largest
 * template alone and 52 of the 63 s of a cold synth, most of it system time. Most rules read one or
 * two resource types (found by {@link analyseGuardRule}), so this runs rules that read the same
 * types over the templates cut down to those resources (and what they reference): the same
 * findings, a fifth of the work. The jobs ({@link planGuardJobs}) are taken by one worker process
 * per core (`guard-worker.cjs`), each running the plugin itself; the rules, the findings and their
 * format are the plugin's own. With `cacheDir`, each template's findings are kept under a key of
 * its content, the plugin's version and the disabled rules: a synth checks only the templates that
 * changed.
 */
export class ParallelCfnGuardValidator implements IPolicyValidationPluginBeta1 {
  readonly name = 'cdk-validator-cfnguard';
  readonly version?: string;
  readonly ruleIds?: string[];
  private readonly disabledRules: string[];
  private readonly workers: number;
  private readonly cache?: TemplateFindingsCache<PolicyViolationBeta1>;
  /** How the last validation went (undefined before the first). */
  lastRun?: GuardRunStats;

  constructor(props: ParallelCfnGuardValidatorProps) {
    this.disabledRules = [...props.disabledRules];
    this.workers = Math.max(1, props.workers ?? availableParallelism());
    const inner = new CfnGuardValidator({ disabledRules: this.disabledRules });
    this.version = inner.version;
    this.ruleIds = inner.ruleIds;
    this.cache =
      props.cacheDir === undefined
        ? undefined
        : new TemplateFindingsCache(props.cacheDir, {
            plugin: this.version,
            disabled: [...this.disabledRules].sort(),
          });
  }

  validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const paths = context.templatePaths;
    if (this.cache === undefined) {
      this.lastRun = { templates: paths.length, fromCache: 0 };
      return this.evaluate(paths);
    }
    const result = this.cache.collect(
      paths.map((templatePath) => ({ templatePath })),
      (missing) => this.evaluate(missing.map((m) => m.templatePath)),
    );
    this.lastRun = { templates: paths.length, fromCache: result.fromCache };
    return {
      success: result.success && result.violations.length === 0,
      violations: result.violations,
      pluginVersion: this.version,
    };
  }

  /**
   * Runs the plugin's rules over `templatePaths` as the jobs of {@link planGuardJobs}, dealt to the
   * workers: each job's templates cut down to the resources its rules read, the findings mapped back
   * to the templates they came from.
   */
  private evaluate(templatePaths: readonly string[]): PolicyValidationPluginReportBeta1 {
    const templates = templatePaths.map((p) => JSON.parse(readFileSync(p, 'utf8')) as Template);
    // What each resource mentions: the planner sizes the cut-down templates with it, the cuts follow it.
    const references = templates.map((t) => resourceReferences(t));
    const jobs = planGuardJobs(controlTowerRules(this.disabledRules), templates, this.workers, references);
    const dir = mkdtempSync(join(tmpdir(), 'guard-'));
    try {
      /** The template each data file given to guard stands for. */
      const origin = new Map<string, string>();
      const runs: GuardWorkerJob[] = jobs.map((job, j) => ({
        rules: [...job.rules],
        templatePaths: job.templates.map((i) => {
          const original = templatePaths[i] ?? '';
          if (job.types === undefined) {
            origin.set(original, original);
            return original;
          }
          const cut = join(dir, `${j}-${i}.json`);
          const template = templates[i] ?? {};
          const followed = job.followsReferences ? references[i] : undefined;
          writeFileSync(cut, JSON.stringify(pruneTemplate(template, job.types, followed)));
          origin.set(cut, original);
          return cut;
        }),
      }));
      const ordered = jobs
        .map((job, j) => ({ cost: job.cost, run: runs[j] as GuardWorkerJob }))
        .sort((x, y) => y.cost - x.cost)
        .map((j) => j.run);
      const reports =
        this.workers <= 1 || ordered.length <= 1
          ? runGuardJobs(this.disabledRules, ordered)
          : this.inWorkers(dir, ordered);
      const violations = reports.flatMap((r) =>
        r.violations.map((v) => ({
          ...v,
          violatingResources: v.violatingResources.map((res) => ({
            ...res,
            templatePath: origin.get(res.templatePath) ?? res.templatePath,
          })),
        })),
      );
      return {
        success: reports.every((r) => r.success),
        violations: mergeByRule(violations),
        pluginVersion: this.version,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Runs `jobs` in worker processes (`guard-worker.cjs`), one per core, each taking the next job
   * no other has taken: the reports, in the order of the jobs.
   */
  private inWorkers(dir: string, jobs: readonly GuardWorkerJob[]): PolicyValidationPluginReportBeta1[] {
    const worker = join(__dirname, 'guard-worker.cjs');
    const input = join(dir, 'jobs.json');
    const claims = join(dir, 'claims');
    writeFileSync(input, JSON.stringify({ disabledRules: this.disabledRules, jobs }));
    mkdirSync(claims);
    const outputs = Array.from({ length: Math.min(this.workers, jobs.length) }, (_, i) => ({
      output: join(dir, `worker-${i}.json`),
      status: join(dir, `worker-${i}.status`),
    }));
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const script = [
      ...outputs.map(
        (o) =>
          `(${[process.execPath, worker, input, claims].map(quote).join(' ')} > ${quote(o.output)}; echo $? > ${quote(o.status)}) &`,
      ),
      'wait',
    ].join('\n');
    const run = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    const reports = new Map<number, PolicyValidationPluginReportBeta1>();
    for (const o of outputs) {
      const status = readFileSync(o.status, 'utf8').trim();
      if (run.status !== 0 || status !== '0') {
        throw new Error(`the guard rules failed in a worker (exit ${status}): ${run.stderr}`);
      }
      const ran = JSON.parse(readFileSync(o.output, 'utf8')) as {
        job: number;
        report: PolicyValidationPluginReportBeta1;
      }[];
      for (const { job, report } of ran) {
        reports.set(job, report);
      }
    }
    return jobs.map((_, job) => {
      const report = reports.get(job);
      if (report === undefined) {
        throw new Error(`the guard rules' workers left job ${job} of ${jobs.length} unrun: ${run.stderr}`);
      }
      return report;
    });
  }
}

/** Rule files over data files, as a worker runs them. */
interface GuardWorkerJob {
  readonly rules: string[];
  readonly templatePaths: string[];
}

/** Runs `jobs` one after another in this process, each through the plugin: what a worker does. */
function runGuardJobs(
  disabledRules: readonly string[],
  jobs: readonly GuardWorkerJob[],
): PolicyValidationPluginReportBeta1[] {
  return jobs.map(({ rules, templatePaths }) =>
    new CfnGuardValidator({
      controlTowerRulesEnabled: false,
      rules,
      disabledRules: [...disabledRules],
    }).validate({
      templatePaths,
    } as unknown as IPolicyValidationContextBeta1),
  );
}

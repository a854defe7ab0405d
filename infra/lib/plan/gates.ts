import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DISABLED_GUARD_RULES, type DisabledGuardRule } from '../aspects/policy-gates';

/** One finding of a policy gate. */
export interface Finding {
  /** The plugin that reported it. */
  readonly plugin: string;
  /** Rule ID. */
  readonly rule: string;
  /** What the rule requires. */
  readonly description: string;
  /** `error`, `warning`, … as the plugin said. */
  readonly severity: string;
  /** Construct paths of the violating resources. */
  readonly paths: readonly string[];
}

/**
 * An acknowledgement recorded in the assembly: a rule set aside, with its reason, as a disabled
 * guard rule is, but on one construct path only.
 */
export interface Acknowledgement extends DisabledGuardRule {
  /** Construct path it was made on. */
  readonly path: string;
}

/** What the policy gates concluded about a cloud assembly. */
export interface GateResults {
  /** Findings that fail the synth (severity error or fatal, not acknowledged). */
  readonly errors: readonly Finding[];
  /** Findings reported as warnings. */
  readonly warnings: readonly Finding[];
  /** Every acknowledgement, with its reason. */
  readonly acknowledgements: readonly Acknowledgement[];
  /** Guard rules turned off project-wide, with reasons. */
  readonly disabledRules: readonly DisabledGuardRule[];
  /** Plugins that ran (from the report), plus the ones that ran clean and left no report. */
  readonly plugins: readonly string[];
  /** Plugins whose own conclusion was failure. */
  readonly failedPlugins: readonly string[];
}

interface ReportViolation {
  ruleName: string;
  description: string;
  severity?: string;
  violatingConstructs?: { constructPath: string }[];
}
interface Report {
  pluginReports?: { pluginName: string; conclusion?: string; violations?: ReportViolation[] }[];
}
interface MetadataEntry {
  type: string;
  data?: unknown;
}

/** The gates registered on every environment (see `addPolicyGates`). */
export const GATE_PLUGINS = ['AwsSolutions', 'cdk-validator-cfnguard', 'CloudFormation Validate'] as const;

function stackMetadataFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name.startsWith('assembly-')) {
      return stackMetadataFiles(path);
    }
    return entry.isFile() && entry.name.endsWith('.metadata.json') ? [path] : [];
  });
}

/**
 * Reads the policy-gate results of the cloud assembly in `outdir`: `validation-report.json`
 * (written by aws-cdk-lib when a gate reports anything) and the acknowledgements recorded in each
 * stack's metadata.
 *
 * A finding counts as an error by its severity, whatever the plugin concluded: the guard plugin
 * has been seen to conclude "success" next to unacknowledged errors.
 */
export function readGateResults(outdir: string): GateResults {
  const reportPath = join(outdir, 'validation-report.json');
  const report: Report = existsSync(reportPath)
    ? (JSON.parse(readFileSync(reportPath, 'utf8')) as Report)
    : {};
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  for (const plugin of report.pluginReports ?? []) {
    for (const v of plugin.violations ?? []) {
      const finding: Finding = {
        plugin: plugin.pluginName,
        rule: v.ruleName,
        description: v.description,
        severity: v.severity ?? 'error',
        paths: (v.violatingConstructs ?? []).map((c) => c.constructPath),
      };
      (finding.severity === 'error' || finding.severity === 'fatal' ? errors : warnings).push(finding);
    }
  }

  const acknowledgements: Acknowledgement[] = [];
  for (const file of stackMetadataFiles(outdir)) {
    const metadata = JSON.parse(readFileSync(file, 'utf8')) as Record<string, MetadataEntry[]>;
    for (const [path, entries] of Object.entries(metadata)) {
      for (const entry of entries) {
        if (entry.type === 'aws:cdk:acknowledged-rules' && entry.data && typeof entry.data === 'object') {
          for (const [rule, reason] of Object.entries(entry.data as Record<string, string>)) {
            acknowledgements.push({ path: path.replace(/^\//, ''), rule, reason });
          }
        }
      }
    }
  }

  const plugins = [...new Set([...GATE_PLUGINS, ...(report.pluginReports ?? []).map((p) => p.pluginName)])];
  const failedPlugins = [
    ...new Set(
      (report.pluginReports ?? []).filter((p) => p.conclusion === 'failure').map((p) => p.pluginName),
    ),
  ];
  return { errors, warnings, acknowledgements, disabledRules: DISABLED_GUARD_RULES, plugins, failedPlugins };
}

/** How many violating resources the findings name (a finding may name several). */
export function countFindings(findings: readonly Finding[]): number {
  return findings.reduce((n, f) => n + f.paths.length, 0);
}

/**
 * Whether the gates passed: no error-severity finding and no plugin concluding failure. Both are
 * checked because neither alone is reliable (a plugin may conclude success beside errors).
 */
export function gatesPassed(gates: GateResults): boolean {
  return gates.errors.length === 0 && gates.failedPlugins.length === 0;
}

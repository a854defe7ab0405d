import { z } from 'zod';

/**
 * The severities a finding can have, the most severe first (the order the gate compares them in).
 *
 * `UNDEFINED` is a finding the scanner could not rate (ECR basic scanning's `UNDEFINED`, Inspector's
 * `UNTRIAGED`): it is counted but never blocks.
 */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;

/** How severe a finding is, as {@link SEVERITIES} lists them. */
export type Severity = (typeof SEVERITIES)[number];

/** Where a finding was read: ECR basic scanning, Amazon Inspector (ECR enhanced scanning), npm audit. */
export type FindingSource = 'ecr-basic' | 'inspector' | 'npm-audit';

/** One vulnerability in one package, the same whichever scanner reported it. */
export interface Finding {
  /** The vulnerability: a CVE id (`CVE-2024-12345`) or a GitHub advisory id (`GHSA-xxxx-xxxx-xxxx`). */
  readonly id: string;
  readonly severity: Severity;
  /**
   * The vulnerable package, e.g. `openssl` or `semver`.
   * @default - the scanner did not name one
   */
  readonly package?: string;
  /**
   * The vulnerable package's installed version.
   * @default - the scanner did not name one (npm audit names only ranges)
   */
  readonly version?: string;
  readonly source: FindingSource;
  /**
   * A one-line title: the advisory's title, or the start of the scanner's description.
   * @default - none given
   */
  readonly title?: string;
}

/** The severities a gate may fail on: every one but `UNDEFINED`, which never blocks. */
export const failOnSchema = z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'], {
  error: `must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL (UNDEFINED never blocks)`,
});

/** A severity the gate may fail on (see {@link failOnSchema}). */
export type FailOn = z.output<typeof failOnSchema>;

/** A CVE id or a GitHub advisory id, as an exception names the finding it accepts. */
export const findingIdSchema = z
  .string()
  .regex(
    /^(CVE-[0-9]{4}-[0-9]{4,}|GHSA-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})$/i,
    'must be a CVE id (CVE-2024-12345) or a GitHub advisory id (GHSA-xxxx-xxxx-xxxx)',
  );

/** The GitHub advisory id in a text such as `https://github.com/advisories/GHSA-c2qf-rxjj-qqgw`. */
export function ghsaIdIn(text: string): string | undefined {
  const match = /GHSA-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}/i.exec(text);
  return match ? `GHSA${match[0].slice(4).toLowerCase()}` : undefined;
}

/** A scanner's severity word as a {@link Severity}; a word the gate does not know is `UNDEFINED`. */
export function toSeverity(word: string | undefined): Severity {
  const upper = (word ?? '').toUpperCase();
  // npm audit says moderate and info; Inspector says UNTRIAGED for a finding it has not rated.
  const alias: Readonly<Record<string, Severity>> = { MODERATE: 'MEDIUM', INFO: 'INFORMATIONAL' };
  return alias[upper] ?? SEVERITIES.find((severity) => severity === upper) ?? 'UNDEFINED';
}

/** Whether `severity` is `failOn` or more severe. `UNDEFINED` never is. */
export function atOrAbove(severity: Severity, failOn: FailOn): boolean {
  return severity !== 'UNDEFINED' && SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(failOn);
}

/** `id SEVERITY package@version: title`, the way the gate's summary lists a finding. */
export function describeFinding(finding: Finding): string {
  const where = finding.package
    ? ` ${finding.package}${finding.version ? `@${finding.version}` : ''}`
    : ' (no package named)';
  return `${finding.id} ${finding.severity}${where}${finding.title ? `: ${finding.title}` : ''}`;
}

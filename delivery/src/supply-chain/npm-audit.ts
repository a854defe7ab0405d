import { z } from 'zod';
import { DeliveryError, oneLine } from '../errors.js';
import { describeIssues } from '../schemas.js';
import { type Finding, ghsaIdIn, toSeverity } from './findings.js';

// One advisory in a vulnerability's `via`; a string there names another vulnerable package that this
// one depends on, reported under its own entry.
const advisorySchema = z.looseObject({
  source: z.union([z.number(), z.string()]).optional(),
  name: z.string().optional(),
  title: z.string().optional(),
  url: z.string().optional(),
  severity: z.string().optional(),
  range: z.string().optional(),
});

/**
 * `npm audit --json` as npm 7 to 11 write it (audit report version 2):
 * `{ vulnerabilities: { <package>: { severity, via: [advisory | package name], range, fixAvailable } } }`.
 */
const auditReportSchema = z.looseObject({
  vulnerabilities: z.record(
    z.string(),
    z.looseObject({
      name: z.string().optional(),
      severity: z.string().optional(),
      via: z.array(z.union([z.string(), advisorySchema])),
    }),
  ),
});

/** npm's own error report, e.g. `{ "error": { "code": "ENOLOCK", "summary": "…" } }`. */
const auditErrorSchema = z.looseObject({
  error: z.looseObject({ code: z.string().optional(), summary: z.string().optional() }),
});

/**
 * The findings of an `npm audit --json` report: one per advisory named in a vulnerability's `via`, its
 * id the GitHub advisory id of the advisory's URL (`https://github.com/advisories/GHSA-…`), its package
 * the vulnerable package. npm names no installed version, only the vulnerable range, which the title
 * carries. The same advisory reached through several paths counts once per package.
 *
 * Throws {@link DeliveryError} `BAD_INPUT`, naming `source`, for a report npm wrote about its own
 * failure (no lockfile, registry unreachable), an audit report of npm 6 (no `vulnerabilities`), or
 * anything else.
 */
export function parseNpmAudit(report: unknown, source = 'npm audit report'): Finding[] {
  const failed = auditErrorSchema.safeParse(report);
  if (failed.success) {
    const { code, summary } = failed.data.error;
    throw new DeliveryError(
      'BAD_INPUT',
      `${source}: npm audit failed (${code ?? 'no code'}: ${summary ?? 'no summary'}): there are no findings to decide on`,
    );
  }
  const parsed = auditReportSchema.safeParse(report);
  if (!parsed.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${source}: not an npm audit --json report of npm 7 or later: ${describeIssues(parsed.error)}`,
    );
  }
  const findings = new Map<string, Finding>();
  for (const [key, vulnerability] of Object.entries(parsed.data.vulnerabilities)) {
    for (const advisory of vulnerability.via) {
      if (typeof advisory === 'string') {
        continue;
      }
      const packageName = advisory.name ?? vulnerability.name ?? key;
      // An advisory of a registry other than GitHub's has no GHSA id: its URL is the best name it has.
      const id = ghsaIdIn(advisory.url ?? '') ?? advisory.url ?? `npm-advisory-${String(advisory.source)}`;
      const title = [advisory.title, advisory.range ? `(vulnerable ${advisory.range})` : undefined]
        .filter((part) => part !== undefined)
        .join(' ');
      findings.set(`${id} ${packageName}`, {
        id,
        severity: toSeverity(advisory.severity ?? vulnerability.severity),
        package: packageName,
        source: 'npm-audit',
        ...(title ? { title: oneLine(title, 160) } : {}),
      });
    }
  }
  return [...findings.values()];
}

import { CHECKS, type Finding, type WiringReport } from './check/check';

/** The report as text: per stage a table of workloads × checks, then each finding on one line. */
export function renderReport(report: WiringReport): string {
  const lines: string[] = [];
  for (const stage of report.stages) {
    lines.push(`== wiring: ${stage.stageId} ==`);
    const width = Math.max(8, ...stage.rows.map((r) => r.workload.length));
    lines.push(`  ${'workload'.padEnd(width)}  ${CHECKS.map((c) => c.padEnd(13)).join(' ')}`.trimEnd());
    for (const row of stage.rows) {
      const cells = CHECKS.map((c) => {
        const value = row.cells[c];
        const text = value === 'ok' ? '✔' : value === 'n/a' ? '-' : `✘ ${value.length}`;
        return text.padEnd(13);
      });
      lines.push(`  ${row.workload.padEnd(width)}  ${cells.join(' ')}`.trimEnd());
    }
  }
  if (report.findings.length > 0) {
    lines.push('', `${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}:`);
    lines.push(...report.findings.map(renderFinding));
  }
  lines.push('', summaryLine(report));
  return lines.join('\n');
}

/** One finding on one line: stage, workload, what fails at run time, what is missing. */
export function renderFinding(f: Finding): string {
  return `  ✘ ${f.stage} ${f.workload} [${f.check}] ${f.fails} — missing: ${f.missing}`;
}

/** The verdict in one line. */
export function summaryLine(report: WiringReport): string {
  const workloads = report.stages.reduce((n, s) => n + s.rows.length, 0);
  const stages = report.stages.length;
  return report.findings.length === 0
    ? `PASS: wiring of ${workloads} workloads in ${stages} stages (permissions, configuration, network, database)`
    : `FAIL: ${report.findings.length} wiring finding${report.findings.length === 1 ? '' : 's'} in ${workloads} workloads of ${stages} stages`;
}

/**
 * The check in a few lines, for the delivery plan: per stage its workloads and the checks passed,
 * then every finding and the verdict.
 */
export function renderSummary(report: WiringReport): string {
  const lines = ['== wiring (npm run wiring for the table) =='];
  for (const stage of report.stages) {
    const failing = stage.rows.filter((r) => CHECKS.some((c) => Array.isArray(r.cells[c])));
    const status = failing.length === 0 ? '✔ every check' : `✘ ${failing.map((r) => r.workload).join(', ')}`;
    lines.push(`  ${stage.stageId}: ${stage.rows.length} workloads, ${status}`);
  }
  lines.push(...report.findings.map(renderFinding), '', summaryLine(report));
  return lines.join('\n');
}

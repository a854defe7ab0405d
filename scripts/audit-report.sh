#!/usr/bin/env bash
# scripts/audit-report.sh <workspace> <output.json>: the npm audit report of one workspace's production
# dependencies (`npm audit --json --omit=dev`), written for a supply-chain gate to decide on later
# (`npx tsx delivery/src/supply-chain/cli.ts npm-audit --audit-file <output.json> …`). The GitHub
# delivery workflows write it beside the artifact they build, as the CodeBuild builds do.
#
# npm audit exits 1 whenever it finds a vulnerability, whatever its severity: the gate decides, so that
# exit alone is no failure. A report with `error`, or no JSON at all, is: npm could not audit, and a
# gate would pass with nothing checked. Exits 0 when the report is written, 1 when npm could not audit,
# 2 on bad usage.
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: scripts/audit-report.sh <workspace> <output.json>" >&2
  exit 2
fi
workspace=$1
output=$2
mkdir -p "$(dirname "$output")"
npm audit --json --omit=dev --workspace "$workspace" >"$output" || true
# The single quotes hold JavaScript: its ${…} are template literals, not shell expansions.
# shellcheck disable=SC2016
node -e '
  const [file, workspace] = process.argv.slice(1);
  let report;
  try {
    report = JSON.parse(require("node:fs").readFileSync(file, "utf8"));
  } catch (e) {
    console.error(`audit-report: npm audit of ${workspace} wrote no JSON (${e.message}): nothing was audited`);
    process.exit(1);
  }
  if (report === null || typeof report !== "object" || "error" in report) {
    const why = [JSON.stringify(report && report.error), report && report.message].filter(Boolean).join(": ");
    console.error(`audit-report: npm audit of ${workspace} failed (${why}): nothing was audited`);
    process.exit(1);
  }
' "$output" "$workspace"

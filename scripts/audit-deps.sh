#!/usr/bin/env bash
# npm run audit:deps: the production dependencies' known vulnerabilities (`npm audit --omit=dev`) through
# the supply-chain gate, which blocks at HIGH and above unless supply-chain/exceptions.json excepts the
# finding until a date. Needs the registry's audit endpoint, so it runs in the GitHub CI workflow, not in
# `npm test` or `npm run lint`, which must work offline.
#
# Exits 0 when the gate passes, 1 when it blocks or npm audit could not run at all (no registry, no
# audit endpoint, no lockfile), 2 when the gate is given bad input.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
report="$(mktemp "${TMPDIR:-/tmp}/npm-audit-XXXXXX.json")"
trap 'rm -f "$report"' EXIT

# npm audit exits 1 whenever it finds a vulnerability, whatever its severity: the gate decides, so that
# exit alone is no failure. A report without a `vulnerabilities` key is: npm wrote `{"error": …}` (or
# nothing) because it could not audit, and an empty gate would pass with nothing checked.
npm audit --json --omit=dev >"$report" || true
# The single quotes hold JavaScript: its ${…} are template literals, not shell expansions.
# shellcheck disable=SC2016
if ! node -e '
  const [file] = process.argv.slice(1);
  let report;
  try {
    report = JSON.parse(require("node:fs").readFileSync(file, "utf8"));
  } catch {
    report = undefined;
  }
  if (report === null || typeof report !== "object" || !("vulnerabilities" in report)) {
    const why = report && typeof report === "object" && "error" in report
      ? [report.error && report.error.code, report.error && report.error.summary, report.message]
          .filter(Boolean).join(": ") || "an error report"
      : "no JSON report";
    console.error(`audit:deps: npm audit could not run (${why}): nothing was audited`);
    process.exit(1);
  }
' "$report"; then
  exit 1
fi

status=0
npx tsx delivery/src/supply-chain/cli.ts npm-audit --audit-file "$report" --fail-on HIGH \
  --exceptions supply-chain/exceptions.json || status=$?
exit "$status"

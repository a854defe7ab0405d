#!/usr/bin/env bash
# ValidateService: waits until inventory-api answers GET /ready with 200 on this instance, polling
# IAS_VALIDATE_ATTEMPTS times (default 30), IAS_VALIDATE_INTERVAL seconds apart (default 2), each
# request allowed 2 seconds; the appspec's timeout covers the worst case. On failure, prints the last
# lines of the service's log and its unit status, then fails the deployment.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

attempts="${IAS_VALIDATE_ATTEMPTS:-30}"
interval="${IAS_VALIDATE_INTERVAL:-2}"
[[ "$attempts" =~ ^[1-9][0-9]*$ ]] ||
  ias_die "IAS_VALIDATE_ATTEMPTS must be a whole number from 1, not '$attempts'"
[[ "$interval" =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
  ias_die "IAS_VALIDATE_INTERVAL must be a number of seconds, not '$interval'"

[[ -r "$IAS_ENVIRONMENT_FILE" ]] ||
  ias_die "cannot read $IAS_ENVIRONMENT_FILE, which AfterInstall writes: see that hook's output in this deployment"
# PORT as AfterInstall wrote it (PORT="3000"); the service's own default when the settings have none.
port="$(sed -n 's/^PORT="\(.*\)"$/\1/p' "$IAS_ENVIRONMENT_FILE" | tail -n 1)"
port="${port:-3000}"
[[ "$port" =~ ^[0-9]+$ ]] ||
  ias_die "PORT in $IAS_ENVIRONMENT_FILE is '$port', not a port number: fix the PORT setting and redeploy"

url="http://127.0.0.1:$port/ready"
error="$(mktemp)"
trap 'rm -f "$error"' EXIT
for ((attempt = 1; attempt <= attempts; attempt++)); do
  if curl -fsS --max-time 2 -o /dev/null "$url" 2>"$error"; then
    ias_log "$url answered 200 (attempt $attempt of $attempts)"
    exit 0
  fi
  if ((attempt < attempts)); then
    sleep "$interval"
  fi
done

last="$(grep -m 1 -v '^[[:space:]]*$' "$error" || true)"
{
  echo "--- last lines of ${IAS_LOG_FILE#"${IAS_ROOT:-}"} ---"
  tail -n 50 "$IAS_LOG_FILE" 2>/dev/null || echo "(no log file)"
  echo "--- systemctl status $IAS_UNIT ---"
  # status exits 3 when the unit is not running: what it prints is the point.
  systemctl status --no-pager --lines=20 "$IAS_UNIT" || true
  echo "---"
} >&2
ias_die "$url did not answer 200 after $attempts attempts, $interval s apart (last: ${last:-no answer}): the service's log and status are above"

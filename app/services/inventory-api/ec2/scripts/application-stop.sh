#!/usr/bin/env bash
# ApplicationStop: stops inventory-api before the new revision's files are installed. CodeDeploy runs
# this hook from the revision deployed before (none on an instance's first deployment); an instance
# where the unit was never installed has nothing to stop.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ ! -e "$IAS_UNIT_FILE" ]]; then
  ias_log "$IAS_UNIT is not installed (first deployment on this instance): nothing to stop"
  exit 0
fi
# The service drains its requests in flight on SIGTERM (TimeoutStopSec in the unit bounds the wait).
systemctl stop "$IAS_UNIT"
ias_log "stopped $IAS_UNIT"

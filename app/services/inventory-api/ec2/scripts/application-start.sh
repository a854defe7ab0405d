#!/usr/bin/env bash
# ApplicationStart: starts inventory-api with the bundle and app.env just installed, and at every boot
# after (an instance the Auto Scaling group replaces gets a deployment of its own).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

systemctl enable "$IAS_UNIT"
# restart, not start: it also starts the new bundle when ApplicationStop could not stop the old one.
systemctl restart "$IAS_UNIT"
ias_log "started $IAS_UNIT"

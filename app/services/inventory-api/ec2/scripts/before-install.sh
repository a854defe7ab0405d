#!/usr/bin/env bash
# BeforeInstall: the user the service runs as, its directories, and no bundle left from the revision
# before (CodeDeploy then copies the new dist/ into place).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# A system user with its own group, no home and no login shell. /sbin/nologin is the shell written
# into the user's entry, not a file of this host's tree, so it has no IAS_ROOT.
if id -u "$IAS_USER" >/dev/null 2>&1; then
  ias_log "user $IAS_USER exists"
else
  useradd --system --user-group --no-create-home --shell /sbin/nologin "$IAS_USER"
  ias_log "created system user $IAS_USER"
fi

# The settings' directory (the user data made it, with settings.env): root's, readable by all; app.env,
# the only file here with secrets, has its own mode.
mkdir -p "$(dirname "$IAS_ENVIRONMENT_FILE")"
# The log directory is the user's (the unit may write there, and nowhere else); readable by all, so
# that the CloudWatch agent ships app.log whichever user it runs as.
log_dir="$(dirname "$IAS_LOG_FILE")"
mkdir -p "$log_dir"
chown "$IAS_USER:$IAS_USER" "$log_dir"
chmod 0755 "$log_dir"
# The bundle is root's and read-only to the service (ProtectSystem=strict).
mkdir -p "$IAS_INSTALL_DIR"
rm -rf "$IAS_INSTALL_DIR/dist"
ias_log "ready to install into $IAS_INSTALL_DIR/dist"

#!/usr/bin/env bash
# AfterInstall: installs the revision's systemd unit, resolves the settings the user data wrote
# (settings.env) into the environment the unit starts with (app.env), and rotates the service's log.
#
# settings.env holds lines NAME=value, or NAME=ssm:<parameter> for a value read from Systems Manager
# Parameter Store (decrypted) at each deployment, so a changed parameter reaches the next deployment;
# blank lines and # comments are allowed, and AWS_REGION=<region> names the region to read in. Values
# are taken as written: no quotes, no expansion. Every line is checked before any parameter is read, and
# app.env is replaced only once every value is known (a temporary file renamed over it): on any failure
# the previous app.env stays as it was.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# --- The unit ----------------------------------------------------------------------------------------
mkdir -p "$(dirname "$IAS_UNIT_FILE")"
install -m 0644 "$IAS_REVISION_DIR/systemd/$IAS_UNIT" "$IAS_UNIT_FILE"
systemctl daemon-reload
ias_log "installed $IAS_UNIT_FILE"

# --- settings.env → app.env --------------------------------------------------------------------------
settings="$IAS_SETTINGS_FILE"
fix="fix the launch template's user data, which writes it, then redeploy"
[[ -f "$settings" && -r "$settings" ]] ||
  ias_die "cannot read $settings: the launch template's user data writes it at first boot (see /var/log/cloud-init-output.log on the instance); $fix"

names=()
values=()
lines=()
region=""
needs_region=false
number=0
while IFS= read -r line || [[ -n "$line" ]]; do
  number=$((number + 1))
  # Blank lines and comments.
  [[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
  # Values are never printed: they may be secrets.
  [[ "$line" == *=* ]] ||
    ias_die "$settings line $number is not NAME=value or NAME=ssm:<parameter> (no '='); $fix"
  name="${line%%=*}"
  value="${line#*=}"
  [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] ||
    ias_die "$settings line $number: '$name' is not a variable name (letters, digits and _, not starting with a digit); $fix"
  if [[ "$value" == ssm:* ]]; then
    [[ -n "${value#ssm:}" ]] ||
      ias_die "$settings line $number: $name=ssm: names no parameter (NAME=ssm:<parameter name>); $fix"
    needs_region=true
  fi
  if [[ "$name" == AWS_REGION ]]; then
    region="$value"
  fi
  names+=("$name")
  values+=("$value")
  lines+=("$number")
done <"$settings"

if [[ "$needs_region" == true && -z "$region" ]]; then
  ias_die "$settings has no AWS_REGION=<region> line, needed to read its ssm: parameters; $fix"
fi

env_dir="$(dirname "$IAS_ENVIRONMENT_FILE")"
tmp="$(mktemp "$env_dir/.app.env.XXXXXX")"
error="$(mktemp)"
trap 'rm -f "$tmp" "$error"' EXIT

# systemd's EnvironmentFile reads a double-quoted value as the shell does: \ escapes " \ ` and $, and a
# newline is kept. So every value is written double-quoted, whatever it holds.
# https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html#EnvironmentFile=
quote() {
  local v="$1"
  v="${v//\\/\\\\}"
  v="${v//\"/\\\"}"
  v="${v//\`/\\\`}"
  v="${v//\$/\\\$}"
  printf '"%s"' "$v"
}

printf '# Resolved from %s by CodeDeploy deployment %s, anew at each deployment: do not edit.\n' \
  "${IAS_SETTINGS_FILE#"${IAS_ROOT:-}"}" "${DEPLOYMENT_ID:-unknown}" >"$tmp"
for i in "${!names[@]}"; do
  name="${names[$i]}"
  value="${values[$i]}"
  if [[ "$value" == ssm:* ]]; then
    parameter="${value#ssm:}"
    if ! value="$(AWS_PAGER="" aws ssm get-parameter --name "$parameter" --with-decryption \
      --query Parameter.Value --output text --region "$region" 2>"$error")"; then
      # The CLI's message (ParameterNotFound, AccessDeniedException, …) is its first non-blank line.
      reason="$(grep -m 1 -v '^[[:space:]]*$' "$error" || true)"
      ias_die "$settings line ${lines[$i]}: cannot read SSM parameter $parameter for $name in $region (${reason:-aws exited with no message}): check that the parameter exists in that region and that the instance role may ssm:GetParameter it (and kms:Decrypt a SecureString), then redeploy; app.env is unchanged"
    fi
  fi
  printf '%s=%s\n' "$name" "$(quote "$value")" >>"$tmp"
done

# Readable by root (systemd reads it before dropping privileges) and the service's group only.
chmod 0640 "$tmp"
chown "root:$IAS_USER" "$tmp"
mv -f "$tmp" "$IAS_ENVIRONMENT_FILE"
ias_log "wrote $IAS_ENVIRONMENT_FILE (${#names[@]} settings)"

# --- Log rotation ------------------------------------------------------------------------------------
# copytruncate: systemd holds app.log open (StandardOutput=append:), so the file is copied then
# truncated in place rather than moved.
mkdir -p "$(dirname "$IAS_LOGROTATE_FILE")"
cat >"$IAS_LOGROTATE_FILE" <<LOGROTATE
${IAS_LOG_FILE#"${IAS_ROOT:-}"} {
    daily
    rotate 7
    compress
    delaycompress
    missingok
    notifempty
    copytruncate
}
LOGROTATE
chmod 0644 "$IAS_LOGROTATE_FILE"
ias_log "installed $IAS_LOGROTATE_FILE"

#!/usr/bin/env bash
# Sourced by every CodeDeploy hook of inventory-api's EC2 revision (appspec.yml): the places on the
# instance, which must agree with ec2HostPaths('inventory-api') in targets/src/kinds/ec2/target.ts (the
# launch template's user data and the CloudWatch agent read the same table), and the helpers the hooks
# share. Every absolute path starts with ${IAS_ROOT:-}, unset on an instance, so that the tests run the
# hooks against a temporary root.
#
# Variables assigned here are read by the hooks that source this file.
# shellcheck disable=SC2034

readonly IAS_APP=inventory-api
readonly IAS_USER=inventory-api
readonly IAS_UNIT=inventory-api.service
readonly IAS_INSTALL_DIR="${IAS_ROOT:-}/opt/inventory-api"
readonly IAS_SETTINGS_FILE="${IAS_ROOT:-}/etc/inventory-api/settings.env"
readonly IAS_ENVIRONMENT_FILE="${IAS_ROOT:-}/etc/inventory-api/app.env"
readonly IAS_LOG_FILE="${IAS_ROOT:-}/var/log/inventory-api/app.log"
readonly IAS_UNIT_FILE="${IAS_ROOT:-}/etc/systemd/system/inventory-api.service"
readonly IAS_LOGROTATE_FILE="${IAS_ROOT:-}/etc/logrotate.d/inventory-api"

# The revision's root (appspec.yml, scripts/, systemd/, dist/): CodeDeploy runs the hooks from its own
# directory, so the hooks find the revision's files from their own path, never from the working directory.
IAS_REVISION_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly IAS_REVISION_DIR

# The hook's name in messages: CodeDeploy's LIFECYCLE_EVENT (AfterInstall, …), else the script's name.
readonly IAS_HOOK="${LIFECYCLE_EVENT:-$(basename "$0" .sh)}"

# Prints one line on stdout, prefixed with the application and the hook (the CodeDeploy agent keeps it
# in the deployment's log).
ias_log() {
  printf '%s %s: %s\n' "$IAS_APP" "$IAS_HOOK" "$*"
}

# Fails the hook with one message on stderr: what went wrong and what to do.
ias_die() {
  printf '%s %s: %s\n' "$IAS_APP" "$IAS_HOOK" "$*" >&2
  exit 1
}

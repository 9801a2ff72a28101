#!/usr/bin/env bash
# TypeScript clients of every contract, generated from schema/ with
# @cosmwasm/ts-codegen into app/src/contracts/ (committed).
#   ci/app-codegen.sh          check: regenerate into a temporary folder, fail if it
#                              differs from app/src/contracts, and type-check the
#                              clients with tsc --strict
#   ci/app-codegen.sh --write  regenerate app/src/contracts (then commit it)
. "$(dirname "$0")/env.sh"
. "$ROOT/ci/app-lib.sh"
mode="${1:-check}"
app_install
cd "$APP"
if [ "$mode" = "--write" ]; then
  node scripts/codegen.mjs src/contracts
else
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  node scripts/codegen.mjs "$tmp/contracts" >/dev/null
  if ! diff -ru src/contracts "$tmp/contracts" > "$tmp/diff"; then
    echo "app/src/contracts differs from what schema/ generates (run ci/app-codegen.sh --write and commit):"
    head -60 "$tmp/diff"
    exit 1
  fi
  echo "app/src/contracts matches schema/"
fi
npx tsc -p tsconfig.contracts.json
echo "app/src/contracts type-checks (tsc --strict)"

#!/usr/bin/env bash
# JSON schemas of every contract, one folder each under schema/<contract>/.
#   ci/schema.sh          check: fail if schema/ differs from what the code generates
#   ci/schema.sh --write  regenerate schema/ (then commit it)
. "$(dirname "$0")/env.sh"
cd "$ROOT"
mode="${1:-check}"
status=0
for name in $(contracts); do
  [ -f "contracts/$name/src/bin/schema.rs" ] || continue
  cargo build -q --locked -p "$name" --bin schema
  tmp=$(mktemp -d)
  # write_api! writes to ./schema and wipes it: run each contract in its own folder.
  ( cd "$tmp" && "$CARGO_TARGET_DIR/debug/schema" >/dev/null )
  if [ "$mode" = "--write" ]; then
    rm -rf "schema/$name"; mkdir -p schema; mv "$tmp/schema" "schema/$name"
    echo "wrote schema/$name"
  elif ! diff -ru "schema/$name" "$tmp/schema" > "$tmp/diff" 2>&1; then
    echo "schema/$name differs from the code (run ci/schema.sh --write and commit):"
    head -40 "$tmp/diff"
    status=1
  else
    echo "schema/$name matches the code"
  fi
  rm -rf "$tmp"
done
exit $status

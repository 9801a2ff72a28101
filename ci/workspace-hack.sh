#!/usr/bin/env bash
# packages/workspace-hack: one feature set per dependency, whatever cargo builds.
#   ci/workspace-hack.sh          check: fail if packages/workspace-hack/Cargo.toml
#                                 differs from what the workspace's resolution gives
#   ci/workspace-hack.sh --write  regenerate it (then commit it and Cargo.lock)
#
# Why: cargo resolves a dependency's features from the packages a command
# selects. `cargo test --workspace` turns on the union of every member's needs;
# `cargo test -p aip-matcher --features e2e` or `cargo build -p settlement --bin
# schema` turn on fewer, and cargo builds those dependencies again (measured on
# an empty target dir after `cargo test --workspace --no-run`: 86 crates for one
# contract's schema binary, 199 for the gas harness, 221 for the matcher's e2e
# tests). ci/test.sh runs about fifteen such commands. Every member depends on
# workspace-hack (on every platform but wasm32), which depends on each
# dependency that some member alone resolves to fewer features than the
# workspace (`cargo tree --workspace`, the members' default features), with the
# workspace's features, split as cargo splits them: the code that runs in the
# build (build scripts, proc macros and their dependencies) under
# [build-dependencies], the rest under [dependencies] (ci/workspace-hack.py).
# So every command resolves to the same features and reuses what the first
# built. The contracts' wasm32 builds do not see it.
. "$(dirname "$0")/env.sh"
cd "$ROOT"
mode="${1:-check}"
out="packages/workspace-hack/Cargo.toml"
tmp=$(mktemp)
trap 'rm -rf "$tmp" "$tmp".*' EXIT
# Every member but this crate depends on it (the two lines in its README).
missing=$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] != "workspace-hack" and not any(d["name"] == "workspace-hack" for d in p["dependencies"]):
        print(p["manifest_path"])')
if [ -n "$missing" ]; then
  echo "these members do not depend on workspace-hack (packages/workspace-hack/README.md, \"How\"):" >&2
  echo "$missing" >&2
  exit 1
fi
# The pins are computed afresh from no pins at all (this crate's manifest cut
# to its [package] table), then again with the pins found, until nothing
# changes: a pinned crate can bring its own dependencies into a member's build
# with fewer features, and those are pinned in the next round. Cargo.toml
# here and Cargo.lock are put back afterwards.
hack="packages/workspace-hack/Cargo.toml"
cp "$hack" "$tmp.manifest"; cp Cargo.lock "$tmp.lock"
restore() { cp "$tmp.manifest" "$hack"; cp "$tmp.lock" Cargo.lock; }
trap 'restore; rm -rf "$tmp" "$tmp".*' EXIT
members=$(cargo metadata --no-deps --format-version 1 \
  | python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["packages"] if p["name"] != "workspace-hack"))')
tree() { cargo tree -f '{p}|{f}' "$@"; }
# --write starts from no pins; the check starts from the committed pins and
# passes when one round gives them back (a fixed point; whether some pin could
# go is --write's question).
[ "$mode" = "--write" ] && sed -n '/^\[package\]/,/^$/p' "$tmp.manifest" > "$hack"
rounds=0
while :; do
  rounds=$((rounds + 1))
  [ "$rounds" -le 6 ] || { echo "workspace-hack: the pins did not settle in 6 rounds" >&2; exit 1; }
  rm -rf "$tmp.trees"; mkdir -p "$tmp.trees"
  tree --workspace -e normal,build,dev > "$tmp.trees/workspace"
  # Each member alone, with and without its dev-dependencies (`cargo test -p X`,
  # `cargo build -p X`): a dependency that has the workspace's features in
  # every member's own resolution has them in any selection of members.
  for m in $members; do
    tree -p "$m" -e normal,build,dev > "$tmp.trees/$m.dev"
    tree -p "$m" -e normal,build > "$tmp.trees/$m.nodev"
  done
  python3 "$ROOT/ci/workspace-hack.py" "$tmp.trees" "$hack" > "$tmp"
  if cmp -s "$tmp" "$hack" || [ "$mode" != "--write" ]; then break; fi
  cp "$tmp" "$hack"
done
restore; trap 'rm -rf "$tmp" "$tmp".*' EXIT
if [ "$mode" = "--write" ]; then
  mv "$tmp" "$out"
  cargo metadata --format-version 1 >/dev/null   # records the new dependency edges in Cargo.lock
  echo "wrote $out ($(grep -c '^[a-z0-9_-]* = {' "$out") pins)"
elif ! diff -u "$out" "$tmp"; then
  echo "$out differs from the workspace's resolution: run ci/workspace-hack.sh --write and commit it and Cargo.lock" >&2
  exit 1
else
  echo "$out matches the workspace's resolution"
fi

#!/usr/bin/env bash
# The test command: everything CI runs. Installs what it needs on the first run.
#   fmt check, clippy -D warnings, all tests, wasm build + optimize + cosmwasm-check,
#   schema drift check.
. "$(dirname "$0")/env.sh"
cd "$ROOT"
start=$(date +%s)
"$ROOT/ci/install-tools.sh"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "wasm pipeline"
"$ROOT/ci/build-wasm.sh"

step "schema check"
"$ROOT/ci/schema.sh"

step "all checks passed in $(( $(date +%s) - start )) s"

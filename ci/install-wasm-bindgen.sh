#!/usr/bin/env bash
# Build the `wasm-bindgen` CLI (crate `wasm-bindgen-cli` from crates.io) at the
# version packages/zk-kyc-wasm pins, once, cached by version under
# $AIP_CACHE/tools/wasm-bindgen-<version>/bin/wasm-bindgen.
# Idempotent: a second run with the binary present returns at once.
# Prints the path of the binary on stdout.
#
# Only the `wasm-bindgen` binary is built (the crate also has the test runner
# and wasm2es6js), with a profile lighter than `release`, like Hermes's
# (ci/install-hermes.sh): opt-level 1, no LTO, no debug info, 16 codegen
# units. The CLI's speed matters little here (it binds one module), its build
# time on 2 cores a lot; its output for the app's prover is byte-identical to
# that of a release build (docs/build.md).
# Its own target dir (removed afterwards), so that it never waits for the
# workspace build's lock when it runs in the background of ci/test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${AIP_CACHE:-$HOME/.cache/aipchain}"
WB_VERSION=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$ROOT/packages/zk-kyc-wasm/Cargo.toml")
[ -n "$WB_VERSION" ] || { echo "packages/zk-kyc-wasm/Cargo.toml must pin wasm-bindgen = \"=X.Y.Z\"" >&2; exit 1; }
out="$CACHE/tools/wasm-bindgen-$WB_VERSION"
bin="$out/bin/wasm-bindgen"
if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  echo "$bin"; exit 0
fi
echo "building wasm-bindgen-cli $WB_VERSION from crates.io (first run only)" >&2
start=$(date +%s)
target="${WB_TARGET_DIR:-$CACHE/target-wasm-bindgen}"
mkdir -p "$out"
cd "$out"   # outside any clone: no rust-toolchain.toml or workspace profile applies
# Not --locked: its lock file names a webpki-roots release the registry no longer serves.
CARGO_TARGET_DIR="$target" \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false \
  CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_INCREMENTAL=false \
  nice -n 10 cargo install wasm-bindgen-cli --version "$WB_VERSION" --bin wasm-bindgen \
  --root "$out" >&2
rm -rf "$target"
end=$(date +%s)
echo "wasm-bindgen-cli $WB_VERSION (opt-level 1, wasm-bindgen only): build took $((end - start)) s on $(nproc) cores ($(date -u +%F))" \
  | tee "$out/build-time.txt" >&2
"$bin" --version >&2
echo "$bin"

#!/usr/bin/env bash
# The in-browser KYC prover: packages/zk-kyc-wasm compiled to WebAssembly and
# bound with wasm-bindgen into app/src/prover/pkg/ (not committed; the app's
# `npm run build` calls this script). Installs wasm-bindgen-cli at the
# version the crate pins, cached under $AIP_CACHE/tools
# (ci/install-wasm-bindgen.sh).
. "$(dirname "$0")/env.sh"
cd "$ROOT"
# wasm-bindgen-cli at the version the crate pins, built once and cached
# (ci/install-wasm-bindgen.sh; ci/test.sh builds it in the background).
WB=$("$ROOT/ci/install-wasm-bindgen.sh")
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
# Its own target dir if asked (AIP_PROVER_TARGET_DIR), so that another
# build cannot replace the .wasm between cargo and wasm-bindgen.
TARGET="${AIP_PROVER_TARGET_DIR:-$CARGO_TARGET_DIR}"
OUT="$ROOT/app/src/prover/pkg"
step "zk-kyc-wasm → $OUT"
CARGO_TARGET_DIR="$TARGET" cargo build -q --locked --release --lib --target wasm32-unknown-unknown -p zk-kyc-wasm
"$WB" --target web --out-dir "$OUT" --out-name zk_kyc_wasm \
  "$TARGET/wasm32-unknown-unknown/release/zk_kyc_wasm.wasm"
ls -l "$OUT"/*.wasm

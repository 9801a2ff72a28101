#!/usr/bin/env bash
# The in-browser KYC prover: packages/zk-kyc-wasm compiled to WebAssembly and
# bound with wasm-bindgen into app/src/prover/pkg/ (not committed; the app's
# `npm run build` calls this script). Installs wasm-bindgen-cli at the
# version the crate pins, cached under $AIP_CACHE/tools.
. "$(dirname "$0")/env.sh"
cd "$ROOT"
WB_VERSION=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' packages/zk-kyc-wasm/Cargo.toml)
[ -n "$WB_VERSION" ] || { echo "packages/zk-kyc-wasm/Cargo.toml must pin wasm-bindgen = \"=X.Y.Z\"" >&2; exit 1; }
WB="$TOOLS/wasm-bindgen-$WB_VERSION/bin/wasm-bindgen"
if [ ! -x "$WB" ]; then
  step "cargo install wasm-bindgen-cli $WB_VERSION (cached in $TOOLS)"
  # Not --locked: its lock file names a webpki-roots release the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --root "$TOOLS/wasm-bindgen-$WB_VERSION"
fi
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

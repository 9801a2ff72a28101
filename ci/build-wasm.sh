#!/usr/bin/env bash
# Builds every contract for wasm32, lowers and shrinks it with wasm-opt, checks it
# with cosmwasm-check, and writes artifacts/<contract>.wasm and artifacts/checksums.txt.
#   ci/build-wasm.sh            all contracts
#   ci/build-wasm.sh NAME...    only these
. "$(dirname "$0")/env.sh"
"$ROOT/ci/install-tools.sh"
cd "$ROOT"
mkdir -p artifacts
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(contracts)

for name in "${names[@]}"; do
  step "wasm: $name"
  # One contract per cargo call: building several at once would unify the
  # `library` feature of a contract used by another and drop its entry points.
  RUSTFLAGS="-C link-arg=-s" cargo build --release --lib --target wasm32-unknown-unknown -p "$name" --locked
  raw="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/${name//-/_}.wasm"
  # Contracts with big arkworks functions exceed wasmer's 100-locals limit after
  # heavy inlining at -Os: they opt in to -O2 with a marker file.
  level="-Os"
  [ -f "contracts/$name/wasm-opt-O2" ] && level="-O2"
  wasm-opt "$level" --signext-lowering --llvm-memory-copy-fill-lowering --strip-debug --strip-producers \
    "$raw" -o "artifacts/$name.wasm.tmp"
  mv "artifacts/$name.wasm.tmp" "artifacts/$name.wasm"
done

step "cosmwasm-check"
cosmwasm-check artifacts/*.wasm

( cd artifacts && sha256sum *.wasm > checksums.txt )
step "artifact sizes"
for f in artifacts/*.wasm; do
  printf '%-28s %8d bytes (%d KiB)\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(( $(stat -c %s "$f") / 1024 ))"
done

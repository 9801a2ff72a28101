#!/usr/bin/env bash
# Builds every contract for wasm32, lowers and shrinks it with wasm-opt, checks it
# with the VM's static checks (`aip-gas check`: cosmwasm-vm with wasmd's
# capabilities, the same checks as cosmwasm-check and wasmd's upload), and writes artifacts/<contract>.wasm and artifacts/checksums.txt.
#   ci/build-wasm.sh            all contracts
#   ci/build-wasm.sh NAME...    only these
. "$(dirname "$0")/env.sh"
"$ROOT/ci/install-tools.sh"
cd "$ROOT"
mkdir -p artifacts
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(contracts)

# optimize NAME: the two wasm-opt passes, from the raw cargo output to
# artifacts/NAME.wasm. Runs in the background while cargo builds the next
# contract: a contract's last build phase (its LTO, one codegen unit) keeps
# one core busy, and wasm-opt takes the other.
optimize() {
  local name=$1 raw=$2 level="-Os"
  # 1. Lower what Rust 1.95 emits and the chain's VM rejects: sign-extension
  #    and bulk-memory instructions (the raw module has no features section,
  #    so the input features are named explicitly).
  wasm-opt --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
    --signext-lowering --llvm-memory-copy-fill-lowering "$raw" -o "artifacts/$name.lowered.tmp"
  # 2. Optimize with MVP features only: the optimizer cannot reintroduce those
  #    instructions, and validation fails if any survived step 1.
  #    Contracts with big arkworks functions can exceed wasmer's 100-locals
  #    limit after -Os inlining: they opt in to -O2 with a marker file.
  [ -f "contracts/$name/wasm-opt-O2" ] && level="-O2"
  wasm-opt --mvp-features "$level" --strip-debug --strip-producers \
    "artifacts/$name.lowered.tmp" -o "artifacts/$name.wasm.tmp"
  rm -f "artifacts/$name.lowered.tmp" "$raw"
  mv "artifacts/$name.wasm.tmp" "artifacts/$name.wasm"
}

opt_pids=(); opt_names=()
for name in "${names[@]}"; do
  step "wasm: $name"
  # One contract per cargo call: building several at once would unify their
  # dependencies' features (cosmwasm-std's `stargate` from aip-ics20, zk-kyc's
  # `bn254`, semver's `std`) and change the other contracts' code.
  RUSTFLAGS="-C link-arg=-s" cargo build --release --lib --target wasm32-unknown-unknown -p "$name" --locked
  raw="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/${name//-/_}.wasm"
  # A copy, so that no later cargo call can replace what wasm-opt reads.
  cp "$raw" "$raw.opt-input"
  optimize "$name" "$raw.opt-input" &
  opt_pids+=("$!"); opt_names+=("$name")
done
for i in "${!opt_pids[@]}"; do
  wait "${opt_pids[$i]}" || { echo "wasm-opt failed for ${opt_names[$i]}" >&2; exit 1; }
done

step "VM static checks (aip-gas check)"
# The workspace's gas harness already builds cosmwasm-vm (wasmer): its `check`
# runs the checks wasmd runs on upload, so no separate cosmwasm-check install
# (which built wasmer a second time: ~18 min on a new machine).
cargo run --locked -q -p aip-gas-bench --bin aip-gas -- check --artifacts "$ROOT/artifacts"

( cd artifacts && sha256sum *.wasm > checksums.txt )
step "artifact sizes"
for f in artifacts/*.wasm; do
  printf '%-28s %8d bytes (%d KiB)\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(( $(stat -c %s "$f") / 1024 ))"
done

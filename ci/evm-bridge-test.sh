#!/usr/bin/env bash
# End-to-end test of the AIP bridge over IBC: starts the wasmd localnet and
# the EVM localnet from genesis, deploys the market and aip-ics20
# (`aip deploy --with-ics20 --kyc-by-admin`), opens the ICS-20 channel with
# Hermes, starts the relayer, then runs ci/evm-bridge/bridge.test.mjs (node
# --test, ethers.js from npm): the bridge, and an Ethereum key trading on
# AIPCHAIN through the order gateway and the online matcher. Stops what it started, also on failure. Bounded: the whole run is
# killed after EVM_BRIDGE_TIMEOUT seconds (default 900) once the tools are built.
# EVM_BRIDGE_KEEP=1 leaves the chains and the relayer running (debugging).
#
# Needs artifacts/{aip-token,aip-ics20,settlement,reputation,meter-oracle}.wasm
# (ci/build-wasm.sh builds them; built here if missing). First run: builds aipevmd and Hermes
# (ci/install-evmd.sh, ci/install-hermes.sh) and installs ethers (npm).
. "$(dirname "$0")/env.sh"
cd "$ROOT"
ETHERS_VERSION=6.17.0

step "tools: aipevmd, hermes, wasmd, ethers $ETHERS_VERSION"
EVMD=$(ci/install-evmd.sh)
ci/install-hermes.sh >/dev/null
WASMD=$(ci/install-wasmd.sh)
ethers_dir="$TOOLS/ethers-$ETHERS_VERSION"
if ! [ -f "$ethers_dir/node_modules/ethers/package.json" ]; then
  npm install --silent --no-audit --no-fund --prefix "$ethers_dir" "ethers@$ETHERS_VERSION"
fi
ln -sfn "$ethers_dir/node_modules" ci/evm-bridge/node_modules
CONTRACTS=(aip-token aip-ics20 settlement reputation meter-oracle)
for a in "${CONTRACTS[@]}"; do
  [ -f "artifacts/$a.wasm" ] || ci/build-wasm.sh "$a"
done
# aip (deploy), the order gateway (on the localnet's clock through its
# test_clock_offset_file), the online matcher, and the test's helpers (EIP-712
# typed data and meter readings from the Rust side).
cargo build -q --locked -p aip-cli --bin aip -p gateway --bin aip-gateway -p aip-matcher --bin aip-matcher -p aip-evm-e2e --bin aip-evm-e2e
AIP="$CARGO_TARGET_DIR/debug/aip"

work=$(mktemp -d)
cleanup() {
  set +e
  if [ -n "${EVM_BRIDGE_KEEP:-}" ]; then echo "EVM_BRIDGE_KEEP: chains and relayer left running; work dir $work" >&2; return; fi
  ci/hermes.sh stop
  ci/evm-localnet.sh stop
  ci/localnet.sh stop
  rm -rf "$work"
}
trap cleanup EXIT

# Everything below is bounded in time.
deadline=$(( $(date +%s) + ${EVM_BRIDGE_TIMEOUT:-900} ))
left() { echo $(( deadline - $(date +%s) )); }

step "wasmd localnet"
timeout "$(left)" ci/localnet.sh start --fresh
eval "$(ci/localnet.sh env)"
export AIP_RPC_URL AIP_CHAIN_ID
export AIP_LOCALNET_HOME="${AIP_LOCALNET_HOME:-$AIP_CACHE/localnet/home}"

step "deploy the market (aip-token, settlement, reputation, meter-oracle) and aip-ics20"
mkdir -p "$work/artifacts"
for a in "${CONTRACTS[@]}"; do cp "artifacts/$a.wasm" "$work/artifacts/"; done
# Reputation tokens minted by the admin: this test network has no KYC prover.
timeout "$(left)" "$AIP" deploy --artifacts "$work/artifacts" --deployment "$work/deployment.json" --with-ics20 --kyc-by-admin
addr() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["contracts"][sys.argv[2]]["address"])' "$work/deployment.json" "$1"; }
AIP_TOKEN=$(addr aip-token)
AIP_ICS20=$(addr aip-ics20)
SETTLEMENT=$(addr settlement)
METER_ORACLE=$(addr meter-oracle)
REPUTATION=$(addr reputation)
token_code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["codes"]["aip-token"]["code_id"])' "$work/deployment.json")
# A second CW20 (same code, other token) that the bridge must refuse.
alice=$("$WASMD" keys show alice -a --keyring-backend test --home "$AIP_LOCALNET_HOME")
other_msg="{\"name\":\"Other token\",\"symbol\":\"OTHER\",\"decimals\":6,\"initial_balances\":[{\"address\":\"$alice\",\"amount\":\"1000000\"}],\"mint\":null,\"marketing\":null}"
hash=$("$WASMD" tx wasm instantiate "$token_code" "$other_msg" --label other-cw20 --no-admin --from alice \
  --keyring-backend test --home "$AIP_LOCALNET_HOME" --chain-id "$AIP_CHAIN_ID" --node "$AIP_RPC_URL" \
  --gas auto --gas-adjustment 1.5 --gas-prices 0.0025ustake -y -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["txhash"])')
OTHER_CW20=""
for _ in $(seq 1 40); do
  OTHER_CW20=$("$WASMD" q tx "$hash" --node "$AIP_RPC_URL" -o json 2>/dev/null | python3 -c '
import json,sys
t = json.load(sys.stdin)
print(next(a["value"] for e in t["events"] if e["type"] == "instantiate" for a in e["attributes"] if a["key"] == "_contract_address"))' 2>/dev/null) && break
  sleep 0.5
done
[ -n "$OTHER_CW20" ] || { echo "the second CW20 was not instantiated" >&2; exit 1; }

step "EVM localnet (genesis knows the AIP voucher's metadata)"
export AIP_EVM_AIP_TOKEN="$AIP_TOKEN" AIP_EVM_AIP_CHANNEL=channel-0
timeout "$(left)" ci/evm-localnet.sh start --fresh
timeout 60 ci/evm-localnet.sh check
eval "$(ci/evm-localnet.sh env)"
export AIP_EVM_RPC_URL AIP_EVM_JSONRPC_URL AIP_EVM_CHAIN_ID AIP_EVM_HOME
export AIP_EVM_REST_URL="http://127.0.0.1:${AIP_EVM_API_PORT:-28517}"

step "hermes: channel wasm.$AIP_ICS20 <-> transfer"
export AIP_HERMES_HOME="$work/hermes"
# The last test moves the wasmd localnet's clock about 1.2 h forward (gate
# closure, delivery, dispute window): the EVM chain's client of wasmd must
# accept headers that far ahead of its own clock.
export AIP_HERMES_WASM_CLOCK_DRIFT=3h
timeout 60 ci/hermes.sh config
read -r WASM_CHANNEL EVM_CHANNEL < <(timeout "$(left)" ci/hermes.sh channel "$AIP_ICS20")
echo "channels: wasmd $WASM_CHANNEL, EVM chain $EVM_CHANNEL"
[ "$EVM_CHANNEL" = "$AIP_EVM_AIP_CHANNEL" ] || {
  echo "the EVM chain's channel is $EVM_CHANNEL, but its genesis has the voucher metadata of $AIP_EVM_AIP_CHANNEL" >&2; exit 1; }
ci/hermes.sh start

step "bridge tests (node --test)"
export WASMD EVMD AIP_TOKEN AIP_ICS20 OTHER_CW20 WASM_CHANNEL EVM_CHANNEL SETTLEMENT METER_ORACLE REPUTATION
export AIP_EVM_E2E="$CARGO_TARGET_DIR/debug/aip-evm-e2e" AIP_MATCHER="$CARGO_TARGET_DIR/debug/aip-matcher"
export AIP_GATEWAY="$CARGO_TARGET_DIR/debug/aip-gateway"
export DEPLOYMENT="$work/deployment.json" LOCALNET_SH="$ROOT/ci/localnet.sh" WORK="$work"
export HERMES_SH="$ROOT/ci/hermes.sh" ACCOUNTS_FILE="$ROOT/ci/localnet-accounts.txt"
timeout "$(left)" node --test --test-concurrency=1 ci/evm-bridge/bridge.test.mjs

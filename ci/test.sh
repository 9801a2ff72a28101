#!/usr/bin/env bash
# The test command: everything CI runs. Installs what it needs on the first run.
#   fmt check, clippy -D warnings, all tests, the power-flow tests (pytest), wasm build + optimize + VM static checks,
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
export AIP_REQUIRE_MQTT=1
cargo test --workspace --locked

step "power-flow tests"
"$ROOT/ci/install-python.sh" >/dev/null
"$AIP_CACHE/venv/bin/python" -m pytest -q "$ROOT/offchain/sim/powerflow"

step "wasm pipeline"
"$ROOT/ci/build-wasm.sh"

step "schema check"
"$ROOT/ci/schema.sh"

step "prosumer app: generated clients (drift, tsc --strict)"
"$ROOT/ci/app-codegen.sh"

step "prosumer app: build, unit and browser tests"
"$ROOT/ci/app-test.sh"

step "end-to-end tests on a wasmd localnet"
# Its own chain home and ports, so a developer's localnet (ci/localnet.sh
# defaults) is neither reset nor in the way. Started from genesis each run,
# stopped on any exit. The first run builds wasmd (~10 min on 2 cores).
"$ROOT/ci/install-wasmd.sh" >/dev/null
export AIP_LOCALNET_HOME="$AIP_CACHE/localnet/ci" AIP_RPC_PORT=26857 AIP_P2P_PORT=26856 \
  AIP_ABCI_PORT=26858 AIP_GRPC_PORT=9290 AIP_API_PORT=1517
export AIP_RPC_URL="http://127.0.0.1:$AIP_RPC_PORT"
trap '"$ROOT/ci/localnet.sh" stop || true' EXIT
"$ROOT/ci/localnet.sh" start --fresh
cargo test -p chain-client --features e2e --locked --test localnet_e2e
cargo test -p aip-cli --features e2e --locked --test e2e
cargo test -p aip-matcher --features e2e --locked --test intents_e2e
cargo test -p aip-cli --features e2e --locked --test e2e_kyc
cargo test -p aip-cli --features e2e --locked --test e2e_upgrade
cargo test -p aip-oracle --features e2e --locked --test kill_restart_e2e --test localnet_e2e
cargo test -p aip-sim --features e2e --locked --test node_e2e
cargo test -p aip-sentinel --features e2e --locked --test localnet_e2e
"$ROOT/ci/localnet.sh" stop
trap - EXIT

step "fault tests on a 4-validator wasmd network"
# Its own homes and ports (validator I: 28700+10*I ..), started from genesis,
# stopped on any exit. Validators are killed, halted and wiped under a
# running simulation (offchain/sim/tests/faults_e2e.rs).
export AIP_MULTI_HOME="$AIP_CACHE/localnet/ci-multi" AIP_MULTI_PORT_BASE=28700
trap '"$ROOT/ci/localnet-multi.sh" stop || true' EXIT
"$ROOT/ci/localnet-multi.sh" start --fresh
eval "$("$ROOT/ci/localnet-multi.sh" env | sed 's/^/export /')"
cargo test -p aip-sim --features e2e --locked --test faults_e2e
cargo test -p aip-matcher --features e2e --locked --test failover_e2e
cargo test -p aip-oracle --features e2e --locked --test operators_e2e
"$ROOT/ci/localnet-multi.sh" stop
trap - EXIT

step "EVM bridge over IBC (aipevmd + Hermes + cw20-ics20)"
# Its own wasmd home and ports (the EVM chain uses 285xx); the first run on a
# machine builds aipevmd and Hermes, cached by version under $AIP_CACHE/tools.
(
  unset AIP_RPC_URLS
  export AIP_LOCALNET_HOME="$AIP_CACHE/localnet/ci-bridge" AIP_RPC_PORT=27957 AIP_P2P_PORT=27956 \
    AIP_ABCI_PORT=27958 AIP_GRPC_PORT=9990 AIP_API_PORT=2317
  export AIP_RPC_URL="http://127.0.0.1:$AIP_RPC_PORT"
  "$ROOT/ci/evm-bridge-test.sh"
)

step "all checks passed in $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# The Hermes relayer between the wasmd localnet (ci/localnet.sh) and the EVM
# localnet (ci/evm-localnet.sh): config, keys, the ICS-20 channel from the
# aip-ics20 contract's port to the EVM chain's `transfer` port, and the
# relayer process.
#
#   ci/hermes.sh config                write the config and import the relayer keys
#   ci/hermes.sh channel WASM_ICS20    create client, connection and channel
#                                      wasm.WASM_ICS20 <-> transfer; prints the two channel ids
#   ci/hermes.sh start                 run `hermes start` in the background (pid file, log)
#   ci/hermes.sh stop                  stop it (TERM, then KILL after 10 s)
#   ci/hermes.sh kill                  kill it at once (SIGKILL), for the restart test
#   ci/hermes.sh clear                 relay pending packets once (`hermes clear packets`)
#   ci/hermes.sh hermes ARGS...        run hermes with this config
#
# The relayer signs with the `faucet` test account of ci/localnet-accounts.txt
# on both chains (secp256k1 m/44'/118'/0'/0/0 on wasmd, eth_secp256k1
# m/44'/60'/0'/0/0 on the EVM chain). Endpoints follow the localnets'
# variables (AIP_RPC_PORT, AIP_GRPC_PORT, AIP_EVM_RPC_PORT, AIP_EVM_GRPC_PORT).
# AIP_HERMES_WASM_CLOCK_DRIFT (default 10s): how far ahead of the EVM chain's
# clock wasmd's block time may be. The EVM chain's client of wasmd is created
# with it; a test that moves the wasmd localnet's clock forward
# (`ci/localnet.sh advance`) needs it as large as the advance, or the EVM
# chain refuses wasmd's headers as "from the future".
. "$(dirname "$0")/env.sh"

WASM_CHAIN="${AIP_CHAIN_ID:-aip-localnet-1}"
WASM_RPC_PORT="${AIP_RPC_PORT:-26757}"
WASM_GRPC_PORT="${AIP_GRPC_PORT:-9190}"
EVM_CHAIN="${AIP_EVM_CHAIN_ID:-aip-evm-1}"
EVM_RPC_PORT="${AIP_EVM_RPC_PORT:-28557}"
EVM_GRPC_PORT="${AIP_EVM_GRPC_PORT:-28590}"
HERMES_HOME="${AIP_HERMES_HOME:-$AIP_CACHE/hermes/home}"
CONFIG="$HERMES_HOME/config.toml"
PID_FILE="$HERMES_HOME/hermes.pid"
LOG_FILE="$HERMES_HOME/hermes.log"
WASM_CLOCK_DRIFT="${AIP_HERMES_WASM_CLOCK_DRIFT:-10s}"
KEY=faucet
ACCOUNTS_FILE="$ROOT/ci/localnet-accounts.txt"

log() { printf 'hermes: %s\n' "$*" >&2; }
HERMES=$("$ROOT/ci/install-hermes.sh")
h() { "$HERMES" --config "$CONFIG" "$@"; }

mnemonic() { awk -v n="$1" '$1 == n { $1 = ""; sub(/^ /, ""); print }' "$ACCOUNTS_FILE"; }

cmd_config() {
  mkdir -p "$HERMES_HOME/keys"
  cat > "$CONFIG" <<TOML
# Written by ci/hermes.sh: Hermes between the two localnets.
[global]
log_level = 'info'

[mode.clients]
enabled = true
refresh = true
misbehaviour = false

[mode.connections]
enabled = false

[mode.channels]
enabled = false

[mode.packets]
enabled = true
clear_interval = 10
clear_on_start = true
tx_confirmation = true

[rest]
enabled = false
host = '127.0.0.1'
port = 28580

[telemetry]
enabled = false
host = '127.0.0.1'
port = 28581

[[chains]]
id = '$WASM_CHAIN'
type = 'CosmosSdk'
rpc_addr = 'http://127.0.0.1:$WASM_RPC_PORT'
grpc_addr = 'http://127.0.0.1:$WASM_GRPC_PORT'
event_source = { mode = 'pull', interval = '500ms' }
rpc_timeout = '10s'
account_prefix = 'wasm'
key_name = '$KEY'
key_store_folder = '$HERMES_HOME/keys'
address_type = { derivation = 'cosmos' }
store_prefix = 'ibc'
default_gas = 300000
max_gas = 4000000
gas_price = { price = 0.0025, denom = 'ustake' }
gas_multiplier = 1.5
max_msg_num = 30
max_tx_size = 2097152
clock_drift = '$WASM_CLOCK_DRIFT'
max_block_time = '10s'
trusting_period = '14days'
trust_threshold = { numerator = '1', denominator = '3' }

[[chains]]
id = '$EVM_CHAIN'
type = 'CosmosSdk'
rpc_addr = 'http://127.0.0.1:$EVM_RPC_PORT'
grpc_addr = 'http://127.0.0.1:$EVM_GRPC_PORT'
event_source = { mode = 'pull', interval = '500ms' }
rpc_timeout = '10s'
account_prefix = 'aipevm'
key_name = '$KEY'
key_store_folder = '$HERMES_HOME/keys'
# cosmos/evm accounts: eth_secp256k1 keys, Ethereum address derivation.
address_type = { derivation = 'ethermint', proto_type = { pk_type = '/cosmos.evm.crypto.v1.ethsecp256k1.PubKey' } }
store_prefix = 'ibc'
default_gas = 300000
max_gas = 4000000
gas_price = { price = 10000000000, denom = 'aevm' }
gas_multiplier = 1.5
max_msg_num = 30
max_tx_size = 2097152
clock_drift = '10s'
max_block_time = '10s'
trusting_period = '14days'
trust_threshold = { numerator = '1', denominator = '3' }
TOML
  local f; f=$(mktemp); chmod 600 "$f"
  mnemonic "$KEY" > "$f"
  h keys add --chain "$WASM_CHAIN" --key-name "$KEY" --mnemonic-file "$f" --overwrite >/dev/null
  h keys add --chain "$EVM_CHAIN" --key-name "$KEY" --mnemonic-file "$f" --hd-path "m/44'/60'/0'/0/0" --overwrite >/dev/null
  rm -f "$f"
  log "config $CONFIG; relayer key '$KEY' on $WASM_CHAIN and $EVM_CHAIN"
}

cmd_channel() {
  local contract="${1:-}"
  [ -n "$contract" ] || { echo "usage: $0 channel WASM_ICS20_CONTRACT_ADDRESS" >&2; return 64; }
  # cw20-ics20 accepts only unordered channels with version ics20-1.
  h --json create channel --a-chain "$WASM_CHAIN" --b-chain "$EVM_CHAIN" \
    --a-port "wasm.$contract" --b-port transfer --order unordered \
    --channel-version ics20-1 --new-client-connection --yes > "$HERMES_HOME/channel.json"
  python3 - "$HERMES_HOME/channel.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
res = [l for l in lines if l.get("status") == "success"]
if not res:
    sys.exit("hermes: channel creation failed: %s" % lines[-1] if lines else "no output")
r = res[-1]["result"]
a = r["a_side"]["channel_id"]; b = r["b_side"]["channel_id"]
print(f"{a} {b}")
PY
}

running_pid() {
  [ -f "$PID_FILE" ] || return 0
  local pid; pid=$(cat "$PID_FILE" 2>/dev/null || true)
  if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "--config $CONFIG start"; then
    echo "$pid"
  else
    rm -f "$PID_FILE"
  fi
}

cmd_start() {
  local pid; pid=$(running_pid)
  [ -z "$pid" ] || { log "already running (pid $pid)"; return 0; }
  setsid "$HERMES" --config "$CONFIG" start >>"$LOG_FILE" 2>&1 < /dev/null &
  echo $! > "$PID_FILE"
  sleep 2
  kill -0 "$(cat "$PID_FILE")" 2>/dev/null || { log "hermes exited; last log lines:"; tail -n 20 "$LOG_FILE" >&2; return 1; }
  log "relaying (pid $(cat "$PID_FILE"), log $LOG_FILE)"
}

cmd_stop() {
  local pid; pid=$(running_pid)
  [ -n "$pid" ] || { log "not running"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; log "stopped"; return 0; }
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"; log "killed"
}

case "${1:-}" in
  config) cmd_config ;;
  channel) shift; cmd_channel "$@" ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  kill) pid=$(running_pid); [ -z "$pid" ] || { kill -KILL "$pid"; rm -f "$PID_FILE"; log "killed pid $pid"; } ;;
  clear) shift; h clear packets "$@" ;;
  hermes) shift; h "$@" ;;
  *) echo "usage: $0 config | channel WASM_ICS20 | start | stop | clear ARGS | hermes ARGS" >&2; exit 64 ;;
esac

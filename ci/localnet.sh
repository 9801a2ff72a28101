#!/usr/bin/env bash
# A single-validator wasmd localnet on loopback, for the e2e tests, the
# agents' --node mode and the dApp.
#
#   ci/localnet.sh start [--fresh]   start (or reuse) the node; waits for blocks
#   ci/localnet.sh stop              stop it cleanly (TERM, then KILL after 20 s)
#   ci/localnet.sh status            running? height, endpoints
#   ci/localnet.sh reset             stop and delete the chain data
#   ci/localnet.sh env               print the endpoints as shell variables
#   ci/localnet.sh advance SECONDS   move chain time forward (test clock hook)
#   ci/localnet.sh time              chain time of the latest block (unix s)
#
# Chain id aip-localnet-1, bech32 prefix wasm, denom ustake, blocks every
# ~0.5 s (timeout_commit 500ms), REST API and CORS on. The accounts in
# ci/localnet-accounts.txt (public TEST mnemonics) are funded in genesis.
#
# Restarting: `start` reuses the existing chain data when it was made by the
# same wasmd version, accounts and settings (a fingerprint file says so), and
# resets it otherwise; a stale pid file (crash, kill -9) is detected and
# removed; if a reused home fails to produce blocks, it is reset once and the
# node started again. `--fresh` always starts from genesis.
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/localnet-lib.sh"

CHAIN_ID="${AIP_CHAIN_ID:-aip-localnet-1}"
DENOM="ustake"
HOME_DIR="${AIP_LOCALNET_HOME:-$AIP_CACHE/localnet/home}"
RPC_PORT="${AIP_RPC_PORT:-26757}"
P2P_PORT="${AIP_P2P_PORT:-26756}"
ABCI_PORT="${AIP_ABCI_PORT:-26758}"
GRPC_PORT="${AIP_GRPC_PORT:-9190}"
API_PORT="${AIP_API_PORT:-1417}"
TIMEOUT_COMMIT="${AIP_TIMEOUT_COMMIT:-500ms}"
MIN_GAS_PRICE="0.0025$DENOM"
ACCOUNTS_FILE="$ROOT/ci/localnet-accounts.txt"
PID_FILE="$HOME_DIR/wasmd.pid"
# Read by the clock hook of our wasmd build (ci/install-wasmd.sh): seconds
# added to the validator's clock. Kept with the chain data: losing it while
# the chain is ahead of the wall clock would stall block times.
CLOCK_FILE="$HOME_DIR/clock-offset"
LOG_FILE="$HOME_DIR/wasmd.log"
RPC_URL="http://127.0.0.1:$RPC_PORT"
API_URL="http://127.0.0.1:$API_PORT"
BALANCE="1000000000000000$DENOM"   # 1e9 stake per test account
SELF_BOND="100000000000$DENOM"

log() { printf 'localnet: %s\n' "$*" >&2; }

wasmd_bin() { "$ROOT/ci/install-wasmd.sh"; }

fingerprint() {
  {
    "$WASMD" version 2>&1
    cat "$ACCOUNTS_FILE"
    echo "$CHAIN_ID $RPC_PORT $P2P_PORT $ABCI_PORT $GRPC_PORT $API_PORT $TIMEOUT_COMMIT $MIN_GAS_PRICE $BALANCE $SELF_BOND"
    sed -n '/^# -- settings/,/^# -- end settings/p' "$0"
  } | sha256sum | cut -d' ' -f1
}

# pid of our running node, or nothing.
running_pid() {
  [ -f "$PID_FILE" ] || return 0
  local pid; pid=$(cat "$PID_FILE" 2>/dev/null || true)
  if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] \
     && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "wasmd start --home $HOME_DIR"; then
    echo "$pid"
  else
    log "removing stale pid file (pid ${pid:-?} is not our node)"
    rm -f "$PID_FILE"
  fi
}

height() {
  curl -fsS --max-time 2 "$RPC_URL/status" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["sync_info"]["latest_block_height"])' 2>/dev/null || true
}


# -- settings: everything below until "end settings" is part of the fingerprint
init_home() {
  log "initialising $HOME_DIR (chain $CHAIN_ID)"
  rm -rf "$HOME_DIR"
  mkdir -p "$HOME_DIR"
  local w=("$WASMD" --home "$HOME_DIR")
  "${w[@]}" init aip-localnet --chain-id "$CHAIN_ID" --default-denom "$DENOM" >/dev/null 2>&1
  local name mnemonic
  while read -r name mnemonic; do
    case "$name" in ''|\#*) continue ;; esac
    echo "$mnemonic" | "${w[@]}" keys add "$name" --recover --keyring-backend test >/dev/null 2>&1
    "${w[@]}" genesis add-genesis-account "$name" "$BALANCE" --keyring-backend test >/dev/null
  done < "$ACCOUNTS_FILE"
  "${w[@]}" genesis gentx validator "$SELF_BOND" --chain-id "$CHAIN_ID" --keyring-backend test >/dev/null 2>&1
  "${w[@]}" genesis collect-gentxs >/dev/null 2>&1
  "${w[@]}" genesis validate >/dev/null

  local cfg="$HOME_DIR/config/config.toml" app="$HOME_DIR/config/app.toml"
  set_toml "$cfg" "" proxy_app "\"tcp://127.0.0.1:$ABCI_PORT\""
  set_toml "$cfg" rpc laddr "\"tcp://127.0.0.1:$RPC_PORT\""
  set_toml "$cfg" rpc cors_allowed_origins '["*"]'
  set_toml "$cfg" rpc pprof_laddr '""'
  # Room for a store of an 800 KiB contract through abci_query (hex) and broadcast.
  set_toml "$cfg" rpc max_body_bytes 8000000
  set_toml "$cfg" mempool max_tx_bytes 2097152
  set_toml "$cfg" p2p laddr "\"tcp://127.0.0.1:$P2P_PORT\""
  set_toml "$cfg" p2p pex false
  set_toml "$cfg" p2p addr_book_strict false
  set_toml "$cfg" consensus timeout_commit "\"$TIMEOUT_COMMIT\""
  set_toml "$cfg" consensus timeout_propose '"1s"'
  set_toml "$cfg" instrumentation prometheus false
  set_toml "$app" "" minimum-gas-prices "\"$MIN_GAS_PRICE\""
  set_toml "$app" api enable true
  set_toml "$app" api address "\"tcp://127.0.0.1:$API_PORT\""
  set_toml "$app" api enabled-unsafe-cors true
  set_toml "$app" grpc address "\"127.0.0.1:$GRPC_PORT\""
  set_toml "$app" grpc-web enable false 2>/dev/null || true
  echo 0 > "$CLOCK_FILE"
  fingerprint > "$HOME_DIR/fingerprint"
}
# -- end settings

launch() {
  for p in "$RPC_PORT" "$P2P_PORT" "$ABCI_PORT" "$GRPC_PORT" "$API_PORT"; do
    if port_busy "$p"; then
      log "port $p on 127.0.0.1 is in use by another process; set AIP_*_PORT or stop it"
      return 2
    fi
  done
  log "starting wasmd (log: $LOG_FILE)"
  # setsid: the node outlives this script and is not killed with its process group.
  AIP_CLOCK_OFFSET_FILE="$CLOCK_FILE" setsid "$WASMD" start --home "$HOME_DIR" >>"$LOG_FILE" 2>&1 < /dev/null &
  echo $! > "$PID_FILE"
  local pid; pid=$(cat "$PID_FILE")
  local deadline=$(( $(date +%s) + ${AIP_LOCALNET_START_TIMEOUT:-90} ))
  local first=""
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "wasmd exited during start-up; last log lines:"; tail -n 20 "$LOG_FILE" >&2
      rm -f "$PID_FILE"; return 1
    fi
    local h; h=$(height)
    # Ready once it produces a new block (a reused home first reports its old height).
    [ -n "$h" ] && [ -z "$first" ] && first=$h
    if [ -n "$h" ] && [ "$h" -ge 2 ] && [ "$h" -gt "$first" ]; then
      log "up: height $h, rpc $RPC_URL, rest $API_URL"
      return 0
    fi
    sleep 0.5
  done
  log "no blocks within the start timeout; last log lines:"; tail -n 20 "$LOG_FILE" >&2
  stop_node; return 1
}

stop_node() {
  local pid; pid=$(running_pid)
  if [ -z "$pid" ]; then log "not running"; return 0; fi
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; log "stopped"; return 0; }
    sleep 0.5
  done
  log "still alive after 20 s: KILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
}

cmd_start() {
  local fresh=0
  [ "${1:-}" = "--fresh" ] && fresh=1
  WASMD=$(wasmd_bin)
  local pid; pid=$(running_pid)
  if [ -n "$pid" ]; then
    if [ "$fresh" = 1 ]; then stop_node; else
      log "already running (pid $pid, height $(height))"; return 0
    fi
  fi
  mkdir -p "$(dirname "$HOME_DIR")"
  if [ "$fresh" = 1 ] || [ ! -f "$HOME_DIR/fingerprint" ] \
     || [ "$(cat "$HOME_DIR/fingerprint")" != "$(fingerprint)" ]; then
    init_home
    launch
  else
    log "reusing chain data in $HOME_DIR"
    launch || { rc=$?; [ "$rc" = 2 ] && return 2
      log "reused home failed to start: resetting it"; init_home; launch; }
  fi
}

cmd_status() {
  local pid; pid=$(running_pid)
  if [ -z "$pid" ]; then echo "localnet: stopped"; return 3; fi
  echo "localnet: running pid $pid height $(height) rpc $RPC_URL rest $API_URL chain $CHAIN_ID home $HOME_DIR"
}

block_time() {
  curl -fsS --max-time 2 "$RPC_URL/status" 2>/dev/null | python3 -c '
import json, sys, datetime
t = json.load(sys.stdin)["result"]["sync_info"]["latest_block_time"]
d = datetime.datetime.fromisoformat(t[:19] + "+00:00")
print(int(d.timestamp()))'
}

cmd_advance() {
  local secs="${1:-}"
  case "$secs" in ''|*[!0-9]*) echo "usage: $0 advance SECONDS" >&2; return 64 ;; esac
  [ -n "$(running_pid)" ] || { log "not running"; return 3; }
  local cur; cur=$(cat "$CLOCK_FILE" 2>/dev/null || echo 0)
  local target=$(( $(block_time) + secs ))
  echo $(( cur + secs )) > "$CLOCK_FILE.tmp" && mv "$CLOCK_FILE.tmp" "$CLOCK_FILE"
  # Wait until a block carries the new time.
  for _ in $(seq 1 60); do
    [ "$(block_time)" -ge "$target" ] && { log "chain time now $(block_time) (offset $(cat "$CLOCK_FILE") s)"; return 0; }
    sleep 0.25
  done
  log "chain time did not advance: is this wasmd built with the clock hook (ci/install-wasmd.sh)?"; return 1
}

case "${1:-}" in
  advance) shift; cmd_advance "$@" ;;
  time) block_time ;;
  start) shift; cmd_start "$@" ;;
  stop) stop_node ;;
  status) cmd_status ;;
  reset) stop_node; rm -rf "$HOME_DIR"; log "reset $HOME_DIR" ;;
  env)
    echo "AIP_RPC_URL=$RPC_URL"
    echo "AIP_REST_URL=$API_URL"
    echo "AIP_CHAIN_ID=$CHAIN_ID"
    echo "AIP_PREFIX=wasm"
    echo "AIP_DENOM=$DENOM" ;;
  *) echo "usage: $0 start [--fresh] | stop | status | reset | env" >&2; exit 64 ;;
esac

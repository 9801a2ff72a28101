#!/usr/bin/env bash
# A wasmd network of several validators on loopback (default 4, equal power),
# for the fault tests: each validator has its own home, ports, process and
# clock file. Genesis is made by wasmd's own tooling (init, gentx on every
# node, collect-gentxs), like a real network's.
#
#   ci/localnet-multi.sh start [--fresh]   make the network (once) and start every validator
#   ci/localnet-multi.sh stop              stop every validator (TERM, then KILL)
#   ci/localnet-multi.sh status            per validator: pid, height, rpc
#   ci/localnet-multi.sh kill I            SIGKILL validator I (a crash)
#   ci/localnet-multi.sh up I              start validator I again on its data
#   ci/localnet-multi.sh wipe I            stop I, delete its chain data and rejoin by state sync
#   ci/localnet-multi.sh height [I]        latest height seen by validator I (default: the first one up)
#   ci/localnet-multi.sh advance SECONDS   move every validator's clock forward (test clock hook)
#   ci/localnet-multi.sh env               AIP_RPC_URL (first), AIP_RPC_URLS (all, comma-separated), ...
#   ci/localnet-multi.sh reset             stop and delete everything
#
# Settings (environment): AIP_VALIDATORS (4), AIP_MULTI_HOME
# ($AIP_CACHE/localnet/multi), AIP_MULTI_PORT_BASE (28600; validator I uses
# base+10*I .. base+10*I+4 for p2p, rpc, abci, grpc, api), AIP_CHAIN_ID
# (aip-localnet-1), AIP_TIMEOUT_COMMIT (1s). The test accounts of
# ci/localnet-accounts.txt are funded as on the single-node localnet, and
# validator 0 signs with the `validator` test key, so `aip deploy` and the
# agents work unchanged against any of the RPC endpoints.
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/localnet-lib.sh"

N="${AIP_VALIDATORS:-4}"
CHAIN_ID="${AIP_CHAIN_ID:-aip-localnet-1}"
DENOM="ustake"
BASE_DIR="${AIP_MULTI_HOME:-$AIP_CACHE/localnet/multi}"
PORT_BASE="${AIP_MULTI_PORT_BASE:-28600}"
TIMEOUT_COMMIT="${AIP_TIMEOUT_COMMIT:-1s}"
MIN_GAS_PRICE="0.0025$DENOM"
ACCOUNTS_FILE="$ROOT/ci/localnet-accounts.txt"
BALANCE="1000000000000000$DENOM"
SELF_BOND="100000000000$DENOM"
# State sync: every validator keeps snapshots so a wiped one can rejoin.
SNAPSHOT_INTERVAL="${AIP_SNAPSHOT_INTERVAL:-20}"

log() { printf 'localnet-multi: %s\n' "$*" >&2; }
home_of() { echo "$BASE_DIR/node$1"; }
p2p_port() { echo $(( PORT_BASE + 10 * $1 )); }
rpc_port() { echo $(( PORT_BASE + 10 * $1 + 1 )); }
abci_port() { echo $(( PORT_BASE + 10 * $1 + 2 )); }
grpc_port() { echo $(( PORT_BASE + 10 * $1 + 3 )); }
api_port() { echo $(( PORT_BASE + 10 * $1 + 4 )); }
rpc_url() { echo "http://127.0.0.1:$(rpc_port "$1")"; }
check_index() {
  case "${1:-}" in ''|*[!0-9]*) echo "usage: $0 $2 I (0..$((N - 1)))" >&2; exit 64 ;; esac
  [ "$1" -lt "$N" ] || { echo "validator $1 does not exist (0..$((N - 1)))" >&2; exit 64; }
}

rpc_json() { # I path python-expression-on-j
  curl -fsS --max-time 2 "$(rpc_url "$1")/$2" 2>/dev/null \
    | python3 -c "import json,sys; j=json.load(sys.stdin)['result']; print($3)" 2>/dev/null || true
}
height_of() { rpc_json "$1" status 'j["sync_info"]["latest_block_height"]'; }
block_time_of() {
  rpc_json "$1" status 'int(__import__("datetime").datetime.fromisoformat(j["sync_info"]["latest_block_time"][:19]+"+00:00").timestamp())'
}
first_up() {
  local i; for i in $(seq 0 $((N - 1))); do
    [ -n "$(height_of "$i")" ] && { echo "$i"; return 0; }
  done
  return 1
}

pid_of() { # running pid of validator I, or nothing
  local h; h=$(home_of "$1"); local f="$h/wasmd.pid"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f" 2>/dev/null || true)
  if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] \
     && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "wasmd start --home $h"; then
    echo "$pid"
  else
    rm -f "$f"
  fi
}

configure() { # I: ports, peers, fast blocks, snapshots
  local i=$1 h; h=$(home_of "$1")
  local cfg="$h/config/config.toml" app="$h/config/app.toml" peers="" j
  for j in $(seq 0 $((N - 1))); do
    [ "$j" = "$i" ] && continue
    peers="${peers:+$peers,}$(cat "$(home_of "$j")/node-id")@127.0.0.1:$(p2p_port "$j")"
  done
  set_toml "$cfg" "" proxy_app "\"tcp://127.0.0.1:$(abci_port "$i")\""
  set_toml "$cfg" "" moniker "\"node$i\""
  set_toml "$cfg" rpc laddr "\"tcp://127.0.0.1:$(rpc_port "$i")\""
  set_toml "$cfg" rpc cors_allowed_origins '["*"]'
  set_toml "$cfg" rpc pprof_laddr '""'
  set_toml "$cfg" rpc max_body_bytes 8000000
  set_toml "$cfg" mempool max_tx_bytes 2097152
  set_toml "$cfg" p2p laddr "\"tcp://127.0.0.1:$(p2p_port "$i")\""
  set_toml "$cfg" p2p persistent_peers "\"$peers\""
  set_toml "$cfg" p2p pex false
  set_toml "$cfg" p2p addr_book_strict false
  set_toml "$cfg" p2p allow_duplicate_ip true
  set_toml "$cfg" consensus timeout_commit "\"$TIMEOUT_COMMIT\""
  set_toml "$cfg" consensus timeout_propose '"2s"'
  set_toml "$cfg" instrumentation prometheus false
  set_toml "$app" "" minimum-gas-prices "\"$MIN_GAS_PRICE\""
  set_toml "$app" api enable true
  set_toml "$app" api address "\"tcp://127.0.0.1:$(api_port "$i")\""
  set_toml "$app" api enabled-unsafe-cors true
  set_toml "$app" grpc address "\"127.0.0.1:$(grpc_port "$i")\""
  set_toml "$app" state-sync snapshot-interval "$SNAPSHOT_INTERVAL"
  set_toml "$app" state-sync snapshot-keep-recent 4
}

init_network() {
  log "making a $N-validator network in $BASE_DIR (chain $CHAIN_ID)"
  rm -rf "$BASE_DIR"; mkdir -p "$BASE_DIR"
  local i h0; h0=$(home_of 0)
  for i in $(seq 0 $((N - 1))); do
    local h; h=$(home_of "$i")
    "$WASMD" init "node$i" --home "$h" --chain-id "$CHAIN_ID" --default-denom "$DENOM" >/dev/null 2>&1
    "$WASMD" comet show-node-id --home "$h" > "$h/node-id"
    echo 0 > "$h/clock-offset"
  done
  # Accounts: every test account in genesis; validators 1.. get keys of their own.
  local name mnemonic
  while read -r name mnemonic; do
    case "$name" in ''|\#*) continue ;; esac
    echo "$mnemonic" | "$WASMD" keys add "$name" --recover --keyring-backend test --home "$h0" >/dev/null 2>&1
    "$WASMD" genesis add-genesis-account "$name" "$BALANCE" --keyring-backend test --home "$h0" >/dev/null
  done < "$ACCOUNTS_FILE"
  for i in $(seq 1 $((N - 1))); do
    local h; h=$(home_of "$i")
    "$WASMD" keys add "val$i" --keyring-backend test --home "$h" >/dev/null 2>&1
    local addr; addr=$("$WASMD" keys show "val$i" -a --keyring-backend test --home "$h")
    "$WASMD" genesis add-genesis-account "$addr" "$BALANCE" --home "$h0" >/dev/null
  done
  # Every validator signs its own gentx against the same accounts.
  mkdir -p "$h0/config/gentx"
  for i in $(seq 0 $((N - 1))); do
    local h key; h=$(home_of "$i"); key="val$i"; [ "$i" = 0 ] && key=validator
    [ "$i" = 0 ] || cp "$h0/config/genesis.json" "$h/config/genesis.json"
    "$WASMD" genesis gentx "$key" "$SELF_BOND" --chain-id "$CHAIN_ID" --keyring-backend test \
      --home "$h" --moniker "node$i" --output-document "$h0/config/gentx/gentx-node$i.json" >/dev/null 2>&1
  done
  "$WASMD" genesis collect-gentxs --home "$h0" >/dev/null 2>&1
  "$WASMD" genesis validate --home "$h0" >/dev/null
  for i in $(seq 0 $((N - 1))); do
    [ "$i" = 0 ] || cp "$h0/config/genesis.json" "$(home_of "$i")/config/genesis.json"
    configure "$i"
  done
  echo "$N $CHAIN_ID $PORT_BASE $TIMEOUT_COMMIT $("$WASMD" version 2>&1)" > "$BASE_DIR/made-with"
}

launch_one() { # I
  local i=$1 h; h=$(home_of "$1")
  [ -n "$(pid_of "$i")" ] && { log "validator $i already running"; return 0; }
  local p; for p in "$(p2p_port "$i")" "$(rpc_port "$i")" "$(abci_port "$i")" "$(grpc_port "$i")" "$(api_port "$i")"; do
    if port_busy "$p"; then log "port $p on 127.0.0.1 is in use: set AIP_MULTI_PORT_BASE or stop it"; return 2; fi
  done
  AIP_CLOCK_OFFSET_FILE="$h/clock-offset" setsid "$WASMD" start --home "$h" >>"$h/wasmd.log" 2>&1 < /dev/null &
  echo $! > "$h/wasmd.pid"
  log "validator $i started (pid $!, rpc $(rpc_url "$i"), log $h/wasmd.log)"
}

wait_blocks() { # I [timeout]: wait until validator I reports a height that then grows
  local i=$1 deadline=$(( $(date +%s) + ${2:-120} )) first=""
  while [ "$(date +%s)" -lt "$deadline" ]; do
    local h; h=$(height_of "$i")
    [ -n "$h" ] && [ -z "$first" ] && first=$h
    if [ -n "$h" ] && [ "$h" -ge 2 ] && [ "$h" -gt "$first" ]; then return 0; fi
    sleep 0.5
  done
  log "validator $i produced no new block in time; last log lines:"; tail -n 15 "$(home_of "$i")/wasmd.log" >&2
  return 1
}

stop_one() { # I [signal]
  local i=$1 sig="${2:-TERM}" pid; pid=$(pid_of "$1")
  [ -n "$pid" ] || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  local _; for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$(home_of "$i")/wasmd.pid"; log "validator $i stopped ($sig)"; return 0; }
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true; rm -f "$(home_of "$i")/wasmd.pid"
  log "validator $i killed after 20 s"
}

cmd_start() {
  WASMD=$("$ROOT/ci/install-wasmd.sh")
  local want; want="$N $CHAIN_ID $PORT_BASE $TIMEOUT_COMMIT $("$WASMD" version 2>&1)"
  if [ "${1:-}" = "--fresh" ] || [ ! -f "$BASE_DIR/made-with" ] || [ "$(cat "$BASE_DIR/made-with")" != "$want" ]; then
    local i; for i in $(seq 0 $((N - 1))); do stop_one "$i"; done
    init_network
  fi
  local i; for i in $(seq 0 $((N - 1))); do launch_one "$i" || return $?; done
  for i in $(seq 0 $((N - 1))); do wait_blocks "$i" 120 || return 1; done
  log "up: $N validators at height $(height_of 0)"
}

cmd_wipe() { # I: delete the chain data, keep the keys and the signing state, rejoin by state sync
  local i=$1 h; h=$(home_of "$1")
  WASMD=$("$ROOT/ci/install-wasmd.sh")
  stop_one "$i"
  local src="" j; for j in $(seq 0 $((N - 1))); do
    [ "$j" = "$i" ] && continue
    [ -n "$(height_of "$j")" ] && src="${src:+$src,}$(rpc_url "$j")"
  done
  [ "$(echo "$src" | tr ',' '\n' | grep -c .)" -ge 2 ] || { log "state sync needs two other validators up"; return 1; }
  local one; one=$(echo "$src" | cut -d, -f1)
  # Trust a recent block that a snapshot can follow.
  local latest; latest=$(curl -fsS "$one/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["sync_info"]["latest_block_height"])')
  local th=$(( latest > SNAPSHOT_INTERVAL ? latest - SNAPSHOT_INTERVAL : 1 ))
  local hash; hash=$(curl -fsS "$one/block?height=$th" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["block_id"]["hash"])')
  # The validator's signing state survives the wipe so it can never sign a height twice.
  cp "$h/data/priv_validator_state.json" "$BASE_DIR/pvs-$i.json"
  "$WASMD" comet unsafe-reset-all --home "$h" --keep-addr-book >/dev/null 2>&1
  rm -rf "$h/wasm"
  cp "$BASE_DIR/pvs-$i.json" "$h/data/priv_validator_state.json"
  local cfg="$h/config/config.toml"
  set_toml "$cfg" statesync enable true
  set_toml "$cfg" statesync rpc_servers "\"$src\""
  set_toml "$cfg" statesync trust_height "$th"
  set_toml "$cfg" statesync trust_hash "\"$hash\""
  set_toml "$cfg" statesync trust_period '"168h0m0s"'
  log "validator $i wiped; rejoining by state sync from $src (trust height $th)"
  launch_one "$i"
  # Once synced it must not state-sync again on a later restart.
  local deadline=$(( $(date +%s) + 240 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    local hi; hi=$(height_of "$i")
    if [ -n "$hi" ] && [ "$hi" -gt "$th" ]; then
      set_toml "$cfg" statesync enable false
      log "validator $i synced to height $hi"
      return 0
    fi
    sleep 1
  done
  log "validator $i did not catch up by state sync; last log lines:"; tail -n 20 "$h/wasmd.log" >&2
  return 1
}

cmd_advance() {
  local secs="${1:-}"
  case "$secs" in ''|*[!0-9]*) echo "usage: $0 advance SECONDS" >&2; return 64 ;; esac
  local up; up=$(first_up) || { log "no validator is up"; return 3; }
  local target=$(( $(block_time_of "$up") + secs )) i
  for i in $(seq 0 $((N - 1))); do
    local f; f="$(home_of "$i")/clock-offset"
    echo $(( $(cat "$f" 2>/dev/null || echo 0) + secs )) > "$f.tmp" && mv "$f.tmp" "$f"
  done
  local _; for _ in $(seq 1 120); do
    [ "$(block_time_of "$up")" -ge "$target" ] && { log "chain time now $(block_time_of "$up")"; return 0; }
    sleep 0.25
  done
  log "chain time did not advance (is wasmd built with the clock hook, are 2/3 of the validators up?)"; return 1
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) for i in $(seq 0 $((N - 1))); do stop_one "$i"; done ;;
  reset) for i in $(seq 0 $((N - 1))); do stop_one "$i"; done; rm -rf "$BASE_DIR"; log "reset $BASE_DIR" ;;
  status)
    for i in $(seq 0 $((N - 1))); do
      pid=$(pid_of "$i"); st=stopped; [ -n "$pid" ] && st="pid $pid"; echo "validator $i: $st height $(height_of "$i") rpc $(rpc_url "$i")"
    done ;;
  kill) check_index "${2:-}" kill; stop_one "$2" KILL ;;
  up) check_index "${2:-}" up; WASMD=$("$ROOT/ci/install-wasmd.sh"); launch_one "$2" ;;
  wipe) check_index "${2:-}" wipe; cmd_wipe "$2" ;;
  height) if [ -n "${2:-}" ]; then check_index "$2" height; height_of "$2"; else i=$(first_up) && height_of "$i"; fi ;;
  advance) shift; cmd_advance "$@" ;;
  env)
    urls=""; for i in $(seq 0 $((N - 1))); do urls="${urls:+$urls,}$(rpc_url "$i")"; done
    echo "AIP_RPC_URL=$(rpc_url 0)"
    echo "AIP_RPC_URLS=$urls"
    echo "AIP_REST_URL=http://127.0.0.1:$(api_port 0)"
    echo "AIP_CHAIN_ID=$CHAIN_ID"
    echo "AIP_PREFIX=wasm"
    echo "AIP_DENOM=$DENOM" ;;
  *) echo "usage: $0 start [--fresh] | stop | status | kill I | up I | wipe I | height [I] | advance SECONDS | env | reset" >&2; exit 64 ;;
esac

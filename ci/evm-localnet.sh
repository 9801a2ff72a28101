#!/usr/bin/env bash
# A single-validator EVM chain (aipevmd, chain/evm/) on loopback: the other
# end of the IBC bridge, with Ethereum JSON-RPC for ethers.js and MetaMask.
#
#   ci/evm-localnet.sh start [--fresh]   start (or reuse) the node; waits for blocks and JSON-RPC
#   ci/evm-localnet.sh stop              stop it (TERM, then KILL after 20 s)
#   ci/evm-localnet.sh status            running? height, endpoints
#   ci/evm-localnet.sh check             eth_chainId and eth_getBalance of the dev accounts answer
#   ci/evm-localnet.sh reset             stop and delete the chain data
#   ci/evm-localnet.sh env               print the endpoints as shell variables
#
# Chain id aip-evm-1 (EIP-155 chain id 262144), bech32 prefix aipevm, gas and
# staking coin aevm (18 decimals), blocks every ~1 s. The accounts of
# ci/localnet-accounts.txt are funded in genesis as eth_secp256k1 keys (HD
# path m/44'/60'/0'/0/0, the path of MetaMask and ethers.js): the same names
# as on the wasmd localnet, other addresses. Ports: 285xx (AIP_EVM_*_PORT).
#
# AIP voucher metadata: with AIP_EVM_AIP_TOKEN=<AIP CW20 address on wasmd>
# (and AIP_EVM_AIP_CHANNEL, default channel-0: the first channel of a fresh
# chain), genesis carries the bank metadata of the voucher that channel will
# mint (ibc/<sha256 of transfer/<channel>/cw20:<address>>): name, symbol and
# 6 decimals of the CW20, which the voucher's ERC-20 then reports. Without
# it, cosmos/evm derives decimals from the base denom's first letter ('u' or
# 'a'), which a `cw20:` denom does not have, and decimals() reverts.
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/localnet-lib.sh"

CHAIN_ID="${AIP_EVM_CHAIN_ID:-aip-evm-1}"
EVM_CHAIN_ID=262144
DENOM="aevm"
HOME_DIR="${AIP_EVM_HOME:-$AIP_CACHE/evm-localnet/home}"
RPC_PORT="${AIP_EVM_RPC_PORT:-28557}"
P2P_PORT="${AIP_EVM_P2P_PORT:-28556}"
ABCI_PORT="${AIP_EVM_ABCI_PORT:-28558}"
GRPC_PORT="${AIP_EVM_GRPC_PORT:-28590}"
API_PORT="${AIP_EVM_API_PORT:-28517}"
JSONRPC_PORT="${AIP_EVM_JSONRPC_PORT:-28545}"
WS_PORT="${AIP_EVM_WS_PORT:-28546}"
METRICS_PORT="${AIP_EVM_METRICS_PORT:-28565}"
GETH_METRICS_PORT="${AIP_EVM_GETH_METRICS_PORT:-28566}"
ACCOUNTS_FILE="$ROOT/ci/localnet-accounts.txt"
AIP_TOKEN="${AIP_EVM_AIP_TOKEN:-}"
AIP_CHANNEL="${AIP_EVM_AIP_CHANNEL:-channel-0}"
PID_FILE="$HOME_DIR/aipevmd.pid"
LOG_FILE="$HOME_DIR/aipevmd.log"
RPC_URL="http://127.0.0.1:$RPC_PORT"
JSONRPC_URL="http://127.0.0.1:$JSONRPC_PORT"
BALANCE="1000000000000000000000000$DENOM"   # 10^6 evm (10^24 aevm) per account
SELF_BOND="1000000000000000000000$DENOM"    # 1000 evm
MIN_GAS_PRICE="0$DENOM"

log() { printf 'evm-localnet: %s\n' "$*" >&2; }

fingerprint() {
  {
    "$EVMD" version 2>&1
    cat "$ACCOUNTS_FILE"
    echo "$AIP_TOKEN $AIP_CHANNEL"
    echo "$CHAIN_ID $RPC_PORT $P2P_PORT $ABCI_PORT $GRPC_PORT $API_PORT $JSONRPC_PORT $WS_PORT $METRICS_PORT $GETH_METRICS_PORT $BALANCE $SELF_BOND $MIN_GAS_PRICE"
    sed -n '/^# -- settings/,/^# -- end settings/p' "$0"
  } | sha256sum | cut -d' ' -f1
}

running_pid() {
  [ -f "$PID_FILE" ] || return 0
  local pid; pid=$(cat "$PID_FILE" 2>/dev/null || true)
  if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] \
     && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "aipevmd start --home $HOME_DIR"; then
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

# eth_call-style JSON-RPC request; prints the "result" or fails with the error.
jsonrpc() { # method params-json
  curl -fsS --max-time 5 -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$JSONRPC_URL" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["result"]) if "result" in r else sys.exit("json-rpc error: %s" % r.get("error"))'
}

# -- settings: everything below until "end settings" is part of the fingerprint
init_home() {
  log "initialising $HOME_DIR (chain $CHAIN_ID)"
  rm -rf "$HOME_DIR"
  mkdir -p "$HOME_DIR"
  local e=("$EVMD" --home "$HOME_DIR")
  "${e[@]}" init aip-evm --chain-id "$CHAIN_ID" --default-denom "$DENOM" >/dev/null 2>&1
  local name mnemonic
  while read -r name mnemonic; do
    case "$name" in ''|\#*) continue ;; esac
    echo "$mnemonic" | "${e[@]}" keys add "$name" --recover --keyring-backend test --algo eth_secp256k1 >/dev/null 2>&1
    "${e[@]}" genesis add-genesis-account "$name" "$BALANCE" --keyring-backend test >/dev/null
  done < "$ACCOUNTS_FILE"
  local gen="$HOME_DIR/config/genesis.json"
  python3 - "$gen" "$DENOM" "$AIP_TOKEN" "$AIP_CHANNEL" <<'PY'
import hashlib, json, sys
path, denom, aip_token, aip_channel = sys.argv[1:5]
g = json.load(open(path))
s = g["app_state"]
s["staking"]["params"]["bond_denom"] = denom
s["evm"]["params"]["evm_denom"] = denom
s["bank"]["denom_metadata"] = [{
    "description": "Gas and staking coin of the AIPCHAIN EVM chain",
    "denom_units": [{"denom": denom, "exponent": 0, "aliases": []},
                    {"denom": "evm", "exponent": 18, "aliases": []}],
    "base": denom, "display": "evm", "name": "EVM gas", "symbol": "EVM",
    "uri": "", "uri_hash": ""}]
if aip_token:
    path_denom = f"transfer/{aip_channel}/cw20:{aip_token}"
    voucher = "ibc/" + hashlib.sha256(path_denom.encode()).hexdigest().upper()
    s["bank"]["denom_metadata"].append({
        "description": f"AIP from AIPCHAIN over IBC ({path_denom})",
        "denom_units": [{"denom": voucher, "exponent": 0, "aliases": []},
                        {"denom": "aip", "exponent": 6, "aliases": []}],
        "base": voucher, "display": "aip", "name": "AIPCHAIN energy token", "symbol": "AIP",
        "uri": "", "uri_hash": ""})
# IBC vouchers become ERC-20s on arrival (x/erc20's IBC middleware).
s["erc20"]["params"]["enable_erc20"] = True
s["erc20"]["params"]["permissionless_registration"] = True
g["consensus"]["params"]["block"]["max_gas"] = "10000000"
json.dump(g, open(path, "w"), indent=1)
PY
  "${e[@]}" genesis gentx validator "$SELF_BOND" --chain-id "$CHAIN_ID" --keyring-backend test \
    --gas-prices "10000000000$DENOM" >/dev/null 2>&1
  "${e[@]}" genesis collect-gentxs >/dev/null 2>&1
  "${e[@]}" genesis validate >/dev/null

  local cfg="$HOME_DIR/config/config.toml" app="$HOME_DIR/config/app.toml"
  set_toml "$cfg" "" proxy_app "\"tcp://127.0.0.1:$ABCI_PORT\""
  set_toml "$cfg" rpc laddr "\"tcp://127.0.0.1:$RPC_PORT\""
  set_toml "$cfg" rpc pprof_laddr '""'
  set_toml "$cfg" p2p laddr "\"tcp://127.0.0.1:$P2P_PORT\""
  set_toml "$cfg" p2p pex false
  set_toml "$cfg" p2p addr_book_strict false
  set_toml "$cfg" consensus timeout_commit '"1s"'
  set_toml "$cfg" consensus timeout_propose '"1s"'
  set_toml "$cfg" instrumentation prometheus false
  set_toml "$app" "" minimum-gas-prices "\"$MIN_GAS_PRICE\""
  set_toml "$app" api enable true
  set_toml "$app" api address "\"tcp://127.0.0.1:$API_PORT\""
  set_toml "$app" grpc address "\"127.0.0.1:$GRPC_PORT\""
  set_toml "$app" grpc-web enable false 2>/dev/null || true
  set_toml "$app" mempool max-txs 0
  set_toml "$app" json-rpc enable true
  set_toml "$app" json-rpc address "\"127.0.0.1:$JSONRPC_PORT\""
  set_toml "$app" json-rpc ws-address "\"127.0.0.1:$WS_PORT\""
  set_toml "$app" json-rpc metrics-address "\"127.0.0.1:$METRICS_PORT\""
  set_toml "$app" json-rpc api '"eth,net,web3,txpool"'
  set_toml "$app" evm geth-metrics-address "\"127.0.0.1:$GETH_METRICS_PORT\"" 2>/dev/null || true
  set_toml "$app" evm evm-chain-id "$EVM_CHAIN_ID"
  fingerprint > "$HOME_DIR/fingerprint"
}
# -- end settings

launch() {
  for p in "$RPC_PORT" "$P2P_PORT" "$ABCI_PORT" "$GRPC_PORT" "$API_PORT" "$JSONRPC_PORT" "$WS_PORT"; do
    if port_busy "$p"; then
      log "port $p on 127.0.0.1 is in use by another process; set AIP_EVM_*_PORT or stop it"
      return 2
    fi
  done
  log "starting aipevmd (log: $LOG_FILE)"
  setsid "$EVMD" start --home "$HOME_DIR" --chain-id "$CHAIN_ID" >>"$LOG_FILE" 2>&1 < /dev/null &
  echo $! > "$PID_FILE"
  local pid; pid=$(cat "$PID_FILE")
  local deadline=$(( $(date +%s) + ${AIP_EVM_START_TIMEOUT:-120} ))
  local first=""
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "aipevmd exited during start-up; last log lines:"; tail -n 20 "$LOG_FILE" >&2
      rm -f "$PID_FILE"; return 1
    fi
    local h; h=$(height)
    [ -n "$h" ] && [ -z "$first" ] && first=$h
    if [ -n "$h" ] && [ "$h" -ge 2 ] && [ "$h" -gt "$first" ] && jsonrpc eth_chainId '[]' >/dev/null 2>&1; then
      log "up: height $h, rpc $RPC_URL, json-rpc $JSONRPC_URL"
      return 0
    fi
    sleep 0.5
  done
  log "no blocks or no JSON-RPC within the start timeout; last log lines:"; tail -n 20 "$LOG_FILE" >&2
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
  EVMD=$("$ROOT/ci/install-evmd.sh")
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

# The dev accounts' 0x addresses, as "name 0x..." lines.
eth_addresses() {
  EVMD=$("$ROOT/ci/install-evmd.sh")
  local name
  while read -r name _; do
    case "$name" in ''|\#*) continue ;; esac
    local bech; bech=$("$EVMD" --home "$HOME_DIR" keys show "$name" -a --keyring-backend test)
    echo "$name $("$EVMD" debug addr "$bech" 2>/dev/null | sed -n 's/^Address (hex): *//p; s/^Address hex: *//p' | head -n1)"
  done < "$ACCOUNTS_FILE"
}

# eth_chainId must be the configured id and every dev account must hold its
# genesis balance (eth_getBalance reads the 18-decimal EVM view of aevm).
cmd_check() {
  [ -n "$(running_pid)" ] || { log "not running"; return 3; }
  local id; id=$(jsonrpc eth_chainId '[]')
  if [ "$((id))" != "$EVM_CHAIN_ID" ]; then
    log "eth_chainId answered $id, expected $EVM_CHAIN_ID"; return 1
  fi
  local want="${BALANCE%"$DENOM"}" name addr bal n=0
  while read -r name addr; do
    [ -n "$addr" ] || { log "no hex address for $name"; return 1; }
    bal=$(jsonrpc eth_getBalance "[\"$addr\",\"latest\"]")
    # The validator bonded part of its balance and paid its gentx fee.
    if [ "$name" != validator ] && [ "$(python3 -c "print(int('$bal', 16))")" != "$want" ]; then
      log "eth_getBalance($name $addr) = $bal, expected $want"; return 1
    fi
    n=$((n + 1))
  done < <(eth_addresses)
  log "ok: eth_chainId $id ($EVM_CHAIN_ID), eth_getBalance of $n dev accounts"
}

cmd_status() {
  local pid; pid=$(running_pid)
  if [ -z "$pid" ]; then echo "evm-localnet: stopped"; return 3; fi
  echo "evm-localnet: running pid $pid height $(height) rpc $RPC_URL json-rpc $JSONRPC_URL chain $CHAIN_ID home $HOME_DIR"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) stop_node ;;
  status) cmd_status ;;
  check) cmd_check ;;
  addresses) eth_addresses ;;
  reset) stop_node; rm -rf "$HOME_DIR"; log "reset $HOME_DIR" ;;
  env)
    echo "AIP_EVM_RPC_URL=$RPC_URL"
    echo "AIP_EVM_JSONRPC_URL=$JSONRPC_URL"
    echo "AIP_EVM_GRPC_URL=http://127.0.0.1:$GRPC_PORT"
    echo "AIP_EVM_CHAIN_ID=$CHAIN_ID"
    echo "AIP_EVM_EIP155_CHAIN_ID=$EVM_CHAIN_ID"
    echo "AIP_EVM_PREFIX=aipevm"
    echo "AIP_EVM_DENOM=$DENOM"
    echo "AIP_EVM_HOME=$HOME_DIR" ;;
  *) echo "usage: $0 start [--fresh] | stop | status | check | addresses | reset | env" >&2; exit 64 ;;
esac

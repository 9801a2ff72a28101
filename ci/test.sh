#!/usr/bin/env bash
# The test command: everything CI runs. Installs what it needs on the first run.
#   fmt check, clippy -D warnings, all tests, the power-flow tests (pytest), wasm build + optimize + VM static checks,
#   schema drift check, the app's codegen/unit/browser tests, the e2e tests on
#   wasmd localnets, the EVM bridge over IBC.
#
# First run on a machine: the tools that later steps need (wasm-bindgen-cli,
# wasmd, aipevmd, Hermes) are built in the background from the second step, under
# `nice -n 19`, while the foreground steps run; a step that needs a tool waits
# for its build (and fails with the build log's tail if the build failed).
# Two queues: Go (wasmd, then aipevmd, which reuses the dependencies the two
# share from the Go build cache) and Rust (wasm-bindgen-cli, then Hermes once
# wasmd is built), each in its own target dir. With every tool cached, each install
# script returns at once and nothing is built. Logs: $AIP_CACHE/logs/.
# Every step's wall time is printed after it, and a summary table at the end
# (also when a step fails). docs/build.md: what a new machine builds, in which order.
. "$(dirname "$0")/env.sh"
cd "$ROOT"
start=$(date +%s)

# --- step timings ------------------------------------------------------------
STEP_NAMES=(); STEP_SECS=(); cur_step=""; cur_start=0
# tstep NAME: ends the running step (prints its wall time) and starts NAME.
tstep() {
  end_step
  cur_step="$*"; cur_start=$(date +%s)
  step "$*"
}
end_step() {
  [ -n "$cur_step" ] || return 0
  local d=$(( $(date +%s) - cur_start ))
  STEP_NAMES+=("$cur_step"); STEP_SECS+=("$d")
  printf '<== %s: %d s\n' "$cur_step" "$d"
  cur_step=""
}

# --- background tool builds ----------------------------------------------------
BG_TOOLS=(wasm-bindgen hermes wasmd evmd)
BG_DIR="$AIP_CACHE/logs/test-$(date -u +%Y%m%dT%H%M%SZ)-$$"
BG_PIDS=()
declare -A TOOL_WAIT=() TOOL_PID=()
mkdir -p "$BG_DIR"
# Keep the logs of the last 10 runs.
ls -1d "$AIP_CACHE"/logs/test-* 2>/dev/null | LC_ALL=C sort | head -n -10 | xargs -r rm -rf
# bg_queue TOOL...: runs ci/install-TOOL.sh for each TOOL, one after the
# other, in the background at the lowest priority, in its own process group
# (so that an early exit can stop the whole build). Per tool it writes
# TOOL.log, TOOL.start, TOOL.end and TOOL.rc (the exit status) in $BG_DIR.
# An item `after:TOOL` waits until TOOL's build (in another queue) ended.
bg_queue() {
  # setsid starts a new session. Where the kernel schedules by autogroup
  # (/proc/sys/kernel/sched_autogroup_enabled = 1, as on the CI machine), each
  # session is a group with an equal share of the CPU, whatever the nice value
  # of its processes: two tool builds took two thirds of the CPU from the
  # foreground (seen on 2026-12-07). The group's own nice value is what counts,
  # so the queue sets it to 19 too (/proc/self/autogroup).
  setsid nice -n 19 bash -c '
    echo 19 > /proc/self/autogroup 2>/dev/null || true
    root=$1 dir=$2; shift 2
    for t in "$@"; do
      case $t in after:*) while [ ! -f "$dir/${t#after:}.rc" ]; do sleep 2; done; continue ;; esac
      date +%s > "$dir/$t.start"
      rc=0; "$root/ci/install-$t.sh" > "$dir/$t.log" 2>&1 < /dev/null || rc=$?
      date +%s > "$dir/$t.end"
      echo "$rc" > "$dir/$t.rc"
    done' bg-tools "$ROOT" "$BG_DIR" "$@" < /dev/null > /dev/null 2>&1 &
  BG_PIDS+=("$!")
  local t; for t in "$@"; do TOOL_PID[$t]=$!; done   # (after:X entries are never waited for)
}
# need_tool TOOL: waits for TOOL's background build; fails with its log's tail.
need_tool() {
  local t=$1 w0; w0=$(date +%s)
  if [ ! -f "$BG_DIR/$t.rc" ]; then
    echo "waiting for the background build of $t (log: $BG_DIR/$t.log)"
    while [ ! -f "$BG_DIR/$t.rc" ]; do
      if ! kill -0 "${TOOL_PID[$t]}" 2>/dev/null && [ ! -f "$BG_DIR/$t.rc" ]; then
        echo "the background build of $t stopped without an exit status; last lines of $BG_DIR/$t.log:" >&2
        tail -n 40 "$BG_DIR/$t.log" >&2 || true
        exit 1
      fi
      sleep 2
    done
  fi
  TOOL_WAIT[$t]=$(( $(date +%s) - w0 ))
  if [ "$(cat "$BG_DIR/$t.rc")" != 0 ]; then
    echo "ci/install-$t.sh failed (exit $(cat "$BG_DIR/$t.rc")); last lines of $BG_DIR/$t.log:" >&2
    tail -n 40 "$BG_DIR/$t.log" >&2
    exit 1
  fi
}
# tool_status TOOL: "cached", "built in N s", "failed (exit N)", "not finished" or "not started".
tool_status() {
  local t=$1
  if [ ! -f "$BG_DIR/$t.start" ]; then echo "not started"; return; fi
  if [ ! -f "$BG_DIR/$t.rc" ]; then echo "not finished"; return; fi
  local rc s e; rc=$(cat "$BG_DIR/$t.rc"); s=$(cat "$BG_DIR/$t.start"); e=$(cat "$BG_DIR/$t.end")
  if [ "$rc" != 0 ]; then echo "failed (exit $rc)"
  elif grep -q '^building ' "$BG_DIR/$t.log"; then echo "built in $((e - s)) s (wall, nice 19)"
  else echo "cached"; fi
}
summary() {
  printf '\n==> step times (wall, s)\n'
  local i total=0
  for i in "${!STEP_NAMES[@]}"; do
    printf '%6d  %s\n' "${STEP_SECS[$i]}" "${STEP_NAMES[$i]}"
    total=$((total + STEP_SECS[i]))
  done
  printf '%6d  total of the steps; whole run %d s\n' "$total" "$(( $(date +%s) - start ))"
  printf '==> tools built in the background (logs: %s)\n' "$BG_DIR"
  local t
  for t in "${BG_TOOLS[@]}"; do
    printf '  %-13s %s; steps waited %s s for it\n' "$t" "$(tool_status "$t")" "${TOOL_WAIT[$t]:-0}"
  done
}

# On any exit: stop the localnet a step left running, stop unfinished
# background builds (their caches only take finished binaries), print the
# summary (a failed step is named).
STOP_CMD=""
on_exit() {
  local rc=$?
  set +e
  [ -n "$STOP_CMD" ] && eval "$STOP_CMD"
  local p
  for p in "${BG_PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
  if [ "$rc" != 0 ] && [ -n "$cur_step" ]; then
    printf '<== FAILED: %s (exit %d) after %d s\n' "$cur_step" "$rc" "$(( $(date +%s) - cur_start ))"
    STEP_NAMES+=("$cur_step (FAILED)"); STEP_SECS+=("$(( $(date +%s) - cur_start ))")
  fi
  summary
}
trap on_exit EXIT

tstep "install tools (wasm32 target, wasm-opt, mosquitto, protoc, Python venv)"
"$ROOT/ci/install-tools.sh"

# The background builds start after install-tools.sh, whose apt-get must not
# meet another (dpkg's lock). In the order the steps need them:
# wasm-bindgen-cli and wasmd for the app's step (the first to need a tool),
# aipevmd and Hermes for the last. Hermes, the longest, starts once wasmd is
# built, so that it does not take the spare CPU wasmd needs first.
bg_queue wasmd evmd
bg_queue wasm-bindgen after:wasmd hermes

tstep "cargo fmt --check, workspace-hack in step"
cargo fmt --all -- --check
# One feature set per dependency for every cargo command below (packages/workspace-hack).
"$ROOT/ci/workspace-hack.sh"

tstep "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

tstep "cargo test"
export AIP_REQUIRE_MQTT=1
cargo test --workspace --locked

tstep "power-flow tests"
"$ROOT/ci/install-python.sh" >/dev/null
"$AIP_CACHE/venv/bin/python" -m pytest -q "$ROOT/offchain/sim/powerflow"

tstep "wasm pipeline"
"$ROOT/ci/build-wasm.sh"

tstep "schema check"
"$ROOT/ci/schema.sh"

tstep "prosumer app: generated clients (drift, tsc --strict)"
"$ROOT/ci/app-codegen.sh"

tstep "prosumer app: build, unit and browser tests"
# The in-browser prover needs wasm-bindgen-cli, the browser tests a localnet.
need_tool wasm-bindgen
need_tool wasmd
"$ROOT/ci/app-test.sh"

tstep "end-to-end tests on a wasmd localnet"
# Its own chain home and ports, so a developer's localnet (ci/localnet.sh
# defaults) is neither reset nor in the way. Started from genesis each run,
# stopped on any exit.
need_tool wasmd
export AIP_LOCALNET_HOME="$AIP_CACHE/localnet/ci" AIP_RPC_PORT=26857 AIP_P2P_PORT=26856 \
  AIP_ABCI_PORT=26858 AIP_GRPC_PORT=9290 AIP_API_PORT=1517
export AIP_RPC_URL="http://127.0.0.1:$AIP_RPC_PORT"
STOP_CMD='"$ROOT/ci/localnet.sh" stop || true'
"$ROOT/ci/localnet.sh" start --fresh
cargo test -p chain-client --features e2e --locked --test localnet_e2e
cargo test -p aip-cli --features e2e --locked --test e2e
cargo test -p aip-matcher --features e2e --locked --test intents_e2e
# 20 households: screened-out intents matter; verify-slot must still re-run the commit exactly.
AIP_E2E_HOUSEHOLDS=20 cargo test -p aip-matcher --features e2e --locked --test intents_e2e
cargo test -p aip-cli --features e2e --locked --test e2e_kyc
cargo test -p aip-cli --features e2e --locked --test e2e_upgrade
cargo test -p aip-oracle --features e2e --locked --test kill_restart_e2e --test localnet_e2e
cargo test -p aip-sim --features e2e --locked --test node_e2e
cargo test -p aip-sentinel --features e2e --locked --test localnet_e2e
"$ROOT/ci/localnet.sh" stop
STOP_CMD=""

tstep "fault tests on a 4-validator wasmd network"
# Its own homes and ports (validator I: 28700+10*I ..), started from genesis,
# stopped on any exit. Validators are killed, halted and wiped under a
# running simulation (offchain/sim/tests/faults_e2e.rs).
export AIP_MULTI_HOME="$AIP_CACHE/localnet/ci-multi" AIP_MULTI_PORT_BASE=28700
STOP_CMD='"$ROOT/ci/localnet-multi.sh" stop || true'
"$ROOT/ci/localnet-multi.sh" start --fresh
eval "$("$ROOT/ci/localnet-multi.sh" env | sed 's/^/export /')"
cargo test -p aip-sim --features e2e --locked --test faults_e2e
cargo test -p aip-matcher --features e2e --locked --test failover_e2e
cargo test -p aip-oracle --features e2e --locked --test operators_e2e
"$ROOT/ci/localnet-multi.sh" stop
STOP_CMD=""

tstep "EVM bridge over IBC (aipevmd + Hermes + cw20-ics20)"
# Its own wasmd home and ports (the EVM chain uses 285xx); aipevmd and Hermes
# come from the background builds started above.
need_tool evmd
need_tool hermes
(
  unset AIP_RPC_URLS
  export AIP_LOCALNET_HOME="$AIP_CACHE/localnet/ci-bridge" AIP_RPC_PORT=27957 AIP_P2P_PORT=27956 \
    AIP_ABCI_PORT=27958 AIP_GRPC_PORT=9990 AIP_API_PORT=2317
  export AIP_RPC_URL="http://127.0.0.1:$AIP_RPC_PORT"
  "$ROOT/ci/evm-bridge-test.sh"
)

end_step
step "all checks passed in $(( $(date +%s) - start )) s"

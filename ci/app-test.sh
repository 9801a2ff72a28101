#!/usr/bin/env bash
# The prosumer web app (app/): installs what is missing (npm ci from the
# committed lock file, Debian's chromium), builds the in-browser prover and
# the app, runs the unit tests (vitest) and the browser tests (headless
# Chromium via playwright-core) against a wasmd localnet it starts fresh on
# its own ports and stops on exit, with a real aip-gateway (household
# forecasts from the ONNX models included), the online aip-matcher and the
# aip-oracle (a whole slot from the browser).
#   ci/app-test.sh              everything
#   ci/app-test.sh --unit       unit tests and the build only (no chain, no browser)
# Needs artifacts/*.wasm (ci/build-wasm.sh; built here when missing).
. "$(dirname "$0")/env.sh"
. "$ROOT/ci/app-lib.sh"
cd "$ROOT"
mode="${1:-all}"
# Bounded: the whole run stops after this many seconds.
LIMIT="${AIP_APP_TEST_TIMEOUT:-2400}"

app_install
missing=""
command -v chromium >/dev/null || missing="$missing chromium"
# faketime: the real aip-oracle runs on the localnet's test clock (ci/localnet.sh advance).
command -v faketime >/dev/null || missing="$missing faketime"
if [ -n "$missing" ] && [ "$mode" != "--unit" ]; then
  step "apt-get install$missing (Debian's packages; playwright downloads no browser)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

step "in-browser prover (zk-kyc-wasm)"
"$ROOT/ci/app-prover.sh"
step "app: type-check and production build"
( cd "$APP" && npm run -s build:app )
step "app: unit tests"
( cd "$APP" && timeout 300 npx vitest run )
[ "$mode" = "--unit" ] && exit 0

# ONNX Runtime for the gateway's household forecasts (GET /v1/forecast/{meter}):
# the library inside the PyPI onnxruntime wheel of the project's venv.
step "Python venv with ONNX Runtime (ci/install-python.sh)"
"$ROOT/ci/install-python.sh" >/dev/null
step "binaries: aip, aip-kyc, aip-gateway, aip-matcher, aip-oracle"
cargo build -q --locked -p aip-cli -p aip-kyc -p gateway -p aip-matcher -p aip-oracle
export AIP_BIN_DIR="$CARGO_TARGET_DIR/debug"
if ! ls artifacts/*.wasm >/dev/null 2>&1; then "$ROOT/ci/build-wasm.sh"; fi

step "browser tests on a fresh localnet"
export AIP_LOCALNET_HOME="${AIP_APP_LOCALNET_HOME:-$AIP_CACHE/localnet/app-test}"
export AIP_RPC_PORT="${AIP_RPC_PORT:-26957}" AIP_P2P_PORT="${AIP_P2P_PORT:-26956}" \
  AIP_ABCI_PORT="${AIP_ABCI_PORT:-26958}" AIP_GRPC_PORT="${AIP_GRPC_PORT:-9390}" AIP_API_PORT="${AIP_API_PORT:-1617}"
export AIP_APP_PORT="${AIP_APP_PORT:-27380}" AIP_GATEWAY_PORT="${AIP_GATEWAY_PORT:-27381}"
trap '"$ROOT/ci/localnet.sh" stop || true' EXIT
"$ROOT/ci/localnet.sh" start --fresh
eval "$("$ROOT/ci/localnet.sh" env | sed 's/^/export /')"
( cd "$APP" && timeout "$LIMIT" npx vitest run --config vitest.browser.config.ts )
echo "screenshots and axe reports: app/test-output/"

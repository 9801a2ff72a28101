#!/usr/bin/env bash
# Installs what the build and tests need, idempotently (a second run is instant):
# the wasm32 target, binaryen's wasm-opt (npm, >= 132),
# mosquitto (Debian, for the MQTT test), the Python venv with ONNX Runtime (PyPI).
. "$(dirname "$0")/env.sh"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v wasm-opt >/dev/null || ! wasm-opt --version | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  step "installing binaryen $BINARYEN_VERSION (npm)"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/binaryen-$BINARYEN_VERSION" "binaryen@$BINARYEN_VERSION"
fi


# The oracle agent's MQTT source is tested against a real broker.
if ! [ -x /usr/sbin/mosquitto ] && ! [ -x /usr/bin/mosquitto ]; then
  step "installing mosquitto (Debian) for the MQTT source test"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
  fi
fi

# Python venv: ONNX Runtime for the forecasters (and the data/training scripts).
"$ROOT/ci/install-python.sh" >/dev/null

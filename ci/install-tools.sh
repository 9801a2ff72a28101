#!/usr/bin/env bash
# Installs what the build and tests need, idempotently (a second run is instant):
# the wasm32 target, binaryen's wasm-opt (npm, >= 132),
# mosquitto and protoc (Debian), the Python venv with ONNX Runtime (PyPI).
. "$(dirname "$0")/env.sh"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v wasm-opt >/dev/null || ! wasm-opt --version | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  step "installing binaryen $BINARYEN_VERSION (npm)"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/binaryen-$BINARYEN_VERSION" "binaryen@$BINARYEN_VERSION"
fi


# Debian packages, in one apt-get call before ci/test.sh starts its
# background tool builds (two apt-get at once fail on dpkg's lock):
# mosquitto, the real broker the oracle agent's MQTT source is tested against;
# protoc and libclang, which the Hermes build needs (ci/install-hermes.sh:
# .proto files compiled at build time; bindgen in the RocksDB and zstd
# bindings loads libclang, which a machine with only libclang-cpp lacks).
missing=""
[ -x /usr/sbin/mosquitto ] || [ -x /usr/bin/mosquitto ] || missing="$missing mosquitto"
command -v protoc >/dev/null || missing="$missing protobuf-compiler"
/sbin/ldconfig -p | grep -qE 'libclang(-[0-9.]+)?\.so' || missing="$missing libclang-dev"
if [ -n "$missing" ]; then
  step "installing$missing (Debian)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# Python venv: ONNX Runtime for the forecasters (and the data/training scripts).
"$ROOT/ci/install-python.sh" >/dev/null

#!/usr/bin/env bash
# Python venv for the data export, the forecaster training, ONNX Runtime and the
# power-flow step with its tests (pandapower, pytest).
# Idempotent: creates ~/.cache/aipchain/venv once and reinstalls only when a
# pinned requirements file changed (a hash stamp). Everything comes from PyPI.
#
#   ci/install-python.sh            install / check
#   ci/install-python.sh --ort-path print the libonnxruntime.so path (for ORT_DYLIB_PATH)
. "$(dirname "$0")/env.sh"
VENV="$AIP_CACHE/venv"
REQS=("$ROOT/data/requirements.txt" "$ROOT/offchain/matcher/training/requirements.txt"
      "$ROOT/offchain/sim/powerflow/requirements.txt")

ort_path() {
  ls "$VENV"/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so* 2>/dev/null | head -n1
}

if [ "${1:-}" = "--ort-path" ]; then
  p="$(ort_path)"; [ -n "$p" ] || { echo "onnxruntime not installed: run ci/install-python.sh" >&2; exit 1; }
  echo "$p"; exit 0
fi

want="$(cat "${REQS[@]}" | sha256sum | cut -d' ' -f1)"
stamp="$VENV/.aip-requirements.sha256"
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -n "$(ort_path)" ]; then
  echo "python venv up to date: $VENV"
  exit 0
fi
step "python venv $VENV (pinned requirements)"
command -v python3 >/dev/null || { echo "python3 is required (apt-get install python3 python3-venv)" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "${REQS[1]}" -r "${REQS[2]}"
echo "$want" > "$stamp"
echo "ONNX Runtime: $(ort_path)"

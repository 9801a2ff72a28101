#!/usr/bin/env bash
# The main job: the market simulation on the in-process chain with every
# contract (pass --help for options; e.g. ci/sim.sh --days 14 --seed 7).
# Writes the KPI summary to stdout and kpis.json, summary.txt, series.csv and
# SVG plots to out/ (or --out DIR).
. "$(dirname "$0")/env.sh"
cd "$ROOT"
# ONNX Runtime for the forecasters (the PyPI onnxruntime wheel, installed once
# into ~/.cache/aipchain/venv). Without it the simulation says so and uses the
# seasonal-naive baseline.
if ! "$ROOT/ci/install-python.sh" >&2; then
  echo "ci/sim.sh: ONNX Runtime not installed; forecasts fall back to seasonal naive" >&2
fi
if [ -z "${ORT_DYLIB_PATH:-}" ]; then
  ORT_DYLIB_PATH="$("$ROOT/ci/install-python.sh" --ort-path 2>/dev/null || true)"
  [ -n "$ORT_DYLIB_PATH" ] && export ORT_DYLIB_PATH
fi
cargo run --release --locked -q -p aip-sim -- "$@"

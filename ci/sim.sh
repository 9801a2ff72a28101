#!/usr/bin/env bash
# The main job: the market simulation on the in-process chain with every
# contract (pass --help for options; e.g. ci/sim.sh --days 14 --seed 7).
# Writes the KPI summary to stdout and kpis.json, summary.txt, series.csv,
# injections.csv and SVG plots to out/ (or --out DIR); then the grid-physics
# step: an AC power flow of every slot (offchain/sim/powerflow/powerflow.py,
# pandapower in the venv) writes powerflow.csv, powerflow.json, voltage.svg.
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

# Grid physics of the run just made (not for --help / --version).
out=out data=data/simbench prev=
for a in "$@"; do
  case "$a" in
    -h|--help|-V|--version) exit 0 ;;
    --out=*) out="${a#--out=}" ;;
    --data=*) data="${a#--data=}" ;;
  esac
  [ "$prev" = --out ] && out="$a"
  [ "$prev" = --data ] && data="$a"
  prev="$a"
done
echo
[ -x "$AIP_CACHE/venv/bin/python" ] || { echo "ci/sim.sh: no python venv (ci/install-python.sh failed): no grid physics" >&2; exit 1; }
"$AIP_CACHE/venv/bin/python" "$ROOT/offchain/sim/powerflow/powerflow.py" run --out "$out" --data "$data"

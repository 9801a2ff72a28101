#!/usr/bin/env bash
# The ML scorer's training data and model, from the simulation:
#   1. an honest-only run and an attack run (aip-sim --attack), each writing
#      the sentinel's input (events.jsonl) and the attack run its labels (truth.json);
#   2. the per-account feature tables (aip-sentinel features);
#   3. training/train.py: the isolation forest, its ONNX export and metrics.
# Usage: offchain/sentinel/training/generate.sh [DAYS]   (default 3)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
DAYS="${1:-3}"
OUT="${AIP_SENTINEL_TRAIN_OUT:-$ROOT/out/sentinel-train}"
cd "$ROOT"
ci/sim.sh --attack none --days "$DAYS" --out "$OUT/honest" --quiet
ci/sim.sh --attack wash,ring,sybil,meter --days "$DAYS" --out "$OUT/attack" --quiet
. ci/env.sh
cargo run --release --locked -q -p aip-sentinel -- features "$OUT/honest/events.jsonl" --detect "$OUT/honest/detect.json" > "$OUT/honest.csv"
cargo run --release --locked -q -p aip-sentinel -- features "$OUT/attack/events.jsonl" --truth "$OUT/attack/truth.json" --detect "$OUT/attack/detect.json" > "$OUT/attack.csv"
"$HOME/.cache/aipchain/venv/bin/python" offchain/sentinel/training/train.py \
  --train "$OUT/honest.csv" --test "$OUT/attack.csv" --out offchain/sentinel/models

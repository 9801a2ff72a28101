#!/usr/bin/env bash
# The main job: the market simulation on the in-process chain (pass --help for options).
. "$(dirname "$0")/env.sh"
cd "$ROOT"
cargo run --release --locked -q -p aip-sim -- "$@"

# Shared settings for the ci/ scripts. Source it: `. "$(dirname "$0")/env.sh"`.
# Everything cached lives under $AIP_CACHE (outside the clone), so a second
# run, or CI on the same machine, reuses builds and installed tools.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export AIP_CACHE="${AIP_CACHE:-$HOME/.cache/aipchain}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$AIP_CACHE/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Incremental caches grow by gigabytes per clone folder and speed up nothing
# in a one-shot CI build: off unless the caller asks for them.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
TOOLS="$AIP_CACHE/tools"
BINARYEN_VERSION="132.0.0"
export PATH="$TOOLS/binaryen-$BINARYEN_VERSION/node_modules/.bin:$PATH"
mkdir -p "$TOOLS"

step() { printf '\n==> %s\n' "$*"; }

# The contracts: every folder under contracts/ with a Cargo.toml.
contracts() {
  for d in "$ROOT"/contracts/*/; do
    [ -f "$d/Cargo.toml" ] && basename "$d"
  done
}

#!/usr/bin/env bash
# Build wasmd from its Go module and cache the binary by version.
# Idempotent: a second run with the binary present returns at once.
# Prints the path of the binary on stdout.
#
# Test clock hook (on by default, WASMD_CLOCK_HOOK=0 for a plain build):
# the build replaces CometBFT v0.38's `types/time.Now()` with one that adds
# the number of seconds written in the file named by $AIP_CLOCK_OFFSET_FILE
# (no variable or no file: offset 0, i.e. unchanged behaviour). CometBFT takes
# block times from the validators' clocks, so this is how the localnet's
# e2e tests move chain time past a 15-minute delivery slot without waiting
# for it (`ci/localnet.sh advance SECONDS`). Only the clock changes: the
# application (wasmd, Cosmos SDK, wasmvm) is the released code.
set -euo pipefail
WASMD_VERSION="${WASMD_VERSION:-v0.61.14}"
# wasmd v0.61 (Cosmos SDK 0.53, CometBFT 0.38, wasmvm 3.0) pins bytedance/sonic
# v1.14.2, which does not compile with Go >= 1.26 (`undefined: GoMapIterator`).
# Build it with the Go release its go.mod names: the go command fetches that
# toolchain from the Go module proxy (golang.org/toolchain) and caches it in
# the module cache. Override with WASMD_GOTOOLCHAIN=local to use the installed go.
export GOTOOLCHAIN="${WASMD_GOTOOLCHAIN:-go1.24.11}"
CLOCK_HOOK="${WASMD_CLOCK_HOOK:-1}"
CACHE="${AIP_CACHE:-$HOME/.cache/aipchain}"
suffix=""; [ "$CLOCK_HOOK" = 1 ] && suffix="-clockhook"
out="$CACHE/tools/wasmd-$WASMD_VERSION$suffix"
bin="$out/wasmd"
if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"; exit 0
fi
mkdir -p "$out"
echo "building wasmd $WASMD_VERSION$suffix with $GOTOOLCHAIN from the Go module proxy (first run only, ~10 min on 2 cores)" >&2
moddir() { go mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'; }
dir=$(moddir "github.com/CosmWasm/wasmd@$WASMD_VERSION")
work="$out/src"
rm -rf "$work"; cp -r "$dir" "$work"; chmod -R u+w "$work"
if [ "$CLOCK_HOOK" = 1 ]; then
  cmt_version=$(cd "$work" && go list -m -f '{{.Version}}' github.com/cometbft/cometbft)
  cmt_dir=$(moddir "github.com/cometbft/cometbft@$cmt_version")
  cp -r "$cmt_dir" "$work/cometbft"; chmod -R u+w "$work/cometbft"
  python3 - "$work/cometbft/types/time/time.go" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
old = 'func Now() time.Time {\n\treturn Canonical(time.Now())\n}'
assert old in s, "CometBFT types/time.Now changed: update the clock hook"
new = '''func Now() time.Time {
	return Canonical(time.Now().Add(aipClockOffset()))
}

// aipClockOffset (AIPCHAIN localnet test hook): whole seconds read from the
// file named by AIP_CLOCK_OFFSET_FILE; 0 when unset, missing or malformed.
func aipClockOffset() time.Duration {
	path := os.Getenv("AIP_CLOCK_OFFSET_FILE")
	if path == "" {
		return 0
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	secs, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return time.Duration(secs) * time.Second
}'''
s = s.replace(old, new).replace('import (\n', 'import (\n\t"os"\n\t"strconv"\n\t"strings"\n', 1)
open(p, "w").write(s)
PY
  ( cd "$work" && go mod edit -replace "github.com/cometbft/cometbft=./cometbft" )
fi
ldflags="-checklinkname=0 -X github.com/cosmos/cosmos-sdk/version.Name=wasm -X github.com/cosmos/cosmos-sdk/version.AppName=wasmd -X github.com/cosmos/cosmos-sdk/version.Version=$WASMD_VERSION$suffix"
( cd "$work" && go build -mod=mod -ldflags="$ldflags" -o "$bin.tmp" ./cmd/wasmd ) >&2
mv "$bin.tmp" "$bin"
rm -rf "$work"
"$bin" version >&2
echo "$bin"

#!/usr/bin/env bash
# Build aipevmd, the EVM chain of chain/evm/ (cosmos/evm from the Go module
# proxy, with our own app wiring), and cache the binary under
# $AIP_CACHE/tools/aipevmd-<cosmos/evm version>-<source hash>/.
# Idempotent: a second run with the binary present returns at once.
# Prints the path of the binary on stdout; the build time goes to
# build-time.txt beside it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/chain/evm"
# cosmos/evm v0.5 pins bytedance/sonic v1.14.2, which does not compile with
# Go >= 1.26: build with the Go release its go.mod allows, fetched by the go
# command from the module proxy (golang.org/toolchain) and cached.
export GOTOOLCHAIN="${EVMD_GOTOOLCHAIN:-go1.24.11}"
CACHE="${AIP_CACHE:-$HOME/.cache/aipchain}"
evm_version=$(sed -n 's/^require github.com\/cosmos\/evm \(v[^ ]*\).*/\1/p; s/^\tgithub.com\/cosmos\/evm \(v[^ ]*\).*/\1/p' "$SRC/go.mod" | head -n1)
[ -n "$evm_version" ] || { echo "install-evmd: no github.com/cosmos/evm version in $SRC/go.mod" >&2; exit 1; }
src_hash=$(cd "$SRC" && find . -name '*.go' -o -name go.mod -o -name go.sum | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
out="$CACHE/tools/aipevmd-$evm_version-$src_hash"
bin="$out/aipevmd"
if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"; exit 0
fi
mkdir -p "$out"
echo "building aipevmd (cosmos/evm $evm_version) with $GOTOOLCHAIN (first run only, long on 2 cores)" >&2
start=$(date +%s)
ldflags="-X github.com/cosmos/cosmos-sdk/version.Name=aipevm -X github.com/cosmos/cosmos-sdk/version.AppName=aipevmd -X github.com/cosmos/cosmos-sdk/version.Version=$evm_version-$src_hash"
( cd "$SRC" && nice -n 10 go build -mod=readonly -ldflags="$ldflags" -o "$bin.tmp" ./cmd/aipevmd ) >&2
mv "$bin.tmp" "$bin"
end=$(date +%s)
echo "aipevmd $evm_version-$src_hash: go build took $((end - start)) s on $(nproc) cores ($(date -u +%F))" \
  | tee "$out/build-time.txt" >&2
"$bin" version >&2
echo "$bin"

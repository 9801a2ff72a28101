#!/usr/bin/env bash
# Build the Hermes IBC relayer (crate `ibc-relayer-cli` from crates.io) once
# and cache it by version under $AIP_CACHE/tools/hermes-<version>/.
# Idempotent: a second run with the binary present returns at once.
# Prints the path of the binary on stdout; the build time goes to
# $AIP_CACHE/tools/hermes-<version>/build-time.txt.
set -euo pipefail
HERMES_VERSION="${HERMES_VERSION:-1.13.2}"
CACHE="${AIP_CACHE:-$HOME/.cache/aipchain}"
out="$CACHE/tools/hermes-$HERMES_VERSION"
bin="$out/bin/hermes"
if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"; exit 0
fi
mkdir -p "$out"
# Some of Hermes's dependencies (namada_tx) compile .proto files at build
# time: they need protoc (Debian's protobuf-compiler).
if ! command -v protoc >/dev/null; then
  echo "installing protobuf-compiler (Debian) for the Hermes build" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null
fi
echo "building hermes $HERMES_VERSION from crates.io (first run only, long on 2 cores)" >&2
cd "$out"   # outside any clone: no rust-toolchain.toml applies
start=$(date +%s)
# Its own target dir: the relayer shares no crate versions with the workspace.
CARGO_TARGET_DIR="$CACHE/target-hermes" nice -n 10 \
  cargo install ibc-relayer-cli --version "=$HERMES_VERSION" --locked \
  --root "$out" --bin hermes >&2
end=$(date +%s)
echo "hermes $HERMES_VERSION: cargo install took $((end - start)) s on $(nproc) cores ($(date -u +%F))" \
  | tee "$out/build-time.txt" >&2
rm -rf "$CACHE/target-hermes"
"$bin" version >&2
echo "$bin"

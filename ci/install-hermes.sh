#!/usr/bin/env bash
# Build the Hermes IBC relayer (crate `ibc-relayer-cli` from crates.io) once
# and cache it by version and recipe under $AIP_CACHE/tools/hermes-<version>-<recipe>/.
# Idempotent: a second run with the binary present returns at once.
# Prints the path of the binary on stdout; the build time goes to
# $AIP_CACHE/tools/hermes-<version>-<recipe>/build-time.txt.
#
# Why not a plain `cargo install ibc-relayer-cli --locked`: Hermes links the
# Penumbra SDK, whose crate `penumbra-sdk-proof-params` ships its proving
# keys as Git LFS pointers and, with the feature `download-proving-keys`
# that ibc-relayer turns on, downloads them from GitHub in its build script;
# there is no network here but the package registries, so that build fails.
# The keys are only loaded (lazily) when relaying for a Penumbra chain. So the
# crate's source is built from a copy in which that one crate's build script
# does not download (it keeps the pointers, as it does without the feature);
# every other crate is the registry's, at the versions of Hermes's Cargo.lock.
#
# The build profile is lighter than `release` (profile `tool` below): the
# relayer's speed matters little here, its build time a lot on 2 cores.
# Rust code at opt-level 1 (no LTO, no debug info); the C/C++ libraries that
# only the Penumbra and Namada code paths use (RocksDB, the compression
# libraries) at opt-level 0, which cc passes to the C++ compiler as -O0.
# The cache key includes a hash of this script (comments aside), so a changed
# recipe rebuilds.
set -euo pipefail
HERMES_VERSION="${HERMES_VERSION:-1.13.2}"
CACHE="${AIP_CACHE:-$HOME/.cache/aipchain}"
recipe=$(grep -v '^[[:space:]]*#' "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
out="$CACHE/tools/hermes-$HERMES_VERSION-$recipe"
bin="$out/bin/hermes"
if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"; exit 0
fi
mkdir -p "$out/bin"
# Some of Hermes's dependencies (namada_tx) compile .proto files at build
# time: they need protoc (Debian's protobuf-compiler).
if ! command -v protoc >/dev/null; then
  echo "installing protobuf-compiler (Debian) for the Hermes build" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null
fi
echo "building hermes $HERMES_VERSION from crates.io (first run only, long on 2 cores)" >&2
start=$(date +%s)
work="$out/src"
rm -rf "$work"; mkdir -p "$work/hermes"
cd "$work"   # outside any clone: no rust-toolchain.toml applies
# The registry's .crate of ibc-relayer-cli, downloaded by cargo itself (a
# dependency resolution from scratch would fail: Hermes's Cargo.lock pins
# crates that are yanked since, e.g. core2 0.3).
cargo info -q "ibc-relayer-cli@$HERMES_VERSION" >/dev/null 2>&1 || cargo info "ibc-relayer-cli@$HERMES_VERSION" >/dev/null
crate=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"ibc-relayer-cli-$HERMES_VERSION.crate" | head -n1)
tar xzf "$crate" -C "$work/hermes" --strip-components=1
manifest_dir() { # package-name workspace-dir
  cargo metadata -q --format-version 1 --manifest-path "$2/Cargo.toml" \
    | python3 -c 'import json,sys,os; n=sys.argv[1]; print(next(os.path.dirname(p["manifest_path"]) for p in json.load(sys.stdin)["packages"] if p["name"]==n))' "$1"
}
cd "$work/hermes"
pp_src=$(manifest_dir penumbra-sdk-proof-params "$work/hermes")
cp -r "$pp_src" "$work/penumbra-sdk-proof-params"; chmod -R u+w "$work/penumbra-sdk-proof-params"
python3 - "$work/penumbra-sdk-proof-params/build.rs" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
old = '''            #[cfg(feature = "download-proving-keys")]
            download_proving_key(&f)?;
'''
assert old in s, "penumbra-sdk-proof-params build.rs changed: update ci/install-hermes.sh"
open(p, "w").write(s.replace(old, ""))
PY
cat >> Cargo.toml <<TOML

[patch.crates-io]
penumbra-sdk-proof-params = { path = "../penumbra-sdk-proof-params" }

[profile.tool]
inherits = "release"
opt-level = 1
debug = false
lto = false
incremental = false

[profile.tool.package.librocksdb-sys]
opt-level = 0
[profile.tool.package.zstd-sys]
opt-level = 0
[profile.tool.package.lz4-sys]
opt-level = 0
[profile.tool.package.bzip2-sys]
opt-level = 0
[profile.tool.package.libz-sys]
opt-level = 0
TOML
# Cargo.lock pins every other crate; only the patched crate's entry changes.
target="${HERMES_TARGET_DIR:-$CACHE/target-hermes}"
CARGO_TARGET_DIR="$target" nice -n 10 cargo build --profile tool --bin hermes >&2
cp "$target/tool/hermes" "$bin.tmp"
mv "$bin.tmp" "$bin"
end=$(date +%s)
echo "hermes $HERMES_VERSION ($recipe, profile tool): build took $((end - start)) s on $(nproc) cores ($(date -u +%F))" \
  | tee "$out/build-time.txt" >&2
cd "$out"
rm -rf "$work" "$target"
"$bin" version >&2
echo "$bin"

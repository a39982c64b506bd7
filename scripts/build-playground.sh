#!/usr/bin/env bash
# Builds the playground: the WebAssembly bundle (crates/web -> crates/web/pkg) and then the
# `resvm` CLI, which embeds it (`resvm playground`). Installs what is missing: the
# wasm32-unknown-unknown target and wasm-bindgen-cli at exactly the wasm-bindgen version of
# Cargo.lock (the two must match).
#
#   bash scripts/build-playground.sh              # bundle + release CLI (target/release/resvm)
#   bash scripts/build-playground.sh --bundle-only
#
# Prints the bundle's size, raw and gzip-compressed.
set -euo pipefail
cd "$(dirname "$0")/.."

bundle_only=0
case "${1:-}" in
    --bundle-only) bundle_only=1 ;;
    "") ;;
    *) echo "usage: bash scripts/build-playground.sh [--bundle-only]" >&2; exit 2 ;;
esac

target_dir="${CARGO_TARGET_DIR:-target}"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo "== rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
fi

# The wasm-bindgen version the bundle is built with, from Cargo.lock.
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$version" ]; then
    echo "error: no wasm-bindgen in Cargo.lock" >&2
    exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
    echo "== cargo install --locked wasm-bindgen-cli --version =$version"
    # --locked: the dependency versions of wasm-bindgen-cli's own Cargo.lock, as released.
    # A registry mirror that lacks one of them (seen: webpki-roots 1.0.11) makes that fail;
    # then the dependencies are resolved afresh against the mirror, saying so (the tool itself
    # stays pinned exactly).
    if ! cargo install --locked wasm-bindgen-cli --version "=$version"; then
        echo "warning: the locked install failed (a locked dependency missing from the registry?);" \
            "installing wasm-bindgen-cli $version with freshly resolved dependencies" >&2
        cargo install wasm-bindgen-cli --version "=$version"
    fi
fi

echo "== cargo build -p resvm-web --target wasm32-unknown-unknown --profile web"
# RUSTFLAGS would replace the wasm target's flags of .cargo/config.toml (SIMD, stack size), and
# host flags such as `-C target-cpu=native` mean nothing there.
env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS \
    cargo build --locked -p resvm-web --target wasm32-unknown-unknown --profile web
echo "== wasm-bindgen --target web --out-dir crates/web/pkg"
rm -rf crates/web/pkg
wasm-bindgen --target web --no-typescript --out-dir crates/web/pkg \
    "$target_dir/wasm32-unknown-unknown/web/resvm_web.wasm"

raw=$(cat crates/web/pkg/* crates/web/www/* | wc -c)
gz=$(cat crates/web/pkg/* crates/web/www/* | gzip -9 | wc -c)
wasm_gz=$(gzip -9 < crates/web/pkg/resvm_web_bg.wasm | wc -c)
echo "bundle: $raw bytes, $gz bytes gzip -9 (the .wasm alone: $(wc -c < crates/web/pkg/resvm_web_bg.wasm) bytes, $wasm_gz gzip -9)"

if [ "$bundle_only" = 0 ]; then
    echo "== cargo build --release -p resvm-cli (embeds the bundle)"
    cargo build --locked --release -p resvm-cli
    echo "built $target_dir/release/resvm: start it with \`resvm playground\` (http://127.0.0.1:8787/)"
fi

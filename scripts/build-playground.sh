#!/usr/bin/env bash
# Builds the playground: the WebAssembly bundle (crates/web -> crates/web/pkg) and then the
# `resvm` CLI, which embeds it (`resvm playground`). Installs what is missing: the
# wasm32-unknown-unknown target and wasm-bindgen-cli at exactly the wasm-bindgen version of
# Cargo.lock (the two must match).
#
#   bash scripts/build-playground.sh              # bundle + release CLI (target/release/resvm)
#   bash scripts/build-playground.sh --bundle-only
#   bash scripts/build-playground.sh --no-threads # the single-threaded bundle
#
# The bundle is threaded: the prover runs on a pool of Web Workers sharing one WebAssembly
# memory (wasm-bindgen-rayon). That needs the standard library rebuilt with wasm atomics
# (cargo's `-Z build-std`, allowed on the stable toolchain by RUSTC_BOOTSTRAP=1, from the
# `rust-src` component, which is installed if missing). Where `rust-src` cannot be had, the
# script says so and builds the single-threaded bundle, which works the same, more slowly.
#
# Prints the bundle's size, raw and gzip-compressed.
set -euo pipefail
cd "$(dirname "$0")/.."

bundle_only=0
threads=1
for arg in "$@"; do
    case "$arg" in
        --bundle-only) bundle_only=1 ;;
        --no-threads) threads=0 ;;
        *) echo "usage: bash scripts/build-playground.sh [--bundle-only] [--no-threads]" >&2; exit 2 ;;
    esac
done

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

rust_src() { [ -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library/std" ]; }
if [ "$threads" = 1 ] && ! rust_src; then
    echo "== rustup component add rust-src (the threaded bundle rebuilds std)"
    rustup component add rust-src || true
    if ! rust_src; then
        echo "warning: no rust-src component: building the single-threaded bundle" >&2
        threads=0
    fi
fi

if [ "$threads" = 1 ]; then
    echo "== cargo build -Z build-std -p resvm-web --target wasm32-unknown-unknown --profile web (threads)"
    # The flags of .cargo/config.toml's wasm target (SIMD, stack size) plus wasm atomics and a
    # shared, imported memory of at most 4 GiB with the thread-local-storage exports that
    # wasm-bindgen's thread start-up calls; RUSTFLAGS replaces the config's flags, and with
    # --target it does not reach host build scripts.
    env -u CARGO_ENCODED_RUSTFLAGS RUSTC_BOOTSTRAP=1 \
        RUSTFLAGS="-C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals \
            -C link-arg=-zstack-size=16777216 -C link-arg=--shared-memory \
            -C link-arg=--max-memory=4294967296 -C link-arg=--import-memory \
            -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
            -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base" \
        cargo build --locked -Z build-std=panic_abort,std -p resvm-web \
        --target wasm32-unknown-unknown --profile web
else
    echo "== cargo build -p resvm-web --target wasm32-unknown-unknown --profile web (one thread)"
    # RUSTFLAGS would replace the wasm target's flags of .cargo/config.toml (SIMD, stack size),
    # and host flags such as `-C target-cpu=native` mean nothing there.
    env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS \
        cargo build --locked -p resvm-web --target wasm32-unknown-unknown --profile web
fi
echo "== wasm-bindgen --target web --out-dir crates/web/pkg"
rm -rf crates/web/pkg
wasm-bindgen --target web --no-typescript --out-dir crates/web/pkg \
    "$target_dir/wasm32-unknown-unknown/web/resvm_web.wasm"

files=$(find crates/web/pkg crates/web/www -type f | sort)
# shellcheck disable=SC2086
raw=$(cat $files | wc -c)
# shellcheck disable=SC2086
gz=$(cat $files | gzip -9 | wc -c)
wasm_gz=$(gzip -9 < crates/web/pkg/resvm_web_bg.wasm | wc -c)
echo "bundle ($([ "$threads" = 1 ] && echo threaded || echo single-threaded)): $raw bytes, $gz bytes gzip -9 (the .wasm alone: $(wc -c < crates/web/pkg/resvm_web_bg.wasm) bytes, $wasm_gz gzip -9)"

if [ "$bundle_only" = 0 ]; then
    echo "== cargo build --release -p resvm-cli (embeds the bundle)"
    cargo build --locked --release -p resvm-cli
    echo "built $target_dir/release/resvm: start it with \`resvm playground\` (http://127.0.0.1:8787/)"
fi

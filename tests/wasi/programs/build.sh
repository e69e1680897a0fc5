#!/bin/sh
# Rebuilds the .wasm files beside this script from their C sources with clang and
# wasi-libc (Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32).
set -e
cd "$(dirname "$0")"
for src in *.c; do
    clang --target=wasm32-wasi -O2 -s -o "${src%.c}.wasm" "$src"
done

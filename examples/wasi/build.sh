#!/bin/sh
# Rebuilds hello.wasm from hello.c with clang and wasi-libc
# (Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32).
set -e
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -s -o hello.wasm hello.c

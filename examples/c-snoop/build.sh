#!/usr/bin/env bash
# Builds this folder's plugin.wasm from its .c source with clang (wasm32, no libc) against sdk/c/sochdb.h.
# The toolchain checks and the exact clang command live in examples/build-c.sh; FORCE=1 rebuilds.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/../build-c.sh" "$here"

#!/usr/bin/env bash
# Builds the C example plugins (examples/c-*/) into plugin.wasm next to their manifests.
#
#   examples/build-c.sh                 build every examples/c-*/ folder
#   examples/build-c.sh DIR...          build only these folders
#   FORCE=1 examples/build-c.sh         rebuild even when plugin.wasm is newer than its sources
#   CLANG=/path/to/clang WASM_LD=/path/to/wasm-ld examples/build-c.sh
#
# Each folder's *.c files are compiled together against sdk/c/sochdb.h with:
#
#   clang --target=wasm32 -nostdlib -O2 -mbulk-memory -std=c11 -Wall -Wextra -Werror \
#         -I sdk/c -fuse-ld=<wasm-ld> -Wl,--no-entry -o plugin.wasm *.c
#
# No libc, no WASI, no --allow-undefined: a call to anything the module does not define or import from "sochdb" fails
# the link. Exit codes: 0 built (or up to date), 1 a compile failed, 2 something needs building and clang or wasm-ld
# is missing.
set -euo pipefail

examples="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sdk="$(cd "$examples/../sdk/c" && pwd)"

missing() {
  echo "build-c.sh: $1 not found. The C examples need clang and wasm-ld (LLVM's WebAssembly linker):" >&2
  echo "  Debian/Ubuntu: apt-get install -y clang lld    (or set CLANG=... and WASM_LD=...)" >&2
  exit 2
}

find_tool() {
  local name
  for name in "$@"; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

# The toolchain is looked up only when something needs building, so up-to-date modules need no clang.
flags=()
find_toolchain() {
  [ "${#flags[@]}" -gt 0 ] && return 0
  clang="${CLANG:-$(find_tool clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14 || true)}"
  [ -n "$clang" ] && [ -x "$clang" ] || missing "clang"
  # Debian's clang-14 looks for wasm-ld-14, upstream clang for wasm-ld: name the linker explicitly either way.
  wasm_ld="${WASM_LD:-$(find_tool wasm-ld wasm-ld-19 wasm-ld-18 wasm-ld-17 wasm-ld-16 wasm-ld-15 wasm-ld-14 || true)}"
  [ -n "$wasm_ld" ] && [ -x "$wasm_ld" ] || missing "wasm-ld"
  flags=(--target=wasm32 -nostdlib -O2 -mbulk-memory -std=c11 -Wall -Wextra -Werror
         -I "$sdk" "-fuse-ld=$wasm_ld" -Wl,--no-entry)
}

if [ "$#" -gt 0 ]; then
  dirs=("$@")
else
  dirs=("$examples"/c-*/)
fi

for dir in "${dirs[@]}"; do
  dir="$(cd "$dir" && pwd)"
  shopt -s nullglob
  sources=("$dir"/*.c)
  shopt -u nullglob
  if [ "${#sources[@]}" -eq 0 ]; then
    echo "build-c.sh: no .c files in $dir" >&2
    exit 1
  fi

  out="$dir/plugin.wasm"
  if [ -z "${FORCE:-}" ] && [ -f "$out" ]; then
    stale=0
    for input in "${sources[@]}" "$sdk/sochdb.h" "${BASH_SOURCE[0]}"; do
      [ "$input" -nt "$out" ] && stale=1
    done
    if [ "$stale" -eq 0 ]; then
      echo "up to date: ${out#"$examples/"}"
      continue
    fi
  fi

  find_toolchain
  # Build beside the target and rename, so a concurrent reader never sees half a module.
  tmp="$(mktemp "$dir/.plugin.wasm.XXXXXX")"
  if ! "$clang" "${flags[@]}" -o "$tmp" "${sources[@]}"; then
    rm -f "$tmp"
    echo "build-c.sh: compiling ${dir#"$examples/"} failed" >&2
    exit 1
  fi
  chmod 644 "$tmp"
  mv -f "$tmp" "$out"
  echo "built:      ${out#"$examples/"} ($(wc -c <"$out") bytes)"
done

#!/usr/bin/env bash
# Compiles the shim's sources with the CUDA code paths switched on (TS_WITH_CUDA, the CUDA toolkit headers),
# syntax only, against whatever libtorch headers are installed: a check that the GPU build still compiles on a
# machine that has no CUDA build of libtorch (Debian's libtorch-dev ships the c10/cuda headers anyway).
#
#   bash scripts/compat/cuda-syntax.sh [cuda include dir]      (default: $CUDA_HOME/include or /usr/local/cuda/include)
#
# Run it inside scripts/compat/debian-libtorch.sh's chroots to check other libtorch releases, with the toolkit
# headers bind-mounted there. Exit status: the number of sources that failed (0: all compiled).
set -uo pipefail
cd "$(dirname "$0")/../.."
cuda_inc="${1:-${CUDA_HOME:-/usr/local/cuda}/include}"
[ -f "$cuda_inc/cuda_runtime_api.h" ] || { echo "cuda-syntax: no cuda_runtime_api.h in $cuda_inc" >&2; exit 100; }
torch_inc=/usr/include/torch/csrc/api/include
[ -f "$torch_inc/torch/version.h" ] || { echo "cuda-syntax: Debian's libtorch-dev is not installed" >&2; exit 100; }
version="$(printf '#include <torch/version.h>\nTORCH_VERSION_MAJOR TORCH_VERSION_MINOR\n' |
  "${CXX:-g++}" -E -P -isystem "$torch_inc" -x c++ - | tail -n1)"
std=c++17
[ "${version% *}" -gt 2 ] || { [ "${version% *}" -eq 2 ] && [ "${version#* }" -ge 12 ]; } && std=c++20
# CPU packages lack the one generated c10/cuda header; for a syntax check its single define is enough.
stub="$(mktemp -d)"
trap 'rm -rf "$stub"' EXIT
mkdir -p "$stub/c10/cuda/impl"
printf '#pragma once\n#define C10_CUDA_BUILD_SHARED_LIBS\n' >"$stub/c10/cuda/impl/cuda_cmake_macros.h"
failed=0
for src in bindings/native/src/*.cpp; do
  if "${CXX:-g++}" -std="$std" -fsyntax-only -DTS_WITH_CUDA -isystem "$torch_inc" -isystem "$cuda_inc" \
       -idirafter "$stub" -Ibindings/native/include -Ibindings/native/src "$src" 2>"/tmp/cuda-syntax-$(basename "$src").log"; then
    echo "cuda-syntax: ok     $src"
  else
    echo "cuda-syntax: FAILED $src (libtorch $version, $std):"
    grep -m 8 'error' "/tmp/cuda-syntax-$(basename "$src").log" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done
exit "$failed"

#!/usr/bin/env bash
# Builds libtorchshim.so (the C ABI over libtorch that the Java FFM bindings call).
#
#   bash bindings/native/build.sh <out_dir> <copy_dir>
#
# <out_dir>  build directory: objects in <out_dir>/obj, the library in <out_dir>/libtorchshim.so
# <copy_dir> where the library is copied (when it changed), with torchshim.properties beside it:
#              libtorch.dir=<absolute lib directory of the libtorch used>
#              cuda=true|false
#
# libtorch is looked for in this order:
#   1. $LIBTORCH: a directory with include/ and lib/ (the official libtorch zip, or a pip torch install,
#      e.g. LIBTORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))'));
#   2. Debian's system install (apt-get install libtorch-dev);
#   3. the torch package of python3, if one is installed.
# Environment: CXX (default g++), TS_MAKE_JOBS (default 2), V=1 (show the compiler command lines),
# CUDA_HOME (CUDA toolkit headers, optional: they enable ts_cuda_memory_stats),
# TS_CXX_STD (override the C++ standard: c++17 by default, c++20 for libtorch >= 2.12).
# Everything declared in include/torch_shim.h must be exported, or the build fails.
set -euo pipefail
export LC_ALL=C

die() {
  echo "torchshim: ERROR: $*" >&2
  exit 1
}

[ $# -eq 2 ] || die "usage: bash build.sh <out_dir> <copy_dir>"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1" "$2"
out="$(cd "$1" && pwd)"
copy="$(cd "$2" && pwd)"

install_help="Install libtorch with:  sudo apt-get install -y libtorch-dev libgloo-dev libopenblas0-pthread
or point LIBTORCH at a libtorch directory (one with include/ and lib/: the libtorch zip from pytorch.org,
or a pip torch install: export LIBTORCH=\$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))'))"

read -r -a cxx_cmd <<<"${CXX:-g++}" # CXX may carry a launcher or flags ("ccache g++")
command -v "${cxx_cmd[0]}" >/dev/null 2>&1 || die "C++ compiler '${cxx_cmd[0]}' not found (sudo apt-get install -y g++ make)"
command -v make >/dev/null 2>&1 || die "make not found (sudo apt-get install -y make)"

# ---- locate libtorch ----------------------------------------------------------------------------
kind=""
inc_dirs=()
lib_dir=""
abi_flag=""

use_dir() { # a libtorch zip / pip torch directory
  local d="$1"
  [ -d "$d/include" ] && [ -d "$d/lib" ] || return 1
  [ -f "$d/include/torch/csrc/api/include/torch/version.h" ] || return 1
  ls "$d/lib"/libtorch_cpu.* >/dev/null 2>&1 || return 1
  inc_dirs=("$d/include" "$d/include/torch/csrc/api/include")
  lib_dir="$(cd "$d/lib" && pwd)"
  local cfg="$d/share/cmake/Torch/TorchConfig.cmake"
  if [ -f "$cfg" ]; then
    local abi
    abi="$(grep -oE '_GLIBCXX_USE_CXX11_ABI=[01]' "$cfg" | head -n1 || true)"
    [ -n "$abi" ] && abi_flag="-D$abi"
  fi
  [ -n "$abi_flag" ] || echo "torchshim: warning: no _GLIBCXX_USE_CXX11_ABI setting found in $cfg; using the compiler's default" >&2
  return 0
}

multiarch="$("${cxx_cmd[@]}" -print-multiarch 2>/dev/null || true)"
[ -n "$multiarch" ] || multiarch="x86_64-linux-gnu"

if [ -n "${LIBTORCH:-}" ]; then
  use_dir "$LIBTORCH" || die "LIBTORCH=$LIBTORCH is not a libtorch directory (expected include/torch/csrc/api/include/torch/version.h and lib/libtorch_cpu.so).
$install_help"
  kind="LIBTORCH=$LIBTORCH"
elif [ -f /usr/include/torch/csrc/api/include/torch/version.h ] && [ -e "/usr/lib/$multiarch/libtorch_cpu.so" ]; then
  kind="debian"
  inc_dirs=(/usr/include/torch/csrc/api/include)
  lib_dir="/usr/lib/$multiarch"
else
  pydir="$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))' 2>/dev/null || true)"
  if [ -n "$pydir" ] && use_dir "$pydir"; then
    kind="python torch at $pydir"
  else
    die "libtorch not found (LIBTORCH is not set, Debian's libtorch-dev is not installed, python3 has no torch).
$install_help"
  fi
fi

# The preprocessor reads the version, since the macros moved: older releases define them in torch/version.h,
# newer ones (2.14, for one) in torch/headeronly/version.h, which torch/version.h includes.
torch_isystem=()
for d in "${inc_dirs[@]}"; do torch_isystem+=("-isystem" "$d"); done
version="$(printf '#include <torch/version.h>\nts_version TORCH_VERSION_MAJOR.TORCH_VERSION_MINOR.TORCH_VERSION_PATCH\n' |
  "${cxx_cmd[@]}" -E -P "${torch_isystem[@]}" -x c++ - 2>/dev/null | sed -n 's/^ts_version \([0-9]*\) *\. *\([0-9]*\) *\. *\([0-9]*\).*/\1.\2.\3/p' | tail -n1)"
[ -n "$version" ] || die "could not read TORCH_VERSION_MAJOR/MINOR/PATCH from torch/version.h under ${inc_dirs[*]}"

# C++17 suits libtorch 1.13 to 2.11 (1.13 also builds as C++20); newer headers refuse anything below C++20.
major="${version%%.*}"
minor="${version#*.}"; minor="${minor%%.*}"
cxx_std="${TS_CXX_STD:-c++17}"
if [ -z "${TS_CXX_STD:-}" ] && { [ "${major:-0}" -gt 2 ] || { [ "${major:-0}" -eq 2 ] && [ "${minor:-0}" -ge 12 ]; }; }; then
  cxx_std="c++20"
fi

# identifies the libtorch build, so that replacing it in place (e.g. a pip upgrade) rebuilds everything
torch_id="$version $(stat -L -c '%s %Y' "$lib_dir/libtorch_cpu.so" 2>/dev/null || true)"

# headers_compile <probe file> <source, printf %b escapes> <compiler flags...>: whether the source compiles
# (syntax only). Remembered in the probe file under a key of the whole setup, since parsing ATen's headers takes
# seconds; delete the file to probe again after installing headers.
headers_compile() {
  local file="$1" source="$2"
  shift 2
  local key="$torch_id $cxx_std ${CXX:-g++} $*"
  if [ -f "$file" ] && [ "$(head -n1 "$file")" = "$key" ]; then
    [ "$(sed -n 2p "$file")" = ok ]
    return
  fi
  local result=fail
  if printf '%b' "$source" | "${cxx_cmd[@]}" -std="$cxx_std" -fsyntax-only "$@" -x c++ - >/dev/null 2>&1; then
    result=ok
  fi
  printf '%s\n%s\n' "$key" "$result" >"$file"
  [ "$result" = ok ]
}

# header_dir <header> <directories...>: the first directory (made absolute) that holds the header, or nothing
header_dir() {
  local name="$1" c
  shift
  for c in "$@"; do
    if [ -f "$c/$name" ]; then (cd "$c" && pwd); return; fi
  done
  return 0 # none: an empty answer, not a failure (set -e)
}

cuda=false
cppflags=("${torch_isystem[@]}")
[ -n "$abi_flag" ] && cppflags+=("$abi_flag")
ldflags=("-L$lib_dir" "-Wl,-rpath,$lib_dir")
cuda_note=""
if [ -e "$lib_dir/libtorch_cuda.so" ]; then
  cuda=true
  cppflags+=("-DTS_WITH_CUDA")
  ldflags+=("-Wl,--no-as-needed" "-ltorch_cuda" "-lc10_cuda" "-Wl,--as-needed")
  # CUDA toolkit headers are optional (they give the allocator statistics)
  pyroot="$(dirname "$lib_dir")/.."
  cuda_inc="$(header_dir cuda_runtime_api.h "${CUDA_HOME:-}/include" "${CUDA_PATH:-}/include" /usr/local/cuda/include \
    /usr/include $(find "$pyroot/nvidia" -maxdepth 3 -name cuda_runtime_api.h -printf '%h\n' 2>/dev/null | sort -u))"
  if [ -n "$cuda_inc" ]; then
    # check once per setup that libtorch's c10/cuda headers compile with them (a pip install may lack some)
    cuda_cpp=("${cppflags[@]}")
    [ "$cuda_inc" = /usr/include ] || cuda_cpp+=("-isystem" "$cuda_inc")
    probe_file="$out/cuda-headers-probe.txt"
    if headers_compile "$probe_file" '#include <c10/cuda/CUDACachingAllocator.h>\n#include <c10/cuda/CUDAFunctions.h>\n' \
      "${cuda_cpp[@]}"; then
      cppflags=("${cuda_cpp[@]}")
      cuda_note=", CUDA headers $cuda_inc"
      # NCCL's header (the nccl backend): beside the toolkit's, the system's, or pip's nvidia-nccl package
      nccl_inc="$(header_dir nccl.h "$cuda_inc" /usr/include \
        $(find "$pyroot/nvidia" -maxdepth 3 -name nccl.h -printf '%h\n' 2>/dev/null | sort -u))"
      if [ -n "$nccl_inc" ]; then
        nccl_cpp=("${cppflags[@]}")
        [ "$nccl_inc" = /usr/include ] || [ "$nccl_inc" = "$cuda_inc" ] || nccl_cpp+=("-isystem" "$nccl_inc")
        # c10d's NCCL header pulls in ATen's CUDA headers and, through cuda_fp16.h, CCCL's <nv/target>, which
        # a toolkit may lack (Debian ships it in libcu++-dev): probe it too, and build without the nccl
        # backend rather than not at all.
        nccl_file="$out/nccl-headers-probe.txt"
        if headers_compile "$nccl_file" '#define USE_C10D_NCCL\n#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>\n' \
          "${nccl_cpp[@]}"; then
          cppflags=("${nccl_cpp[@]}")
          cuda_note="$cuda_note, NCCL header $nccl_inc"
        else
          cppflags+=("-DTS_NO_NCCL")
          cuda_note="$cuda_note, c10d's NCCL headers do not compile with nccl.h at $nccl_inc (the nccl backend is unavailable; delete $nccl_file to probe again)"
        fi
      else
        cuda_note="$cuda_note, no nccl.h (the nccl backend is unavailable)"
      fi
    else
      cppflags+=("-DTS_NO_CUDA_HEADERS")
      cuda_note=", CUDA headers at $cuda_inc do not compile with libtorch's c10/cuda (ts_cuda_memory_stats disabled; delete $probe_file to probe again)"
    fi
  else
    cppflags+=("-DTS_NO_CUDA_HEADERS")
    cuda_note=", no CUDA toolkit headers (ts_cuda_memory_stats disabled; set CUDA_HOME)"
  fi
fi
ldflags+=("-ltorch" "-ltorch_cpu" "-lc10")

# oneDNN's own headers (Debian's libdnnl-dev) enable the fused inference network (fused_inference.cpp); without
# them its entry points exist and fail saying why. Detected by header and library together, so that a libtorch
# that bundles oneDNN statically (pip's) still builds.
dnnl_note=", no oneDNN headers (fused inference disabled; apt-get install libdnnl-dev)"
dnnl_inc="$(header_dir dnnl.hpp "${DNNL_ROOT:-/nonexistent}/include" /usr/include /usr/local/include)"
if [ -n "$dnnl_inc" ]; then
  dnnl_lib=""
  for d in "${DNNL_ROOT:-/nonexistent}/lib" "/usr/lib/$multiarch" /usr/local/lib "$lib_dir"; do
    if [ -e "$d/libdnnl.so" ]; then dnnl_lib="$(cd "$d" && pwd)"; break; fi
  done
  if [ -n "$dnnl_lib" ]; then
    cppflags+=("-DTS_HAVE_DNNL")
    [ "$dnnl_inc" = /usr/include ] || cppflags+=("-isystem" "$dnnl_inc")
    ldflags+=("-L$dnnl_lib" "-ldnnl")
    dnnl_note=", oneDNN $dnnl_inc/dnnl.hpp"
  else
    dnnl_note=", dnnl.hpp at $dnnl_inc but no libdnnl.so (fused inference disabled)"
  fi
fi

echo "torchshim: libtorch $version ($kind), lib $lib_dir, cuda=$cuda, -std=$cxx_std${abi_flag:+, $abi_flag}$cuda_note$dnnl_note"

# ---- build ----------------------------------------------------------------------------------------
flags_file="$out/build-flags.txt"
flags_now="TORCH=$torch_id
CXX=${CXX:-g++}
CXX_STD=$cxx_std
CPPFLAGS=${cppflags[*]}
LDFLAGS=${ldflags[*]}"
if [ ! -f "$flags_file" ] || [ "$(cat "$flags_file")" != "$flags_now" ]; then
  printf '%s\n' "$flags_now" >"$flags_file.tmp"
  mv -f "$flags_file.tmp" "$flags_file"
fi

make_args=(OUT="$out" FLAGS_FILE="$flags_file" CXX_STD="$cxx_std" V="${V:-0}"
  TORCH_CPPFLAGS="${cppflags[*]}" TORCH_LDFLAGS="${ldflags[*]}" CXX="${cxx_cmd[*]}")
make --no-print-directory -C "$here" -j"${TS_MAKE_JOBS:-2}" "${make_args[@]}"

lib="$out/libtorchshim.so"
[ -f "$lib" ] || die "the build produced no $lib"

# ---- every function declared in the header must be exported ------------------------------------
header="$here/include/torch_shim.h"
declared="$(sed -nE 's/^[A-Za-z_][A-Za-z0-9_ ]*[ *]+(ts_[A-Za-z0-9_]+)[[:space:]]*\(.*/\1/p' "$header" | sort -u)"
exported="$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sort -u)"
missing="$(comm -23 <(printf '%s\n' "$declared") <(printf '%s\n' "$exported"))"
if [ -n "$missing" ]; then
  rm -f "$lib"
  die "functions declared in torch_shim.h but not exported by libtorchshim.so:
$missing"
fi
extra="$(comm -13 <(printf '%s\n' "$declared") <(printf '%s\n' "$exported" | grep '^ts_' || true))"
[ -z "$extra" ] || echo "torchshim: warning: exported but not declared in torch_shim.h: $(echo $extra)" >&2

# ---- copy (only when changed; via rename, so a process that has the old file mapped is unharmed) --
if ! cmp -s "$lib" "$copy/libtorchshim.so"; then
  cp -p "$lib" "$copy/.libtorchshim.so.tmp"
  mv -f "$copy/.libtorchshim.so.tmp" "$copy/libtorchshim.so"
fi
props="libtorch.dir=$lib_dir
cuda=$cuda"
if [ ! -f "$copy/torchshim.properties" ] || [ "$(cat "$copy/torchshim.properties")" != "$props" ]; then
  printf '%s\n' "$props" >"$copy/.torchshim.properties.tmp"
  mv -f "$copy/.torchshim.properties.tmp" "$copy/torchshim.properties"
fi
echo "torchshim: $(printf '%s\n' "$declared" | wc -l) functions exported; $copy/libtorchshim.so"

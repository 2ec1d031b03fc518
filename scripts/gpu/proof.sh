#!/usr/bin/env bash
# The GPU proof of the CUDA path, in one run on a machine with an NVIDIA GPU, PyTorch (with CUDA) and g++, but
# no JDK, Maven or network: it uses what scripts/gpu/pack.sh put in .gpu/ beside this checkout.
#
#   bash scripts/gpu/proof.sh [budget seconds, default 540]
#
# Steps, most important first; each is skipped once the budget is spent:
#   1. build the shim against python3's torch (LIBTORCH overrides), check that libtorch_cuda is linked and loads;
#   2. `amdim info`;
#   3. the CUDA tests and the reference-vector tests on cuda:0 (JUnit console, XML reports);
#   4. JMH TrainStepBench: presets cifar10 and stl10, batch 200, amp none/bf16/fp16, with peak GPU memory;
#   5. a short `amdim train --device cuda --amp bf16` run on the synthetic dataset;
#   6. the remaining tests (CPU work, on this machine's libtorch).
# Everything goes to $OUT (default ./gpu-proof), at most 8 files: proof.log (the summary and every step's
# output), jmh.json, gpu-memory.csv, junit.tar.gz.
#
# AMDIM_PROOF_DEVICE=cpu runs the same steps without a GPU (a dry run of this script: CUDA tests skip, the
# benchmark runs on the CPU at batch 8 with one preset).
set -uo pipefail
cd "$(dirname "$0")/../.."
budget="${1:-540}"
start=$SECONDS
out="${OUT:-$PWD/gpu-proof}"
mkdir -p "$out"
log="$out/proof.log"
: >"$log"
work="${TMPDIR:-/tmp}/amdim-gpu"
rm -rf "$work"
mkdir -p "$work"
device="${AMDIM_PROOF_DEVICE:-cuda}"

say() { echo "[proof $(date +%T) +$((SECONDS - start))s] $*" | tee -a "$log"; }
left() { echo $((budget - (SECONDS - start))); }
results=()
# run <name> <seconds> <command...>: runs with a time limit, output into the log, records the exit status
run() {
  local name="$1" limit="$2"
  shift 2
  local remaining
  remaining="$(left)"
  if [ "$remaining" -lt 20 ]; then
    say "SKIP $name: the budget is spent"
    results+=("$name: skipped (budget)")
    return 99
  fi
  [ "$limit" -le "$remaining" ] || limit="$remaining"
  say "BEGIN $name (limit ${limit}s)"
  timeout --kill-after=10 "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  say "END $name: exit $rc"
  results+=("$name: exit $rc$([ $rc -eq 124 ] && echo ' (timed out)')")
  return $rc
}
finish() {
  {
    echo "==== summary ($((SECONDS - start)) s of a ${budget} s budget)"
    printf '%s\n' "${results[@]}"
  } | tee -a "$log"
  [ -d "$work/junit" ] && tar -C "$work" -czf "$out/junit.tar.gz" junit
  [ -n "${smi_pid:-}" ] && kill "$smi_pid" 2>/dev/null
  exit 0
}
trap finish EXIT

[ -f .gpu/jre.tar.xz ] && [ -f .gpu/amdim.jar ] && [ -f .gpu/tests.jar ] && [ -f .gpu/junit-console.jar ] ||
  { say "ERROR: .gpu/ is incomplete: run scripts/gpu/pack.sh where the project is built, and carry .gpu"; exit 1; }

say "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f", $2 / 1048576}' /proc/meminfo) GiB, $(uname -sr)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >>"$log" 2>&1
python3 -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), "cudnn", torch.backends.cudnn.version())' >>"$log" 2>&1
g++ --version 2>&1 | head -n1 >>"$log"

if command -v xz >/dev/null; then
  tar -C "$work" -xJf .gpu/jre.tar.xz
else
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' .gpu/jre.tar.xz "$work"
fi
java="$work/jre/bin/java"

# ---- 1. the shim ----------------------------------------------------------------------------------------
if [ -z "${LIBTORCH:-}" ]; then
  LIBTORCH="$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))' 2>/dev/null || true)"
  [ -n "$LIBTORCH" ] && export LIBTORCH
fi
[ -n "${LIBTORCH:-}" ] && say "LIBTORCH=$LIBTORCH"
build_shim=(env TS_MAKE_JOBS="$(nproc)" bash bindings/native/build.sh "$work/shim-build" "$work/shim")
if ! run "shim build" 300 "${build_shim[@]}"; then
  # The C++ standard build.sh picks by version is a guess for releases it has not seen: try C++20.
  rm -rf "$work/shim-build"
  run "shim build (c++20)" 300 env TS_CXX_STD=c++20 "${build_shim[@]}" || exit 1
fi
shim="$work/shim/libtorchshim.so"
{
  echo "NEEDED of $shim:"
  readelf -d "$shim" | grep NEEDED
  echo "libtorch_cuda resolved to: $(ldd "$shim" | grep -E 'libtorch_cuda|libc10_cuda' | tr -s ' \t' ' ')"
  cat "$work/shim/torchshim.properties"
} >>"$log" 2>&1
if [ "$device" != cpu ] && ! readelf -d "$shim" | grep -q 'libtorch_cuda'; then
  say "ERROR: the shim does not link libtorch_cuda"
fi

# The shim's path travels in the environment, so that every JVM started below (JMH forks, the multi-process
# tests' ranks, --nproc workers) loads the same one.
export AMDIM_SHIM="$shim"
jvm=(--enable-native-access=ALL-UNNAMED -Djava.awt.headless=true)
export OMP_WAIT_POLICY=PASSIVE
cp_tests=".gpu/amdim.jar:.gpu/tests.jar:.gpu/junit-console.jar"
for m in tensor nn amdim tools; do cp_tests="$cp_tests:$m/src/test/resources"; done

# ---- 2. info --------------------------------------------------------------------------------------------
run "amdim info" 60 "$java" "${jvm[@]}" -jar .gpu/amdim.jar info

# ---- 3. CUDA and reference tests ------------------------------------------------------------------------
junit=("$java" "${jvm[@]}" -cp "$cp_tests" org.junit.platform.console.ConsoleLauncher execute --disable-banner
  --details=summary --details-theme=ascii --fail-if-no-tests --scan-classpath .gpu/tests.jar)
cuda_classes='.*(Cuda|Reference|MixedPrecision|Autocast|GradScaler|BackendFlags|AmdimModel|MultiScaleNceLoss).*Test'
run "tests: CUDA and reference vectors" 240 "${junit[@]}" --reports-dir "$work/junit/cuda" \
  --include-classname "$cuda_classes"

# ---- 4. JMH train step ----------------------------------------------------------------------------------
if [ "$device" = cpu ]; then
  bench=(-p device=cpu -p amp=none -p batch=8 -p preset=cifar10 -wi 1 -w 2s -i 2 -r 2s)
else
  bench=(-p device=cuda -p amp=none,bf16,fp16 -p batch=200 -p preset=cifar10,stl10 -wi 2 -w 4s -i 3 -r 4s)
fi
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv -lms 500 >"$out/gpu-memory.csv" 2>/dev/null &
  smi_pid=$!
fi
run "JMH TrainStepBench" 300 "$java" "${jvm[@]}" -cp .gpu/amdim.jar org.openjdk.jmh.Main TrainStepBench \
  "${bench[@]}" -f 1 -rf json -rff "$out/jmh.json"
[ -n "${smi_pid:-}" ] && { kill "$smi_pid" 2>/dev/null; smi_pid=""; }
[ -f "$out/gpu-memory.csv" ] && say "peak GPU memory used while benchmarking: $(awk -F', ' 'NR>1{gsub(/ MiB/,"",$2); if ($2>m) m=$2} END{print m+0}' "$out/gpu-memory.csv") MiB (nvidia-smi, every 0.5 s)"

# ---- 5. a short training run ----------------------------------------------------------------------------
if [ "$device" = cpu ]; then
  train=(--device cpu --preset small --batch 16 --synthetic-size 256)
else
  train=(--device cuda --amp bf16 --batch 200 --synthetic-size 8000)
fi
run "amdim train" 120 "$java" "${jvm[@]}" -jar .gpu/amdim.jar train "${train[@]}" --epochs 1 --max-steps 30 \
  --warmup 10 --eval-batches 4 --log-every 10 --output "$work/run"

# ---- 6. everything else ---------------------------------------------------------------------------------
run "tests: all the others" 300 "${junit[@]}" --reports-dir "$work/junit/others" --exclude-classname "$cuda_classes"

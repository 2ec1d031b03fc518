#!/usr/bin/env bash
# One training step of this project against the original AMDIM code, on the CPU's own kernels and capped to AVX2.
#
#   scripts/bench/step_vs_original.sh --amdim-src /path/to/amdim-public [--rounds 2] [--batches 32,64]
#       [--kernels native,avx2] [--steps 5] [--warmup 2] [--threads 2] [--format channels-last] [--logs DIR]
#
# For each kernel setting and batch, R rounds of two runs, in the order original, ours, ours, original, ...:
# the original's step (original_train_step.py: its model, NCE, classifiers and Adam on fixed tensors, Debian's
# python3-torch) and ours (the JMH TrainStepBench in single-shot mode, one step per iteration). Both use the
# CIFAR default encoder (ndf 128, n_rkhs 1024, n_depth 3), the same intra-op threads, OMP_WAIT_POLICY=PASSIVE,
# the same kernel caps (scripts/kernel-caps.sh) and the same number of untimed warm-up steps, then S timed steps.
# Prints the table of compare_report.py steps: per-run medians, their spread over rounds, original / ours, and
# each side's peak RSS (VmHWM of the Python process; of JMH's forked JVM, which holds JMH's harness too).
# --format is our encoder's memory format (TrainStepBench's format: channels-last or contiguous; training's
# --memory-format auto picks one of the two by timing). The logs, JMH JSON and the rows (steps.tsv) stay in --logs (default: a new folder under /tmp).
set -euo pipefail
source "$(dirname "$0")/compare-common.sh"

amdim_src="" rounds=2 batches=32,64 kernels=native,avx2 steps=5 warmup=2 threads=2 format=channels-last logs=""
while (( $# > 0 )); do
  case "$1" in
    --amdim-src) amdim_src="${2:-}"; shift 2 ;;
    --rounds) rounds="${2:-}"; shift 2 ;;
    --batches) batches="${2:-}"; shift 2 ;;
    --kernels) kernels="${2:-}"; shift 2 ;;
    --steps) steps="${2:-}"; shift 2 ;;
    --warmup) warmup="${2:-}"; shift 2 ;;
    --threads) threads="${2:-}"; shift 2 ;;
    --format) format="${2:-}"; shift 2 ;;
    --logs) logs="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
require_amdim_src "$amdim_src"
require_python_modules torch numpy
require_jar
for n in rounds steps threads; do require_positive "--$n" "${!n}"; done
[[ "$format" == channels-last || "$format" == contiguous ]] \
  || die "--format must be channels-last or contiguous, got '$format'"
[[ "$warmup" =~ ^[0-9]+$ ]] || die "--warmup must be a non-negative integer, got '$warmup'"
split_list "$batches" batch_list
split_list "$kernels" kernel_list
for b in "${batch_list[@]}"; do require_positive "--batches" "$b"; done
for k in "${kernel_list[@]}"; do set_run_env "$k"; done
logs="${logs:-$(mktemp -d /tmp/step-vs-original.XXXXXX)}"
mkdir -p "$logs"
rows="$logs/steps.tsv"
: > "$rows"

# The peak RSS in KiB that a run's log reports ("peak RSS (VmHWM) of this process|JVM N MiB"), or 0.
peak_rss_kib() {
  local mib
  mib=$(grep -o 'peak RSS (VmHWM) of this [A-Za-z]* [0-9]* MiB' "$1" | tail -1 | awk '{print $(NF-1)}')
  echo $(( ${mib:-0} * 1024 ))
}

run_original() {  # kernels batch round
  local log="$logs/original-$1-b$2-r$3.log"
  env "${RUN_ENV[@]}" "$ORIGINAL_PYTHON" "$BENCH_DIR/original_train_step.py" --amdim-src "$amdim_src" \
    --batch "$2" --steps "$steps" --warmup "$warmup" --threads "$threads" > "$log" 2>&1 \
    || { tail -20 "$log" >&2; die "the original's run failed (log: $log)"; }
  echo "$1 $2 $3 original $(peak_rss_kib "$log") $("$ORIGINAL_PYTHON" "$BENCH_DIR/compare_report.py" original-steps "$log")" \
    >> "$rows"
  tail -1 "$log"
}

run_ours() {  # kernels batch round
  local log="$logs/ours-$1-b$2-r$3.log" json="$logs/ours-$1-b$2-r$3.json"
  # Single-shot mode: each iteration is one step, timed alone like the original's; JMH's forked JVM inherits
  # this environment (the caps, OMP_WAIT_POLICY).
  env "${RUN_ENV[@]}" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$AMDIM_JAR" \
    org.openjdk.jmh.Main 'TrainStepBench\.step' -bm ss -f 1 -wi "$warmup" -i "$steps" \
    -p batch="$2" -p threads="$threads" -p preset=cifar10 -p format="$format" -foe true -rf json -rff "$json" > "$log" 2>&1 \
    || { tail -20 "$log" >&2; die "our run failed (log: $log)"; }
  local secs
  secs="$("$ORIGINAL_PYTHON" "$BENCH_DIR/compare_report.py" jmh-steps "$json")"
  echo "$1 $2 $3 ours $(peak_rss_kib "$log") $secs" >> "$rows"
  echo "this project (JMH, single shot): batch $2: steps $secs s; $(grep -o 'peak RSS.*' "$log" | head -1)"
}

echo "step_vs_original: rounds $rounds, batches $batches, kernels $kernels, $warmup warm-up + $steps timed steps," \
  "$threads threads; logs in $logs"
for k in "${kernel_list[@]}"; do
  set_run_env "$k"
  echo "== kernels $k: $(describe_kernels)"
  for b in "${batch_list[@]}"; do
    for (( r = 1; r <= rounds; r++ )); do
      for side in $(round_order "$r"); do
        echo "-- $k, batch $b, round $r: $side"
        "run_$side" "$k" "$b" "$r"
      done
    done
  done
done
echo
"$ORIGINAL_PYTHON" "$BENCH_DIR/compare_report.py" steps "$rows"

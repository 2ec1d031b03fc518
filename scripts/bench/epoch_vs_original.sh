#!/usr/bin/env bash
# Whole training epochs of this project against the original AMDIM pipeline, end to end, on Fashion-MNIST.
#
#   scripts/bench/epoch_vs_original.sh --amdim-src /path/to/amdim-public [--data /usr/share/datasets/fashion-mnist]
#       [--presets tiny,small] [--kernels native,avx2] [--updates 100] [--batch 100] [--workers 2] [--threads 2]
#       [--rounds 2] [--logs DIR]
#
# Both sides train one epoch from scratch and then run the online evaluation on the whole test set: data,
# augmentation, every step, the test pass (50 batch-norm warm-up batches, then 10 000 images) and the epoch's
# checkpoint. The original is its own pipeline (original_epoch.py: train.py's model, build_dataset's CIFAR
# transforms on PIL images in DataLoader worker processes, task_self_supervised's Adam and _train loop); ours is
# `amdim train --dataset fashion-mnist`. Same data (the images padded to 32x32 RGB on both sides), encoder preset,
# batch, loader workers, intra-op threads, warm-up schedule, OMP_WAIT_POLICY=PASSIVE and kernel caps
# (scripts/kernel-caps.sh). --updates N makes the epoch N updates long: both read a folder whose training split
# is the first N x batch images of --data (idx_subset.py) and whose test split is all of it; 0 uses --data as it
# is (a full epoch, 600 updates at batch 100).
#
# Each run is timed whole (process start to exit, so the JVM's and Python's start-up count), R rounds in the
# order original, ours, ours, original, ... Memory: the peak RSS of the largest process (GNU time's, or the
# sampled VmHWM without it) and the peak PSS summed over the process tree, sampled every 2 seconds (the
# original's loader workers are processes of their own; ours are threads). Reading smaps_rollup walks the whole
# address space of a process: every half second, it slowed our training loop by about 6 % on 2 cores (254 / 223
# against 271 / 236 images/s, alternating runs), so it samples less often; a peak that lasts under 2 s can be
# missed in the PSS column, not in the RSS one, which the kernel keeps. Prints the table of
# compare_report.py epochs; the logs and the rows (epochs.tsv) stay in --logs (default: a new folder in /tmp).
set -euo pipefail
source "$(dirname "$0")/compare-common.sh"

amdim_src="" data=/usr/share/datasets/fashion-mnist presets=tiny,small kernels=native,avx2 updates=100 batch=100
workers=2 threads=2 rounds=2 logs=""
while (( $# > 0 )); do
  case "$1" in
    --amdim-src) amdim_src="${2:-}"; shift 2 ;;
    --data) data="${2:-}"; shift 2 ;;
    --presets) presets="${2:-}"; shift 2 ;;
    --kernels) kernels="${2:-}"; shift 2 ;;
    --updates) updates="${2:-}"; shift 2 ;;
    --batch) batch="${2:-}"; shift 2 ;;
    --workers) workers="${2:-}"; shift 2 ;;
    --threads) threads="${2:-}"; shift 2 ;;
    --rounds) rounds="${2:-}"; shift 2 ;;
    --logs) logs="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
require_amdim_src "$amdim_src"
require_python_modules torch numpy torchvision PIL
require_jar
for n in batch workers threads rounds; do require_positive "--$n" "${!n}"; done
[[ "$updates" =~ ^[0-9]+$ ]] || die "--updates must be a non-negative integer, got '$updates'"
[ -d "$data" ] || die "--data $data: no such folder (Debian: apt-get install dataset-fashion-mnist)"
split_list "$presets" preset_list
split_list "$kernels" kernel_list
for p in "${preset_list[@]}"; do
  case "$p" in tiny|small|default) ;; *) die "unknown preset '$p': expected tiny, small or default" ;; esac
done
for k in "${kernel_list[@]}"; do set_run_env "$k"; done
logs="${logs:-$(mktemp -d /tmp/epoch-vs-original.XXXXXX)}"
mkdir -p "$logs"
rows="$logs/epochs.tsv"
: > "$rows"

if (( updates > 0 )); then
  epoch_data="$logs/data"
  "$ORIGINAL_PYTHON" "$BENCH_DIR/idx_subset.py" --source "$data" --train-images $(( updates * batch )) \
    --output "$epoch_data"
else
  epoch_data="$data"
fi

# The pids of process $1 and all its descendants (children are listed per thread: the forking one).
tree_pids() {
  echo "$1"
  local c
  for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree_pids "$c"; done
}

# Samples the tree of process $1 until it is gone; prints "peak-VmHWM-of-one-process-kB peak-tree-PSS-kB".
sample_memory() {
  local hwm=0 pss=0 sum p v
  while kill -0 "$1" 2>/dev/null; do
    sum=0
    for p in $(tree_pids "$1"); do
      v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)
      sum=$(( sum + ${v:-0} ))
      v=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
      (( ${v:-0} > hwm )) && hwm=$v
    done
    (( sum > pss )) && pss=$sum
    sleep 2
  done
  echo "$hwm $pss"
}

# Runs "$@" in RUN_ENV with output to $log; appends "kernels preset round side wall rss pss" to the rows.
measure() {  # kernels preset round side -- command...
  local k="$1" p="$2" r="$3" side="$4" base="$logs/$4-$1-$2-r$3"
  shift 5
  local timer=() start end status=0 rss hwm pss
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -f %M -o "$base.rss")
  start=$EPOCHREALTIME
  env "${RUN_ENV[@]}" "${timer[@]}" "$@" > "$base.log" 2>&1 &
  local pid=$!
  sample_memory "$pid" > "$base.mem" &
  local sampler=$!
  wait "$pid" || status=$?
  end=$EPOCHREALTIME
  wait "$sampler"
  (( status == 0 )) || { tail -20 "$base.log" >&2; die "$side run failed (exit $status; log: $base.log)"; }
  read -r hwm pss < "$base.mem"
  rss=$( [ -s "$base.rss" ] && tail -1 "$base.rss" || echo "$hwm")
  local wall
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}')
  echo "$k $p $r $side $wall $rss $pss" >> "$rows"
  echo "$side: $wall s, peak RSS $(( rss / 1024 )) MiB, peak tree PSS $(( pss / 1024 )) MiB"
}

run_original() {  # kernels preset round
  measure "$1" "$2" "$3" original -- "$ORIGINAL_PYTHON" "$BENCH_DIR/original_epoch.py" --amdim-src "$amdim_src" \
    --data "$epoch_data" --preset "$2" --batch "$batch" --workers "$workers" --threads "$threads" \
    --output "$logs/run-original"
  rm -rf "$logs/run-original"
}

run_ours() {  # kernels preset round
  measure "$1" "$2" "$3" ours -- "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar "$AMDIM_JAR" train \
    --dataset fashion-mnist --data "$epoch_data" --preset "$2" --batch "$batch" --epochs 1 --workers "$workers" \
    --threads "$threads" --eval-batches -1 --output "$logs/run-ours"
  rm -rf "$logs/run-ours"
}

echo "epoch_vs_original: presets $presets, kernels $kernels, $( (( updates > 0 )) && echo "$updates updates" \
  || echo "full epochs"), batch $batch, $workers loader workers, $threads threads, rounds $rounds; logs in $logs"
for k in "${kernel_list[@]}"; do
  set_run_env "$k"
  echo "== kernels $k: $(describe_kernels)"
  for p in "${preset_list[@]}"; do
    for (( r = 1; r <= rounds; r++ )); do
      for side in $(round_order "$r"); do
        echo "-- $k, preset $p, round $r: $side"
        "run_$side" "$k" "$p" "$r"
      done
    done
  done
done
echo
"$ORIGINAL_PYTHON" "$BENCH_DIR/compare_report.py" epochs "$rows"

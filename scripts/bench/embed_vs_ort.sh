#!/usr/bin/env bash
# Embedding speed against what a JVM user would otherwise pick: our r1 path (JMH EmbedBench) beside ONNX Runtime
# Java (scripts/bench/ort) and PyTorch eval (scripts/bench/pytorch_eval.py, NCHW and channels-last), on the same
# weights (export_onnx.py writes them and the ONNX model), same machine, 2 threads each, OMP_WAIT_POLICY=PASSIVE.
# Each round runs every side once per preset and batch, the order reversed every other round
# (ort, ours, pytorch | pytorch, ours, ort | ...), so slow drifts of the machine's load hit all sides alike;
# the table gives per side the median images/s over the rounds and the per-round ratios.
#
#   bash scripts/bench/embed_vs_ort.sh --amdim-src /path/to/amdim-public            # defaults: ~8-10 min, quiet 2 cores
#   bash scripts/bench/embed_vs_ort.sh --rounds 1 --presets small --batches "1 32" --min-time 1   # a smoke run
#
# Options (defaults in brackets):
#   --amdim-src DIR     the original AMDIM sources, unchanged [$AMDIM_SRC]
#   --rounds N          rounds [2]
#   --presets "P ..."   cifar10 (ndf 128, n_rkhs 1024, n_depth 3), small (32, 256, 2) ["cifar10 small"]
#   --batches "B ..."   ["1 32 256"]
#   --ours-paths "..."  EmbedBench's path parameter values, one side each ["packed"]
#   --ours-bench REGEX  the JMH benchmark of our side [EmbedBench]
#   --ours-cmd CMD      run this instead of `amdim bench`; {preset} {batch} {path} {weights} {threads} {json}
#                       {check} (round 1: "--check P.check.properties", else empty) are replaced; it writes JMH
#                       JSON to {json} or prints RESULT lines (img_s=...)
#   --threads N         intra-op threads of every side [2]
#   --min-time S        timed seconds per run of ONNX Runtime and PyTorch (ours: JMH --quick, 3 x 1 s) [2]
#   --ort-no-spin       ONNX Runtime threads sleep when idle (its default is to spin)
#   --ours-spin N       our OpenMP threads spin N rounds before sleeping (GOMP_SPINCOUNT=N; with
#                       OMP_WAIT_POLICY=PASSIVE they sleep at once): the counterpart of ONNX Runtime's default
#                       spinning, which decides single-image latency. Compare like with like: --ours-spin with
#                       ORT's default, or neither with --ort-no-spin
#   --out DIR           models, logs, results.txt and table.md [target/embed-vs-ort]
#   --build-main        build the main project first (else only when tools/target/amdim.jar is missing)
#
# Our side is `amdim bench EmbedBench -p preset=P -p batch=B -p path=X -p weights=FILE --quick` (JMH ignores
# a parameter the benchmark does not declare: with a `weights` parameter EmbedBench gets the same weights, and
# the table says which). When the jar has no EmbedBench, the stand-in scripts/bench/OursEmbed.java (the export's
# weights, Encoder.encodeGlobal in a plain timing loop) takes its place, as side "standin".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source scripts/env.sh
# Every side sleeps its idle OpenMP threads: on a small or shared machine spinning threads starve the others.
export OMP_WAIT_POLICY=PASSIVE
PYTHON=${PYTHON:-/usr/bin/python3}
JAVA="$JAVA_HOME/bin/java"

AMDIM_SRC=${AMDIM_SRC:-}
ROUNDS=2
PRESETS="cifar10 small"
BATCHES="1 32 256"
OURS_PATHS="packed"
OURS_BENCH="EmbedBench"
OURS_CMD=""
THREADS=2
MIN_TIME=2
WARMUP_TIME=1
ORT_SPIN=""
OURS_SPIN=""
OUT=target/embed-vs-ort
BUILD_MAIN=0

while [ $# -gt 0 ]; do
  case "$1" in
    --amdim-src) AMDIM_SRC=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --presets) PRESETS=$2; shift 2 ;;
    --batches) BATCHES=$2; shift 2 ;;
    --ours-paths) OURS_PATHS=$2; shift 2 ;;
    --ours-bench) OURS_BENCH=$2; shift 2 ;;
    --ours-cmd) OURS_CMD=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --min-time) MIN_TIME=$2; shift 2 ;;
    --ort-no-spin) ORT_SPIN="--no-spin"; shift ;;
    --ours-spin) OURS_SPIN=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --build-main) BUILD_MAIN=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "embed_vs_ort: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$AMDIM_SRC" ] || { echo "embed_vs_ort: --amdim-src (or \$AMDIM_SRC) is required" >&2; exit 2; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "embed_vs_ort: --rounds must be a positive integer" >&2; exit 2; }

AMDIM_JAR=tools/target/amdim.jar
ORT_JAR=scripts/bench/ort/target/ort-bench.jar
mkdir -p "$OUT/models" "$OUT/logs"
OUT=$(realpath "$OUT")  # absolute, so that it stays right inside subshells that change directory
RESULTS="$OUT/results.txt"
: > "$RESULTS"

# --- build -----------------------------------------------------------------------------------------------------
if [ "$BUILD_MAIN" = 1 ] || [ ! -f "$AMDIM_JAR" ]; then
  echo "== building the main project (mvn package, tests skipped)"
  mvn -B -o -q -DskipTests package
fi
echo "== building the ONNX Runtime side"
mvn -B -o -q -f scripts/bench/ort/pom.xml package

# --- our side: EmbedBench, else the stand-in -------------------------------------------------------------------
if [ -z "$OURS_CMD" ]; then
  if [ -n "$("$JAVA" -jar "$AMDIM_JAR" bench --list "$OURS_BENCH" 2>/dev/null)" ]; then
    OURS_CMD="\"$JAVA\" -jar $AMDIM_JAR bench '$OURS_BENCH' -p preset={preset} -p batch={batch} -p path={path}"
    OURS_CMD+=" -p weights={weights} --intra-op-threads {threads} --quick --json {json}"
  else
    echo "!! no benchmark matches '$OURS_BENCH' in $AMDIM_JAR: our side is the stand-in scripts/bench/OursEmbed.java"
    echo "!! (Encoder.encodeGlobal in a plain timing loop, not JMH and not the packed path)"
    OURS_PATHS="standin"
    OURS_CMD="\"$JAVA\" --enable-native-access=ALL-UNNAMED -cp $AMDIM_JAR scripts/bench/OursEmbed.java"
    OURS_CMD+=" --weights {weights} --batches {batch} --threads {threads} --warmup-time $WARMUP_TIME"
    OURS_CMD+=" --min-time $MIN_TIME {check}"
  fi
fi

# --- export: one weights file and ONNX model per preset --------------------------------------------------------
for p in $PRESETS; do
  echo "== exporting $p"
  (cd scripts/bench && "$PYTHON" export_onnx.py --amdim-src "$AMDIM_SRC" --preset "$p" \
      --out-dir "$OUT/models") 2> "$OUT/logs/export-$p.err"
done

# --- the sides --------------------------------------------------------------------------------------------------
# Each appends its RESULT lines, tagged with the round, to results.txt; the full output goes to logs/.
tag() { sed -n "s/^\(RESULT .*\)/\1 round=$1/p" | tee -a "$RESULTS"; }

run_ort() {  # round preset batch
  local check=()
  [ "$1" = 1 ] && check=(--check "$OUT/models/$2.check.properties")
  "$JAVA" -jar "$ORT_JAR" --model "$OUT/models/$2.onnx" --label "$2" --batches "$3" --threads "$THREADS" \
      --warmup-time "$WARMUP_TIME" --min-time "$MIN_TIME" $ORT_SPIN "${check[@]}" \
      > "$OUT/logs/ort-$2-$3-r$1.log" 2>&1 || { cat "$OUT/logs/ort-$2-$3-r$1.log" >&2; return 1; }
  grep '^CHECK' "$OUT/logs/ort-$2-$3-r$1.log" || true
  tag "$1" < "$OUT/logs/ort-$2-$3-r$1.log"
}

run_pytorch() {  # round preset batch
  local check=() layouts=nchw,channels_last
  [ "$1" = 1 ] && check=(--check)
  [ $(( $1 % 2 )) = 0 ] && layouts=channels_last,nchw
  (cd scripts/bench && "$PYTHON" pytorch_eval.py --amdim-src "$AMDIM_SRC" --weights "$OUT/models/$2.safetensors" \
      --batches "$3" --layouts "$layouts" --threads "$THREADS" --warmup-time "$WARMUP_TIME" \
      --min-time "$MIN_TIME" "${check[@]}") > "$OUT/logs/pytorch-$2-$3-r$1.log" 2>&1 \
      || { cat "$OUT/logs/pytorch-$2-$3-r$1.log" >&2; return 1; }
  grep '^CHECK' "$OUT/logs/pytorch-$2-$3-r$1.log" || true
  tag "$1" < "$OUT/logs/pytorch-$2-$3-r$1.log"
}

run_ours() {  # round preset batch path
  local log="$OUT/logs/ours-$4-$2-$3-r$1.log" json="$OUT/logs/ours-$4-$2-$3-r$1.json"
  local weights="$OUT/models/$2.safetensors" cmd=$OURS_CMD check=""
  [ "$1" = 1 ] && check="--check $OUT/models/$2.check.properties"
  rm -f "$json"
  cmd=${cmd//\{preset\}/$2}; cmd=${cmd//\{batch\}/$3}; cmd=${cmd//\{path\}/$4}; cmd=${cmd//\{check\}/$check}
  cmd=${cmd//\{weights\}/$weights}; cmd=${cmd//\{threads\}/$THREADS}; cmd=${cmd//\{json\}/$json}
  if [ -n "$OURS_SPIN" ]; then cmd="GOMP_SPINCOUNT=$OURS_SPIN $cmd"; fi
  bash -c "$cmd" > "$log" 2>&1 || { tail -40 "$log" >&2; return 1; }
  grep '^CHECK' "$log" || true
  if [ -f "$json" ]; then
    "$PYTHON" scripts/bench/embed_results.py jmh "$json" --side "ours-$4" --preset "$2" --batch "$3" \
        --weights "$weights" | tag "$1"
  else
    sed "s/^RESULT side=[^ ]*/RESULT side=ours-$4/" "$log" | tag "$1"
  fi
}

start=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
  echo "== round $r of $ROUNDS"
  for p in $PRESETS; do
    for b in $BATCHES; do
      if [ $(( r % 2 )) = 1 ]; then
        run_ort "$r" "$p" "$b"
        for path in $OURS_PATHS; do run_ours "$r" "$p" "$b" "$path"; done
        run_pytorch "$r" "$p" "$b"
      else
        run_pytorch "$r" "$p" "$b"
        for path in $(echo $OURS_PATHS | tr ' ' '\n' | tac); do run_ours "$r" "$p" "$b" "$path"; done
        run_ort "$r" "$p" "$b"
      fi
    done
  done
done

echo
echo "== embedding r1, images/s, $THREADS threads, OMP_WAIT_POLICY=PASSIVE, ours spin ${OURS_SPIN:-0}, ORT ${ORT_SPIN:-spinning}, $(( $(date +%s) - start )) s of runs"
"$PYTHON" scripts/bench/embed_results.py table "$RESULTS" | tee "$OUT/table.md"
echo "(results: $RESULTS, logs: $OUT/logs)"

# Sourced, never run, by step_vs_original.sh and epoch_vs_original.sh: their checks and the environment of each
# run. It only defines functions and variables.

# Debian's interpreter: it has python3-torch, the same libtorch as this project (a pyenv `python3` may not).
ORIGINAL_PYTHON="${ORIGINAL_PYTHON:-/usr/bin/python3}"
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/../.." && pwd)"
AMDIM_JAR="${AMDIM_JAR:-$REPO_DIR/tools/target/amdim.jar}"  # another build may be named, so that rebuilding does not disturb a run
source "$REPO_DIR/scripts/kernel-caps.sh"

die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

# Exits unless $ORIGINAL_PYTHON imports every module named (torch first).
require_python_modules() {
  [ -x "$ORIGINAL_PYTHON" ] || die "$ORIGINAL_PYTHON not found: the original runs on Debian's python3 with" \
    "python3-torch (apt-get install python3-torch)"
  local m
  for m in "$@"; do
    "$ORIGINAL_PYTHON" -c "import $m" 2>/dev/null \
      || die "$ORIGINAL_PYTHON cannot import $m (Debian's package: apt-get install $(debian_package "$m"))"
  done
}

# The Debian package of a Python module the scripts need.
debian_package() {
  case "$1" in
    PIL) echo python3-pil ;;
    *) echo "python3-$1" ;;
  esac
}

# Exits unless $1 is a checkout of the original (Philip-Bachman/amdim-public).
require_amdim_src() {
  [ -n "$1" ] || die "--amdim-src DIR is required: an unchanged checkout of Philip-Bachman/amdim-public"
  [ -f "$1/model.py" ] && [ -f "$1/task_self_supervised.py" ] || die "--amdim-src $1: no model.py and" \
    "task_self_supervised.py there; expected a checkout of Philip-Bachman/amdim-public"
}

# Exits unless the project's jar is built and a Java 25 runs it; sets JAVA_HOME.
require_jar() {
  source "$REPO_DIR/scripts/env.sh" || die "no JDK 25 (see scripts/env.sh)"
  [ -f "$AMDIM_JAR" ] || die "$AMDIM_JAR not built: mvn -B -q -DskipTests package"
}

# Sets RUN_ENV, the `env` arguments of a run on kernels $1 (native | avx2 | oldest): the caps of
# scripts/kernel-caps.sh or none (inherited caps removed), OpenMP threads that sleep when idle.
set_run_env() {
  RUN_ENV=(OMP_WAIT_POLICY=PASSIVE)
  local name
  for name in "${KERNEL_CAP_NAMES[@]}"; do
    RUN_ENV=(-u "$name" "${RUN_ENV[@]}")
  done
  case "$1" in
    native) ;;
    avx2) RUN_ENV+=("${KERNEL_CAPS_AVX2[@]}") ;;
    oldest) RUN_ENV+=("${KERNEL_CAPS_OLDEST[@]}") ;;
    *) die "unknown kernels '$1': expected native, avx2 or oldest" ;;
  esac
}

# The kernels libtorch picks in that environment, as `amdim info` reports them (both sides load the same libtorch).
describe_kernels() {
  env "${RUN_ENV[@]}" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar "$AMDIM_JAR" info 2>/dev/null \
    | sed -n 's/^cpu kernels: *//p'
}

# Run R (1-based) of a side pair: odd rounds run the original first, even rounds ours first, so that the order
# alternates original, ours, ours, original, ... and a machine that slows down or speeds up hits both sides.
round_order() {
  if (( $1 % 2 == 1 )); then echo original ours; else echo ours original; fi
}

# Splits a comma-separated list into the array named $2, exiting on an empty one.
split_list() {
  local -n into="$2"
  IFS=, read -r -a into <<< "$1"
  (( ${#into[@]} > 0 )) || die "empty list '$1'"
}

# Exits unless $2 is a positive integer (named $1 in the message).
require_positive() {
  [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, got '$2'"
}

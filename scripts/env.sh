# Sourced, never run, by the project's scripts: the environment the build, the tests and the CLI run in.
#
#   source scripts/env.sh
#
# It only sets variables. It prints nothing on stdout, and nothing it prints is ever evaluated by its callers:
# passing the environment as text to `eval` once executed apt-get's output on a fresh machine.
# Returns 1, with the reason on stderr, when no JDK 25 is found.

# The JDK the project builds and runs with (Java 25; the machine's default java may be older). One place names it.
AMDIM_JDK="${AMDIM_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}"

if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "25'; then
  if [ -x "$AMDIM_JDK/bin/java" ]; then
    export JAVA_HOME="$AMDIM_JDK"
  else
    echo "env: no JDK 25 at \$JAVA_HOME or $AMDIM_JDK; install one and set JAVA_HOME" >&2
    return 1
  fi
fi

# Idle OpenMP threads sleep instead of spinning: on a shared or small machine this is several times faster.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

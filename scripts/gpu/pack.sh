#!/usr/bin/env bash
# Packs what the GPU proof (scripts/gpu/proof.sh) needs on a machine that has a GPU but no JDK, no Maven and no
# network: a trimmed Java runtime, the CLI/benchmark jar, the compiled tests and JUnit's console launcher.
#
#   bash scripts/gpu/pack.sh        (after `mvn install`; writes .gpu/, which git ignores)
#
# The repository itself travels beside .gpu/: the shim's sources (rebuilt there against that machine's
# libtorch) and the tests' resources (the reference vectors) are read from the checkout, so .gpu/ holds no
# second copy of them. About 30 MB: the runtime is a jlink image of the modules the jars use, xz-compressed.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
out=.gpu
junit_console="org.junit.platform:junit-platform-console-standalone:1.11.4"
modules="java.base,java.desktop,java.logging,java.management,java.sql,jdk.management,jdk.unsupported,jdk.zipfs"

die() { echo "gpu/pack: $*" >&2; exit 1; }
[ -f tools/target/amdim.jar ] || die "tools/target/amdim.jar is missing: run 'mvn -B -DskipTests install' first"
for m in tensor nn amdim tools; do
  [ -d "$m/target/test-classes/org" ] || die "$m/target/test-classes is missing: run 'mvn -B -DskipTests install' first"
done
mkdir -p "$out"

# The runtime only changes with the JDK: rebuilt when the JDK's release file differs from the recorded one.
jdk_id="$(sha256sum "$JAVA_HOME/release" | cut -c1-16) $modules"
if [ ! -f "$out/jre.tar.xz" ] || [ "$(cat "$out/jre.id" 2>/dev/null)" != "$jdk_id" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --output "$tmp/jre"
  tar -C "$tmp" -cJf "$out/jre.tar.xz.tmp" jre
  mv "$out/jre.tar.xz.tmp" "$out/jre.tar.xz"
  echo "$jdk_id" >"$out/jre.id"
fi

cp tools/target/amdim.jar "$out/amdim.jar"

console="$out/junit-console.jar"
if [ ! -f "$console" ]; then
  mvn -B -q dependency:copy -Dartifact="$junit_console" -DoutputDirectory="$out" -Dmdep.stripVersion=true
  mv "$out/junit-platform-console-standalone.jar" "$console"
fi

# Only the test classes: their resources are in the checkout's src/test/resources, which travels anyway.
rm -f "$out/tests.jar"
args=()
for m in tensor nn amdim tools; do args+=(-C "$m/target/test-classes" org); done
"$JAVA_HOME/bin/jar" --create --file "$out/tests.jar" "${args[@]}"

du -sh "$out" | sed 's/^/gpu\/pack: /'

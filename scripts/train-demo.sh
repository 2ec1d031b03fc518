#!/usr/bin/env bash
# Builds the project and trains AMDIM on the built-in synthetic dataset (no downloads), writing to runs/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/setup.sh)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
mvn -B --no-transfer-progress -q -DskipTests package
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar tools/target/amdim.jar train \
  --output runs/demo "$@"

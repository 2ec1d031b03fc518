#!/usr/bin/env bash
# Builds the project and trains AMDIM on the built-in synthetic dataset (no downloads), writing to runs/demo.
# With no arguments it runs a small configuration that finishes in minutes on 2 cores; any arguments replace
# those defaults and go straight to `amdim train` (see `java -jar tools/target/amdim.jar train --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
mvn -B --no-transfer-progress -q -DskipTests install
if [ "$#" -eq 0 ]; then
  set -- --preset small --synthetic-size 4000 --batch 100 --epochs 3 --lr 5e-4 --warmup 100 --eval-batches 8 \
         --output runs/demo
fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar tools/target/amdim.jar train "$@"

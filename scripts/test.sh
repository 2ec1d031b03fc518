#!/usr/bin/env bash
# Runs every test of the project: installs missing Debian packages, builds the native shim, then `mvn verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/setup.sh)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
exec mvn -B --no-transfer-progress verify "$@"

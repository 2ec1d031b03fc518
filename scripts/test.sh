#!/usr/bin/env bash
# Runs every test of the project: installs missing Debian packages, builds the native shim, then `mvn verify`.
# Arguments go to Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec mvn -B --no-transfer-progress verify "$@"

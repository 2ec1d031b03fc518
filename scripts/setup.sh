#!/usr/bin/env bash
# Installs what the build and the tests need on Debian, if it is missing: libtorch with headers (CPU), the Gloo
# headers (libtorch-dev lacks them; the shim's distributed unit needs them for c10d's ProcessGroupGloo), OpenBLAS
# (replaces the slow reference BLAS libtorch would otherwise use), oneDNN's headers (the shim's fused inference
# network; libtorch links the same libdnnl), Fashion-MNIST (real data for tests and the
# demo run), a C++ toolchain, Maven, and fonts for the PNG pictures the CLI draws. Then checks that a JDK 25 is
# there (scripts/env.sh). Idempotent: does nothing when everything is present.
#
#   bash scripts/setup.sh
#
# Everything it and apt-get print goes to stderr: stdout stays empty, so no caller can mistake a message for a
# command. The environment the callers need comes from `source scripts/env.sh`, not from this script's output.
set -euo pipefail
exec 1>&2
cd "$(dirname "$0")/.."

packages=(libtorch-dev libdnnl-dev libgloo-dev libopenblas0-pthread dataset-fashion-mnist g++ make maven fontconfig
          fonts-dejavu-core libfreetype6)
missing=()
for p in "${packages[@]}"; do
  # "install ok installed" only: a package that was removed but left its configuration is missing too.
  [ "$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    echo "setup: missing Debian packages: ${missing[*]}; run as root: apt-get install -y ${missing[*]}"
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

source scripts/env.sh

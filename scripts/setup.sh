#!/usr/bin/env bash
# Installs what the build and the tests need on Debian, if it is missing: libtorch with headers (CPU),
# fonts for the PNG pictures the CLI draws, the Gloo headers (libtorch-dev lacks them; the shim's distributed
# unit needs them for c10d's ProcessGroupGloo), OpenBLAS (replaces the slow reference BLAS libtorch would otherwise use) and Fashion-MNIST (real data for
# tests and the demo run). Idempotent: does nothing when everything is present.
set -euo pipefail

packages=(libtorch-dev libgloo-dev libopenblas0-pthread dataset-fashion-mnist g++ make fontconfig fonts-dejavu-core
          libfreetype6)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "setup: missing Debian packages: ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The JDK the project needs (Java 25); the machine's default java may be older.
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q '"25'; then
  if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
    echo "export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64"
  else
    echo "setup: JDK 25 not found; install it and set JAVA_HOME" >&2
    exit 1
  fi
fi

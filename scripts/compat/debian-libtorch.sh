#!/usr/bin/env bash
# Builds and tests the committed HEAD against another Debian release's libtorch, in a chroot.
#
#   sudo bash scripts/compat/debian-libtorch.sh <suite> [maven goals...]    (default goals: verify)
#
# <suite> is a Debian suite: trixie has libtorch 2.6, sid 2.14 (bookworm's 1.13 is the one CI uses). The chroot
# (/srv/amdim-<suite>, kept for the next run) gets libtorch-dev and the test dependencies from deb.debian.org;
# this machine's JDK 25 and Maven repository are bind-mounted into it, and the repository is cloned into it
# fresh each run, so nothing of this checkout's build leaks in. Where this machine has a CUDA toolkit
# (/usr/local/cuda, or CUDA_HOME), scripts/compat/cuda-syntax.sh then compiles the shim's CUDA code paths
# against that release's headers. The log goes to stdout; the exit status is Maven's, plus 100 when the CUDA
# syntax check failed.
#
# Why: the GPU machines run another libtorch (PyTorch 2.11) than Debian 12's, and CPU runs of 2.6 and 2.14
# bracket it: they caught the header, allocator and TCPStore changes that the shim now builds around.
# Needs root (debootstrap, chroot, mount) and about 3 GB of disk.
set -euo pipefail

suite="${1:?usage: debian-libtorch.sh <suite> [maven goals...]}"
shift
goals=("$@")
[ ${#goals[@]} -gt 0 ] || goals=(verify)

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
root="/srv/amdim-$suite"
jdk="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
m2="${HOME}/.m2"
mirror="http://deb.debian.org/debian"
# The mirror's Release files for testing and unstable can be days past their Valid-Until.
apt_opts=(-o Acquire::Check-Valid-Until=false)
packages=(libtorch-dev libgloo-dev libopenblas0-pthread g++ make maven git dataset-fashion-mnist fontconfig)

[ "$(id -u)" -eq 0 ] || { echo "debian-libtorch: needs root (debootstrap, chroot, mount)" >&2; exit 1; }
[ -x "$jdk/bin/java" ] || { echo "debian-libtorch: no JDK at $jdk (set JAVA_HOME)" >&2; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -q debootstrap

if [ ! -x "$root/usr/bin/apt-get" ]; then
  debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" "$mirror"
fi

mounted=()
bind() { # bind <host path> <path in the chroot>
  mkdir -p "$root$2"
  mountpoint -q "$root$2" || { mount --bind "$1" "$root$2"; mounted+=("$root$2"); }
}
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}" || true; done
}
trap cleanup EXIT
bind /proc /proc
bind /dev /dev
bind /sys /sys
bind "$jdk" /opt/jdk
mkdir -p "$m2"
bind "$m2" /root/.m2
cp /etc/resolv.conf "$root/etc/resolv.conf"

chroot "$root" apt-get "${apt_opts[@]}" update -q
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"

rm -rf "$root/work"
git clone -q "$repo" "$root/work/amdim"
echo "debian-libtorch: $suite, libtorch $(chroot "$root" dpkg-query -W -f '${Version}' libtorch-dev), commit $(git -C "$repo" rev-parse --short HEAD)"
status=0
chroot "$root" env JAVA_HOME=/opt/jdk PATH="/opt/jdk/bin:/usr/bin:/bin" \
  bash -c 'cd /work/amdim && mvn -B -fae "$@"' mvn "${goals[@]}" || status=$?

# With a CUDA toolkit here, also compile the shim's CUDA code paths against this release's headers.
cuda_inc="${CUDA_HOME:-/usr/local/cuda}/include"
if [ -f "$cuda_inc/cuda_runtime_api.h" ]; then
  bind "$(cd "$cuda_inc" && pwd -P)" /opt/cuda-include
  chroot "$root" bash -c 'cd /work/amdim && bash scripts/compat/cuda-syntax.sh /opt/cuda-include' || status=$((status + 100))
else
  echo "debian-libtorch: no CUDA toolkit headers at $cuda_inc: the CUDA code paths were not compiled"
fi
exit "$status"

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
source "$repo/scripts/compat/chroot.sh"
root="/srv/amdim-$suite"
packages=(libtorch-dev libgloo-dev libopenblas0-pthread g++ make maven git dataset-fashion-mnist fontconfig)

compat_chroot debian-libtorch "$root" "$suite"
chroot "$root" apt-get "${compat_apt_opts[@]}" update -q
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"

compat_clone "$repo"
echo "debian-libtorch: $suite, libtorch $(chroot "$root" dpkg-query -W -f '${Version}' libtorch-dev), commit $(git -C "$repo" rev-parse --short HEAD)"
status=0
compat_mvn "${goals[@]}" || status=$?

# With a CUDA toolkit here, also compile the shim's CUDA code paths against this release's headers.
cuda_inc="${CUDA_HOME:-/usr/local/cuda}/include"
if [ -f "$cuda_inc/cuda_runtime_api.h" ]; then
  compat_bind "$(cd "$cuda_inc" && pwd -P)" /opt/cuda-include
  chroot "$root" bash -c 'cd /work/amdim && bash scripts/compat/cuda-syntax.sh /opt/cuda-include' || status=$((status + 100))
else
  echo "debian-libtorch: no CUDA toolkit headers at $cuda_inc: the CUDA code paths were not compiled"
fi
exit "$status"

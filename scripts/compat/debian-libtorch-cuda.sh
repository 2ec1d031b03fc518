#!/usr/bin/env bash
# Builds and tests the committed HEAD against Debian 13's CUDA build of libtorch (2.6, contrib), on a machine
# without a GPU: the shim must link libtorch_cuda, load it, report "built with CUDA, no device", and every
# CUDA test must skip with that reason while the rest passes.
#
#   sudo bash scripts/compat/debian-libtorch-cuda.sh [maven goals...]     (default goals: verify)
#
# Like debian-libtorch.sh, in its own chroot (/srv/amdim-trixie-cuda), with this machine's JDK 25 and Maven
# repository bind-mounted and HEAD cloned in fresh. Two things differ from a normal install:
#   - libtorch-cuda's dependencies (the CUDA libraries from non-free among them) come through apt, and
#     libtorch-cuda itself is unpacked over them with dpkg -x: apt cannot install it, because Debian's cuDNN
#     package downloads cuDNN from NVIDIA at install time, which these machines cannot reach;
#   - libnccl-dev and libcu++-dev (CCCL, which cuda_fp16.h includes) let the NCCL backend be compiled too;
#   - a stand-in libcudnn.so.9 is built from the symbol list libtorch_cuda needs, every function aborting, so
#     that the library loads (it is linked with BIND_NOW). cuDNN is only called on a GPU, which is not here.
# About 6 GB of disk.
set -euo pipefail

goals=("$@")
[ ${#goals[@]} -gt 0 ] || goals=(verify)
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$repo/scripts/compat/chroot.sh"
root=/srv/amdim-trixie-cuda
tools=(libopenblas0-pthread libnccl-dev libcu++-dev g++ make maven git dataset-fashion-mnist fontconfig binutils)
unpacked=(libtorch-cuda-2.6 libtorch-cuda-dev libgloo-cuda-dev nvidia-cuda-dev)

compat_chroot debian-libtorch-cuda "$root" trixie
cat >"$root/etc/apt/sources.list.d/contrib-non-free.sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: contrib non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
chroot "$root" apt-get "${compat_apt_opts[@]}" update -q

# libtorch-cuda's own dependencies (the CUDA libraries among them), less the two that cannot be had here:
# cuDNN (see above) and the driver's libcuda1, which a machine without a GPU does without.
read -r -a runtime <<<"$(chroot "$root" apt-cache show libtorch-cuda-2.6 | sed -n 's/^Depends: //p' | head -n1 |
  tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/ //g' | grep -vE '^(nvidia-cudnn|libcuda1)$' | tr '\n' ' ')"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${tools[@]}" "${runtime[@]}"
chroot "$root" bash -c 'set -e; d=$(mktemp -d); cd "$d"; apt-get download "$@"; for f in *.deb; do dpkg -x "$f" /; done
  rm -rf "$d"' unpack "${unpacked[@]}"

# the stand-in cuDNN: one aborting function per symbol libtorch_cuda takes from it, in its version node
chroot "$root" bash -c 'set -e; d=$(mktemp -d); cd "$d"
  nm -D --undefined-only /usr/lib/x86_64-linux-gnu/libtorch_cuda*.so | awk "{print \$2}" |
    sed -n "s/@libcudnn\.so\.9\$//p" | sort -u >syms
  { echo "#include <stdlib.h>"; while read -r s; do echo "void $s(void) { abort(); }"; done <syms; } >stub.c
  echo "libcudnn.so.9 { global: *; };" >stub.map
  gcc -shared -fPIC -Wl,-soname,libcudnn.so.9 -Wl,--version-script=stub.map -o /usr/lib/x86_64-linux-gnu/libcudnn.so.9 stub.c
  echo "debian-libtorch-cuda: stand-in libcudnn.so.9 with $(wc -l <syms) aborting functions"
  rm -rf "$d"'

compat_clone "$repo"
echo "debian-libtorch-cuda: libtorch-cuda 2.6 (Debian 13), commit $(git -C "$repo" rev-parse --short HEAD)"
compat_mvn "${goals[@]}"
readelf -d "$root/work/amdim/bindings/target/native/libtorchshim.so" | grep NEEDED
chroot "$root" /opt/jdk/bin/java --enable-native-access=ALL-UNNAMED -jar /work/amdim/tools/target/amdim.jar info

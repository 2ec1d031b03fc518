#!/usr/bin/env bash
# Runs the README's two commands, unmodified, on a fresh Debian 12 machine: a chroot unpacked from a bare
# debootstrap base (minbase and CA certificates), given only what a new machine of ours has besides: the JDK 25
# at the same path with its trust store, and the machine's own CA certificates (a network that inspects TLS
# signs with one; without it Maven Central is unreachable). No project package, no Maven repository, nothing
# built.
#
#   sudo bash scripts/compat/fresh-machine.sh [train-demo arguments...]
#
# The arguments go to scripts/train-demo.sh (its documented way to shorten the run); the test command runs in
# full. The bare base is cached as a tarball under /var/cache/amdim (made once with debootstrap); every run
# unpacks it into a new directory that is removed at the end, so nothing a run installs reaches the next one.
# The committed HEAD is cloned into the chroot, as a user clones the repository.
#
# Why: setup that works on every prepared machine once failed on the first fresh one (a message of its own was
# executed by its caller). Needs root (debootstrap, chroot, mount), the network to Debian's mirror and Maven
# Central, and about 4 GB of disk. Exit status: the first command that failed, else 0.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$repo/scripts/compat/chroot.sh"
source "$repo/scripts/env.sh"
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine: needs root (debootstrap, chroot, mount)" >&2; exit 1; }

suite=bookworm
cache="/var/cache/amdim/debian-$suite-minbase.tar.gz"
if [ ! -f "$cache" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
  base="$(mktemp -d /var/tmp/amdim-base.XXXXXX)"
  debootstrap --variant=minbase --include=ca-certificates "$suite" "$base" http://deb.debian.org/debian
  mkdir -p "$(dirname "$cache")"
  tar -C "$base" -czf "$cache.tmp" . && mv "$cache.tmp" "$cache"
  rm -rf "$base"
fi

compat_root="$(mktemp -d /var/tmp/amdim-fresh.XXXXXX)"
cleanup() { compat_unmount; rm -rf --one-file-system "$compat_root"; }
trap cleanup EXIT
tar -C "$compat_root" -xzf "$cache"
compat_bind /proc /proc
compat_bind /dev /dev
compat_bind /sys /sys
compat_bind "$JAVA_HOME" "$JAVA_HOME"
mount -o remount,bind,ro "$compat_root$JAVA_HOME"
cp /etc/resolv.conf "$compat_root/etc/resolv.conf"
# The JDK's cacerts is a link to the system's Java trust store; a new machine has both, and its local CAs.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$compat_root/usr/local/share/ca-certificates/"
  chroot "$compat_root" update-ca-certificates >/dev/null
fi
if [ -f /etc/ssl/certs/java/cacerts ]; then
  mkdir -p "$compat_root/etc/ssl/certs/java"
  cp /etc/ssl/certs/java/cacerts "$compat_root/etc/ssl/certs/java/cacerts"
fi
git clone -q "$repo" "$compat_root/root/amdim"
echo "fresh-machine: Debian $suite (bare), JDK $JAVA_HOME, commit $(git -C "$repo" rev-parse --short HEAD)"

# As a new user's shell: a login environment of its own, none of this one's variables.
in_fresh() {
  chroot "$compat_root" env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c 'cd /root/amdim && "$@"' fresh "$@"
}
timed() {
  local start=$SECONDS
  echo "fresh-machine: \$ $*"
  in_fresh "$@"
  echo "fresh-machine: ok in $((SECONDS - start)) s: $*"
}
timed bash scripts/train-demo.sh "$@"
timed bash scripts/test.sh

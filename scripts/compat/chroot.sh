# Sourced by the debian-libtorch*.sh scripts: a Debian chroot with this machine's JDK and Maven repository.
#
#   compat_chroot <name> <root> <suite>   creates <root> with debootstrap (once), bind-mounts /proc, /dev, /sys,
#                                         $JAVA_HOME as /opt/jdk and ~/.m2, all unmounted again on exit
#   compat_bind <host path> <chroot path> one more bind mount, undone on exit the same way
#   compat_clone <repo>                   clones the repository's HEAD fresh into <root>/work/amdim
#   compat_mvn <maven goals...>           runs Maven there with the bind-mounted JDK
# compat_apt_opts: apt options for the chroot (the mirror's Release files for testing and unstable can be days
# past their Valid-Until).
compat_apt_opts=(-o Acquire::Check-Valid-Until=false)
compat_mounted=()

compat_bind() {
  mkdir -p "$compat_root$2"
  mountpoint -q "$compat_root$2" || { mount --bind "$1" "$compat_root$2"; compat_mounted+=("$compat_root$2"); }
}

compat_unmount() {
  local i
  for ((i = ${#compat_mounted[@]} - 1; i >= 0; i--)); do umount "${compat_mounted[i]}" || true; done
}

compat_chroot() {
  local name="$1" suite="$3"
  compat_root="$2"
  [ "$(id -u)" -eq 0 ] || { echo "$name: needs root (debootstrap, chroot, mount)" >&2; exit 1; }
  source "$(dirname "${BASH_SOURCE[0]}")/../env.sh" || exit 1
  local jdk="$JAVA_HOME"
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
  if [ ! -x "$compat_root/usr/bin/apt-get" ]; then
    debootstrap --variant=minbase --include=ca-certificates "$suite" "$compat_root" http://deb.debian.org/debian
  fi
  trap compat_unmount EXIT
  compat_bind /proc /proc
  compat_bind /dev /dev
  compat_bind /sys /sys
  compat_bind "$jdk" /opt/jdk
  mkdir -p "$HOME/.m2"
  compat_bind "$HOME/.m2" /root/.m2
  cp /etc/resolv.conf "$compat_root/etc/resolv.conf"
}

compat_clone() {
  rm -rf "$compat_root/work"
  git clone -q "$1" "$compat_root/work/amdim"
}

compat_mvn() {
  chroot "$compat_root" env JAVA_HOME=/opt/jdk PATH="/opt/jdk/bin:/usr/bin:/bin" \
    bash -c 'cd /work/amdim && mvn -B -fae "$@"' mvn "$@"
}

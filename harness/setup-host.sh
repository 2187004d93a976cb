#!/bin/bash
# setup-host.sh [boot|xen-build|xen-build-debian]
# Installs the only host packages the harness needs (idempotent):
#   boot (default): QEMU, OVMF (UEFI firmware), busybox-static (host-side xz fallback) and cpio.
#   xen-build:      what build-xen.sh needs to compile the hypervisor from testdata/xen-src:
#                   gcc, make, libc6-dev and binutils (ld also links xen.efi), flex and bison
#                   (Xen's kconfig), python3, xz-utils, patch (build-xen.sh XEN_PATCHES=).
#   xen-build-debian: xen-build's, plus dpkg-dev (dpkg-source unpacks Debian's source package)
#                   and lsb-release (Debian's version banner prints `lsb_release -is`), for
#                   build-xen-debian.sh (patched 4.17 from Debian 12's source package).
# Xen, the kernels and the Xen tools are never installed: fetch.sh unpacks them under harness/work.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
case "${1:-boot}" in
  boot) PKGS=(qemu-system-x86 ovmf busybox-static cpio) ;;
  xen-build) PKGS=(gcc make libc6-dev binutils flex bison python3 xz-utils patch) ;;
  xen-build-debian) PKGS=(gcc make libc6-dev binutils flex bison python3 xz-utils patch dpkg-dev lsb-release) ;;
  *) die "usage: setup-host.sh [boot|xen-build|xen-build-debian]" ;;
esac
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "host packages present: ${PKGS[*]}"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
log "installing host packages: ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/bin/bash
# Installs the only host packages the harness needs (idempotent):
# QEMU, OVMF (UEFI firmware), busybox-static (host-side xz fallback) and cpio.
# Xen, the kernels and the Xen tools are never installed: fetch.sh unpacks them under harness/work.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
PKGS=(qemu-system-x86 ovmf busybox-static cpio)
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

#!/bin/bash
# fetch.sh XEN_RELEASE   (4.17 = Debian 12 bookworm, 4.20 = Debian 13 trixie)
#
# Downloads Debian's Xen hypervisor, Xen tools, the current kernel of that suite (resolved
# through linux-image-amd64's Depends, never a hard-coded ABI name), busybox-static and every
# runtime library the tools need, with `apt-get download` through a PRIVATE apt state under
# harness/work/apt/<suite> (own sources.list, lists, caches, empty dpkg status): the host's apt
# configuration and state are not touched. Unpacks them with `dpkg-deb -x` and writes
#   harness/work/xen-<rel>/{root/,xen,xen.efi,vmlinuz,VERSIONS}
# Cached: .debs whose SHA256 matches the archive are not downloaded again, and the apt lists
# are refreshed only when older than FETCH_LISTS_MAX_AGE_H hours (default 24) or FETCH_UPDATE=1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
XEN=${1:-}; [ -n "$XEN" ] || die "usage: fetch.sh 4.17|4.20"
! built_xen "$XEN" || die "Debian does not package Xen $XEN: build-xen.sh $XEN builds it, and its dom0 is fetch.sh $(dom0_xen "$XEN")'s"
SUITE=$(suite_for_xen "$XEN")
A=$HARNESS_WORK/apt/$SUITE
D=$(xen_dir "$XEN")
mkdir -p "$A/lists/partial" "$A/cache" "$A/archives/partial" "$D/debs"
touch "$A/status"

# Mirrors: the host's own Debian mirror if it names one, else deb.debian.org.
host_mirror=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
MIRROR=${MIRROR:-${host_mirror:-http://deb.debian.org/debian}}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$KEYRING" ] || die "$KEYRING missing (package debian-archive-keyring)"
sources=$(printf 'deb [signed-by=%s] %s %s main\n' \
  "$KEYRING" "$MIRROR" "$SUITE" "$KEYRING" "$MIRROR" "$SUITE-updates" "$KEYRING" "$SECURITY_MIRROR" "$SUITE-security")
if [ ! -f "$A/sources.list" ] || [ "$(cat "$A/sources.list")" != "$sources" ]; then
  printf '%s\n' "$sources" > "$A/sources.list"
  rm -f "$A"/lists/*_Packages*
fi
apt_private_opts "$SUITE"

stale=$(find "$A/lists" -maxdepth 1 -name '*_Packages*' -mmin "-$(( ${FETCH_LISTS_MAX_AGE_H:-24} * 60 ))" | head -1)
if [ -n "${FETCH_UPDATE:-}" ] || [ -z "$stale" ]; then
  log "apt-get update ($SUITE, private state in ${A#"$REPO_DIR"/})"
  apt-get "${APT_OPTS[@]}" -q update >&2
fi

# The kernel: whatever linux-image-amd64 currently depends on.
KPKG=$(apt-cache "${APT_OPTS[@]}" depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$KPKG" ] || die "could not resolve linux-image-amd64's kernel package in $SUITE"
PKGS=(
  "xen-hypervisor-$XEN-amd64" "xen-utils-$XEN" xen-utils-common "$KPKG" busybox-static
  libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 "libxenmisc$XEN" libxenstore4
  libxentoollog1 libxendevicemodel1 libxentoolcore1 libxenhypfs1 libyajl2
  libc6 libuuid1 zlib1g liblzma5 libzstd1
)

# Download only what is missing or does not match the archive's SHA256 (apt-get download
# alone would fetch again, and --print-uris omits what the current directory already holds).
cd "$D/debs"
want=()
while read -r _ file _ hash; do   # URI, file name, size, SHA256:hash
  want+=("$file")
  sha=${hash#SHA256:}
  if [ -f "$file" ] && [ "$(sha256sum "$file" | cut -d' ' -f1)" = "$sha" ]; then continue; fi
  pkg=${file%%_*}
  log "downloading $file"
  rm -f "$file"
  apt-get "${APT_OPTS[@]}" -q download "$pkg" >&2
  [ "$(sha256sum "$file" | cut -d' ' -f1)" = "$sha" ] || die "$file: SHA256 mismatch"
done < <(mkdir -p "$A/empty" && cd "$A/empty" &&   # --print-uris skips files already in cwd
         apt-get "${APT_OPTS[@]}" -q --print-uris download "${PKGS[@]}" | tr -d "'")
[ ${#want[@]} -eq ${#PKGS[@]} ] || die "expected ${#PKGS[@]} packages, apt offered ${#want[@]}"
for f in *.deb; do
  keep=; for w in "${want[@]}"; do [ "$f" = "$w" ] && keep=1; done
  [ -n "$keep" ] || { log "removing stale $f"; rm -f "$f"; }
done

# Unpack when the set of .debs changed.
stamp=$(printf '%s\n' "${want[@]}" | sort)
if [ ! -f "$D/unpacked.stamp" ] || [ "$(cat "$D/unpacked.stamp")" != "$stamp" ]; then
  log "unpacking ${#want[@]} packages into ${D#"$REPO_DIR"/}/root"
  rm -rf "$D/root" "$D/unpacked.stamp"; mkdir -p "$D/root"
  for f in "${want[@]}"; do dpkg-deb -x "$f" "$D/root"; done
  for f in "${want[@]}"; do dpkg-deb -f "$f" Package Version | sed 's/^[^:]*: //' | paste -sd' '; done \
    | sort > "$D/VERSIONS"
  printf '%s\n' "$stamp" > "$D/unpacked.stamp"
fi

R=$D/root
KVER=${KPKG#linux-image-}
xz_or_gz=$(ls "$R/boot/xen-$XEN-amd64.gz" 2>/dev/null) || die "no boot/xen-$XEN-amd64.gz in xen-hypervisor-$XEN-amd64"
gzip -dc "$xz_or_gz" > "$D/xen.tmp" && mv "$D/xen.tmp" "$D/xen"   # ELF32 with a multiboot1 header
cp "$R/boot/xen-$XEN-amd64.efi" "$D/xen.efi"
cp "$R/boot/vmlinuz-$KVER" "$D/vmlinuz"
echo "$KVER" > "$D/KERNEL_RELEASE"
log "Xen $XEN from $SUITE: $(awk -v p="xen-hypervisor-$XEN-amd64" '$1 == p {print $2}' "$D/VERSIONS"); kernel $KPKG $(awk -v p="$KPKG" '$1 == p {print $2}' "$D/VERSIONS")"

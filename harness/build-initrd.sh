#!/bin/bash
# build-initrd.sh XEN_RELEASE [DOM0SCOPE_BINARY]
#
# Builds the dom0 initramfs harness/work/xen-<rel>/initrd.cpio.gz from the packages fetch.sh
# unpacked: the suite's busybox-static, xl, xenstored, xen-init-dom0, xenhypfs, every shared
# library they need (resolved from ELF NEEDED entries inside the unpacked tree only, never from
# the host), the ELF interpreter, the Xen kernel modules (and efivarfs) decompressed to plain
# .ko for busybox insmod, Xen's build configuration in /boot, the static dom0scope binary,
# init.sh as /init and dom0-lib.sh (the dom0 side both init.sh and enforce-init.sh source). A
# per-boot archive (boot.sh) is appended to it and carries the run's settings.
# For a release built from source (build-xen.sh: 4.18, 4.19, 4.21, 4.22, master), dom0 is
# Debian 13's: the packages fetch.sh 4.20 unpacked (kernel, Xen 4.20's tools, busybox), with
# the configuration the hypervisor was built with in /boot; the dom0 kernel, KERNEL_RELEASE
# and VERSIONS (those packages, less the unused xen-hypervisor) are copied beside its `xen`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
XEN=${1:-}; [ -n "$XEN" ] || die "usage: build-initrd.sh ${XEN_RELEASES// /|} [dom0scope-binary]"
suite_for_xen "$XEN" > /dev/null
BIN=${2:-$DOM0SCOPE_BIN}
DOM0_XEN=$(dom0_xen "$XEN")   # the Xen release of dom0's packages
D=$(xen_dir "$XEN"); P=$(xen_dir "$DOM0_XEN"); R=$P/root; I=$D/initrd
[ -f "$P/unpacked.stamp" ] || die "run fetch.sh $DOM0_XEN first"
if built_xen "$XEN"; then
  [ -f "$D/BUILD-INFO" ] || die "Xen $XEN is not built: run build-xen.sh $XEN"
  cp "$P/vmlinuz" "$D/vmlinuz.tmp" && mv "$D/vmlinuz.tmp" "$D/vmlinuz"
  cp "$P/KERNEL_RELEASE" "$D/KERNEL_RELEASE"
  grep -v '^xen-hypervisor-' "$P/VERSIONS" > "$D/VERSIONS"
fi
[ -x "$BIN" ] || die "no dom0scope binary at $BIN (run build-dom0scope.sh)"
KVER=$(cat "$D/KERNEL_RELEASE")
XB=usr/lib/xen-$DOM0_XEN/bin

# Follows symlinks of a path *inside* $R (absolute targets are re-rooted at $R); prints the
# real file's path relative to $R, or fails.
resolve_in_root() {
  local p=${1#/} n=0 t
  while [ -L "$R/$p" ]; do
    t=$(readlink "$R/$p")
    case "$t" in /*) p=${t#/} ;; *) p=$(dirname "$p")/$t ;; esac
    p=$(realpath -m -s --relative-to=/ "/$p")
    n=$((n + 1)); [ $n -lt 20 ] || return 1
  done
  [ -f "$R/$p" ] && echo "$p"
}

rm -rf "$I"
mkdir -p "$I"/{bin,sbin,usr/bin,usr/sbin,lib64,proc,sys,dev,run,tmp,etc,boot,"$XB"} \
         "$I"/var/{lib/xenstored,lib/xen,log/xen,run}

# busybox (static, from the suite) and its applet links
bb=$(resolve_in_root bin/busybox || resolve_in_root usr/bin/busybox) || die "busybox-static not unpacked"
cp "$R/$bb" "$I/bin/busybox"
for a in $("$I/bin/busybox" --list); do
  [ -e "$I/bin/$a" ] || ln -s busybox "$I/bin/$a"
done

# Xen tools
TOOLS=("$XB/xl" "$XB/xenstored" "$XB/xen-init-dom0" usr/sbin/xenhypfs)
for t in "${TOOLS[@]}"; do
  [ -f "$R/$t" ] || die "$t missing from the unpacked packages"
  mkdir -p "$I/$(dirname "$t")"; cp "$R/$t" "$I/$t"
done

# shared libraries: breadth-first over NEEDED, searched only inside $R
LIBDIRS=(usr/lib/x86_64-linux-gnu lib/x86_64-linux-gnu usr/lib lib)
declare -A seen=()
queue=("${TOOLS[@]}")
missing=0
while [ ${#queue[@]} -gt 0 ]; do
  f=${queue[0]}; queue=("${queue[@]:1}")
  for so in $(readelf -d "$R/$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -z "${seen[$so]:-}" ] || continue
    seen[$so]=1; hit=
    for d in "${LIBDIRS[@]}"; do hit=$(resolve_in_root "$d/$so") && break; done
    if [ -z "$hit" ]; then log "MISSING $so (needed by $f)"; missing=1; continue; fi
    mkdir -p "$I/usr/lib/x86_64-linux-gnu"; cp "$R/$hit" "$I/usr/lib/x86_64-linux-gnu/$so"
    queue+=("$hit")
  done
done
[ $missing = 0 ] || die "libraries missing in the unpacked $DOM0_XEN tree (add their packages to fetch.sh)"
interp=$(readelf -l "$R/$XB/xl" | sed -n 's/.*program interpreter: \(.*\)\]/\1/p')
ip=$(resolve_in_root "$interp" || resolve_in_root "usr$interp") || die "ELF interpreter $interp not in tree"
mkdir -p "$I/$(dirname "${interp#/}")"; cp "$R/$ip" "$I/${interp#/}"
ln -s usr/lib "$I/lib"

# kernel modules, plain .ko (busybox insmod cannot read .ko.xz)
MODDIR=$(resolve_in_root "lib/modules/$KVER/modules.order" || resolve_in_root "usr/lib/modules/$KVER/modules.order") \
  || die "no modules for $KVER"
MODDIR=$(dirname "$MODDIR")
unxz() { if command -v xz >/dev/null; then xz -dc "$1"; else busybox xz -dc "$1"; fi; }
mkdir -p "$I/usr/lib/modules/$KVER"
for m in drivers/xen/xen-evtchn drivers/xen/xen-gntdev drivers/xen/xen-gntalloc drivers/xen/xen-privcmd \
         drivers/xen/xenfs/xenfs fs/efivarfs/efivarfs; do
  src=$R/$MODDIR/kernel/$m
  dst=$I/usr/lib/modules/$KVER/$(basename "$m").ko
  if [ -f "$src.ko.xz" ]; then unxz "$src.ko.xz" > "$dst"
  elif [ -f "$src.ko" ]; then cp "$src.ko" "$dst"
  elif [ "${m##*/}" = efivarfs ]; then continue     # built in
  else die "module $m missing"; fi
done

# Device drivers a configuration may ask dom0 to load (boot.sh --dom0-modules; none unless
# asked, so no other boot changes): MSI/MSI-X users on QEMU's q35 (the e1000e NIC at 00:02.0,
# the ICH9 AHCI at 00:1f.2) and what they need, plain .ko; built-in ones are not there.
for m in drivers/scsi/scsi_common drivers/scsi/scsi_mod drivers/ata/libata drivers/ata/libahci \
         drivers/ata/ahci drivers/net/ethernet/intel/e1000e/e1000e; do
  src=$R/$MODDIR/kernel/$m
  dst=$I/usr/lib/modules/$KVER/$(basename "$m").ko
  if [ -f "$src.ko.xz" ]; then unxz "$src.ko.xz" > "$dst"
  elif [ -f "$src.ko" ]; then cp "$src.ko" "$dst"; fi
done

# Xen's build configuration, where Debian keeps it on a real host
if built_xen "$XEN"; then cp "$D/xen-$XEN-amd64.config" "$I/boot/"
else cp "$R/boot/xen-$XEN-amd64.config" "$I/boot/" 2>/dev/null || true; fi

install -m 0755 "$BIN" "$I/usr/bin/dom0scope"
install -m 0755 "$HARNESS_DIR/init.sh" "$I/init"
install -D -m 0644 "$HARNESS_DIR/dom0-lib.sh" "$I/usr/lib/harness/dom0-lib.sh"   # what both /init scripts source
cp "$D/VERSIONS" "$I/etc/harness-versions"
printf 'XEN=%s\nXEN_TOOLS=%s\n' "$XEN" "$DOM0_XEN" > "$I/etc/harness-release"   # dom0-lib.sh: dom0_settings
echo 'root:x:0:0:root:/root:/bin/sh' > "$I/etc/passwd"
echo 'root:x:0:' > "$I/etc/group"

# On the host, in a chroot of the initramfs (only ITS ld.so and libraries), every tool must link.
if [ "$(id -u)" = 0 ]; then
  for t in "${TOOLS[@]}"; do
    if ! out=$(chroot "$I" "$interp" --list "/$t" 2>&1) || grep -q 'not found' <<<"$out"; then
      die "in the initramfs, $t does not link: $out"
    fi
  done
fi

(cd "$I" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) > "$D/initrd.cpio.gz.tmp"
mv "$D/initrd.cpio.gz.tmp" "$D/initrd.cpio.gz"
log "initramfs $(du -h "$D/initrd.cpio.gz" | cut -f1) for Xen $XEN, kernel $KVER$([ "$DOM0_XEN" = "$XEN" ] || echo ", Xen $DOM0_XEN's tools")"

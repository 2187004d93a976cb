#!/bin/bash
# patched.sh [NAME]   (XEN=4.22 (default) | 4.18 | 4.19 | 4.21 | master: a release build-xen.sh
#                      builds from testdata/xen-src; 4.17: Debian 12's source package, built
#                      by build-xen-debian.sh; FIRMWARE=seabios (default) | ovmf)
#
# The Xen patches of `dom0scope harden --xen-patch`, built and booted. Writes the series for
# XEN from the committed snapshot of that release (SNAPSHOT, default the x<rel>-*uefi snapshot
# in testdata/snapshots, else the first x<rel>-*: a UEFI one fires every rule a patch closes),
# requires that for 4.22 it is byte for byte the reference series in docs/xen-patches/4.22/,
# builds Xen with it (build-xen.sh XEN_PATCHES=, cached by content; for 4.17 each patch must
# apply to Debian's tree at fuzz 0, else the build fails naming it), boots it on q35 with a PV
# (or DOM0=pvh: PVH) dom0 whose /init is harness/patched-init.sh, and checks on the host:
#   - Xen printed each patch's tag ([dom0-ro-trampoline] with the frames it made read-only,
#     and on OVMF [dom0-protect-efi-rt] with the counts) and the running Xen is the patched build;
#   - the read-only frames are the trampoline the model locates, they are still in dom0's I/O
#     Memory rangeset in Xen's 'q' dump (readable), and the model, replaying the tag, holds
#     them read-only (`explain`). Xen prints no per-domain dump of mmio_ro_ranges, and probe
#     maps read-only, so a refused *write* is not observed: it rests on the tag and Xen's
#     code (docs/xen-patches.md);
#   - `probe --mfn TRAMPOLINE --expect granted` in dom0 exited 0 (dom0 can still read them);
#   - CPU 1 went offline and came back through XENPF_cpu_online: Xen logged "Booting
#     processor 1/1 eip <trampoline>" after dom0 was running, i.e. the trampoline still works;
#   - `verify` agrees exactly (the model reads the tags); `audit` no longer reports
#     DOM0_LOWMEM_TRAMPOLINE, and says why: read-only (and on OVMF
#     DOM0_EFI_RUNTIME_WRITE); the levels before (the unpatched release's committed snapshot)
#     and after are written to rangesets.txt (its "levels:" line);
#   - on OVMF, EFI variables are listed, and a new one is written and read back (SetVariable,
#     GetVariable through Xen's runtime calls);
#   - dom0 powered off cleanly.
# Needs the release's initramfs (run.sh / matrix.sh build it) and the static dom0scope
# (build-dom0scope.sh). Writes harness/work/runs/NAME/ (serial.log, out/, checks.txt).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
XEN=${XEN:-4.22} FIRMWARE=${FIRMWARE:-seabios} DOM0=${DOM0:-pv} TIMEOUT=${TIMEOUT:-400}
built_xen "$XEN" || [ "$XEN" = 4.17 ] \
  || die "XEN=$XEN: patched.sh builds Xen from testdata/xen-src (4.18, 4.19, 4.21, 4.22, master) or Debian 12's source (4.17)"
case "$FIRMWARE" in
  seabios) FW=bios ;;
  ovmf) FW=uefi ;;
  *) die "FIRMWARE=seabios|ovmf" ;;
esac
# DOM0=pvh: a PVH dom0 with an emulated VT-d, booted as harness/enforce.sh boots one; probe
# maps through XEN_DOMCTL_memory_mapping on itself (--pvh-self-map). On 4.17 with an emulated
# AMD-Vi instead, as the matrix's x417-pvh-q35-amdvi-bios boots it.
XEN_ARGS="$DEFAULT_XEN_CMDLINE cpuinfo" MACHINE=q35 CPU=qemu64 EXTRA=() PROBE_ARGS='' IOMMU=''
case "$DOM0" in
  pv) ;;
  pvh) XEN_ARGS="$XEN_ARGS dom0=pvh" MACHINE=q35,kernel-irqchip=split CPU=qemu64,+svm,+npt
       EXTRA=(-device "intel-iommu,intremap=on") PROBE_ARGS=--pvh-self-map
       [ "$XEN" != 4.17 ] || MACHINE=q35 EXTRA=(-device "amd-iommu,intremap=on") IOMMU=-amdvi ;;
  *) die "DOM0=pv|pvh" ;;
esac
NAME=${1:-patched-x${XEN/./}-$DOM0-q35$IOMMU-$FW}
check_name "$NAME"
PLAIN=$(xen_dir "$XEN")
[ -f "$PLAIN/initrd.cpio.gz" ] || die "no initramfs for Xen $XEN: run harness/run.sh (or build-xen.sh, build-dom0scope.sh, build-initrd.sh $XEN)"
[ -x "$DOM0SCOPE_BIN" ] || die "no static dom0scope at $DOM0SCOPE_BIN (run build-dom0scope.sh)"
if [ -z "${SNAPSHOT:-}" ]; then
  for SNAPSHOT in "$REPO_DIR/testdata/snapshots/x${XEN/./}-"*uefi/ "$REPO_DIR/testdata/snapshots/x${XEN/./}-"*/; do
    [ -d "$SNAPSHOT" ] && break
  done
fi
[ -d "$SNAPSHOT" ] || die "no committed snapshot of Xen $XEN to write the series from (set SNAPSHOT=)"
RUN=$HARNESS_WORK/runs/$NAME
fresh_run_dir "$RUN"
LOG=$RUN/serial.log
CHECKS=$RUN/checks.txt; : > "$CHECKS"
FAILS=0

# The series, as a user gets it.
SERIES=$HARNESS_WORK/xen-patches/$XEN
rm -rf "$SERIES"
"$DOM0SCOPE_BIN" harden "$SNAPSHOT" --xen-patch "$SERIES" > "$RUN/harden.txt" 2> "$RUN/harden.err" \
  || { cat "$RUN/harden.err" >&2; die "dom0scope harden --xen-patch failed"; }
if [ "$XEN" = 4.22 ]; then
  check "the series is the reference in docs/xen-patches/4.22/" diff -r "$SERIES" "$REPO_DIR/docs/xen-patches/4.22"
fi
XEN_PATCHES=$SERIES "$HARNESS_DIR/build-xen.sh" "$XEN" || die "build-xen.sh $XEN with the series failed"
D=$(xen_dir "$XEN-patched")
cp "$PLAIN/vmlinuz" "$D/vmlinuz"
ORIGIN="$(xen_origin "$XEN"), patched by build-xen.sh XEN_PATCHES="
[ "$XEN" != 4.17 ] || ORIGIN="$(sed -n 's/^provenance=//p' "$D/BUILD-INFO") (build-xen-debian.sh)"

qemu_cmd "$MACHINE" "$CPU" 2 2048 com1 "$RUN"
mkdir -p "$RUN/conf/etc" "$RUN/conf/usr/bin"
printf 'NAME=%q\nDATA_TTY=%q\nPROBE_ARGS=%q\nCOLLECT_ARGS=%q\nXEN_INFO=%q\n' "$NAME" "$DATA_TTY" "$PROBE_ARGS" "--xen-access privcmd" \
  "xenhypfs cat /buildinfo/changeset" > "$RUN/conf/etc/harness.conf"
install -m 0755 "$HARNESS_DIR/patched-init.sh" "$RUN/conf/init"
install -D -m 0644 "$HARNESS_DIR/dom0-lib.sh" "$RUN/conf/usr/lib/harness/dom0-lib.sh"
install -m 0755 "$DOM0SCOPE_BIN" "$RUN/conf/usr/bin/dom0scope"
# The configuration this Xen was built with, where collect reads it (the initramfs holds the
# unpatched release's: for 4.17 Debian's binary package, a later version).
install -D -m 0644 "$D/xen-$XEN-amd64.config" "$RUN/conf/boot/xen-$XEN-amd64.config"
initrd_with_conf "$PLAIN" "$RUN"
# cpuinfo: Xen logs "Booting processor N/A eip E" for each CPU it starts (do_boot_cpu()).
qemu_boot_xen "$FIRMWARE" "$D" "$RUN" "$XEN_ARGS" "$DEFAULT_DOM0_CMDLINE" "$RUN/initrd.cpio.gz"
QEMU+=("${EXTRA[@]}")
{
  echo "# harness patched boot $NAME $(date -u +%FT%TZ)"
  echo "# xen: $ORIGIN (key $(sed -n "s/^key=//p" "$D/BUILD-INFO")) + $(cd "$SERIES" && echo *.patch)"
  qemu_comment
} > "$LOG"
log "$NAME: patched Xen $XEN, $MACHINE, $FIRMWARE, $DOM0 dom0: collect, probe, CPU offline/online"
run_qemu_watched "$RUN" "$LOG" "$TIMEOUT"

# shellcheck disable=SC2317  # reached: check runs it as "$@"
has() { grep -a -q -- "$2" "$1" 2>/dev/null; }
OUT=$RUN/out
receive_tarball "$RUN" "$NAME" "$RUN/out.tgz" "$OUT"
check "output came back intact over the data UART" test -d "$OUT"
rc_of() { sed -n "s/^$1 rc=//p" "$OUT/steps.txt" 2>/dev/null; }
for s in collect probe cpu-offline cpu-online xen-info; do
  check "step $s exited 0 (got $(rc_of "$s"))" test "$(rc_of "$s")" = 0
done
BUILT=$(sed -n 's/^commit=//p' "$D/BUILD-INFO")
if [ "$XEN" = 4.17 ]; then
  # shellcheck disable=SC2317  # reached: check runs it as "$@"
  applied() {   # every patch of the series is in the build's BUILD-INFO with its sha256
    local f
    for f in "$SERIES"/*.patch; do
      grep -q -x "patch_${f##*/}=$(sha256sum < "$f" | cut -d' ' -f1)" "$D/BUILD-INFO" || return 1
    done
  }
  check "every patch of the series ($(cd "$SERIES" && echo *.patch)) applied at fuzz 0 to $(sed -n 's/^source=//p' "$D/BUILD-INFO")" applied
fi
check "the running Xen is the build (hypfs changeset names ${BUILT:0:10})" has "$OUT/xen-info.out" "git:${BUILT:0:10}"

# The trampoline: as the patched Xen says it made it read-only, as the model locates it, as
# Xen's rangesets and the probe show it.
TAG=$(grep -a -o 'd0: AP trampoline [0-9a-f]*-[0-9a-f]* read-only \[dom0-ro-trampoline\]' "$LOG" | head -n 1)
check "Xen logged the trampoline patch: '$TAG'" test -n "$TAG"
T1=$(awk '{print $4}' <<< "$TAG" | cut -d- -f1) T2=$(awk '{print $4}' <<< "$TAG" | cut -d- -f2)
T1=${T1:-0} T2=${T2:-0}
MEM=$(grep -a 'I/O Memory {' "$OUT/snap/xen/dmesg.txt" 2>/dev/null | tail -n 1 | sed 's/.*I\/O Memory //')
echo "I/O Memory $MEM" > "$RUN/rangesets.txt"
# shellcheck disable=SC2317  # reached: check runs it as "$@"
holds() {   # holds SET FIRST LAST: a range of the rangeset text SET ("{ 0-9f, a0-... }") covers FIRST-LAST
  local r s e
  for r in $(tr -d '{} ' <<< "$1" | tr ',' ' '); do
    s=${r%-*} e=${r#*-}
    if (( 0x$s <= 0x$2 && 0x$3 <= 0x$e )); then return 0; fi
  done
  return 1
}
check "dom0's I/O Memory still holds the trampoline 0x$T1-0x$T2 (read-only, not denied)" holds "$MEM" "$T1" "$T2"
check "probe: Xen granted a read-only mapping of the trampoline frames 0x$T1-0x$T2" has "$OUT/probe.out" "GRANTED     iomem 0x$T1-0x$T2"
"$DOM0SCOPE_BIN" explain "$OUT/snap" "mfn:0x$T1" > "$RUN/explain-trampoline.txt" 2>&1
check "the model locates Xen's trampoline at frame 0x$T1 too" has "$RUN/explain-trampoline.txt" "trampoline"
check "the model holds frame 0x$T1 read-only (explain: 'dom0 access to frame 0x$T1: ReadOnly')" has "$RUN/explain-trampoline.txt" "dom0 access to frame 0x$T1: ReadOnly"
check "CPU 1 came back through the trampoline after dom0 started (Xen: 'Booting processor 1/1 eip ${T1}000')" bash -c \
  "sed -n '/STEP cpu-online BEGIN/,\$p' '$LOG' | grep -a -q 'Booting processor 1/1 eip ${T1}000'"
check "dom0 sees CPU 1 online again" bash -c "grep -q '^1\$' '$OUT/cpu-online.out'"
if [ "$FIRMWARE" = ovmf ]; then
  check "Xen logged the EFI runtime patch" grep -a -q -E 'd0: EFI runtime code denied \([1-9][0-9]* ranges\), data read-only \([0-9]+ ranges\) \[dom0-protect-efi-rt\]' "$LOG"
  nvars() { grep -c . "$OUT/snap/efi/efivars-list.txt" 2>/dev/null || echo 0; }
  check "EFI variables still read through Xen's runtime calls (efivarfs lists $(nvars))" test "$(nvars)" -gt 0
  check "an EFI variable written and read back through Xen's runtime calls (step efivar-write: $(cat "$OUT/efivar-write.out" 2>/dev/null))" \
    test "$(rc_of efivar-write):$(cat "$OUT/efivar-write.out" 2>/dev/null)" = "0:070000005a"
fi

# The model, with and without the patches' tags.
"$DOM0SCOPE_BIN" verify "$OUT/snap" > "$RUN/verify.txt" 2>&1; V=$?
check "verify: the model (reading the patches' tags) agrees exactly (exit 0, got $V)" test "$V" = 0
"$DOM0SCOPE_BIN" audit "$OUT/snap" > "$RUN/audit.txt" 2>&1
"$DOM0SCOPE_BIN" audit "$SNAPSHOT" > "$RUN/audit-unpatched.txt" 2>&1
check "audit: DOM0_LOWMEM_TRAMPOLINE closed" bash -c "test -s '$RUN/audit.txt' && ! grep -a -q -E '^ *CRITICAL +DOM0_LOWMEM_TRAMPOLINE\\b' '$RUN/audit.txt'"
check "audit: DOM0_LOWMEM_TRAMPOLINE open on the unpatched snapshot" grep -a -q -E '^ *CRITICAL +DOM0_LOWMEM_TRAMPOLINE\b' "$RUN/audit-unpatched.txt"
if [ "$FIRMWARE" = ovmf ]; then
  check "audit: DOM0_EFI_RUNTIME_WRITE closed" bash -c "! grep -a -q -E '^ *CRITICAL +DOM0_EFI_RUNTIME_WRITE\\b' '$RUN/audit.txt'"
fi
LEVELS=$(for f in audit-unpatched audit; do grep -a -m1 -o 'DOM0:[0-3]!*' "$RUN/$f.txt" 2>/dev/null || echo '?'; done | xargs)
echo "levels: unpatched (${SNAPSHOT#"$REPO_DIR"/}) / patched: $LEVELS" >> "$RUN/rangesets.txt"
check "dom0 powered off cleanly after DONE (qemu exited by itself: $END)" test "$END" = "qemu exited (rc=0)"

cat "$RUN/rangesets.txt" >&2
sed 's/^/    /' "$CHECKS" >&2
log "$NAME: trampoline ${T1}-${T2}; levels $LEVELS; boot wall ${WALL} s; $END"
if [ "$FAILS" = 0 ]; then log "$NAME: OK ($(grep -c '^PASS' "$CHECKS") checks)"; exit 0; fi
log "$NAME: FAILED ($FAILS checks); serial log: ${LOG#"$REPO_DIR"/}"
exit 1

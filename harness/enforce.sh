#!/bin/bash
# enforce.sh [NAME]    (XEN=4.20 for Debian 13's Xen 4.20, XEN=4.22 (4.18, 4.19, 4.21,
#                       master) for a Xen built from source by build-xen.sh with Debian 13's
#                       dom0; DOM0=pvh for a PVH dom0 with an
#                       emulated VT-d, as the matrix's x420-pvh-q35-vtd-bios boots it;
#                       FIRMWARE=ovmf for OVMF + xen.efi, as the matrix's x417-pv-q35-uefi)
#
# `dom0scope enforce` on real Xen: boots Xen 4.17 (default), q35, SeaBIOS, PV dom0 (the baseline matrix
# configuration) with harness/enforce-init.sh as dom0's /init, which collects a snapshot, plans
# (`harden -o`), enforces the plan (with a re-grant test), enforces again (idempotence),
# collects again and runs `xl info` (for a Xen built from source, whose interface versions
# Debian's xl does not speak: collect reads Xen's ring through privcmd, and `xenhypfs cat
# /buildinfo/changeset` replaces `xl info`); then checks on the host that
#   - Xen's rangesets before hold the trampoline frames (0x8f-0x90 on SeaBIOS, 0x9e-0x9f on
#     OVMF, as measured) and after do not, and every
#     planned range is absent from the after-snapshot's rangesets;
#   - enforce exited 0, proved every range, and Xen refused the re-grant (EPERM);
#   - the second enforce changed nothing (every range "already absent");
#   - dom0 still works (second collect and `xl info` exit 0) and powers off cleanly;
#   - for a Xen built from source, that the running Xen is that build (its changeset).
# Uses the cached packages and initramfs of the matrix (fetch.sh 4.17, build-initrd.sh 4.17)
# and the static binary (build-dom0scope.sh); the fresh binary, this /init and dom0-lib.sh
# ride in a cpio archive appended to the initramfs. Writes harness/work/runs/NAME/
# (serial.log, out/, checks.txt). Exit status 0 only if every check passes.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
XEN=${XEN:-4.17} DOM0=${DOM0:-pv} FIRMWARE=${FIRMWARE:-seabios} TIMEOUT=${TIMEOUT:-400}
suite_for_xen "$XEN" > /dev/null
case "$FIRMWARE" in
  seabios) FW=bios TRAMP=0x8f-0x90 ;;
  ovmf) FW=uefi TRAMP=0x9e-0x9f ;;
  *) die "FIRMWARE=seabios|ovmf" ;;
esac
NAME=${1:-enforce-x${XEN/./}-$DOM0-q35-$FW}
check_name "$NAME"
D=$(xen_dir "$XEN")
[ -f "$D/initrd.cpio.gz" ] || die "no initramfs for Xen $XEN: run harness/run.sh (or fetch.sh/build-xen.sh, build-dom0scope.sh, build-initrd.sh $XEN)"
[ -x "$DOM0SCOPE_BIN" ] || die "no static dom0scope at $DOM0SCOPE_BIN (run build-dom0scope.sh)"
RUN=$HARNESS_WORK/runs/$NAME
fresh_run_dir "$RUN"
LOG=$RUN/serial.log

XEN_ARGS=$DEFAULT_XEN_CMDLINE MACHINE=q35 CPU=qemu64 EXTRA=()
case "$DOM0" in
  pv) ;;
  pvh) XEN_ARGS="$XEN_ARGS dom0=pvh" MACHINE=q35,kernel-irqchip=split CPU=qemu64,+svm,+npt
       EXTRA=(-device "intel-iommu,intremap=on") ;;
  *) die "DOM0=pv|pvh" ;;
esac
qemu_cmd "$MACHINE" "$CPU" 2 2048 com1 "$RUN"

PROBE_ARGS=--ports
[ "$DOM0" = pvh ] && PROBE_ARGS="--ports --pvh-self-map"
mkdir -p "$RUN/conf/etc" "$RUN/conf/usr/bin"
COLLECT_ARGS='' XEN_INFO="xl info"
if built_xen "$XEN"; then COLLECT_ARGS="--xen-access privcmd" XEN_INFO="xenhypfs cat /buildinfo/changeset"; fi
printf 'NAME=%q\nDATA_TTY=%q\nPROBE_ARGS=%q\nCOLLECT_ARGS=%q\nXEN_INFO=%q\n' "$NAME" "$DATA_TTY" "$PROBE_ARGS" \
  "$COLLECT_ARGS" "$XEN_INFO" > "$RUN/conf/etc/harness.conf"
install -m 0755 "$HARNESS_DIR/enforce-init.sh" "$RUN/conf/init"
# This tree's dom0 library, should the initramfs predate it.
install -D -m 0644 "$HARNESS_DIR/dom0-lib.sh" "$RUN/conf/usr/lib/harness/dom0-lib.sh"
install -m 0755 "$DOM0SCOPE_BIN" "$RUN/conf/usr/bin/dom0scope"
# The early-boot step as the initramfs-tools and dracut hooks ship it, where they install it.
install -D -m 0644 "$REPO_DIR/packaging/common/dom0scope-early.sh" "$RUN/conf/usr/lib/dom0scope/early.sh"
mkdir -p "$RUN/conf/usr/sbin" && ln -s /usr/bin/dom0scope "$RUN/conf/usr/sbin/dom0scope"
initrd_with_conf "$D" "$RUN"

qemu_boot_xen "$FIRMWARE" "$D" "$RUN" "$XEN_ARGS" "$DEFAULT_DOM0_CMDLINE" "$RUN/initrd.cpio.gz"
QEMU+=("${EXTRA[@]}")
{
  echo "# harness enforce boot $NAME $(date -u +%FT%TZ)"
  echo "# xen: $(xen_origin "$XEN")"
  qemu_comment
} > "$LOG"
log "$NAME: Xen $XEN: $(xen_origin "$XEN"); $MACHINE, $CPU, $FIRMWARE, $DOM0 dom0: collect, harden, enforce, collect"

run_qemu_watched "$RUN" "$LOG" "$TIMEOUT"

CHECKS=$RUN/checks.txt; : > "$CHECKS"
FAILS=0
# shellcheck disable=SC2317  # reached: check runs it as "$@"
has() { grep -a -q -- "$2" "$1" 2>/dev/null; }

# Bring the output back.
OUT=$RUN/out
receive_tarball "$RUN" "$NAME" "$RUN/out.tgz" "$OUT"
check "output came back intact over the data UART" test -d "$OUT"
rc_of() { sed -n "s/^$1 rc=//p" "$OUT/steps.txt" 2>/dev/null; }
for s in collect-before harden probe-before enforce-dry enforce enforce-again probe-after collect-after xen-info; do
  check "step $s exited 0 (got $(rc_of "$s"))" test "$(rc_of "$s")" = 0
done

# Rangesets, as Xen printed them (last 'q' dump for domain 0 in each snapshot).
iomem() { grep -a 'I/O Memory {' "$1/xen/dmesg.txt" 2>/dev/null | tail -n 1 | sed 's/.*I\/O Memory //'; }
ioports() { grep -a 'I/O Ports  *{' "$1/xen/dmesg.txt" 2>/dev/null | tail -n 1 | sed 's/.*I\/O Ports *//'; }
B_MEM=$(iomem "$OUT/before"); A_MEM=$(iomem "$OUT/after")
B_IO=$(ioports "$OUT/before"); A_IO=$(ioports "$OUT/after")
{
  echo "before: I/O Memory $B_MEM"; echo "before: I/O Ports  $B_IO"
  echo "after:  I/O Memory $A_MEM"; echo "after:  I/O Ports  $A_IO"
} > "$RUN/rangesets.txt"
T1=${TRAMP%-*} T2=${TRAMP#*-}   # 0x-prefixed
GAP=$(printf '{ 0-%x, %x-' $((T1 - 1)) $((T2 + 1)))
check "after: I/O Memory starts $GAP... (trampoline $TRAMP gone)" grep -q -F "$GAP" <<< "$A_MEM"
check "probe before: the trampoline frames map" has "$OUT/probe-before.out" "GRANTED     iomem $TRAMP (Xen AP trampoline)"
check "probe after: the trampoline frames are refused" has "$OUT/probe-after.out" "REFUSED     iomem $TRAMP (Xen AP trampoline)"
if [ "$DOM0" = pv ]; then
  check "probe before: frame ${TRAMP%-*} holds Xen's trampoline entry" has "$OUT/probe-before.out" "starts with Xen's trampoline real-mode entry"
  check "probe before: the FACS frame holds the 'FACS' signature" has "$OUT/probe-before.out" "'FACS' signature at +0x"
  check "probe before: SMI_CMD (0xb2) reads a value" has "$OUT/probe-before.out" 'GRANTED     ioport 0xb2 (ACPI SMI_CMD)'
  check "probe after: SMI_CMD (0xb2) reads 0xff" has "$OUT/probe-after.out" 'READS 0xff  ioport 0xb2 (ACPI SMI_CMD)'
else   # PVH: Xen logs each self-mapping probe made, and each removal
  check "probe before: Xen logged the self-mapping of 0x8f and its removal" bash -c \
    "grep -a -q 'memory_map:add: d0 gfn=[0-9a-f]* mfn=${T1#0x} nr=1' '$LOG' && grep -a -q 'memory_map:remove: d0 gfn=[0-9a-f]* mfn=${T1#0x} nr=1' '$LOG'"
fi
if [ "$FIRMWARE" = ovmf ]; then   # the EFI runtime services code Xen runs for dom0
  check "probe before: EFI runtime services code maps" grep -a -q -E \
    'GRANTED +iomem 0x[0-9a-f]+-0x[0-9a-f]+ \(EFI runtime services code\)' "$OUT/probe-before.out"
  check "probe after: EFI runtime services code is refused" grep -a -q -E \
    'REFUSED +iomem 0x[0-9a-f]+-0x[0-9a-f]+ \(EFI runtime services code\)' "$OUT/probe-after.out"
  nvars() { grep -c . "$OUT/$1/efi/efivars-list.txt" 2>/dev/null || echo 0; }
  check "Xen still runs EFI runtime services for dom0 after: efivarfs lists as many variables ($(nvars before) before, $(nvars after) after)" \
    test "$(nvars after)" -gt 0 -a "$(nvars after)" = "$(nvars before)"
fi
check "early-boot step: enforce proved every planned range (log)" has "$OUT/enforce.err" ' proven absent from Xen'"'"'s rangesets'
check "early-boot step: no range left (no NOT REVOKED / FAILED / PLAN NOT ENFORCED)" bash -c "! grep -Eq 'NOT REVOKED|FAILED|PLAN NOT ENFORCED' '$OUT/enforce.err'"
check "early-boot step: said so in dom0's kernel log" has "$OUT/kmsg-dom0scope.txt" 'harness: plan enforced: every planned range is gone'
check "re-grant of a revoked range refused by Xen (EPERM)" has "$OUT/enforce-again.err" 'allow=1 -> Operation not permitted'
check "second enforce: every range already absent, no domctl" bash -c \
  "grep -q ' 0 revoked now, ' '$OUT/enforce-again.out' && ! grep -q 'allow=0 -> ' '$OUT/enforce-again.err'"
check "enforce's changes are in dom0's kernel log" has "$OUT/kmsg-dom0scope.txt" "revoked iomem $TRAMP"
# Replay the plan on the host against each snapshot's own rangesets (dry run, fake root with
# the snapshot's DMI and /sys/hypervisor): before, everything is to revoke; after, nothing.
replay() {   # replay before|after
  local r=$RUN/root-$1
  rm -rf "$r"; mkdir -p "$r/sys/class/dmi"
  cp -r "$OUT/$1/dmi" "$r/sys/class/dmi/id" 2>/dev/null
  cp -r "$OUT/$1/hypervisor" "$r/sys/hypervisor" 2>/dev/null
  "$DOM0SCOPE_BIN" enforce --dry-run --root "$r" "$OUT/plan.json" --current "$OUT/$1" > "$RUN/replay-$1.txt" 2>&1
}
replay before; replay after
# (A planned range inside another one, the FACS page inside ACPI NVS on OVMF, is skipped after
# the larger one, "after this run's earlier revocations"; nothing else may be absent before.)
check "before: every planned range present in Xen's rangesets" bash -c \
  "grep -q ' planned ranges, ' '$RUN/replay-before.txt' && ! grep 'enforce: skip .*already absent' '$RUN/replay-before.txt' | grep -v -q 'earlier revocations'"
check "after: every planned range absent from Xen's rangesets (0 to revoke)" has "$RUN/replay-after.txt" ', 0 to revoke, '
# The model: the after-snapshot differs from the plain prediction by exactly the applied plan.
"$DOM0SCOPE_BIN" verify "$OUT/after" > "$RUN/verify-after.txt" 2>&1; V_PLAIN=$?
"$DOM0SCOPE_BIN" verify "$OUT/after" --plan "$OUT/plan.json" > "$RUN/verify-after-plan.txt" 2>&1; V_PLAN=$?
check "verify after: differs from the plain prediction (exit 1, got $V_PLAIN)" test "$V_PLAIN" = 1
check "verify after --plan: agrees with the prediction minus the plan (exit 0, got $V_PLAN)" test "$V_PLAN" = 0
if built_xen "$XEN"; then
  BUILT=$(sed -n 's/^commit=//p' "$D/BUILD-INFO")
  check "the running Xen is the build (hypfs changeset names ${BUILT:0:10})" has "$OUT/xen-info.out" "git:${BUILT:0:10}"
fi
check "dom0 powered off cleanly after DONE (qemu exited by itself: $END)" test "$END" = "qemu exited (rc=0)"
for s in before after; do
  [ -d "$OUT/$s" ] && "$DOM0SCOPE_BIN" audit "$OUT/$s" > "$RUN/audit-$s.txt" 2>&1
done
# shellcheck disable=SC2317  # reached: check runs it as "$@"
finding() { grep -a -q -E "^ *CRITICAL +$2\b" "$RUN/audit-$1.txt" 2>/dev/null; }
check "audit before reports DOM0_LOWMEM_TRAMPOLINE" finding before DOM0_LOWMEM_TRAMPOLINE
check "audit after no longer reports DOM0_LOWMEM_TRAMPOLINE" bash -c "test -s '$RUN/audit-after.txt' && ! grep -a -q -E '^ *CRITICAL +DOM0_LOWMEM_TRAMPOLINE\b' '$RUN/audit-after.txt'"
check "audit before reports DOM0_S3_WAKING_VECTOR" bash -c "grep -a -q -E '^ *HIGH +DOM0_S3_WAKING_VECTOR\\b' '$RUN/audit-before.txt'"
check "audit after no longer reports DOM0_S3_WAKING_VECTOR" bash -c "test -s '$RUN/audit-after.txt' && ! grep -a -q -E '^ *HIGH +DOM0_S3_WAKING_VECTOR\\b' '$RUN/audit-after.txt'"
# What the plan leaves to Xen (its residual "remaining" rules) must still be reported.
XEN_ONLY=$(awk '/"remaining": \[/ {x = 1; next} x && /^ *\]/ {x = 0}
    x && /"id":/ {gsub(/[",]/, "", $2); print $2}' "$OUT/plan.json" 2>/dev/null \
  | while read -r r; do grep -a -q -E "^ *(CRITICAL|HIGH|MEDIUM|LOW) +$r\b" "$RUN/audit-before.txt" && echo "$r"; done \
  | head -n 3 | xargs)
echo "Xen-only rules checked after: ${XEN_ONLY:-none}" >> "$RUN/rangesets.txt"
check "audit after still reports what only Xen can fix (${XEN_ONLY:-none found})" bash -c \
  "test -n '$XEN_ONLY' && for r in $XEN_ONLY; do grep -a -q -E \"^ *(CRITICAL|HIGH|MEDIUM|LOW) +\$r\\b\" '$RUN/audit-after.txt' || exit 1; done"
LEVELS=$(for s in before after; do grep -a -m1 -o 'DOM0:[0-3]!*' "$RUN/audit-$s.txt" 2>/dev/null || echo '?'; done | xargs)
# The level after is what harden's what-if predicted for the plan (its residual level_after).
WANT_LEVEL=$(grep -a -o '"level_after": "DOM0:[0-3]!*"' "$OUT/plan.json" 2>/dev/null | grep -o 'DOM0:[0-3]!*')
check "audit after: level ${LEVELS#* } is the plan's predicted level_after (${WANT_LEVEL:-?})" \
  test -n "$WANT_LEVEL" -a "${LEVELS#* }" = "$WANT_LEVEL"

cat "$RUN/rangesets.txt" >&2
sed 's/^/    /' "$CHECKS" >&2
log "$NAME: audit levels before/after: $LEVELS; wall ${WALL} s; $END"
if [ "$FAILS" = 0 ]; then log "$NAME: OK ($(grep -c '^PASS' "$CHECKS") checks)"; exit 0; fi
log "$NAME: FAILED ($FAILS checks); serial log: ${LOG#"$REPO_DIR"/}"
exit 1

#!/bin/bash
# hooks-boot.sh: boots the shipped early-boot hooks for real. packaging/test-hooks.sh builds
# an initramfs-tools image and a dracut image for Debian 12's kernel with the plan of
# harness/enforce.sh's 4.17 PV run baked in (ON_FAILURE=halt); each is then booted as the
# dom0 initramfs of Debian's Xen 4.17 under QEMU exactly as enforce.sh boots (q35, qemu64,
# SeaBIOS, -smp 2 -m 2048, multiboot, the same Xen command line and data UART), and the serial
# log must show that
#   - the hook ran `dom0scope enforce` and said "plan enforced: every planned range is gone
#     from Xen's rangesets" (initramfs-tools: init-top; dracut: pre-udev);
#   - enforce itself logged to the kernel log that the trampoline 0x8f-0x90 is proven absent
#     from Xen's rangesets, with no range failed;
#   - nothing said PLAN NOT ENFORCED;
#   - all of it came before the root-mount phase;
#   - the boot then ended the planned way, and nothing else panicked.
# How each boot ends (no root filesystem exists):
#   initramfs-tools: `break=mountroot panic=-1`: init prints "Mounting root file system", breaks
#     into its panic(), which with panic= reboots at once (reboot -f); Xen reboots the machine
#     and QEMU (-no-reboot) exits by itself (rc 0).
#   dracut: `root=/dev/nonexistent rd.retry=0 rd.shell=0`: the initqueue gives up on the root
#     device after one pass ("Could not boot."), no emergency shell is allowed and the image has no
#     halt/reboot tool, so /init exits and Linux panics ("Attempted to kill init!"); the
#     watchdog (run_qemu_watched) kills QEMU on that line, 1 s after it appears.
#     That kill is this boot's expected end, accepted only when it is the one panic of the boot,
#     "Attempted to kill init", after dracut gave up on the root device.
#
# Needs (as root): harness/fetch.sh 4.17, harness/build-dom0scope.sh, and harness/enforce.sh
# run before (its out/plan.json); what test-hooks.sh installs (initramfs-tools-core,
# dracut-core, shellcheck, cpio). Writes only harness/work/runs/hooks-boot-x417/ (images,
# serial logs, checks.txt); test-hooks.sh's scratch directory in /tmp is removed when it exits.
# Env: TIMEOUT (watchdog per boot, s; default 180), HOOKS_PLAN (default: the enforce run's plan).
# Exit status 0 only if every check passes.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
XEN=4.17 TIMEOUT=${TIMEOUT:-180}
NAME=hooks-boot-x${XEN/./}
ENFORCE_RUN=enforce-x${XEN/./}-pv-q35-bios
PLAN=${HOOKS_PLAN:-$HARNESS_WORK/runs/$ENFORCE_RUN/out/plan.json}
D=$(xen_dir "$XEN")

[ "$(id -u)" = 0 ] || die "run as root (packaging/test-hooks.sh builds the images in a private mount namespace)"
[ -s "$PLAN" ] || die "no plan at ${PLAN#"$REPO_DIR"/}: it is made for this QEMU host and Xen by the real-Xen enforce run; run harness/enforce.sh (after harness/fetch.sh 4.17, harness/build-dom0scope.sh, harness/build-initrd.sh 4.17) first"
{ [ -f "$D/xen" ] && [ -f "$D/vmlinuz" ] && [ -d "$D/root/lib/modules" ]; } || die "no Xen $XEN / dom0 kernel under $D: run harness/fetch.sh $XEN"
[ -x "$DOM0SCOPE_BIN" ] || die "no static dom0scope at $DOM0SCOPE_BIN (run harness/build-dom0scope.sh)"
command -v qemu-system-x86_64 > /dev/null || die "no qemu-system-x86_64 (run harness/setup-host.sh)"

RUN=$HARNESS_WORK/runs/$NAME
fresh_run_dir "$RUN" checks.txt test-hooks.out
mkdir -p "$RUN/images"
CHECKS=$RUN/checks.txt; : > "$CHECKS"
FAILS=0

# --- The images, exactly as packaging/test-hooks.sh builds (and checks) them. ---------------
cp "$PLAN" "$RUN/plan.json"
log "$NAME: building the initramfs-tools and dracut images (packaging/test-hooks.sh) with the plan ${PLAN#"$REPO_DIR"/}"
t0=$(now)
DOM0SCOPE_BIN=$DOM0SCOPE_BIN HOOKS_PLAN=$RUN/plan.json KEEP_IMAGES=$RUN/images KERNEL_ROOT=$D/root \
  bash "$REPO_DIR/packaging/test-hooks.sh" > "$RUN/test-hooks.out" 2>&1
TH=$?
check "packaging/test-hooks.sh built and checked both images (exit $TH, $(elapsed "$t0") s)" \
  test "$TH" = 0 -a -s "$RUN/images/initrd-tools.img" -a -s "$RUN/images/initrd-dracut.img"
[ "$FAILS" = 0 ] || { tail -n 20 "$RUN/test-hooks.out" >&2; finish ""; }

# --- Boots. ---------------------------------------------------------------------------------
KARGS="console=hvc0 earlyprintk=xen loglevel=7"
# Only the console's own lines (stamped "[  12.345] "), never the log's '#' header and end
# lines. RE is an ERE; write alternatives as (a|b).
# shellcheck disable=SC2317  # reached: check runs it as "$@"
has() { grep -a -q -E -- "^\[ *[0-9]+\.[0-9]+\] .*$2" "$1" 2>/dev/null; }
count() { grep -a -c -E -- "^\[ *[0-9]+\.[0-9]+\] .*$2" "$1" 2>/dev/null; }
first_line() { grep -a -n -m1 -E -- "^\[ *[0-9]+\.[0-9]+\] .*$2" "$1" 2>/dev/null | cut -d: -f1; }
# shellcheck disable=SC2317  # reached: check runs it as "$@"
before() {   # before LOG RE1 RE2: RE1's first line comes before RE2's first line
  local a b; a=$(first_line "$1" "$2"); b=$(first_line "$1" "$3")
  [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}
SUMMARY=
boot() {   # boot FLAVOUR IMAGE MODE ROOT_PHASE_RE DOM0_CMDLINE_EXTRA
  local flavour=$1 img=$2 mode=$3 rootre=$4 extra=$5 r log cmdline
  r=$RUN/$flavour; mkdir -p "$r"; log=$r/serial.log
  cmdline="$KARGS $extra"
  qemu_cmd q35 qemu64 2 2048 com1 "$r"
  qemu_boot_xen seabios "$D" "$r" "$DEFAULT_XEN_CMDLINE" "$cmdline" "$img"
  {
    echo "# harness hooks boot $NAME $flavour $(date -u +%FT%TZ)"
    qemu_comment
  } > "$log"
  log "$NAME: $flavour: Xen $XEN, q35, qemu64, SeaBIOS, PV dom0; dom0: $cmdline"
  run_qemu_watched "$r" "$log" "$TIMEOUT"

  local p="dom0scope: $mode:"
  check "$flavour: the hook started enforce (\"$p enforcing /etc/dom0scope/plan.json (failure policy: halt)\")" \
    has "$log" "$p enforcing /etc/dom0scope/plan\.json \(failure policy: halt\)"
  check "$flavour: the hook said \"$p plan enforced: every planned range is gone from Xen's rangesets\"" \
    has "$log" "$p plan enforced: every planned range is gone from Xen's rangesets"
  check "$flavour: enforce logged to the kernel log \"proven: iomem 0x8f-0x90 (Xen AP trampoline) is absent from Xen's rangesets\"" \
    has "$log" "dom0scope: enforce: proven: iomem 0x8f-0x90 \(Xen AP trampoline\) is absent from Xen's rangesets"
  check "$flavour: enforce revoked now and proved every planned range (\"N revoked now, 0 already absent, 0 failed; N of N proven\")" \
    has "$log" "enforce: ([0-9]+) planned ranges?: \1 revoked now, 0 already absent, 0 failed; \1 of \1 proven absent"
  check "$flavour: no PLAN NOT ENFORCED" bash -c "! grep -a -q 'PLAN NOT ENFORCED' '$log'"
  check "$flavour: enforced before udev started" before "$log" "$p plan enforced" "Starting systemd-udevd"
  check "$flavour: enforced before the root-mount phase (first /$rootre/ at line $(first_line "$log" "$rootre"))" \
    before "$log" "$p plan enforced" "$rootre"
  case "$flavour" in
    initramfs-tools)
      check "$flavour: init broke at mountroot and rebooted (panic=-1)" \
        before "$log" "Spawning shell within the initramfs" "Rebooting automatically due to panic= boot argument"
      check "$flavour: no kernel panic" test "$(count "$log" 'Kernel panic')" = 0
      check "$flavour: Xen rebooted and QEMU exited by itself ($END)" test "$END" = "qemu exited (rc=0)" ;;
    dracut)
      check "$flavour: dracut gave up on the root device, then /init exited (Could not boot. -> Attempted to kill init)" \
        before "$log" "Could not boot\." "Kernel panic - not syncing: Attempted to kill init"
      check "$flavour: that is the only kernel panic" test "$(count "$log" 'Kernel panic - not syncing')" = 1
      check "$flavour: the watchdog ended the boot on that panic ($END)" \
        test "$END" = "killed on 'Kernel panic - not syncing'" ;;
  esac
  local at; at=$(grep -a -m1 -E "$p plan enforced" "$log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
  SUMMARY="$SUMMARY; $flavour: wall ${WALL} s, enforced at ${at:-?} s"
  log "$NAME: $flavour: wall ${WALL} s (enforced at ${at:-?} s after QEMU started); $END"
}

boot initramfs-tools "$RUN/images/initrd-tools.img" init-top "Begin: Mounting root file system" \
  "break=mountroot panic=-1"
boot dracut "$RUN/images/initrd-dracut.img" dracut-pre-udev "(Could not boot|/dev/nonexistent does not exist|dracut-initqueue)" \
  "root=/dev/nonexistent rd.retry=0 rd.shell=0 panic=1"
[ "$FAILS" = 0 ] && rm -rf "$RUN/images"   # ~25 MB; kept when a check failed
finish "$SUMMARY"

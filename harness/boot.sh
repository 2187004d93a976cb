#!/bin/bash
# boot.sh [OPTIONS] NAME [-- EXTRA_QEMU_ARGS...]
#
# Boots one configuration: Xen (Debian's, or built from source) + a Linux dom0 under QEMU (TCG), runs
# `dom0scope collect` in dom0, brings the snapshot back over a dedicated UART, checks it, and
# stops QEMU whatever happens (watchdog). The snapshot lands in
#   harness/work/runs/NAME/snapshot/        (serial log: harness/work/runs/NAME/serial.log)
# Prerequisites: setup-host.sh, fetch.sh XEN (4.17, 4.20) or fetch.sh 4.20 + build-xen.sh XEN
# (the others), build-dom0scope.sh, build-initrd.sh XEN (run.sh does all of them).
#
# Every dimension is an option (or the environment variable in brackets):
#   --xen 4.17|4.20            Xen release: Debian's package (12 bookworm, 13 trixie) [XEN=4.17]
#   --xen 4.18|4.19|4.21|4.22|master   built from testdata/xen-src, Debian 13's dom0 (master: experimental)
#   --machine M                QEMU machine, e.g. q35, pc, q35,kernel-irqchip=split [MACHINE=q35]
#   --cpu C                    QEMU CPU model (never `max`: PV dom0 crashes) [CPU=qemu64]
#   --mem MiB / --smp N        memory, vCPUs                               [MEM=2048 SMP=2]
#   --firmware seabios|ovmf    SeaBIOS + multiboot, or OVMF + xen.efi      [FIRMWARE=seabios]
#   --dom0 pv|pvh              dom0 mode (pvh adds dom0=pvh; needs +svm,+npt and an IOMMU) [DOM0=pv]
#   --xen-cmdline S            Xen's whole command line                    [XEN_CMDLINE=$DEFAULT_XEN_CMDLINE]
#   --xen-cmdline-extra S      appended to it                              [XEN_CMDLINE_EXTRA]
#   --dom0-cmdline S           dom0 kernel's command line                  [DOM0_CMDLINE]
#   --console com1|com2        UART wired to this terminal/log (tell Xen with console=comN) [CONSOLE=com1]
#   --esp-bus ide|virtio       OVMF: bus of the vvfat ESP disk             [ESP_BUS=ide]
#   --collect-args S           extra `dom0scope collect` arguments         [COLLECT_ARGS]
#   --dom0-modules "M …"       drivers dom0 loads first, in order (build-initrd.sh), e.g.
#                              "scsi_common scsi_mod libata libahci ahci e1000e" [DOM0_MODULES]
#   --timeout S                watchdog: kill QEMU after S seconds         [TIMEOUT=300]
#   --out DIR                  run directory                               [OUT=harness/work/runs/NAME]
#   -- ARGS...                 extra QEMU arguments, e.g. -device intel-iommu,intremap=on [QEMU_EXTRA]
# Exit status: 0 when a verified snapshot with dom0's rangesets came back, else 1.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

XEN=${XEN:-4.17} MACHINE=${MACHINE:-q35} CPU=${CPU:-qemu64} MEM=${MEM:-2048} SMP=${SMP:-2}
FIRMWARE=${FIRMWARE:-seabios} DOM0=${DOM0:-pv} CONSOLE=${CONSOLE:-com1} ESP_BUS=${ESP_BUS:-ide}
XEN_CMDLINE=${XEN_CMDLINE:-$DEFAULT_XEN_CMDLINE} XEN_CMDLINE_EXTRA=${XEN_CMDLINE_EXTRA:-}
DOM0_CMDLINE=${DOM0_CMDLINE:-$DEFAULT_DOM0_CMDLINE}
COLLECT_ARGS=${COLLECT_ARGS:-} DOM0_MODULES=${DOM0_MODULES:-} TIMEOUT=${TIMEOUT:-300} OUT=${OUT:-}
read -r -a QEMU_EXTRA <<< "${QEMU_EXTRA:-}"
NAME=
while [ $# -gt 0 ]; do
  case "$1" in
    --xen) XEN=$2; shift 2 ;;
    --machine) MACHINE=$2; shift 2 ;;
    --cpu) CPU=$2; shift 2 ;;
    --mem) MEM=$2; shift 2 ;;
    --smp) SMP=$2; shift 2 ;;
    --firmware) FIRMWARE=$2; shift 2 ;;
    --dom0) DOM0=$2; shift 2 ;;
    --xen-cmdline) XEN_CMDLINE=$2; shift 2 ;;
    --xen-cmdline-extra) XEN_CMDLINE_EXTRA=$2; shift 2 ;;
    --dom0-cmdline) DOM0_CMDLINE=$2; shift 2 ;;
    --console) CONSOLE=$2; shift 2 ;;
    --esp-bus) ESP_BUS=$2; shift 2 ;;
    --collect-args) COLLECT_ARGS=$2; shift 2 ;;
    --dom0-modules) DOM0_MODULES=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --) shift; QEMU_EXTRA+=("$@"); break ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$NAME" ] || die "two names: $NAME and $1"; NAME=$1; shift ;;
  esac
done
[ -n "$NAME" ] || die "usage: boot.sh [OPTIONS] NAME [-- QEMU_ARGS] (see --help)"
check_name "$NAME"
case "$DOM0" in pv) ;; pvh) XEN_CMDLINE_EXTRA="$XEN_CMDLINE_EXTRA dom0=pvh" ;; *) die "--dom0 pv|pvh" ;; esac
XEN_ARGS=$(echo "$XEN_CMDLINE $XEN_CMDLINE_EXTRA" | xargs)
D=$(xen_dir "$XEN")
[ -f "$D/initrd.cpio.gz" ] || die "no initramfs for Xen $XEN: run harness/run.sh (or fetch.sh/build-xen.sh, build-dom0scope.sh, build-initrd.sh $XEN)"
RUN=${OUT:-$HARNESS_WORK/runs/$NAME}
fresh_run_dir "$RUN"
LOG=$RUN/serial.log

# The console UART is wired to our stdout; the data UART (DATA_TTY) is the next ISA slot.
qemu_cmd "$MACHINE" "$CPU" "$SMP" "$MEM" "$CONSOLE" "$RUN"
mkdir -p "$RUN/conf/etc"
printf 'NAME=%q\nDATA_TTY=%q\nCOLLECT_ARGS=%q\nDOM0_MODULES=%q\n' "$NAME" "$DATA_TTY" "$COLLECT_ARGS" "$DOM0_MODULES" > "$RUN/conf/etc/harness.conf"
initrd_with_conf "$D" "$RUN"
qemu_boot_xen "$FIRMWARE" "$D" "$RUN" "$XEN_ARGS" "$DOM0_CMDLINE" "$RUN/initrd.cpio.gz" "$ESP_BUS"
QEMU+=("${QEMU_EXTRA[@]}")

xen_ver=$(xen_origin "$XEN")   # Debian's package and version, or the tag and commit built
k_pkg=linux-image-$(cat "$D/KERNEL_RELEASE")
k_ver=$(pkg_version "$D" "$k_pkg")
{
  echo "# harness boot $NAME $(date -u +%FT%TZ)"
  echo "# xen: $xen_ver; $k_pkg $k_ver"
  echo "# xen cmdline: $XEN_ARGS"
  echo "# dom0 cmdline: $DOM0_CMDLINE"
  [ -z "$DOM0_MODULES" ] || echo "# dom0 modules: $DOM0_MODULES"
  qemu_comment
} > "$LOG"
grep '^# qemu:' "$LOG" | cut -c9- > "$RUN/qemu-cmd.txt"
log "$NAME: Xen $XEN: $xen_ver; $k_pkg ($k_ver), $MACHINE, $CPU, $FIRMWARE, dom0 $DOM0"

# Timestamps each console line (seconds since QEMU started) after stripping terminal escapes.
run_qemu_watched "$RUN" "$LOG" "$TIMEOUT"

# Marker times from the log (seconds since QEMU start).
at() { grep -a -m1 "$1" "$LOG" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'; }
T_INIT=$(at '===== HARNESS: dom0 /init started')
T_COLLECT=$(at '===== HARNESS: COLLECT BEGIN')
COLLECT_S=$(grep -a -m1 '===== HARNESS: COLLECT END' "$LOG" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
COLLECT_RC=$(grep -a -m1 '===== HARNESS: COLLECT END' "$LOG" | sed -n 's/.*rc=\([0-9]*\).*/\1/p')
# collect's own figure (its last line, "dom0scope: wrote DIR (...) in S s"): COLLECT_S above is
# dom0's uptime around the whole command, process start (a 16 MB static binary) included.
COLLECT_SELF=$(grep -a -m1 'dom0scope: wrote ' "$LOG" | sed -n 's/.*) in \([0-9.]*\) s;.*/\1/p')

# Bring the snapshot back: base64 between the markers on the data UART.
STATUS=ok; WHY=
fail() { [ "$STATUS" = FAIL ] || { STATUS=FAIL; WHY=$1; }; }
SNAP=$RUN/snapshot
receive_tarball "$RUN" "$NAME" "$RUN/snapshot.tgz" "$SNAP" || fail "$RECV_WHY"
VERIFY=$TARGET_DIR/debug/examples/verify-snapshot
if [ -d "$SNAP" ]; then
  if "$VERIFY" "$SNAP" > "$RUN/verify.txt" 2>&1; then :; else fail "manifest check: $(sed -n 2p "$RUN/verify.txt")"; fi
  grep -q 'Rangesets belonging to domain 0' "$SNAP/xen/dmesg.txt" 2>/dev/null \
    || fail "xen/dmesg.txt has no 'Rangesets belonging to domain 0'"
  FILES=$(find "$SNAP" -type f | wc -l)
fi
[ "${COLLECT_RC:-x}" = 0 ] || fail "dom0scope collect exited ${COLLECT_RC:-(never ran)}"
# dom0scope audit must run on the snapshot. HARNESS_AUDIT=require makes that a failure,
# try (default) only reports it while the audit command is being written, off skips it.
AUDIT=-
if [ -d "$SNAP" ] && [ "${HARNESS_AUDIT:-try}" != off ]; then
  "$DOM0SCOPE_BIN" audit "$SNAP" > "$RUN/audit.txt" 2>&1
  arc=$?; AUDIT="rc=$arc"
  # 0 pass, 1 fail, 3 incomplete are answers; 2 (or anything else) is an error.
  case $arc in 0|1|3) ;; *) [ "${HARNESS_AUDIT:-try}" = require ] && fail "dom0scope audit exited $arc" ;; esac
fi
# The Xen model must predict exactly the rangesets Xen printed (`dom0scope verify` exits 0
# only then); HARNESS_VERIFY=off skips it.
MODEL=-
if [ -d "$SNAP" ] && [ "${HARNESS_VERIFY:-require}" != off ]; then
  "$DOM0SCOPE_BIN" verify "$SNAP" > "$RUN/model-verify.txt" 2>&1
  vrc=$?; MODEL="rc=$vrc"
  [ $vrc = 0 ] || fail "dom0scope verify: the model and Xen differ (exit $vrc; see ${RUN#"$REPO_DIR"/}/model-verify.txt)"
fi

printf 'name=%s status=%s xen=%s dom0=%s machine=%s cpu=%s firmware=%s wall=%s init=%s collect_start=%s collect_s=%s collect_self_s=%s files=%s audit=%s verify=%s end="%s" why="%s" xen_build="%s"\n' \
  "$NAME" "$STATUS" "$XEN" "$DOM0" "$MACHINE" "$CPU" "$FIRMWARE" "$WALL" "${T_INIT:--}" "${T_COLLECT:--}" \
  "${COLLECT_S:--}" "${COLLECT_SELF:--}" "${FILES:-0}" "$AUDIT" "$MODEL" "$END" "$WHY" "${xen_ver%% (*}" > "$RUN/result.txt"
if [ "$STATUS" = ok ]; then
  log "$NAME: OK in ${WALL} s (dom0 /init at ${T_INIT:-?} s, collect ${COLLECT_S:-?} s, by its own clock ${COLLECT_SELF:-?} s); $END; snapshot: ${SNAP#"$REPO_DIR"/} (${FILES} files)"
  exit 0
fi
log "$NAME: FAILED: $WHY; $END; serial log: ${LOG#"$REPO_DIR"/}"
tail -n 15 "$LOG" | sed 's/^/    /' >&2
exit 1

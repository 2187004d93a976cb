#!/bin/bash
# matrix.sh [--only NAME[,NAME…]] [--list]
#
# The named configuration matrix: fetches Debian's Xen 4.17 and 4.20 (cached), builds Xen
# 4.18, 4.19, 4.21, 4.22 and master from testdata/xen-src (build-xen.sh, cached by content;
# their dom0 is Debian 13's), builds the static dom0scope and the initramfs images, boots every
# configuration one after another (each QEMU uses both cores), and checks each snapshot: it
# came back intact, verifies against its manifest, holds Xen's "Rangesets belonging to domain
# 0" dump, and `dom0scope audit` ran on it (HARNESS_AUDIT=require makes an audit failure fail
# the run), and `dom0scope verify` agrees: the Xen model predicts exactly the rangesets Xen
# printed. Prints the package versions and builds and a result table; exits non-zero if any
# configuration failed. Master (a pinned commit) is experimental: its failures are reported
# but fail the run only with HARNESS_EXPERIMENTAL=require.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

XC=$DEFAULT_XEN_CMDLINE
VTD=(--machine "q35,kernel-irqchip=split" --cpu "qemu64,+svm,+npt")
# Xen built from source runs Debian 13's 4.20 tools, whose xl fails against another release's
# domctl/sysctl interface: collect reads Xen's console ring through privcmd.
PRIV=(--collect-args "--xen-access privcmd")
NAMES=(
  x417-pv-q35-bios x417-pv-q35-vtd-bios x417-pvh-q35-amdvi-bios x417-pv-q35-uefi
  x417-pv-q35-ioports x417-pv-q35-intel x417-pv-q35-msi-bios
  x420-pv-pc-bios x420-pvh-q35-vtd-bios x420-pv-pc-uefi x420-pv-q35-com2 x420-pv-q35-xendefaults
  x420-pvh-q35-amdvi-bios
  x418-pv-pc-uefi x418-pvh-q35-vtd-bios x418-pvh-q35-amdvi-bios
  x419-pv-pc-uefi x419-pvh-q35-vtd-bios
  x421-pv-pc-uefi x421-pvh-q35-vtd-bios
  x422-pv-pc-uefi x422-pvh-q35-vtd-bios
  xmaster-pv-pc-uefi xmaster-pvh-q35-vtd-bios
)
config() {   # sets DESC and ARGS for configuration $1
  case "$1" in
    x417-pv-q35-bios) DESC="baseline: q35, SeaBIOS, PV, no IOMMU"
      ARGS=(--xen 4.17) ;;
    x417-pv-q35-vtd-bios) DESC="q35 + emulated VT-d, PV"
      ARGS=(--xen 4.17 "${VTD[@]}" -- -device "intel-iommu,intremap=on") ;;
    x417-pvh-q35-amdvi-bios) DESC="PVH dom0 + emulated AMD-Vi; console ring via privcmd, not xl"
      ARGS=(--xen 4.17 --cpu "qemu64,+svm,+npt" --dom0 pvh --collect-args "--xen-access privcmd"
            -- -device "amd-iommu,intremap=on") ;;
    x417-pv-q35-uefi) DESC="OVMF + xen.efi, PV"
      ARGS=(--xen 4.17 --firmware ovmf --timeout 400) ;;
    x417-pv-q35-ioports) DESC="dom0_ioports_disable= list (COM4, LPT1)"
      ARGS=(--xen 4.17 --xen-cmdline-extra "dom0_ioports_disable=0x2e8-0x2ef,0x378-0x37f") ;;
    x417-pv-q35-intel) DESC="-cpu qemu64,vendor=GenuineIntel, PV"
      ARGS=(--xen 4.17 --cpu "qemu64,vendor=GenuineIntel") ;;
    x417-pv-q35-msi-bios) DESC="dom0 drives e1000e (MSI-X) and AHCI (MSI): IRQs granted at run time"
      ARGS=(--xen 4.17 --dom0-modules "scsi_common scsi_mod libata libahci ahci e1000e") ;;
    x420-pvh-q35-amdvi-bios) DESC="PVH dom0 + emulated AMD-Vi: no IVRS for dom0, window from the PCI capability"
      ARGS=(--xen 4.20 --cpu "qemu64,+svm,+npt" --dom0 pvh "${PRIV[@]}" -- -device "amd-iommu,intremap=on") ;;
    x420-pv-pc-bios) DESC="i440fx (pc), SeaBIOS, PV"
      ARGS=(--xen 4.20 --machine pc) ;;
    x420-pvh-q35-vtd-bios) DESC="PVH dom0 + emulated VT-d"
      ARGS=(--xen 4.20 "${VTD[@]}" --dom0 pvh -- -device "intel-iommu,intremap=on") ;;
    x420-pv-pc-uefi) DESC="i440fx + OVMF + xen.efi, PV"
      ARGS=(--xen 4.20 --machine pc --firmware ovmf --timeout 400) ;;
    x420-pv-q35-com2) DESC="Xen console on COM2 (data on COM3)"
      ARGS=(--xen 4.20 --console com2 --xen-cmdline "${XC//com1/com2}") ;;
    x420-pv-q35-xendefaults) DESC="Xen's default log levels and console ring size"
      ARGS=(--xen 4.20 --xen-cmdline "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M") ;;
    # Each release built from source: PV on i440fx with OVMF and no IOMMU, and PVH on q35 with
    # SeaBIOS and an emulated IOMMU (a PVH dom0 needs one under TCG): every dimension once.
    x418-pv-pc-uefi) built_pv_pc_uefi 4.18 ;;
    x418-pvh-q35-vtd-bios) built_pvh_q35_vtd 4.18 ;;
    x418-pvh-q35-amdvi-bios) DESC="Xen 4.18 built from source: PVH dom0 + emulated AMD-Vi, SeaBIOS (the IOMMU window is denied from 4.18 on)"
      ARGS=(--xen 4.18 --cpu "qemu64,+svm,+npt" --dom0 pvh "${PRIV[@]}" -- -device "amd-iommu,intremap=on") ;;
    x419-pv-pc-uefi) built_pv_pc_uefi 4.19 ;;
    x419-pvh-q35-vtd-bios) built_pvh_q35_vtd 4.19 ;;
    x421-pv-pc-uefi) built_pv_pc_uefi 4.21 ;;
    x421-pvh-q35-vtd-bios) built_pvh_q35_vtd 4.21 ;;
    x422-pv-pc-uefi) built_pv_pc_uefi 4.22 ;;
    x422-pvh-q35-vtd-bios) built_pvh_q35_vtd 4.22 ;;
    xmaster-pv-pc-uefi) built_pv_pc_uefi master ;;
    xmaster-pvh-q35-vtd-bios) built_pvh_q35_vtd master ;;
    *) die "unknown configuration $1" ;;
  esac
}
built_pv_pc_uefi() {
  DESC="Xen $1 built from source: i440fx + OVMF + xen.efi, PV, no IOMMU$(xnote "$1")"
  ARGS=(--xen "$1" --machine pc --firmware ovmf --timeout 400 "${PRIV[@]}")
}
built_pvh_q35_vtd() {
  DESC="Xen $1 built from source: PVH dom0 + emulated VT-d, SeaBIOS$(xnote "$1")"
  ARGS=(--xen "$1" "${VTD[@]}" --dom0 pvh "${PRIV[@]}" -- -device "intel-iommu,intremap=on")
}
xnote() { [ "$1" != master ] || echo " (experimental)"; }
# experimental NAME: a configuration whose failure is reported but fails the run only with
# HARNESS_EXPERIMENTAL=require (Xen master: a pinned commit of an unreleased tree).
experimental() { config "$1"; [ "${ARGS[1]}" = master ]; }

ONLY=
while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY=$2; shift 2 ;;
    --list) for n in "${NAMES[@]}"; do config "$n"; printf '%-26s %s\n    boot.sh %s %s\n' "$n" "$DESC" "$n" "$(printf '%q ' "${ARGS[@]}")"; done; exit 0 ;;
    *) die "usage: matrix.sh [--only NAME[,NAME...]] [--list]" ;;
  esac
done
if [ -n "$ONLY" ]; then IFS=, read -r -a NAMES <<< "$ONLY"; fi
for n in "${NAMES[@]}"; do config "$n"; done      # reject unknown names before any work

T0=$(now)
"$HARNESS_DIR/setup-host.sh" || die "setup-host.sh failed"
RELEASES=$(for n in "${NAMES[@]}"; do config "$n"; echo "${ARGS[1]}"; done | sort -u)
# shellcheck disable=SC2086  # RELEASES: one word per release
prepare_xen $RELEASES || die "preparing the Xen releases failed"
log "prepared in $(elapsed "$T0") s; package versions and builds:"
for x in $RELEASES; do
  D=$(xen_dir "$x")
  grep -E "^(xen-hypervisor-[^ ]*|xen-utils-$(dom0_xen "$x")|linux-image-[^ ]*|busybox-static|libc6) " "$D/VERSIONS" | sed "s/^/  [$x] /" >&2
  if built_xen "$x"; then echo "  [$x] xen: $(xen_origin "$x"), built in $(sed -n 's/^build_seconds=//p' "$D/BUILD-INFO") s" >&2; fi
done

RES=$HARNESS_WORK/matrix-results.txt; : > "$RES"
failed=0 xfailed=0
for n in "${NAMES[@]}"; do
  config "$n"
  log "=== $n: $DESC"
  # NAME first: everything after "--" in ARGS goes to QEMU.
  # Retried only when the failure says nothing about dom0scope (lib.sh: with_retries): up to
  # twice for the TCG SVM fault, which struck one PVH boot twice in a row (docs/known-issues).
  r=$HARNESS_WORK/runs/$n/result.txt
  if ! with_retries 2 "$n" "$HARNESS_DIR/boot.sh" "$n" "${ARGS[@]}"; then
    if experimental "$n" && [ "${HARNESS_EXPERIMENTAL:-report}" != require ]; then
      log "$n failed: experimental (Xen master), reported but not counted (HARNESS_EXPERIMENTAL=require counts it)"
      sed -i 's/ status=FAIL / status=XFAIL /' "$r"
      xfailed=$((xfailed + 1))
    else
      failed=$((failed + 1))
    fi
  fi
  cat "$r" >> "$RES" 2>/dev/null || echo "name=$n status=FAIL why=\"no result\"" >> "$RES"
done

field() { sed -n "s/.* $1=\\(\"[^\"]*\"\\|[^ ]*\\).*/\\1/p" <<< " $2" | tr -d '"'; }
printf '\n%-26s %-6s %-5s %-4s %-8s %-8s %-9s %-6s %-7s %s\n' config result xen dom0 wall_s init_s collect_s files verify end
while read -r line; do
  printf '%-26s %-6s %-5s %-4s %-8s %-8s %-9s %-6s %-7s %s\n' "$(field name "$line")" "$(field status "$line")" \
    "$(field xen "$line")" "$(field dom0 "$line")" "$(field wall "$line")" "$(field init "$line")" \
    "$(field collect_s "$line")" "$(field files "$line")" "$(field verify "$line")" "$(field end "$line") $(field why "$line")"
done < "$RES"
# The collect timing line: dom0's uptime around `dom0scope collect` (collect_s), per boot.
times=$(while read -r line; do field collect_s "$line"; done < "$RES" | grep -E '^[0-9.]+$' | sort -n)
if [ -n "$times" ]; then
  n=$(wc -l <<< "$times")
  log "collect: median $(sed -n "$(( (n + 1) / 2 ))p" <<< "$times") s over $n boots (min $(head -1 <<< "$times") s, max $(tail -1 <<< "$times") s)"
fi
log "matrix: ${#NAMES[@]} configurations, $failed failed$([ $xfailed = 0 ] || echo ", $xfailed experimental failed (not counted)"), $(elapsed "$T0") s in all"
[ $failed = 0 ]

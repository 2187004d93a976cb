#!/bin/bash
# promote.sh NAME — copies a verified snapshot from harness/work/runs/NAME/snapshot to
# harness/out/NAME/ (committable), with its provenance in harness/out/NAME.provenance.txt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
NAME=${1:-}; [ -n "$NAME" ] || die "usage: promote.sh NAME"
RUN=$HARNESS_WORK/runs/$NAME
grep -q ' status=ok ' "$RUN/result.txt" 2>/dev/null || die "$NAME: no successful run in $RUN"
"$REPO_DIR/target/debug/examples/verify-snapshot" "$RUN/snapshot" >/dev/null || die "$NAME: snapshot does not verify"
OUTD=$HARNESS_DIR/out
rm -rf "${OUTD:?}/$NAME"; mkdir -p "$OUTD"
cp -r "$RUN/snapshot" "$OUTD/$NAME"
chmod -R u+rwX,go+rX "$OUTD/$NAME"
{
  echo "snapshot: harness/out/$NAME (collected by 'dom0scope collect' in a real dom0 under QEMU TCG)"
  sed -n 's/^# harness boot /boot: /p; s/^# xen-hypervisor/packages: xen-hypervisor/p; s/^# xen cmdline: /xen cmdline: /p; s/^# dom0 cmdline: /dom0 cmdline: /p; s/^# dom0 modules: /dom0 modules (boot.sh --dom0-modules): /p' "$RUN/serial.log"
  echo "qemu: $(cat "$RUN/qemu-cmd.txt")"
  echo "host qemu: $(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null), seabios: $(dpkg-query -W -f='${Version}' seabios 2>/dev/null), ovmf: $(dpkg-query -W -f='${Version}' ovmf 2>/dev/null)"
  echo "result: $(cat "$RUN/result.txt")"
  echo "all packages in the dom0 initramfs:"
  sed 's/^/  /' "$(xen_dir "$(sed -n 's/.* xen=\([0-9.]*\) .*/\1/p' "$RUN/result.txt")")/VERSIONS"
} > "$OUTD/$NAME.provenance.txt"
log "promoted $NAME to ${OUTD#"$REPO_DIR"/}/$NAME"

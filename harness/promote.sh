#!/bin/bash
# promote.sh NAME [DIR [LOGDIR]] — copies a verified snapshot from harness/work/runs/NAME/snapshot
# to DIR/NAME/ (default harness/out; committable, e.g. testdata/snapshots), with its provenance
# in DIR/NAME.provenance.txt, and with LOGDIR the boot's serial log as LOGDIR/NAME.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
NAME=${1:-}; [ -n "$NAME" ] || die "usage: promote.sh NAME [DIR [LOGDIR]]"
RUN=$HARNESS_WORK/runs/$NAME
grep -q ' status=ok ' "$RUN/result.txt" 2>/dev/null || die "$NAME: no successful run in $RUN"
"$REPO_DIR/target/debug/examples/verify-snapshot" "$RUN/snapshot" >/dev/null || die "$NAME: snapshot does not verify"
OUTD=${2:-$HARNESS_DIR/out}
mkdir -p "$OUTD"; OUTD=$(cd "$OUTD" && pwd)
rm -rf "${OUTD:?}/$NAME"
cp -r "$RUN/snapshot" "$OUTD/$NAME"
chmod -R u+rwX,go+rX "$OUTD/$NAME"
XEN=$(sed -n 's/.* xen=\([^ ]*\) .*/\1/p' "$RUN/result.txt")
{
  echo "snapshot: ${OUTD#"$REPO_DIR"/}/$NAME (collected by 'dom0scope collect' in a real dom0 under QEMU TCG)"
  sed -n 's/^# harness boot /boot: /p; s/^# xen-hypervisor/packages: xen-hypervisor/p; s/^# xen: /xen: /p; s/^# xen cmdline: /xen cmdline: /p; s/^# dom0 cmdline: /dom0 cmdline: /p; s/^# dom0 modules: /dom0 modules (boot.sh --dom0-modules): /p' "$RUN/serial.log"
  echo "qemu: $(cat "$RUN/qemu-cmd.txt")"
  echo "host qemu: $(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null), seabios: $(dpkg-query -W -f='${Version}' seabios 2>/dev/null), ovmf: $(dpkg-query -W -f='${Version}' ovmf 2>/dev/null)"
  echo "result: $(cat "$RUN/result.txt")"
  if built_xen "$XEN"; then
    echo "hypervisor built from source by harness/build-xen.sh $XEN (its BUILD-INFO):"
    sed 's/^/  /' "$(xen_dir "$XEN")/BUILD-INFO"
  fi
  echo "all packages in the dom0 initramfs:"
  sed 's/^/  /' "$(xen_dir "$XEN")/VERSIONS"
} > "$OUTD/$NAME.provenance.txt"
log "promoted $NAME to ${OUTD#"$REPO_DIR"/}/$NAME"
if [ -n "${3:-}" ]; then
  mkdir -p "$3"
  cp "$RUN/serial.log" "$3/$NAME.log"
  log "serial log of $NAME: $3/$NAME.log"
fi

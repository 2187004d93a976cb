#!/bin/sh
# dom0 /init for harness/enforce.sh (busybox sh): prepares dom0 like harness/init.sh, then
#   1. dom0scope collect            -> before/   (Xen's rangesets as booted)
#   2. dom0scope harden before -o   -> plan.json
#   3. dom0scope probe --expect granted   (runtime proof: the planned frames still map)
#   4. dom0scope enforce --dry-run  (validation only, no hypercall)
#   5. the shipped early-boot step (packaging/common/dom0scope-early.sh, as the initramfs-tools
#      and dracut hooks run it) with the plan installed at /etc/dom0scope/plan.json: the real,
#      irreversible revocation
#   6. dom0scope enforce --regrant-test plan.json  (again: must be idempotent, no domctl, and
#      Xen must refuse to grant a revoked range back)
#   7. dom0scope probe --expect refused   (runtime proof: they no longer map)
#   8. dom0scope collect            -> after/
#   9. XEN_INFO: `xl info` (dom0's toolstack still works), or for a Xen built from source,
#      whose domctl/sysctl interface Debian's xl does not speak, `xenhypfs cat
#      /buildinfo/changeset` (a hypercall through privcmd naming the running build)
# and sends everything as base64 of a tar.gz over the data UART, then powers off.
# Settings come from /etc/harness.conf (appended by enforce.sh).
# shellcheck source=dom0-lib.sh
. /usr/lib/harness/dom0-lib.sh
dom0_early no-securityfs   # as the enforce runs have always booted

NAME=enforce DATA_TTY=/dev/ttyS1 PROBE_ARGS=--ports COLLECT_ARGS='' XEN_INFO='xl info'
dom0_settings

say "dom0 /init started: $NAME (enforce), Xen $XEN, kernel $(uname -r), uptime=$(uptime_s)"
dom0_prepare

O=/tmp/out/$NAME
mkdir -p "$O"
# shellcheck disable=SC2086  # COLLECT_ARGS and XEN_INFO are lists of words: split on purpose
step collect-before dom0scope collect -o "$O/before" --config "$NAME-before" $COLLECT_ARGS
step harden dom0scope harden "$O/before" -o "$O/plan.json"
step probe-before dom0scope probe "$O/plan.json" $PROBE_ARGS --expect granted
step enforce-dry dom0scope enforce --dry-run "$O/plan.json" --current "$O/before"
mkdir -p /etc/dom0scope
cp "$O/plan.json" /etc/dom0scope/plan.json
echo ON_FAILURE=panic > /etc/dom0scope/initramfs.conf   # a failure returns 1 (we never panic here)
step enforce sh -c '. /usr/lib/dom0scope/early.sh && dom0scope_early harness'
step enforce-again dom0scope enforce --regrant-test "$O/plan.json"
step probe-after dom0scope probe "$O/plan.json" $PROBE_ARGS --expect refused
# shellcheck disable=SC2086
step collect-after dom0scope collect -o "$O/after" --config "$NAME-after" $COLLECT_ARGS
# shellcheck disable=SC2086
step xen-info $XEN_INFO
dmesg | grep 'dom0scope:' > "$O/kmsg-dom0scope.txt"

dom0_send OUTPUT /tmp/out "$NAME"
dom0_power_off

#!/bin/sh
# dom0 /init of the dom0scope harness (busybox sh). Prepares dom0 the way a distribution does
# (Xen modules, xenfs, xenstored), runs `dom0scope collect`, sends the snapshot as base64 of a
# tar.gz over the data UART between BEGIN/END markers, and powers the machine off.
# Settings come from /etc/harness.conf, which boot.sh appends to the initramfs per boot, so the
# dom0 command line stays exactly what the configuration asks for.
# shellcheck source=dom0-lib.sh
. /usr/lib/harness/dom0-lib.sh
dom0_early securityfs

NAME=unnamed DATA_TTY=/dev/ttyS1 COLLECT_ARGS='' XENSTORED=1 DOM0_MODULES=''
dom0_settings

say "dom0 /init started: $NAME, Xen $XEN, kernel $(uname -r), uptime=$(uptime_s)"
dom0_prepare
# Drivers the configuration asks for (boot.sh --dom0-modules; none by default): with them dom0
# maps its devices' MSI/MSI-X vectors, which Xen grants at run time. Network links go up so a
# driver that sets up its vectors only when opened (e1000e) does.
if [ -n "$DOM0_MODULES" ]; then
  for m in $DOM0_MODULES; do
    if [ -f "$M/$m.ko" ]; then insmod "$M/$m.ko" || say "insmod $m FAILED"; fi   # else built in
  done
  for n in /sys/class/net/*; do
    [ "${n##*/}" = lo ] || ip link set "${n##*/}" up || say "ip link set ${n##*/} up FAILED"
  done
  say "dom0 modules loaded: $DOM0_MODULES"
fi

say "COLLECT BEGIN uptime=$(uptime_s)"
mkdir -p /tmp/snap
t0=$(uptime_s)
# shellcheck disable=SC2086  # COLLECT_ARGS is a list of arguments: split on purpose
dom0scope collect -o "/tmp/snap/$NAME" --config "$NAME" $COLLECT_ARGS
rc=$?
t1=$(uptime_s)
say "COLLECT END rc=$rc seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"

if [ -f "/tmp/snap/$NAME/manifest.json" ]; then
  dom0_send SNAPSHOT /tmp/snap "$NAME" "collect_rc=$rc"
else
  say "NO SNAPSHOT (collect rc=$rc)"
fi
dom0_power_off

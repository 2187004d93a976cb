#!/bin/sh
# dom0 /init of the dom0scope harness (busybox sh). Prepares dom0 the way a distribution does
# (Xen modules, xenfs, xenstored), runs `dom0scope collect`, sends the snapshot as base64 of a
# tar.gz over the data UART between BEGIN/END markers, and powers the machine off.
# Settings come from /etc/harness.conf, which boot.sh appends to the initramfs per boot, so the
# dom0 command line stays exactly what the configuration asks for.
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1

NAME=unnamed DATA_TTY=/dev/ttyS1 COLLECT_ARGS= XENSTORED=1
. /etc/harness-release
[ -f /etc/harness.conf ] && . /etc/harness.conf
export PATH=$PATH:/usr/lib/xen-$XEN/bin
say() { echo "===== HARNESS: $* ====="; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
finish() {
  say "DONE uptime=$(uptime_s)"
  sync
  poweroff -f
  sleep 10
  say "poweroff returned; rebooting"
  reboot -f
}

say "dom0 /init started: $NAME, Xen $XEN, kernel $(uname -r), uptime=$(uptime_s)"
M=/usr/lib/modules/$(uname -r)
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do
  insmod "$M/$m.ko" || say "insmod $m FAILED"
done
mount -t xenfs xenfs /proc/xen || say "mounting xenfs FAILED"
if [ -d /sys/firmware/efi ]; then
  [ -f "$M/efivarfs.ko" ] && insmod "$M/efivarfs.ko"
  mount -t efivarfs efivarfs /sys/firmware/efi/efivars || say "mounting efivarfs FAILED"
fi
if [ "$XENSTORED" = 1 ]; then
  mkdir -p /run/xenstored /var/run/xenstored
  xenstored --pid-file /run/xenstored.pid || say "xenstored FAILED"
  timeout 60 xen-init-dom0 || say "xen-init-dom0 FAILED"
fi

say "COLLECT BEGIN uptime=$(uptime_s)"
mkdir -p /tmp/snap
t0=$(uptime_s)
# shellcheck disable=SC2086
dom0scope collect -o "/tmp/snap/$NAME" --config "$NAME" $COLLECT_ARGS
rc=$?
t1=$(uptime_s)
say "COLLECT END rc=$rc seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"

if [ -f "/tmp/snap/$NAME/manifest.json" ]; then
  tar -C /tmp/snap -czf /tmp/snap.tgz "$NAME"
  sha=$(sha256sum /tmp/snap.tgz | cut -d' ' -f1)
  size=$(wc -c < /tmp/snap.tgz)
  stty -F "$DATA_TTY" raw -echo 115200 || say "stty $DATA_TTY FAILED"
  if timeout 120 sh -c "{ echo '===== SNAPSHOT BEGIN $NAME ====='; base64 /tmp/snap.tgz;
        echo '===== SNAPSHOT END $NAME sha256=$sha size=$size collect_rc=$rc ====='; } > $DATA_TTY"; then
    say "SNAPSHOT SENT on $DATA_TTY: $size bytes, sha256 $sha"
  else
    say "SNAPSHOT SEND FAILED on $DATA_TTY"
  fi
else
  say "NO SNAPSHOT (collect rc=$rc)"
fi
finish

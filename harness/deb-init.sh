#!/bin/sh
# /sbin/init of harness/deb-boot.sh's dom0 root filesystem (busybox sh), the first program
# from the root filesystem after the initramfs-tools image (built with the hook dpkg installed)
# enforced the plan and mounted it. systemd is not the init here, so this does what
# dom0scope-check.timer would: runs the unit's ExecStart, /usr/libexec/dom0scope/check, as
# installed by `dpkg --root -i` (twice, to see KEEP=1 prune the older run), then sends
# /var/lib/dom0scope and a listing of the package's files to the host on the data UART and
# powers off. Settings: /etc/harness.conf (NAME, DATA_TTY).
# shellcheck source=dom0-lib.sh
. /usr/lib/harness/dom0-lib.sh
export PATH=/usr/bin:/usr/sbin:/bin:/sbin LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu
# initramfs-tools moved /proc, /sys, /dev and /run here; mount what is missing.
grep -q ' /proc ' /proc/mounts 2>/dev/null || mount -t proc proc /proc
grep -q ' /sys ' /proc/mounts || mount -t sysfs sysfs /sys
grep -q ' /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
grep -q ' /run ' /proc/mounts || mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1

NAME=deb DATA_TTY=/dev/ttyS1
dom0_settings
say "dom0 /init started: $NAME (/sbin/init of the root filesystem), Xen $XEN, kernel $(uname -r), uptime=$(uptime_s)"
say "root filesystem: $(grep ' / ' /proc/mounts | head -1)"
# The initramfs loaded xen-privcmd and xenfs for enforce: dom0_prepare loads only the rest.
M=/usr/lib/modules/$(uname -r)
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do
  n=$(echo "$m" | tr - _)
  grep -q "^$n " /proc/modules || insmod "$M/$m.ko" || say "insmod $m FAILED"
done
grep -q ' /proc/xen ' /proc/mounts || mount -t xenfs xenfs /proc/xen || say "mounting xenfs FAILED"
mkdir -p /run/xenstored /var/run/xenstored
xenstored --pid-file /run/xenstored.pid || say "xenstored FAILED"
timeout 60 xen-init-dom0 > /dev/null || say "xen-init-dom0 FAILED"

for i in 1 2; do
  say "CHECK $i BEGIN uptime=$(uptime_s)"
  /usr/libexec/dom0scope/check
  rc=$?
  say "CHECK $i END rc=$rc uptime=$(uptime_s)"
  sleep 1   # the runs are named by the second
done

O=/tmp/out/$NAME
mkdir -p "$O"
cp -a /var/lib/dom0scope "$O/state"
{
  for f in /usr/bin/dom0scope /usr/share/man/man1/dom0scope.1.gz /usr/share/man/man1/dom0scope-verify.1.gz \
    /usr/share/bash-completion/completions/dom0scope /usr/share/zsh/vendor-completions/_dom0scope \
    /usr/share/fish/vendor_completions.d/dom0scope.fish /usr/lib/systemd/system/dom0scope-check.service \
    /usr/lib/systemd/system/dom0scope-check.timer; do
    if [ -f "$f" ]; then echo "present $f"; else echo "MISSING $f"; fi
  done
  sed -n '/^Package: dom0scope$/,/^$/p' /var/lib/dpkg/status
} > "$O/installed.txt"
dmesg | grep 'dom0scope' > "$O/kmsg-dom0scope.txt"
dom0_send OUTPUT /tmp/out "$NAME"
dom0_power_off

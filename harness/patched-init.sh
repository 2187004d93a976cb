#!/bin/sh
# dom0 /init for harness/patched.sh (busybox sh): dom0 on a Xen built with the patch series of
# `dom0scope harden --xen-patch`. Prepares dom0 like harness/init.sh, then
#   1. dom0scope collect -> snap/   (Xen's rangesets and console ring, with the patches' tags)
#   2. dom0scope probe --mfn TRAMPOLINE --expect granted: the frames the patched Xen says it
#      made read-only (its "[dom0-ro-trampoline]" line in the ring) still map for reading
#      (probe maps DOMID_IO read-only: it does not try a write)
#   2b. dom0scope probe --port PM1A_CNT: the PM1a control ports the patched Xen says it denied
#      to a PV dom0 ("[dom0-protect-s3]") read as Xen answers a denied port (0xff, --expect
#      refused); a PVH dom0's, trapped, still read (--expect granted);
#      the control: the PM1a event block next to them (status, no read side effect) still reads
#   3. CPU 1 offline and online again through XENPF_cpu_offline/XENPF_cpu_online (Linux's
#      xen_cpu sysfs): Xen brings the CPU up through the trampoline dom0 can no longer write
#      (CPU_HOTPLUG=0: not run)
#   3a. on UEFI: probe --mfn EFI-RUNTIME-CODE --expect refused (the ranges of Xen's EFI
#      memory map that patch 0002 denied)
#   3b. with S3=1: suspend to RAM and resume (the host wakes QEMU)
#   4. on UEFI: a new EFI variable written through efivarfs (SetVariable: Xen runs the runtime
#      code the EFI patch denies dom0) and read back (GetVariable); it stays in the run's
#      vars.fd copy (busybox has no chattr to lift efivarfs's immutable bit and delete it)
#   5. XEN_INFO (a hypercall naming the running build)
#   6. probe --write-test: a write by dom0 to the trampoline frames (and on UEFI to the frame
#      of the EFI configuration table, runtime services data) must not reach memory
#      (--expect read-only), and in the same boot the positive control: a write to a frame
#      dom0 writes anyway, its console's (the VGA text buffer 0xb8 under "Console: colour
#      VGA+", else the efifb framebuffer's first frame), must reach memory
#      (--expect writable). Each byte is put back at once. control.txt names the control
#      frame or says why there is none.
# and sends everything as base64 of a tar.gz over the data UART, then powers off.
# Settings come from /etc/harness.conf (appended by patched.sh).
# shellcheck source=dom0-lib.sh
. /usr/lib/harness/dom0-lib.sh
dom0_early securityfs   # the lockdown mode, so the audit judges it as on the matrix boots

NAME=patched DATA_TTY=/dev/ttyS1 PROBE_ARGS='' COLLECT_ARGS='' XEN_INFO='xl info' S3=0 WRITE_TEST=1 CPU_HOTPLUG=1
dom0_settings

say "dom0 /init started: $NAME (patched Xen), Xen $XEN, kernel $(uname -r), uptime=$(uptime_s)"
dom0_prepare

O=/tmp/out/$NAME
mkdir -p "$O"
# shellcheck disable=SC2086  # COLLECT_ARGS, PROBE_ARGS and XEN_INFO are lists of words
step collect dom0scope collect -o "$O/snap" --config "$NAME" $COLLECT_ARGS
TR=$(sed -n 's/.*d0: AP trampoline \([0-9a-f]*\)-\([0-9a-f]*\) read-only \[dom0-ro-trampoline\].*/0x\1-0x\2/p' \
  "$O/snap/xen/dmesg.txt" | head -n 1)
echo "$TR" > "$O/trampoline.txt"
# shellcheck disable=SC2086
step probe dom0scope probe --mfn "${TR:-none}" $PROBE_ARGS --expect granted
# PM1a control: "denied" to a PV dom0 (reads give 0xff), "trapped" for a PVH dom0 (reads pass).
PM1=$(sed -n 's/.*d0: PM1a control ports \([0-9a-f]*\)-\([0-9a-f]*\) \(denied\|trapped\) \[dom0-protect-s3\].*/0x\1-0x\2 \3/p' \
  "$O/snap/xen/dmesg.txt" | head -n 1)
echo "$PM1" > "$O/pm1.txt"
EXPECT=refused
case "$PM1" in *trapped) EXPECT=granted ;; esac
PM1=${PM1%% *}
EVT=$(sed -n 's/.*ACPI: SLEEP INFO: .*pm1x_evt\[1:\([0-9a-f]*\),.*/0x\1/p' "$O/snap/xen/dmesg.txt" | head -n 1)
# shellcheck disable=SC2086
step probe-s3 dom0scope probe --port "${PM1:-none}" $PROBE_ARGS --expect "$EXPECT"
# shellcheck disable=SC2086
step probe-s3-control dom0scope probe --port "${EVT:-none}" $PROBE_ARGS --expect granted
P=/sys/devices/system/xen_cpu/xen_cpu1/online
if [ "$CPU_HOTPLUG" = 1 ]; then
  step cpu-offline sh -c "echo 0 > $P && cat $P"
  sleep 1
  step cpu-online sh -c "echo 1 > $P && cat $P"
fi
if [ "$S3" = 1 ]; then
  # Suspend to RAM: Linux hands S3 to Xen (XENPF_enter_acpi_sleep); the host wakes QEMU
  # (system_wakeup) once Xen says it entered S3; the firmware resumes at the FACS vector.
  step s3 sh -c 'cat /sys/power/state && echo mem > /sys/power/state && echo resumed'
  # The ACPI PM I/O block after resume (the firmware must restore the chipset's PMBASE).
  # shellcheck disable=SC2086
  [ -n "${EVT:-}" ] && step s3-pm-io dom0scope probe --port "$EVT" $PROBE_ARGS --expect granted
fi
if grep -q 'EFI runtime code denied' "$O/snap/xen/dmesg.txt"; then
  # The EFI runtime code ranges of Xen's EFI memory map (type=5), as machine frames: patch
  # 0002 denied them, so even a read-only mapping must be refused.
  RTC=$(sed -n 's/.* \([0-9a-f]*\)-\([0-9a-f]*\) type=5 .*/\1 \2/p' "$O/snap/xen/dmesg.txt" \
    | while read -r a z; do printf -- '--mfn 0x%x-0x%x ' $((0x$a >> 12)) $((0x$z >> 12)); done)
  echo "$RTC" > "$O/efi-rt-code.txt"
  # shellcheck disable=SC2086
  step probe-efi-rt-code dom0scope probe ${RTC:---mfn none} $PROBE_ARGS --expect refused
fi
if [ -d /sys/firmware/efi/efivars ]; then
  V=/sys/firmware/efi/efivars/Dom0scopePatchedTest-5d0e0b5c-1b7a-4c1e-9a57-d0d05c0e0001
  # 4 bytes of attributes (NV|BS|RT) then one data byte, 0x5a
  step efivar-write sh -c "printf '\\007\\000\\000\\000\\132' > $V && od -An -tx1 $V | tr -d ' \\n'"
fi
# shellcheck disable=SC2086
step xen-info $XEN_INFO

# 6. The write test: read-only frames, then the positive control (WRITE_TEST=0: not run;
#    patched.sh says why).
[ "$WRITE_TEST" = 1 ] || { dom0_send OUTPUT /tmp/out "$NAME"; dom0_power_off; }
# shellcheck disable=SC2086
step write-ro dom0scope probe --mfn "${TR:-none}" $PROBE_ARGS --write-test --expect read-only
if [ -r /sys/firmware/efi/config_table ]; then
  # Linux's copy of the system table's ConfigurationTable pointer: an array the firmware
  # allocates in EfiRuntimeServicesData (what patch 0002 makes read-only).
  CT=$(head -n 1 /sys/firmware/efi/config_table)
  RT=$(printf '0x%x' $((CT >> 12)))
  echo "$RT $CT" > "$O/efi-rt-frame.txt"
  # shellcheck disable=SC2086
  step write-efi-rt dom0scope probe --mfn "$RT" $PROBE_ARGS --write-test --expect read-only
fi
FB=$(dmesg | sed -n 's/.*efifb: framebuffer at \(0x[0-9a-f]*\),.*/\1/p' | head -n 1)
if dmesg | grep -q 'Console: colour VGA+'; then
  CTL=0xb8 WHY='VGA text buffer (dom0 Linux: "Console: colour VGA+")'
elif [ -n "$FB" ]; then
  CTL=$(printf '0x%x' $((FB >> 12))) WHY="efifb framebuffer at $FB (dom0 Linux's console)"
else
  CTL='' WHY='none: dom0 has neither a VGA text console nor an efifb framebuffer'
fi
echo "$CTL $WHY" > "$O/control.txt"
if [ -n "$CTL" ]; then
  # shellcheck disable=SC2086
  step write-control dom0scope probe --mfn "$CTL" $PROBE_ARGS --write-test --expect writable
fi

dom0_send OUTPUT /tmp/out "$NAME"
dom0_power_off

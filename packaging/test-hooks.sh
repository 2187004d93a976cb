#!/bin/bash
# packaging/test-hooks.sh: tests the shipped early-boot hooks for real, as root.
#
#   1. sh -n / bash -n on every script, and shellcheck when it is installed;
#   2. the boot-time logic (packaging/common/dom0scope-early.sh) against fake /sys, /proc and
#      /dev trees and a stub dom0scope: not Xen, a domU, dom0 success, each failure policy, the
#      kernel command line only making the policy stricter;
#   3. the initramfs-tools hook run alone with hook-functions and a DESTDIR, then a whole
#      image made by mkinitramfs, listed with lsinitramfs and unpacked with unmkinitramfs;
#   4. a dracut image with the 90dom0scope module, listed with lsinitrd.
# Images are built for the Debian kernel the real-Xen harness extracted
# (harness/work/xen-4.17/root, made by harness/fetch.sh 4.17, which this script runs when it
# is missing). Nothing on the host changes: /lib/modules and the dracut module directory are
# overlays inside a private mount namespace (unshare -m).
#
# Needs: initramfs-tools-core dracut-core (shellcheck optional), cargo for the binary.
# Env: DOM0SCOPE_BIN (default: target/debug/dom0scope, built if missing),
#      KERNEL_ROOT (default harness/work/xen-4.17/root),
#      HOOKS_PLAN (the plan baked into the images; default the bundled
#        testdata/snapshots/e417-pv-q35-bios-plan.json),
#      KEEP_IMAGES=DIR (once every check passed, copy the two images there as
#        initrd-tools.img and initrd-dracut.img: harness/hooks-boot.sh boots them).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
P=$REPO/packaging
start=$(date +%s)
pass=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
fail() { echo "FAIL $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (mount namespace, mkinitramfs, dracut)"
# Like the harness with QEMU: install what is missing (Debian packages) rather than skip.
missing=
for t in mkinitramfs lsinitramfs unmkinitramfs dracut lsinitrd unshare cpio shellcheck; do
  command -v "$t" >/dev/null || missing=1
done
if [ -n "$missing" ]; then
  echo "installing initramfs-tools-core dracut-core shellcheck cpio (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    initramfs-tools-core dracut-core shellcheck cpio >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
           --no-install-recommends initramfs-tools-core dracut-core shellcheck cpio >/dev/null; } \
    || fail "could not install initramfs-tools-core dracut-core shellcheck cpio"
fi
for t in mkinitramfs lsinitramfs unmkinitramfs dracut lsinitrd unshare cpio; do
  command -v "$t" >/dev/null || fail "$t is missing (apt-get install initramfs-tools-core dracut-core cpio)"
done

# --- 1. syntax ---------------------------------------------------------------------------
POSIX=(common/dom0scope-early.sh initramfs-tools/hooks/dom0scope
  initramfs-tools/scripts/init-top/dom0scope dracut/90dom0scope/dom0scope-enforce.sh)
for f in "${POSIX[@]}"; do sh -n "$P/$f" || fail "sh -n $f"; done
bash -n "$P/dracut/90dom0scope/module-setup.sh" || fail "bash -n module-setup.sh"
bash -n "$0" || fail "bash -n test-hooks.sh"
ok "sh -n / bash -n on every hook script"
if command -v shellcheck >/dev/null; then
  (cd "$P" && shellcheck -x -P SCRIPTDIR -s sh "${POSIX[@]}" &&
    shellcheck -s bash dracut/90dom0scope/module-setup.sh test-hooks.sh) || fail "shellcheck"
  ok "shellcheck clean"
else
  echo "SKIP shellcheck (not installed)"
fi

W=$(mktemp -d /tmp/dom0scope-hooks.XXXXXX)
trap 'rm -rf "$W"' EXIT

# --- 2. boot-time logic on fake trees ------------------------------------------------------
# fake NAME TYPE INITDOMAIN RC CONF CMDLINE: a root with /sys/hypervisor, /proc/cmdline,
# /dev/kmsg (a file), /dev/xen/privcmd, the plan and a stub dom0scope exiting RC.
fake() {
  local r=$W/fake/$1
  mkdir -p "$r/sys/hypervisor/start_flags" "$r/sys/module/xen_privcmd" "$r/proc" "$r/dev/xen" \
    "$r/etc/dom0scope" "$r/usr/sbin"
  [ -n "$2" ] && echo "$2" >"$r/sys/hypervisor/type"
  [ -n "$3" ] && echo "$3" >"$r/sys/hypervisor/start_flags/initdomain"
  : >"$r/dev/kmsg"; : >"$r/dev/xen/privcmd"
  echo "$6" >"$r/proc/cmdline"
  [ -n "$5" ] && echo "ON_FAILURE=$5" >"$r/etc/dom0scope/initramfs.conf"
  cp "$REPO/testdata/snapshots/e417-pv-q35-bios-plan.json" "$r/etc/dom0scope/plan.json"
  printf '#!/bin/sh\necho "$@" >"%s/ran"\nexit %s\n' "$r" "$4" >"$r/usr/sbin/dom0scope"
  chmod +x "$r/usr/sbin/dom0scope"
  echo "$r"
}
# early ROOT: runs dom0scope_early in a subshell; prints "rc=N policy=P".
early() {
  sh -c '. "$1"; dom0scope_early test "$2"; echo "rc=$? policy=${DOM0SCOPE_ON_FAILURE:-}"' \
    sh "$P/common/dom0scope-early.sh" "$1" 2>"$1/stderr"
}
expect() { # NAME GOT WANT
  [ "$2" = "$3" ] || fail "early boot, $1: got '$2', want '$3'"
}
r=$(fake baremetal "" "" 0 "" "")
expect "not Xen" "$(early "$r")" "rc=0 policy="
[ ! -e "$r/ran" ] || fail "enforce ran off Xen"
grep -q "nothing to enforce: not running on Xen" "$r/dev/kmsg" || fail "off Xen: no log line"
r=$(fake domu xen 0 0 "" "")
expect "domU" "$(early "$r")" "rc=0 policy="
[ ! -e "$r/ran" ] || fail "enforce ran in a domU"
r=$(fake ok xen 1 0 "" "quiet")
expect "dom0, enforce ok" "$(early "$r")" "rc=0 policy=continue"
[ "$(cat "$r/ran")" = "enforce $r/etc/dom0scope/plan.json" ] || fail "enforce arguments: $(cat "$r/ran")"
grep -q "<6>dom0scope: test: plan enforced" "$r/dev/kmsg" || fail "no success line in kmsg"
r=$(fake failcont xen 1 1 "" "")
expect "failure, default policy" "$(early "$r")" "rc=0 policy=continue"
grep -q "<2>dom0scope: test: PLAN NOT ENFORCED: enforce failed (exit 1)" "$r/dev/kmsg" || fail "no loud kmsg line"
grep -q "booting on UNPROTECTED" "$r/stderr" || fail "failure not on the console"
r=$(fake refusedhalt xen 1 2 halt "")
expect "refused, halt" "$(early "$r")" "rc=1 policy=halt"
grep -q "enforce refused the plan before changing anything" "$r/dev/kmsg" || fail "refusal not explained"
r=$(fake cmdpanic xen 1 1 "" "ro dom0scope.on_failure=panic")
expect "cmdline panic" "$(early "$r")" "rc=1 policy=panic"
r=$(fake cmdmilder xen 1 1 halt "dom0scope.on_failure=continue")
expect "cmdline cannot weaken" "$(early "$r")" "rc=1 policy=halt"
grep -q "milder than the configured 'halt': ignored" "$r/dev/kmsg" || fail "milder cmdline not logged"
r=$(fake noplan xen 1 0 "" "")
rm "$r/etc/dom0scope/plan.json"
expect "no plan in the image" "$(early "$r")" "rc=0 policy=continue"
[ ! -e "$r/ran" ] || fail "enforce ran without a plan"
grep -q "PLAN NOT ENFORCED: the initramfs lacks" "$r/dev/kmsg" || fail "missing plan not logged"
ok "boot-time logic: off Xen, domU, success, continue/panic/halt, cmdline only stricter, no plan"

# --- 3./4. real images ---------------------------------------------------------------------
BIN=${DOM0SCOPE_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/debug/dom0scope}
if [ ! -x "$BIN" ]; then
  (cd "$REPO" && cargo build -q -p dom0scope)
fi
[ -x "$BIN" ] || fail "no dom0scope binary at $BIN"
KROOT=${KERNEL_ROOT:-$REPO/harness/work/xen-4.17/root}
if ! ls "$KROOT"/lib/modules/*/kernel/drivers/xen/xen-privcmd.ko* >/dev/null 2>&1; then
  echo "no extracted kernel under $KROOT: fetching Debian 12's (harness/fetch.sh 4.17)"
  "$REPO/harness/fetch.sh" 4.17 >/dev/null
fi
ko=$(find "$KROOT/lib/modules" -path '*/kernel/drivers/xen/xen-privcmd.ko*' | sort | head -1)
KVER=${ko#"$KROOT/lib/modules/"}
KVER=${KVER%%/*}
[ -n "$KVER" ] || fail "no kernel modules under $KROOT/lib/modules"

# The administrator's files, as docs/enforce.md installs them, under $W/etc.
E=$W/etc/dom0scope
mkdir -p "$E" "$W/share"
cp "${HOOKS_PLAN:-$REPO/testdata/snapshots/e417-pv-q35-bios-plan.json}" "$E/plan.json"
cp "$P/common/dom0scope-early.sh" "$W/share/early.sh"
printf 'DOM0SCOPE_BIN=%s\nPLAN=%s\nON_FAILURE=halt\n' "$BIN" "$E/plan.json" >"$E/initramfs.conf"
export DOM0SCOPE_INITRAMFS_CONF=$E/initramfs.conf DOM0SCOPE_HELPERS=$W/share/early.sh

# initramfs-tools configuration: only listed modules (no host probing), our hook and script.
C=$W/initramfs-tools
mkdir -p "$C/hooks" "$C/scripts/init-top" "$C/conf.d"
printf 'MODULES=list\nBUSYBOX=auto\nCOMPRESS=gzip\n' >"$C/initramfs.conf"
: >"$C/modules"
cp "$P/initramfs-tools/hooks/dom0scope" "$C/hooks/"
cp "$P/initramfs-tools/scripts/init-top/dom0scope" "$C/scripts/init-top/"

cat >"$W/inside.sh" <<'EOS'
#!/bin/bash
# Runs in a private mount namespace: /usr/lib and /boot are overlays, so /lib/modules/$KVER
# (the extracted kernel's modules, with a fresh depmod), its /boot/config and dracut's module
# 90dom0scope appear without touching the host.
set -euo pipefail
mkdir -p "$W/ovl" && mount -t tmpfs tmpfs "$W/ovl"
mkdir -p "$W/ovl/u" "$W/ovl/w" "$W/ovl/mu" "$W/ovl/mw"
mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$W/ovl/u,workdir=$W/ovl/w" /usr/lib
mkdir -p "/usr/lib/modules/$KVER"
mount -t overlay overlay \
  -o "lowerdir=$KROOT/lib/modules/$KVER,upperdir=$W/ovl/mu,workdir=$W/ovl/mw" "/usr/lib/modules/$KVER"
depmod "$KVER"
# mkinitramfs reads the kernel's config from /boot (empty here): an overlay too.
mkdir -p "$W/ovl/bu" "$W/ovl/bw"
mount -t overlay overlay -o "lowerdir=/boot,upperdir=$W/ovl/bu,workdir=$W/ovl/bw" /boot
cp "$KROOT/boot/config-$KVER" /boot/
cp -r "$P/dracut/90dom0scope" /usr/lib/dracut/modules.d/

# The hook alone, as mkinitramfs runs it.
export DESTDIR=$W/hookdest verbose=n version=$KVER CONFDIR=$C
mkdir -p "$DESTDIR"
sh "$C/hooks/dom0scope" >"$W/hook.out" 2>&1

# A whole image.
mkinitramfs -d "$C" -o "$W/initrd-tools.img" "$KVER" >"$W/mkinitramfs.out" 2>&1

# dracut: base, rootfs-block and our module, for the extracted kernel; no host configuration.
# rootfs-block is what understands root=: without a root= handler dracut's /init dies in
# its cmdline phase, before the pre-udev hook (harness/hooks-boot.sh boots this image).
mkdir -p "$W/dracut.conf.d"
dracut --quiet --force --no-hostonly --conf /dev/null --confdir "$W/dracut.conf.d" \
  --modules "base rootfs-block dom0scope" --kver "$KVER" --gzip "$W/initrd-dracut.img" >"$W/dracut.out" 2>&1
EOS
export W KVER KROOT P C
t0=$(date +%s)
unshare -m --propagation private bash "$W/inside.sh" ||
  { cat "$W"/*.out >&2 2>/dev/null || :; fail "building the images"; }
t1=$(date +%s)

# 3a. The hook alone.
D=$W/hookdest
[ -x "$D/usr/sbin/dom0scope" ] || fail "hook: no usr/sbin/dom0scope in DESTDIR"
cmp -s "$D/etc/dom0scope/plan.json" "$E/plan.json" || fail "hook: plan differs or is missing"
cmp -s "$D/usr/lib/dom0scope/early.sh" "$P/common/dom0scope-early.sh" || fail "hook: early.sh"
cmp -s "$D/etc/dom0scope/initramfs.conf" "$E/initramfs.conf" || fail "hook: initramfs.conf"
for m in xen-privcmd xenfs; do
  find "$D" -name "$m.ko*" | grep -q . || fail "hook: module $m not copied"
done
# copy_exec brought the binary's shared libraries.
for lib in $(ldd "$BIN" | awk '/=> \//{print $3}'); do
  [ -e "$D$lib" ] || [ -e "$D/usr$lib" ] || [ -e "$D/$(basename "$lib")" ] ||
    find "$D" -name "$(basename "$lib")" | grep -q . || fail "hook: library $lib not copied"
done
ok "initramfs-tools hook with hook-functions and DESTDIR: binary, libraries, plan, helpers, config, xen-privcmd and xenfs"

# 3b. mkinitramfs.
L=$W/list-tools
lsinitramfs "$W/initrd-tools.img" >"$L"
for f in usr/sbin/dom0scope etc/dom0scope/plan.json etc/dom0scope/initramfs.conf \
  usr/lib/dom0scope/early.sh scripts/init-top/dom0scope; do
  grep -qx "$f" "$L" || fail "mkinitramfs image lacks $f (lsinitramfs)"
done
grep -q "kernel/drivers/xen/xen-privcmd.ko" "$L" || fail "mkinitramfs image lacks xen-privcmd.ko"
grep -q "kernel/drivers/xen/xenfs/xenfs.ko" "$L" || fail "mkinitramfs image lacks xenfs.ko"
mkdir "$W/unpacked"
unmkinitramfs "$W/initrd-tools.img" "$W/unpacked"
U=$W/unpacked
[ -d "$U/main" ] && U=$U/main
cmp -s "$U/etc/dom0scope/plan.json" "$E/plan.json" || fail "mkinitramfs image: plan differs"
grep -q "/scripts/init-top/dom0scope" "$U/scripts/init-top/ORDER" || fail "init-top/ORDER does not run dom0scope"
"$U/usr/sbin/dom0scope" --version >/dev/null 2>&1 || "$U/usr/sbin/dom0scope" --help >/dev/null ||
  fail "the binary in the image does not run"
ok "mkinitramfs $KVER: lsinitramfs lists binary, plan, config, helpers, init-top script and modules; the plan is byte-identical; ORDER runs the script"

# 4. dracut.
L=$W/list-dracut
lsinitrd "$W/initrd-dracut.img" >"$L"
for f in usr/sbin/dom0scope etc/dom0scope/plan.json etc/dom0scope/initramfs.conf \
  usr/lib/dom0scope/early.sh; do
  grep -q " $f\$" "$L" || fail "dracut image lacks $f (lsinitrd)"
done
grep -q "hooks/pre-udev/10-dom0scope-enforce.sh\$" "$L" || fail "dracut image lacks the pre-udev hook"
grep -q "kernel/drivers/xen/xen-privcmd.ko" "$L" || fail "dracut image lacks xen-privcmd.ko"
lsinitrd -f etc/dom0scope/plan.json "$W/initrd-dracut.img" | cmp -s - "$E/plan.json" ||
  fail "dracut image: plan differs"
ok "dracut $KVER (modules base + rootfs-block + dom0scope): lsinitrd lists binary, plan, config, helpers, pre-udev hook and xen-privcmd; the plan is byte-identical"

if [ -n "${KEEP_IMAGES:-}" ]; then
  mkdir -p "$KEEP_IMAGES"
  cp "$W/initrd-tools.img" "$W/initrd-dracut.img" "$KEEP_IMAGES/"
  echo "images kept in $KEEP_IMAGES"
fi
echo "all $pass checks passed in $(($(date +%s) - start)) s (images: $((t1 - t0)) s)"

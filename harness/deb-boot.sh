#!/bin/bash
# deb-boot.sh: the Debian package on real Xen. A dom0 root filesystem into which the .deb is
# installed with `dpkg --root=DIR -i` (no file copied by hand), booted as dom0 of Debian's
# Xen 4.17 under QEMU (enforce.sh's machine: q35, qemu64, SeaBIOS, PV dom0, -smp 2 -m 2048;
# plus the root disk on q35's own AHCI):
#   DIR: build-initrd.sh's busybox dom0 tree (Xen's tools, modules; its own dom0scope removed),
#        the package installed by dpkg into it, then the administrator's opt-in: the plan at
#        /etc/dom0scope/plan.json, ON_FAILURE=halt in /etc/dom0scope/initramfs.conf, KEEP=1
#        in /etc/default/dom0scope; deb-init.sh as /sbin/init; made into an ext2 disk image
#        (mke2fs -d, no mount).
#   initramfs: mkinitramfs (MODULES=list: ahci, sd_mod, ext4) for the fetched kernel with the
#        hook and init-top script dpkg installed in DIR (DIR/usr/share/initramfs-tools/...),
#        the binary, helpers and plan from DIR; in a private mount namespace as
#        packaging/test-hooks.sh does, so the host is not changed.
# The serial log and what dom0 sends back must show that
#   - the installed hook enforced the plan before the root-mount phase (hooks-boot.sh's checks);
#   - /sbin/init from the root disk ran, and the unit's ExecStart (/usr/libexec/dom0scope/check;
#     systemd is not the init of this busybox dom0) collected into /var/lib/dom0scope, found
#     that the plan holds (verify --plan exit 0) and audited, twice, with KEEP=1 leaving one run;
#   - the host's dom0scope agrees (verify --plan on the snapshot that came back: exit 0);
#   - the man page, the completions and the units are at their paths in the installed tree,
#     and dpkg's database in DIR lists the package as installed.
# Needs (as root): harness/fetch.sh 4.17, harness/build-dom0scope.sh, harness/build-initrd.sh
# 4.17, packaging/build-deb.sh (the .deb; built here when missing), initramfs-tools-core, cpio,
# e2fsprogs. Env: DEB, DEB_PLAN (default: enforce.sh's 4.17 PV plan when that run exists,
# else testdata/snapshots/e417-pv-q35-bios-plan.json), TIMEOUT (default 300 s).
# Writes only harness/work/runs/deb-boot-x417/. Exit status 0 only if every check passes.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
XEN=4.17 TIMEOUT=${TIMEOUT:-300}
NAME=deb-boot-x${XEN/./}
ENFORCE_PLAN=$HARNESS_WORK/runs/enforce-x${XEN/./}-pv-q35-bios/out/plan.json
if [ -n "${DEB_PLAN:-}" ]; then PLAN=$DEB_PLAN
elif [ -s "$ENFORCE_PLAN" ]; then PLAN=$ENFORCE_PLAN
else PLAN=$REPO_DIR/testdata/snapshots/e417-pv-q35-bios-plan.json; fi
D=$(xen_dir "$XEN")

[ "$(id -u)" = 0 ] || die "run as root (dpkg --root, mkinitramfs in a private mount namespace)"
{ [ -f "$D/xen" ] && [ -f "$D/vmlinuz" ] && [ -d "$D/root/lib/modules" ]; } || die "no Xen $XEN / dom0 kernel under $D: run harness/fetch.sh $XEN"
[ -d "$D/initrd/usr/lib/harness" ] || die "no dom0 tree at $D/initrd: run harness/build-initrd.sh $XEN"
for t in mkinitramfs mke2fs dpkg unshare qemu-system-x86_64; do
  command -v "$t" > /dev/null || die "$t is missing (initramfs-tools-core, e2fsprogs, dpkg; harness/setup-host.sh for QEMU)"
done
debs=("${CARGO_TARGET_DIR:-$REPO_DIR/target}"/debian/dom0scope_*_amd64.deb)
DEB=${DEB:-${debs[0]}}
if [ ! -f "$DEB" ]; then
  log "$NAME: no package: packaging/build-deb.sh"
  DEB=$(DOM0SCOPE_BIN=$DOM0SCOPE_BIN LINTIAN=skip "$REPO_DIR/packaging/build-deb.sh" | tail -1) || die "packaging/build-deb.sh failed"
fi
[ -f "$DEB" ] || die "no package at $DEB"

RUN=$HARNESS_WORK/runs/$NAME
fresh_run_dir "$RUN" checks.txt
CHECKS=$RUN/checks.txt; : > "$CHECKS"
FAILS=0
qemu_cmd q35 qemu64 2 2048 com1 "$RUN"   # sets DATA_TTY for harness.conf

# --- 1. the root filesystem, with the package installed by dpkg ------------------------------
R=$RUN/rootfs
cp -a "$D/initrd" "$R"
rm -f "$R/usr/bin/dom0scope" "$R/init"   # dom0scope comes from the package only
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers" "$R/sbin"
: > "$R/var/lib/dpkg/status"
dpkg --root="$R" --force-not-root -i "$DEB" > "$RUN/dpkg.out" 2>&1
check "dpkg --root=rootfs -i ${DEB##*/} (exit $?)" test "$(dpkg --root="$R" -s dom0scope 2>/dev/null | sed -n 's/^Status: //p')" = "install ok installed"
check "dpkg put the binary at /usr/bin/dom0scope and it is listed in rootfs's dpkg database" \
  bash -c "[ -x '$R/usr/bin/dom0scope' ] && dpkg --root='$R' -L dom0scope | grep -qx /usr/bin/dom0scope"
[ "$FAILS" = 0 ] || { cat "$RUN/dpkg.out" >&2; finish ""; }
# The administrator opts in.
install -m 0644 "$PLAN" "$R/etc/dom0scope/plan.json"
echo ON_FAILURE=halt >> "$R/etc/dom0scope/initramfs.conf"
echo KEEP=1 >> "$R/etc/default/dom0scope"
install -m 0755 "$HARNESS_DIR/deb-init.sh" "$R/sbin/init"
printf 'NAME=%s\nDATA_TTY=%s\n' deb "$DATA_TTY" > "$R/etc/harness.conf"

# --- 2. the initramfs, from the installed hook ------------------------------------------------
KVER=$(cat "$D/KERNEL_RELEASE")
KROOT=$D/root
C=$RUN/initramfs-tools
mkdir -p "$C/hooks" "$C/scripts/init-top" "$C/conf.d"
printf 'MODULES=list\nBUSYBOX=auto\nCOMPRESS=gzip\n' > "$C/initramfs.conf"
printf '%s\n' ahci sd_mod ext4 > "$C/modules"
cp "$R/usr/share/initramfs-tools/hooks/dom0scope" "$C/hooks/"
cp "$R/usr/share/initramfs-tools/scripts/init-top/dom0scope" "$C/scripts/init-top/"
# The installed settings, with the installed binary and plan where the host sees them.
{ cat "$R/etc/dom0scope/initramfs.conf"
  printf 'DOM0SCOPE_BIN=%s\nPLAN=%s\n' "$R/usr/bin/dom0scope" "$R/etc/dom0scope/plan.json"; } > "$RUN/initramfs.conf"
cat > "$RUN/inside.sh" <<'EOS'
set -euo pipefail
W=$RUN/ns; mkdir -p "$W" && mount -t tmpfs tmpfs "$W"
mkdir -p "$W/u" "$W/w" "$W/mu" "$W/mw" "$W/bu" "$W/bw"
mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$W/u,workdir=$W/w" /usr/lib
mkdir -p "/usr/lib/modules/$KVER"
mount -t overlay overlay -o "lowerdir=$KROOT/lib/modules/$KVER,upperdir=$W/mu,workdir=$W/mw" "/usr/lib/modules/$KVER"
depmod "$KVER"
mount -t overlay overlay -o "lowerdir=/boot,upperdir=$W/bu,workdir=$W/bw" /boot
cp "$KROOT/boot/config-$KVER" /boot/
DOM0SCOPE_INITRAMFS_CONF=$RUN/initramfs.conf DOM0SCOPE_HELPERS=$R/usr/share/dom0scope/early.sh \
  mkinitramfs -d "$C" -o "$RUN/initrd.img" "$KVER"
EOS
t0=$(now)
export RUN R C KVER KROOT
unshare -m --propagation private bash "$RUN/inside.sh" > "$RUN/mkinitramfs.out" 2>&1
rc=$?
rmdir "$RUN/ns" 2>/dev/null
check "mkinitramfs with the installed hook (exit $rc, $(elapsed "$t0") s)" test "$rc" = 0 -a -s "$RUN/initrd.img"
lsinitramfs "$RUN/initrd.img" > "$RUN/initrd.list" 2>/dev/null
check "the image holds the installed binary, plan, helpers and init-top script, ahci and ext4" bash -c \
  "for f in usr/sbin/dom0scope etc/dom0scope/plan.json usr/lib/dom0scope/early.sh scripts/init-top/dom0scope; do grep -qx \"\$f\" '$RUN/initrd.list' || exit 1; done; grep -q '/ahci.ko' '$RUN/initrd.list' && grep -q '/ext4.ko' '$RUN/initrd.list'"
[ "$FAILS" = 0 ] || { tail -n 20 "$RUN/mkinitramfs.out" >&2; finish ""; }

# --- 3. the root disk --------------------------------------------------------------------------
mke2fs -q -F -t ext2 -L dom0root -d "$R" "$RUN/root.img" 256M > "$RUN/mke2fs.out" 2>&1
check "mke2fs -d rootfs (ext2, 256 MiB)" test $? = 0

# --- 4. boot -----------------------------------------------------------------------------------
log=$RUN/serial.log
cmdline="console=hvc0 earlyprintk=xen loglevel=7 root=/dev/sda rw panic=-1"
QEMU+=(-drive "file=$RUN/root.img,format=raw,if=none,id=root" -device "ide-hd,drive=root,bus=ide.0")
qemu_boot_xen seabios "$D" "$RUN" "$DEFAULT_XEN_CMDLINE" "$cmdline" "$RUN/initrd.img"
{ echo "# harness deb boot $NAME $(date -u +%FT%TZ)"; qemu_comment; } > "$log"
log "$NAME: Xen $XEN, q35, qemu64, SeaBIOS, PV dom0, root on AHCI; dom0: $cmdline"
run_qemu_watched "$RUN" "$log" "$TIMEOUT"

# shellcheck disable=SC2317  # reached: check runs them as "$@"
has() { grep -a -q -E -- "^\[ *[0-9]+\.[0-9]+\] .*$2" "$1" 2>/dev/null; }
# shellcheck disable=SC2317
first_line() { grep -a -n -m1 -E -- "^\[ *[0-9]+\.[0-9]+\] .*$2" "$1" 2>/dev/null | cut -d: -f1; }
# shellcheck disable=SC2317
before() { local a b; a=$(first_line "$1" "$2"); b=$(first_line "$1" "$3"); [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; }
p="dom0scope: init-top:"
check "the installed hook started enforce (\"$p enforcing /etc/dom0scope/plan.json (failure policy: halt)\")" \
  has "$log" "$p enforcing /etc/dom0scope/plan\.json \(failure policy: halt\)"
check "enforce revoked now and proved every planned range (\"N revoked now, 0 already absent, 0 failed; N of N proven\")" \
  has "$log" "enforce: ([0-9]+) planned ranges?: \1 revoked now, 0 already absent, 0 failed; \1 of \1 proven absent"
check "the hook said \"$p plan enforced: every planned range is gone from Xen's rangesets\"" \
  has "$log" "$p plan enforced: every planned range is gone from Xen's rangesets"
check "no PLAN NOT ENFORCED" bash -c "! grep -a -q 'PLAN NOT ENFORCED' '$log'"
check "enforced before the root-mount phase (Begin: Mounting root file system)" \
  before "$log" "$p plan enforced" "Begin: Mounting root file system"
check "then /sbin/init from the root disk ran" before "$log" "Begin: Mounting root file system" "===== HARNESS: dom0 /init started: deb"
for i in 1 2; do
  check "check run $i (the unit's ExecStart) exited 0" has "$log" "===== HARNESS: CHECK $i END rc=0 "
done
check "the check said the plan holds (<6>dom0scope-check: plan holds)" has "$log" "dom0scope-check: plan holds: exactly the planned ranges"
check "the check audited (dom0scope-check: audit: ... DOM0:)" has "$log" "dom0scope-check: audit: .*DOM0:"
check "dom0 powered off ($END)" test "$END" = "qemu exited (rc=0)"

if receive_tarball "$RUN" deb "$RUN/out.tgz" "$RUN/out"; then
  S=$RUN/out/state
  runs=$(find "$S" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*T*Z*' | wc -l)
  check "KEEP=1: one run left in /var/lib/dom0scope after two ($runs)" test "$runs" = 1
  check "/var/lib/dom0scope/latest/result says PLAN-HOLDS status=0" grep -q '^PLAN-HOLDS .*status=0$' "$S/latest/result"
  check "the snapshot has its manifest and Xen's rangesets" bash -c "[ -s '$S/latest/snapshot/manifest.json' ] && grep -q 'Rangesets belonging to domain 0' '$S/latest/snapshot/xen/dmesg.txt'"
  "$DOM0SCOPE_BIN" verify "$S/latest/snapshot" --plan "$PLAN" > "$RUN/host-verify.txt" 2>&1
  V=$?
  check "on the host, verify --plan on the snapshot dom0 sent: the plan holds (exit $V)" test "$V" = 0
  check "installed paths present in dom0 (binary, man pages, 3 completions, unit, timer)" \
    bash -c "[ \$(grep -c '^present ' '$RUN/out/installed.txt') = 8 ] && ! grep -q '^MISSING' '$RUN/out/installed.txt'"
  check "dom0's dpkg database: dom0scope install ok installed" grep -qx 'Status: install ok installed' "$RUN/out/installed.txt"
else
  check "dom0 sent its results ($RECV_WHY)" false
fi
[ "$FAILS" = 0 ] && rm -rf "$R" "$RUN/root.img" "$RUN/initrd.img"   # ~300 MB; kept when a check failed
finish "; wall ${WALL:-?} s"

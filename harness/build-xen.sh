#!/bin/bash
# build-xen.sh RELEASE   (4.18 | 4.19 | 4.21 | 4.22 | master; master is experimental)
#                        (4.17 with XEN_PATCHES=DIR: Debian 12's source package + the series,
#                        built by build-xen-debian.sh into harness/work/xen-4.17-patched/)
#
# Builds the Xen hypervisor of RELEASE from the upstream source archive committed in
# testdata/xen-src/ (see its PROVENANCE.md), with a distribution's configuration, and installs
#   harness/work/xen-<RELEASE>/{xen,xen.gz,xen.efi,xen-<RELEASE>-amd64.config,BUILD-INFO,build.log}
# where fetch.sh puts Debian's Xen (`xen`: the multiboot ELF32 boot.sh gives QEMU's -kernel;
# `xen.efi`: the PE image of OVMF boots; the config under the name Debian gives it in /boot).
#
# Steps, each named when it fails (with the last lines of its log):
#   deps       setup-host.sh xen-build (gcc, make, flex, bison, python3, ...; apt, as root)
#   archive    the archive's size and sha256 must be PROVENANCE.md's
#   extract    into harness/work/xen-build/<RELEASE>-<key>/src
#   config     Debian 13's configuration (testdata/xen-src/configs/debian-13-xen-4.20-amd64.config,
#              the /boot/xen-4.20-amd64.config of xen-hypervisor-4.20-amd64) as xen/.config,
#              then `make -C xen olddefconfig`: every option the release added gets its default
#   build      `make -C xen` (xen, xen.gz, and xen.efi when the linker can produce PE)
#   patch      with XEN_PATCHES=DIR: every DIR/*.patch, in name order (`dom0scope harden
#              --xen-patch DIR` writes them), applied with `patch -p1 --fuzz=0`; the build
#              is then named <RELEASE>-patched and installed into harness/work/xen-<RELEASE>-patched/
#   install    into harness/work/xen-<RELEASE>/
# Cached by content: key = sha256 of the archive's sha256, the seed configuration, this script
# and the compiler's and linker's versions (and each patch's name and sha256). When harness/work/xen-build/<RELEASE>-<key>/out
# exists, nothing is built again. The object tree is deleted after a build (XEN_BUILD_KEEP=1
# keeps it). The build is reproducible: build date, user and host come from the commit, the
# changeset in Xen's banner is the upstream commit id, source paths are mapped to ".".
# The resulting configuration is compared with the one committed as
# testdata/xen-src/configs/xen-<RELEASE>-amd64.config (a difference is reported, not fatal).
# Env: XEN_BUILD_JOBS (default: nproc), XEN_CONFIG_SEED (another seed configuration),
#      XEN_BUILD_KEEP=1, XEN_PATCHES=DIR (a patch series, see 'patch').
set -euo pipefail
. "$(dirname "$0")/lib.sh"
SRC=$REPO_DIR/testdata/xen-src
PROV=$SRC/PROVENANCE.md
SEED=${XEN_CONFIG_SEED:-$SRC/configs/debian-13-xen-4.20-amd64.config}
SELF=$HARNESS_DIR/build-xen.sh
JOBS=${XEN_BUILD_JOBS:-$(nproc)}
case "$JOBS" in ''|0|*[!0-9]*) die "XEN_BUILD_JOBS must be a positive number, not '$JOBS'" ;; esac
REL=${1:-}
# Patched 4.17 comes from Debian's source package, not from an upstream archive.
[ "$REL" != 4.17 ] || exec "$HARNESS_DIR/build-xen-debian.sh"

# PROVENANCE.md's archive table: | release | tag | commit | archive | bytes | sha256 |
rows() { awk -F' *[|] *' 'NF == 8 && length($7) == 64 && $7 ~ /^[0-9a-f]+$/' "$PROV"; }   # mawk: no {64}
known=$(rows | awk -F' *[|] *' '{print $2}' | paste -sd' ')
case "$REL" in
  ''|-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; echo "RELEASE: $known"; exit 2 ;;
esac
read -r TAG COMMIT FILE BYTES SHA < <(rows | awk -F' *[|] *' -v r="$REL" '$2 == r {print $3, $4, $5, $6, $7}') \
  || die "build-xen.sh: unknown release '$REL' (known: $known)"
WHO="build-xen.sh $REL ($TAG)"
[ "$REL" != master ] || WHO="build-xen.sh master (${COMMIT:0:10}, experimental)"
ARCHIVE=$SRC/$FILE

"$HARNESS_DIR/setup-host.sh" xen-build || die "$WHO: step 'deps' failed (setup-host.sh xen-build)"

# archive
[ -f "$ARCHIVE" ] || die "$WHO: step 'archive': ${ARCHIVE#"$REPO_DIR"/} missing"
[ "$(stat -c %s "$ARCHIVE")" = "$BYTES" ] \
  || die "$WHO: step 'archive': ${ARCHIVE#"$REPO_DIR"/} is $(stat -c %s "$ARCHIVE") bytes, PROVENANCE.md says $BYTES"
got=$(sha256sum "$ARCHIVE" | cut -d' ' -f1)
[ "$got" = "$SHA" ] || die "$WHO: step 'archive': ${ARCHIVE#"$REPO_DIR"/} has sha256 $got, PROVENANCE.md says $SHA"
[ -f "$SEED" ] || die "$WHO: step 'config': no seed configuration $SEED"

# The patch series, if any: its files in name order, each named with its sha256 in the key.
PATCHES=() PATCH_SUMS='' NAME=$REL
if [ -n "${XEN_PATCHES:-}" ]; then
  patch_series "$XEN_PATCHES"
  NAME=$REL-patched WHO="$WHO + ${#PATCHES[@]} patches"
fi

# The cache key.
CC_VER=$(gcc --version | head -n 1) LD_VER=$(ld --version | head -n 1)
SEED_SHA=$(sha256sum < "$SEED" | cut -d' ' -f1)
KEY=$(printf 'archive %s\nseed %s\nscript %s\ncc %s\nld %s\npatches %s\n' "$SHA" "$SEED_SHA" \
        "$(sha256sum < "$SELF" | cut -d' ' -f1)" "$CC_VER" "$LD_VER" "$PATCH_SUMS" | sha256sum | cut -c1-16)
W=$HARNESS_WORK/xen-build
B=$W/$NAME-$KEY
OUT=$B/out
D=$(xen_dir "$NAME")
debian_now=$(xen_dir 4.20)/root/boot/xen-4.20-amd64.config   # fetch.sh 4.20's, when fetched
if [ -z "${XEN_CONFIG_SEED:-}" ] && [ -f "$debian_now" ] && ! cmp -s "$debian_now" "$SEED"; then
  log "note: Debian's current xen-hypervisor-4.20-amd64 ($(pkg_version "$(xen_dir 4.20)" xen-hypervisor-4.20-amd64)) ships a configuration other than the seed; building from the committed seed"
fi

if [ -f "$OUT/BUILD-INFO" ]; then
  log "$WHO: cached build ${B#"$REPO_DIR"/} (built in $(awk -F= '$1 == "build_seconds" {print $2}' "$OUT/BUILD-INFO") s)"
else
  # Only ever deletes our own build directories (marked .build-xen): stale keys of RELEASE.
  for old in "$W/$NAME"-*; do
    # (4.22-* must not match 4.22-patched-*: a patched and a plain build are both kept)
    case "${old#"$W/$NAME"-}" in patched-*) continue ;; esac
    [ -f "$old/.build-xen" ] && { log "removing stale build ${old#"$REPO_DIR"/}"; rm -rf "$old"; }
  done
  [ ! -e "$B" ] || die "$B exists and is not a build-xen.sh directory"
  mkdir -p "$B/src"; touch "$B/.build-xen"
  LOG=$B/build.log; : > "$LOG"
  T0=$(now)
  log "$WHO: building $COMMIT from ${ARCHIVE#"$REPO_DIR"/} with $JOBS jobs in ${B#"$REPO_DIR"/} ($CC_VER)"
  build_step extract "$LOG" tar -xJf "$ARCHIVE" -C "$B/src" --strip-components=1 --no-same-owner
  # git archive gives every file the commit's time: the build's date. scmversion prints
  # .scmversion as Xen's "Latest ChangeSet".
  EPOCH=$(stat -c %Y "$B/src/Config.mk")
  apply_patch_series "$LOG" "$B/src"
  printf '%s git:%s\n' "$(LC_ALL=C date -u -d "@$EPOCH")" "${COMMIT:0:10}" > "$B/src/.scmversion"
  unset CFLAGS CPPFLAGS LDFLAGS MAKEFLAGS
  export SOURCE_DATE_EPOCH=$EPOCH
  PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # Debian's, not a user's pyenv
  MV=(XEN_TARGET_ARCH=x86_64 XEN_COMPILE_ARCH=x86_64 PYTHON="$PY"
      XEN_WHOAMI=dom0scope XEN_DOMAIN=harness XEN_BUILD_HOST=harness
      XEN_BUILD_DATE="$(LC_ALL=C date -u -d "@$EPOCH")" XEN_BUILD_TIME="$(LC_ALL=C date -u -d "@$EPOCH" +%T)"
      EXTRA_CFLAGS_XEN_CORE="-ffile-prefix-map=$B/src/=")
  cp "$SEED" "$B/src/xen/.config"
  build_step config "$LOG" make -C "$B/src/xen" "${MV[@]}" olddefconfig
  build_step build "$LOG" make -C "$B/src/xen" -j"$JOBS" "${MV[@]}"
  SECS=$(elapsed "$T0")
  collect_xen_build "$WHO" "$B/src" "$LOG" "$OUT" "$REL"
  {
    echo "release=$REL"
    echo "tag=$TAG"
    echo "commit=$COMMIT"
    [ "$REL" != master ] || echo "experimental=yes"
    echo "archive=testdata/xen-src/$FILE"
    echo "archive_sha256=$SHA"
    echo "seed_config=${SEED#"$REPO_DIR"/}"
    echo "seed_sha256=$SEED_SHA"
    echo "key=$KEY"
    echo "cc=$CC_VER"
    echo "ld=$LD_VER"
    echo "jobs=$JOBS"
    [ -z "$PATCH_SUMS" ] || awk '{print "patch_" $2 "=" $1}' <<< "$PATCH_SUMS"
    echo "build_seconds=$SECS"
    echo "xen_efi=$EFI"
    echo "built_at=$(date -u +%FT%TZ)"
    (cd "$OUT.tmp" && sha256sum "${XEN_FILES[@]}" "xen-$REL-amd64.config") \
      | awk '{print "sha256_" $2 "=" $1}'
  } > "$OUT.tmp/BUILD-INFO"
  mv "$OUT.tmp" "$OUT"
  [ -n "${XEN_BUILD_KEEP:-}" ] || rm -rf "$B/src"
  log "$WHO: built in $SECS s (wall, $JOBS jobs); xen.efi: $([ $EFI = yes ] && echo built || echo 'not built (the linker cannot produce PE)')"
fi

install_xen_build "$OUT" "$D" "$WHO" "$REL"

# The configuration olddefconfig produced, against the one committed for reviewers.
[ -z "$PATCH_SUMS" ] || log "$WHO: patched with ${PATCHES[*]##*/}"
committed=$SRC/configs/xen-$REL-amd64.config
if [ ! -f "$committed" ]; then
  log "note: no ${committed#"$REPO_DIR"/} yet: copy ${D#"$REPO_DIR"/}/xen-$REL-amd64.config there to record it"
elif ! cmp -s "$committed" "$OUT/xen-$REL-amd64.config"; then
  log "note: the resulting configuration differs from ${committed#"$REPO_DIR"/} (another compiler?):"
  diff "$committed" "$OUT/xen-$REL-amd64.config" | grep '^[<>]' | sed 's/^/    /' >&2 || true
fi
xen_build_summary "$WHO" "$D"

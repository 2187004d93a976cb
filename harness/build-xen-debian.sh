#!/bin/bash
# build-xen-debian.sh   (XEN_PATCHES=DIR; run by `XEN_PATCHES=DIR build-xen.sh 4.17`)
#
# Builds the Xen 4.17 hypervisor from Debian 12's source package with a patch series, the way
# Debian builds its binary, and installs it where build-xen.sh installs a patched build:
#   harness/work/xen-4.17-patched/{xen,xen.gz,xen.efi,xen-4.17-amd64.config,BUILD-INFO,VERSIONS,build.log}
# Unpatched 4.17 stays Debian's binary package (fetch.sh 4.17); this exists because a patch
# series has to be carried by a distribution's source, and Debian's 4.17 differs from upstream's
# tag (its patch queue, its version banner).
#
# The source is pinned: bookworm main's `xen 4.17.5+72-g01140da4e8-1` (the source of Debian's
# current binary, 4.17.7+13-g2445b30a44-0+deb12u1 in bookworm-security, is listed but its files
# are 404 on the mirror). Steps, each named when it fails (with the last lines of its log):
#   deps       setup-host.sh xen-build-debian (xen-build's packages + dpkg-dev, lsb-release)
#   source     `apt-get source --download-only` through a private apt state (deb-src of
#              bookworm main on the host's mirror, as fetch.sh) into harness/work/debian-src/;
#              the .dsc's sha256 must be DSC_SHA256 below (apt checks it against the signed
#              Sources index too, dpkg-source the tarballs against the .dsc)
#   extract    `dpkg-source -x`: upstream tarball + Debian's patch queue (debian/patches)
#   patch      every DIR/*.patch in name order, `patch -p1 --fuzz=0`: a patch that does not
#              apply to Debian's tree fails here, naming it
#   config     as debian/rules: debian/xen-kconfig as xen/.config, `make olddefconfig`
#   build      `make -C xen` with debian/rules' variables (CC/LD x86_64-linux-gnu-*,
#              DEB_VERSION, DEB_MAINTAINER for Debian's version banner, SOURCE_DATE_EPOCH from
#              debian/changelog, -ffile-prefix-map): reproducible
#   install    into harness/work/xen-4.17-patched/
# Cached by content: key = the .dsc's sha256, this script, the compiler's and linker's
# versions, `lsb_release -is` (Debian's banner prints it) and each patch's name and sha256.
# Xen's changeset (hypfs /buildinfo/changeset, "Latest ChangeSet") names the upstream commit the
# source package's version names (git:01140da4e8) and the Debian version: Debian's own build
# leaves it empty.
# Env: XEN_PATCHES=DIR (required), XEN_BUILD_JOBS (default: nproc), XEN_BUILD_KEEP=1,
#      MIRROR (default: the host's Debian mirror, else deb.debian.org).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
DEB_SRC_VERSION=4.17.5+72-g01140da4e8-1
DSC=xen_$DEB_SRC_VERSION.dsc
DSC_SHA256=f13956b67fb7a65707c2b0620d89b41ee5d203434dd7bb913017356791ee66c1
UPSTREAM=01140da4e8   # the upstream commit the version names (4.17.5 + 72 commits, g<commit>)
REL=4.17 NAME=4.17-patched
SELF=$HARNESS_DIR/build-xen-debian.sh
JOBS=${XEN_BUILD_JOBS:-$(nproc)}
case "$JOBS" in ''|0|*[!0-9]*) die "XEN_BUILD_JOBS must be a positive number, not '$JOBS'" ;; esac
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;; esac
WHO="build-xen.sh 4.17 (Debian source xen $DEB_SRC_VERSION)"

[ -n "${XEN_PATCHES:-}" ] || die "$WHO: needs XEN_PATCHES=DIR (unpatched 4.17 is Debian's binary package: fetch.sh 4.17)"
patch_series "$XEN_PATCHES"
WHO="$WHO + ${#PATCHES[@]} patches"
PROVENANCE="Debian source xen $DEB_SRC_VERSION + ${#PATCHES[@]} patches"

"$HARNESS_DIR/setup-host.sh" xen-build-debian || die "$WHO: step 'deps' failed (setup-host.sh xen-build-debian)"

# source: the pinned .dsc and its two tarballs, downloaded once.
S=$HARNESS_WORK/debian-src
mkdir -p "$S"
dsc_ok() { [ -f "$S/$DSC" ] && [ "$(sha256sum < "$S/$DSC" | cut -d' ' -f1)" = "$DSC_SHA256" ]; }
if ! dsc_ok; then
  A=$HARNESS_WORK/apt/bookworm-src
  mkdir -p "$A/lists/partial" "$A/cache" "$A/archives/partial"
  touch "$A/status"
  host_mirror=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  MIRROR=${MIRROR:-${host_mirror:-http://deb.debian.org/debian}}
  printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s bookworm main\n' "$MIRROR" > "$A/sources.list"
  apt_private_opts bookworm-src
  log "$WHO: downloading the source package (apt-get source, private state in ${A#"$REPO_DIR"/})"
  build_step source "$S/apt.log" apt-get "${APT_OPTS[@]}" -q update
  rm -f "$S/$DSC"
  (cd "$S" && build_step source "$S/apt.log" apt-get "${APT_OPTS[@]}" -q --download-only source "xen=$DEB_SRC_VERSION")
  dsc_ok || die "$WHO: step 'source': $DSC has sha256 $(sha256sum < "$S/$DSC" | cut -d' ' -f1), pinned $DSC_SHA256"
fi

CC_VER=$(x86_64-linux-gnu-gcc --version | head -n 1) LD_VER=$(x86_64-linux-gnu-ld --version | head -n 1)
DISTRO=$(lsb_release -is 2>/dev/null)
KEY=$(printf 'dsc %s\nscript %s\ncc %s\nld %s\ndistro %s\npatches %s\n' "$DSC_SHA256" \
        "$(sha256sum < "$SELF" | cut -d' ' -f1)" "$CC_VER" "$LD_VER" "$DISTRO" "$PATCH_SUMS" | sha256sum | cut -c1-16)
W=$HARNESS_WORK/xen-build
B=$W/$NAME-debian-$KEY
OUT=$B/out
D=$(xen_dir "$NAME")

if [ -f "$OUT/BUILD-INFO" ]; then
  log "$WHO: cached build ${B#"$REPO_DIR"/} (built in $(awk -F= '$1 == "build_seconds" {print $2}' "$OUT/BUILD-INFO") s)"
else
  for old in "$W/$NAME"-debian-*; do   # only our own build directories (marked .build-xen)
    [ -f "$old/.build-xen" ] && { log "removing stale build ${old#"$REPO_DIR"/}"; rm -rf "$old"; }
  done
  [ ! -e "$B" ] || die "$B exists and is not a build-xen.sh directory"
  mkdir -p "$B"; touch "$B/.build-xen"
  LOG=$B/build.log; : > "$LOG"
  T0=$(now)
  log "$WHO: building with $JOBS jobs in ${B#"$REPO_DIR"/} ($CC_VER)"
  # dpkg-source checks the tarballs against the .dsc's Checksums-Sha256 and applies the queue.
  build_step extract "$LOG" dpkg-source --no-copy -x "$S/$DSC" "$B/src"
  apply_patch_series "$LOG" "$B/src"
  EPOCH=$(dpkg-parsechangelog -l "$B/src/debian/changelog" -STimestamp)
  DATE=$(LC_ALL=C date -u -d "@$EPOCH")
  printf '%s git:%s Debian %s + %s patches\n' "$DATE" "$UPSTREAM" "$DEB_SRC_VERSION" "${#PATCHES[@]}" > "$B/src/.scmversion"
  unset CFLAGS CXXFLAGS CPPFLAGS LDFLAGS MAKEFLAGS
  export SOURCE_DATE_EPOCH=$EPOCH XEN_BUILD_DATE=$DATE XEN_BUILD_TIME
  XEN_BUILD_TIME=$(LC_ALL=C date -u -d "@$EPOCH" +%T)
  export WGET=/bin/false GIT=/bin/false DEB_VERSION=$DEB_SRC_VERSION DEB_MAINTAINER
  DEB_MAINTAINER=$(sed -n 's/^Maintainer: \(.*\)$/\1/p' "$B/src/debian/control")
  PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # Debian's, not a user's pyenv
  MV=(CC=x86_64-linux-gnu-gcc LD=x86_64-linux-gnu-ld XEN_COMPILE_ARCH=x86_64 XEN_TARGET_ARCH=x86_64
      PYTHON="$PY" XEN_WHOAMI=dom0scope XEN_DOMAIN=harness XEN_BUILD_HOST=harness
      EXTRA_CFLAGS_XEN_CORE="-ffile-prefix-map=$B/src=. -fdebug-prefix-map=$B/src=.")
  cp "$B/src/debian/xen-kconfig" "$B/src/xen/.config"
  build_step config "$LOG" make -C "$B/src/xen" "${MV[@]}" olddefconfig
  build_step build "$LOG" make -C "$B/src/xen" -j"$JOBS" "${MV[@]}" build
  SECS=$(elapsed "$T0")
  collect_xen_build "$WHO" "$B/src" "$LOG" "$OUT" "$REL"
  echo "xen $DEB_SRC_VERSION" > "$OUT.tmp/VERSIONS"
  {
    echo "release=$REL"
    echo "provenance=$PROVENANCE"
    echo "tag=debian/$DEB_SRC_VERSION"
    echo "commit=$UPSTREAM"
    echo "source=Debian source package xen $DEB_SRC_VERSION (bookworm main)"
    echo "dsc=$DSC"
    echo "dsc_sha256=$DSC_SHA256"
    echo "seed_config=debian/xen-kconfig (from the source package)"
    echo "key=$KEY"
    echo "cc=$CC_VER"
    echo "ld=$LD_VER"
    echo "distribution=$DISTRO"
    echo "jobs=$JOBS"
    awk '{print "patch_" $2 "=" $1}' <<< "$PATCH_SUMS"
    echo "build_seconds=$SECS"
    echo "xen_efi=$EFI"
    echo "built_at=$(date -u +%FT%TZ)"
    (cd "$OUT.tmp" && sha256sum "${XEN_FILES[@]}" "xen-$REL-amd64.config") | awk '{print "sha256_" $2 "=" $1}'
  } > "$OUT.tmp/BUILD-INFO"
  mv "$OUT.tmp" "$OUT"
  [ -n "${XEN_BUILD_KEEP:-}" ] || rm -rf "$B/src"
  log "$WHO: built in $SECS s (wall, $JOBS jobs); xen.efi: $([ $EFI = yes ] && echo built || echo 'not built (the linker cannot produce PE)')"
fi

install_xen_build "$OUT" "$D" "$WHO" "$REL"
log "$WHO: patched with ${PATCHES[*]##*/}"
# The configuration olddefconfig produced, against the one Debian's binary package ships
# (fetch.sh 4.17's, a later version): a difference is reported, not fatal.
bin_cfg=$(xen_dir 4.17)/root/boot/xen-4.17-amd64.config
if [ -f "$bin_cfg" ] && ! cmp -s "$bin_cfg" "$OUT/xen-$REL-amd64.config"; then
  log "note: the configuration differs from Debian's binary package's /boot/xen-4.17-amd64.config ($(pkg_version "$(xen_dir 4.17)" xen-hypervisor-4.17-amd64)):"
  diff "$bin_cfg" "$OUT/xen-$REL-amd64.config" | grep '^[<>]' | sed 's/^/    /' >&2 || true
fi
xen_build_summary "$WHO ($PROVENANCE)" "$D"

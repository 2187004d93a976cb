#!/bin/bash
# xen-src-archive.sh REPO REV NAME
#
# Writes testdata/xen-src/xen-NAME.tar.xz: the paths of the upstream Xen repository REPO (a
# git directory, bare or not) at REV (a tag or a commit id) that the x86 hypervisor build
# needs, as `git archive` makes them (every mtime = the commit's time, the commit id in the
# pax header: `xz -dc ARCHIVE | git get-tar-commit-id`), compressed with single-threaded
# `xz -9` so that the same git and xz versions give the same bytes. Prints the archive's row
# for testdata/xen-src/PROVENANCE.md. build-xen.sh builds from these archives; this script is
# only for adding a release (it needs the upstream repository, CI does not).
#
# The paths: xen/ (the hypervisor, its Kconfig and build tools), config/ and Config.mk (which
# xen/Makefile includes: config/Linux.mk, config/x86_64.mk, config/StdGNU.mk), COPYING and
# LICENSES/ (the licence: GPL-2.0-only, with xen/COPYING's notice). Not included: tools/
# (xen/xsm/flask/Makefile reaches tools/flask/policy only with CONFIG_XSM_FLASK_POLICY, which
# Debian's configuration leaves off), docs/, stubdom/, automation/, the top-level configure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 3 ] || die "usage: xen-src-archive.sh REPO REV NAME   (e.g. /path/xen.git RELEASE-4.22.0 4.22.0)"
REPO=$1 REV=$2 NAME=$3
PATHS=(xen config Config.mk COPYING LICENSES)
OUT=$REPO_DIR/testdata/xen-src/xen-$NAME.tar.xz
commit=$(git -C "$REPO" rev-parse --verify "$REV^{commit}") || die "$REV: no such commit in $REPO"
mkdir -p "$(dirname "$OUT")"
git -C "$REPO" archive --format=tar --prefix="xen-$NAME/" "$REV" -- "${PATHS[@]}" | xz -9 -T1 > "$OUT.tmp"
[ "$(xz -dc "$OUT.tmp" | git get-tar-commit-id)" = "$commit" ] || die "$OUT: pax header does not name $commit"
mv "$OUT.tmp" "$OUT"
log "$(git --version), $(xz --version | head -n 1): ${OUT#"$REPO_DIR"/}"
# The row's first cell is build-xen.sh's RELEASE: 4.22 for 4.22.0, master for master-<id>.
case "$NAME" in [0-9]*.[0-9]*.[0-9]*) key=${NAME%.*} ;; *) key=${NAME%%-*} ;; esac
printf '| %s | %s | %s | %s | %s | %s |\n' "$key" "$REV" "$commit" "${OUT##*/}" "$(stat -c %s "$OUT")" \
  "$(sha256sum "$OUT" | cut -d' ' -f1)"

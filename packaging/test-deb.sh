#!/bin/bash
# packaging/test-deb.sh [DEB]: the Debian package on this machine, as root.
#   1. dpkg-deb -c / -f: the binary, dom0scope.1.gz and one page per subcommand, the three
#      completion files, the initramfs-tools hook and script, the dracut module, the systemd
#      unit and timer, the conffiles, the declared relationships;
#   2. dpkg -i: dom0scope runs from PATH (`dom0scope audit`, the bundled example off a dom0),
#      man finds every page, bash loads the completion, systemd-analyze verifies the unit and
#      timer (when systemd is installed), the check script says "not a Xen dom0", and the
#      timer is not enabled (opt in);
#   3. dpkg -r removes every file but the conffiles, dpkg -P those too.
# The machine is left as it was: the package is purged on any exit. It refuses to run when a
# dom0scope package is already installed (that one is the administrator's).
# Env: DEB (default: target/debian/dom0scope_*_amd64.deb, the one build-deb.sh left).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
pass=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
fail() { echo "FAIL $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (dpkg -i)"
built=("${CARGO_TARGET_DIR:-$REPO/target}"/debian/dom0scope_*_amd64.deb)   # build-deb.sh keeps one
DEB=${1:-${DEB:-${built[0]}}}
[ -f "$DEB" ] || fail "no package (run packaging/build-deb.sh)"
if dpkg-query -W -f '${Status}' dom0scope 2>/dev/null | grep -q 'installed'; then
  fail "a dom0scope package is installed already; not touching it"
fi

# --- 1. contents ---------------------------------------------------------------------------
LIST=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|')
has() { grep -qx -- "$1" <<< "$LIST" || fail "dpkg-deb -c lacks $1"; }
has /usr/bin/dom0scope
has /usr/share/man/man1/dom0scope.1.gz
for s in audit collect map explain predict verify hypercalls harden enforce probe diff completions; do
  has "/usr/share/man/man1/dom0scope-$s.1.gz"
done
has /usr/share/bash-completion/completions/dom0scope
has /usr/share/zsh/vendor-completions/_dom0scope
has /usr/share/fish/vendor_completions.d/dom0scope.fish
has /usr/share/initramfs-tools/hooks/dom0scope
has /usr/share/initramfs-tools/scripts/init-top/dom0scope
has /usr/lib/dracut/modules.d/90dom0scope/module-setup.sh
has /usr/lib/dracut/modules.d/90dom0scope/dom0scope-enforce.sh
has /usr/share/dom0scope/early.sh
has /usr/lib/systemd/system/dom0scope-check.service
has /usr/lib/systemd/system/dom0scope-check.timer
has /usr/libexec/dom0scope/check
has /usr/share/dom0scope/schemas/dom0scope-plan-1.json
has /usr/share/doc/dom0scope/copyright
pages=$(grep -c '^/usr/share/man/man1/dom0scope.*\.1\.gz$' <<< "$LIST")
ok "dpkg-deb -c: binary, $pages man pages, 3 completions, initramfs-tools hook and script, dracut module, unit and timer, check script, schemas"
[ "$(dpkg-deb -f "$DEB" Recommends)" = xen-utils-common ] || fail "Recommends: $(dpkg-deb -f "$DEB" Recommends)"
[ "$(dpkg-deb -f "$DEB" Suggests)" = "dracut | initramfs-tools" ] || fail "Suggests: $(dpkg-deb -f "$DEB" Suggests)"
CONFFILES=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles)
for c in /etc/dom0scope/policy.toml /etc/dom0scope/initramfs.conf /etc/default/dom0scope; do
  grep -qx "$c" <<< "$CONFFILES" || fail "conffiles lacks $c"
done
if dpkg-deb --ctrl-tarfile "$DEB" | tar -tf - | grep -Eq '(pre|post)(inst|rm)$'; then
  fail "the package has maintainer scripts (installing must change nothing on the system)"
fi
ok "control: Recommends xen-utils-common, Suggests dracut | initramfs-tools, 3 conffiles, no maintainer scripts"

# --- 2. installed --------------------------------------------------------------------------
trap 'dpkg -P dom0scope > /dev/null 2>&1 || true' EXIT
dpkg -i "$DEB" > /dev/null || fail "dpkg -i $DEB"
[ "$(dpkg-query -W -f '${Status}' dom0scope)" = "install ok installed" ] || fail "dpkg-query: not installed"
W=$(mktemp -d /tmp/dom0scope-deb.XXXXXX)
trap 'dpkg -P dom0scope > /dev/null 2>&1 || true; rm -rf "$W"' EXIT
[ "$(env -i PATH=/usr/local/bin:/usr/bin:/bin sh -c 'command -v dom0scope')" = /usr/bin/dom0scope ] ||
  fail "dom0scope is not on a user's PATH"
set +e
(cd "$W" && env -i PATH=/usr/bin:/bin NO_COLOR=1 dom0scope audit > "$W/audit.txt" 2> "$W/audit.err")
rc=$?
set -e
case $rc in 0|1|3) ;; *) cat "$W/audit.err" >&2; fail "dom0scope audit from PATH exited $rc" ;; esac
grep -q 'DOM0:' "$W/audit.txt" || fail "dom0scope audit printed no level"
grep -q 'bundled example' "$W/audit.err" || fail "audit did not say it audits the bundled example"
ok "dom0scope audit from PATH (as a user's PATH sees it): the bundled example, exit $rc, $(wc -l < "$W/audit.txt") lines"
for s in "" -audit -verify -completions; do
  p=$(man -w "dom0scope$s") || fail "man -w dom0scope$s"
  [ "$p" = "/usr/share/man/man1/dom0scope$s.1.gz" ] || fail "man -w dom0scope$s: $p"
done
MANWIDTH=80 man dom0scope-verify 2>/dev/null | grep -q 'EXIT STATUS' || fail "man dom0scope-verify shows no EXIT STATUS"
ok "man finds dom0scope(1) and the subcommand pages; man dom0scope-verify renders its EXIT STATUS"
bash -c '. /usr/share/bash-completion/completions/dom0scope && complete -p dom0scope' | grep -q _dom0scope ||
  fail "bash does not load the completion"
if command -v zsh > /dev/null; then zsh -n /usr/share/zsh/vendor-completions/_dom0scope || fail "zsh -n"; fi
if command -v fish > /dev/null; then fish -n /usr/share/fish/vendor_completions.d/dom0scope.fish || fail "fish -n"; fi
ok "bash loads the completion (complete -F _dom0scope dom0scope)"
if command -v systemd-analyze > /dev/null; then
  systemd-analyze verify /usr/lib/systemd/system/dom0scope-check.service \
    /usr/lib/systemd/system/dom0scope-check.timer > "$W/analyze.txt" 2>&1 ||
    { cat "$W/analyze.txt" >&2; fail "systemd-analyze verify"; }
  ok "systemd-analyze verify: unit and timer"
else
  echo "SKIP systemd-analyze (systemd not installed)"
fi
if [ -e /etc/systemd/system/timers.target.wants/dom0scope-check.timer ]; then fail "the timer was enabled by installing"; fi
out=$(DOM0SCOPE_CAPABILITIES=$W/none DOM0SCOPE_STATE=$W/state /usr/libexec/dom0scope/check) || fail "check off a dom0 failed"
grep -q 'not a Xen dom0' <<< "$out" || fail "check off a dom0: $out"
[ ! -e "$W/state" ] || fail "check off a dom0 wrote state"
ok "the timer is not enabled; the check script off a dom0: \"not a Xen dom0\", exit 0, nothing written"

# --- 3. removal -----------------------------------------------------------------------------
FILES=$(dpkg -L dom0scope | while read -r f; do if [ -f "$f" ]; then echo "$f"; fi; done)
dpkg -r dom0scope > /dev/null || fail "dpkg -r"
left=$(while read -r f; do if [ -e "$f" ]; then echo "$f"; fi; done <<< "$FILES")
[ "$left" = "$(printf '%s\n' /etc/default/dom0scope /etc/dom0scope/initramfs.conf /etc/dom0scope/policy.toml)" ] ||
  fail "after dpkg -r, left: $left"
! command -v dom0scope > /dev/null || fail "dom0scope still on PATH after dpkg -r"
dpkg -P dom0scope > /dev/null || fail "dpkg -P"
for f in /etc/default/dom0scope /etc/dom0scope; do [ ! -e "$f" ] || fail "after dpkg -P, $f remains"; done
dpkg-query -W dom0scope > /dev/null 2>&1 && fail "dpkg still knows dom0scope after -P"
ok "dpkg -r removed all $(wc -l <<< "$FILES") files but the 3 conffiles; dpkg -P removed those and /etc/dom0scope"
echo "all $pass checks passed ($DEB)"

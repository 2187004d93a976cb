# shellcheck shell=bash
# Shared helpers for the dom0scope QEMU/Xen harness. Sourced, never run.
# Every path the harness writes is under $HARNESS_WORK (default harness/work, gitignored).

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$HARNESS_DIR/.." && pwd)
HARNESS_WORK=${HARNESS_WORK:-$HARNESS_DIR/work}

# The static dom0scope that goes into dom0 (and runs `audit` on the host). Set DOM0SCOPE_BIN to
# use an existing static binary instead of building the tree (build-dom0scope.sh then skips
# the cargo build).
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO_DIR/target}
DOM0SCOPE_BUILT=$TARGET_DIR/x86_64-unknown-linux-gnu/release/dom0scope
DOM0SCOPE_BIN=${DOM0SCOPE_BIN:-$DOM0SCOPE_BUILT}

log() { printf 'harness: %s\n' "$*" >&2; }
die() { printf 'harness: error: %s\n' "$*" >&2; exit 1; }

# Debian suite that ships each Xen release we boot.
suite_for_xen() {
  case "$1" in
    4.17) echo bookworm ;;
    4.20) echo trixie ;;
    *) die "unknown Xen release '$1' (known: 4.17, 4.20)" ;;
  esac
}

# Directory holding the unpacked packages and boot images of one Xen release.
xen_dir() { echo "$HARNESS_WORK/xen-$1"; }

# apt options for a private apt state of SUITE: own sources list, lists, caches and
# an empty dpkg status, so neither the host's apt configuration nor its state is touched.
apt_private_opts() {
  local a=$HARNESS_WORK/apt/$1
  APT_OPTS=(
    -o "Dir::Etc::SourceList=$a/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::Etc::Preferences=/dev/null"
    -o "Dir::Etc::PreferencesParts=/dev/null"
    -o "Dir::State::Lists=$a/lists"
    -o "Dir::State::status=$a/status"
    -o "Dir::Cache=$a/cache"
    -o "Dir::Cache::Archives=$a/archives"
    -o "Acquire::Languages=none"
    -o "APT::Sandbox::User=root"
  )
}

# Monotonic-enough wall clock in seconds with sub-second precision (bash 5).
now() { printf '%s' "${EPOCHREALTIME}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

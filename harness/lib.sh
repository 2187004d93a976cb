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

# Prefixes each line read with the seconds since the function started ("[  12.345] ").
stamp() {
  local t0=${EPOCHREALTIME/./} line now d
  while IFS= read -r line || [ -n "$line" ]; do
    now=${EPOCHREALTIME/./}; d=$(( (now - t0) / 1000 ))
    printf '[%4d.%03d] %s\n' $((d / 1000)) $((d % 1000)) "$line"
  done
}

# run_qemu_watched RUN LOG TIMEOUT: runs "${QEMU[@]}", appending its console (escape codes
# stripped, timestamped) to LOG, and never lets it hang: it is killed on a fatal line from
# Xen, Linux or the firmware, 30 s after dom0 printed '===== HARNESS: DONE' without powering
# off, or after TIMEOUT seconds. Sets END (why it ended), QRC and WALL, and logs the end.
run_qemu_watched() {
  local run=$1 log=$2 timeout=$3 fatal fifo logger t0 qpid done_at= m
  fatal='Hardware Dom0 halted|Hardware Dom0 crashed|Panic on CPU|Kernel panic - not syncing|Access Denied|Could not construct domain 0'
  fifo=$run/console.fifo; mkfifo "$fifo"
  sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[()][A-Z0-9]//g' -e 's/\x1b[c=>]//g' < "$fifo" \
    | stamp >> "$log" &
  logger=$!
  t0=$(now)
  "${QEMU[@]}" < /dev/null > "$fifo" 2>&1 &
  qpid=$!
  END=
  while kill -0 "$qpid" 2>/dev/null; do
    if [ -z "$done_at" ] && grep -a -q '===== HARNESS: DONE' "$log"; then done_at=$(now); fi
    if m=$(grep -a -o -m1 -E "$fatal" "$log"); then
      sleep 1; END="killed on '$m'"; kill "$qpid" 2>/dev/null; break
    fi
    if [ -n "$done_at" ] && awk -v a="$done_at" -v b="$(now)" 'BEGIN { exit !(b - a > 30) }'; then
      END="killed: no power-off 30 s after dom0 finished"; kill "$qpid" 2>/dev/null; break
    fi
    if awk -v a="$t0" -v b="$(now)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }'; then
      END="killed: watchdog timeout after ${timeout} s"; kill "$qpid" 2>/dev/null; break
    fi
    sleep 0.5
  done
  wait "$qpid"; QRC=$?
  wait "$logger" 2>/dev/null
  rm -f "$fifo"
  WALL=$(elapsed "$t0")
  [ -n "$END" ] || END="qemu exited (rc=$QRC)"
  echo "# end: $END; wall ${WALL} s" >> "$log"
}

# reached_init NAME: did dom0's /init start in the run's serial log? A boot that failed before
# it (the dom0 kernel hanging under TCG, seen once in ~50 boots) says nothing about dom0scope.
reached_init() { grep -a -q '===== HARNESS: dom0 /init started' "$HARNESS_WORK/runs/$1/serial.log" 2>/dev/null; }

# tcg_svm_fault NAME: did a PVH dom0 die the way seen only under QEMU's TCG emulation of SVM
# (docs/known-issues/README.md), also before any dom0scope change? Xen's `d0v0 Triple fault`,
# or a Linux oops with CR2 in the CPU entry area (0xfffffe00...: IDT alias, entry stacks).
tcg_svm_fault() {
  local l=$HARNESS_WORK/runs/$1/serial.log
  grep -a -q 'd0v0 Triple fault' "$l" 2>/dev/null && return 0
  grep -a -q 'Kernel panic' "$l" 2>/dev/null && grep -a -q -E 'CR2: fffffe00[0-9a-f]{8}' "$l"
}

# with_retries TCG_TRIES NAME CMD...: runs CMD, a boot of run NAME, and boots again only when
# the failure says nothing about dom0scope: dom0 never reached /init (once), or a PVH dom0
# died with the tcg_svm_fault signature (up to TCG_TRIES times). Each retry is said, and the
# failed boot's serial log is kept as runs/NAME.<why>-<n>.serial.log. Any other failure, or one
# retry too many, returns 1.
with_retries() {
  local tcg=$1 n=$2 fails=0 why msg
  shift 2
  while :; do
    "$@" && return 0
    fails=$((fails + 1))
    if ! reached_init "$n"; then
      [ "$fails" -le 1 ] || return 1
      why=no-init msg="dom0 never reached /init (before any dom0scope code)"
    elif tcg_svm_fault "$n"; then
      [ "$fails" -le "$tcg" ] || return 1
      why=tcg-fault msg="the PVH dom0 died in exception entry (the TCG SVM fault in docs/known-issues)"
    else
      return 1
    fi
    cp "$HARNESS_WORK/runs/$n/serial.log" "$HARNESS_WORK/runs/$n.$why-$fails.serial.log" 2>/dev/null || true
    log "$n: $msg; log kept as $n.$why-$fails.serial.log: booting again"
  done
}

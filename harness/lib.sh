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

# The Xen releases the harness boots. Debian packages 4.17 (12 bookworm) and 4.20 (13 trixie):
# fetch.sh downloads them. The others are compiled from the upstream source in testdata/xen-src
# (build-xen.sh; master is a pinned commit, experimental) and boot with Debian 13's dom0: the
# kernel and userland fetch.sh 4.20 brings.
XEN_RELEASES="4.17 4.18 4.19 4.20 4.21 4.22 master"

# built_xen XEN: is XEN built from source (build-xen.sh) rather than Debian's package?
built_xen() { case "$1" in 4.18|4.19|4.21|4.22|master) return 0 ;; *) return 1 ;; esac; }

# dom0_xen XEN: the Debian Xen release whose fetched packages (kernel, Xen tools, busybox)
# make XEN's dom0: XEN itself, or 4.20 for a release built from source.
dom0_xen() { if built_xen "$1"; then echo 4.20; else echo "$1"; fi; }

# Debian suite that ships each Xen release we boot (for a release built from source: the
# suite of its dom0).
suite_for_xen() {
  case "$1" in
    4.17) echo bookworm ;;
    4.20|4.18|4.19|4.21|4.22|master) echo trixie ;;
    *) die "unknown Xen release '$1' (known: ${XEN_RELEASES// /, })" ;;
  esac
}

# Directory holding the unpacked packages and boot images of one Xen release.
xen_dir() { echo "$HARNESS_WORK/xen-$1"; }

# prepare_xen XEN...: all that booting each XEN needs, each step cached: Debian's packages
# (fetch.sh, once per dom0 release), the hypervisors built from source (build-xen.sh), the
# static dom0scope (build-dom0scope.sh) and each release's initramfs (build-initrd.sh).
# Returns 1, saying which step failed, on the first failure.
prepare_xen() {
  local x d
  for d in $(for x in "$@"; do dom0_xen "$x"; done | sort -u); do
    "$HARNESS_DIR/fetch.sh" "$d" || { log "fetch.sh $d failed"; return 1; }
  done
  for x in "$@"; do
    if built_xen "$x"; then "$HARNESS_DIR/build-xen.sh" "$x" || { log "build-xen.sh $x failed"; return 1; }; fi
  done
  "$HARNESS_DIR/build-dom0scope.sh" || { log "build-dom0scope.sh failed"; return 1; }
  for x in "$@"; do
    "$HARNESS_DIR/build-initrd.sh" "$x" || { log "build-initrd.sh $x failed"; return 1; }
  done
}

# xen_origin XEN: what XEN's hypervisor is, for logs and results: Debian's package and its
# version, or the tag and commit build-xen.sh built (from xen_dir XEN's BUILD-INFO).
xen_origin() {
  local d
  d=$(xen_dir "$1")
  if ! built_xen "$1"; then
    echo "xen-hypervisor-$1-amd64 $(pkg_version "$d" "xen-hypervisor-$1-amd64")"
  elif [ -f "$d/BUILD-INFO" ]; then
    awk -F= '{ v[$1] = substr($0, length($1) + 2) }
      END { printf "%s %s (built from testdata/xen-src by build-xen.sh, key %s%s)\n",
              v["release"] == "master" ? "master" : v["tag"], substr(v["commit"], 1, 12), v["key"],
              v["experimental"] == "yes" ? ", experimental" : "" }' "$d/BUILD-INFO"
  else
    echo "Xen $1 not built (build-xen.sh $1)"
  fi
}

# apt options for a private apt state of SUITE: own sources list, lists, caches and
# an empty dpkg status, so neither the host's apt configuration nor its state is touched.
apt_private_opts() {
  local a=$HARNESS_WORK/apt/$1
  # shellcheck disable=SC2034  # for fetch.sh, the caller
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

# What every boot starts from: Xen's and dom0's command lines (boot.sh's defaults; enforce.sh
# and hooks-boot.sh boot with this Xen command line, matrix.sh varies it).
# shellcheck disable=SC2034  # for the scripts that source lib.sh
DEFAULT_XEN_CMDLINE="console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all dom0_mem=1024M,max:1024M conring_size=1m"
# shellcheck disable=SC2034  # for the scripts that source lib.sh
DEFAULT_DOM0_CMDLINE="console=hvc0 earlyprintk=xen rdinit=/init"

# check_name NAME: a run's name becomes a directory and the marker on the data UART.
check_name() {
  case "$1" in *[!A-Za-z0-9._-]*) die "NAME may only use A-Z a-z 0-9 . _ -" ;; esac
}

# pkg_version DIR PACKAGE: the version of PACKAGE unpacked into xen_dir DIR (fetch.sh's VERSIONS).
pkg_version() { awk -v p="$2" '$1 == p {print $2}' "$1/VERSIONS"; }

# fresh_run_dir DIR [MARKER...]: an empty DIR for a new run. Only ever deletes a previous run's
# directory, one holding a MARKER file (default serial.log), never a user's directory.
fresh_run_dir() {
  local dir=$1 m ours=
  shift
  [ $# -gt 0 ] || set -- serial.log
  if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    for m in "$@"; do [ -f "$dir/$m" ] && ours=1; done
    [ -n "$ours" ] || die "$dir exists, is not empty and is not a harness run directory"
  fi
  rm -rf "$dir"; mkdir -p "$dir"
}

# initrd_with_conf DIR RUN: $RUN/initrd.cpio.gz is xen_dir DIR's initramfs with a cpio archive
# of $RUN/conf/ appended: the run's settings (etc/harness.conf) and files. The kernel unpacks
# both, so the dom0 command line stays exactly the configuration's and later files win.
initrd_with_conf() {
  (cd "$2/conf" && find . | cpio -o -H newc --quiet -R 0:0 | gzip -1) > "$2/conf.cpio.gz"
  cat "$1/initrd.cpio.gz" "$2/conf.cpio.gz" > "$2/initrd.cpio.gz"
}

# For build-xen.sh and build-xen-debian.sh, which set WHO (the build, as the user asked for it).
# build_step NAME LOG CMD...: runs CMD with its output appended to LOG; on failure says which
# build and step failed, shows LOG's last 30 lines and exits.
build_step() {
  local name=$1 logf=$2 rc=0
  shift 2
  "$@" >> "$logf" 2>&1 || rc=$?
  [ $rc = 0 ] && return 0
  log "$WHO: step '$name' failed (exit $rc); last 30 lines of ${logf#"$REPO_DIR"/}:"
  tail -n 30 "$logf" | sed 's/^/    /' >&2
  exit 1
}

# patch_series DIR: the series' *.patch files, in name order, into PATCHES (absolute: patch
# -d changes directory before reading -i) and their sha256 lines (the cache key's) into
# PATCH_SUMS; exits naming step 'patch' when DIR is not a directory or holds none.
patch_series() {
  local dir f
  [ -d "$1" ] || die "$WHO: step 'patch': XEN_PATCHES=$1 is not a directory"
  dir=$(cd "$1" && pwd)
  PATCHES=()
  for f in "$dir"/*.patch; do [ -f "$f" ] && PATCHES+=("$f"); done
  [ ${#PATCHES[@]} -gt 0 ] || die "$WHO: step 'patch': no *.patch in $1"
  # shellcheck disable=SC2034  # for the cache key of the caller
  PATCH_SUMS=$(cd "$dir" && sha256sum -- "${PATCHES[@]##*/}")
}

# apply_patch_series LOG SRC: applies PATCHES to the tree SRC in order, each exactly (fuzz 0).
apply_patch_series() {
  local f
  for f in "${PATCHES[@]}"; do
    echo "applying ${f##*/}" >> "$1"
    build_step patch "$1" patch -p1 --fuzz=0 --no-backup-if-mismatch -d "$2" -i "$f"
  done
}

# collect_xen_build WHO SRC LOG OUT REL: after `make` in the Xen tree SRC, copies xen, xen.gz
# and, when the linker made one, xen.efi, the resulting config (as xen-REL-amd64.config) and
# the build LOG into OUT.tmp. Sets EFI (yes|no) and XEN_FILES (the images copied); exits naming
# the step when xen/xen is missing.
collect_xen_build() {
  local who=$1 src=$2 log=$3 out=$4 rel=$5 f
  [ -f "$src/xen/xen" ] || { log "$who: step 'build': make succeeded but xen/xen is missing"; tail -n 30 "$log" >&2; exit 1; }
  EFI=no; [ -f "$src/xen/xen.efi" ] && EFI=yes
  XEN_FILES=(xen xen.gz); [ $EFI = no ] || XEN_FILES+=(xen.efi)
  mkdir -p "$out.tmp"
  for f in "${XEN_FILES[@]}"; do cp "$src/xen/$f" "$out.tmp/"; done
  cp "$src/xen/.config" "$out.tmp/xen-$rel-amd64.config"
  cp "$log" "$out.tmp/build.log"
}

# install_xen_build OUT D WHO REL: installs the finished build in the cache directory OUT into
# the release's directory D (xen, xen.gz, xen.efi, its config, VERSIONS and build.log when
# present, BUILD-INFO last), unless D already holds that build (same BUILD-INFO).
install_xen_build() {
  local out=$1 d=$2 who=$3 rel=$4 f
  if [ -f "$d/BUILD-INFO" ] && cmp -s "$d/BUILD-INFO" "$out/BUILD-INFO"; then
    log "$who: ${d#"$REPO_DIR"/} is up to date"
    return 0
  fi
  mkdir -p "$d"
  rm -f "$d/BUILD-INFO" "$d/xen.efi"
  for f in xen xen.gz xen.efi "xen-$rel-amd64.config" VERSIONS build.log; do
    if [ -f "$out/$f" ]; then cp "$out/$f" "$d/$f.tmp"; mv "$d/$f.tmp" "$d/$f"; fi
  done
  cp "$out/BUILD-INFO" "$d/BUILD-INFO"
  log "$who: installed in ${d#"$REPO_DIR"/}"
}

# xen_build_summary WHO D: one line on the build installed in D (from its BUILD-INFO).
xen_build_summary() {
  local info=$2/BUILD-INFO
  log "$1: xen $(awk -F= '$1 == "sha256_xen" {print substr($2, 1, 16)}' "$info")…, xen.efi: $(awk -F= '$1 == "xen_efi" {print $2}' "$info"), build $(awk -F= '$1 == "build_seconds" {print $2}' "$info") s"
}

# qemu_cmd MACHINE CPU SMP MEM CONSOLE RUN: sets QEMU to what every boot runs: TCG (QEMU_ACCEL
# overrides it), no display, -no-reboot (dom0's power-off or a reboot ends the run), the
# console UART (com1|com2) on stdout, and the data UART in the next ISA slot writing
# $RUN/data.bin. Sets DATA_INDEX and DATA_TTY (that UART as dom0 sees it).
qemu_cmd() {
  local machine=$1 cpu=$2 smp=$3 mem=$4 console=$5 run=$6 serial
  case "$console" in
    com1) serial=(-serial mon:stdio); DATA_INDEX=1 ;;
    com2) serial=(-serial null -serial mon:stdio); DATA_INDEX=2 ;;
    *) die "--console com1|com2" ;;
  esac
  # shellcheck disable=SC2034  # for the caller's harness.conf
  DATA_TTY=/dev/ttyS$DATA_INDEX
  QEMU=(qemu-system-x86_64 -accel "${QEMU_ACCEL:-tcg}" -machine "$machine" -cpu "$cpu" -smp "$smp" -m "$mem"
        -nographic -no-reboot "${serial[@]}"
        -chardev "file,id=data,path=$run/data.bin" -device "isa-serial,chardev=data,index=$DATA_INDEX")
}

# qemu_boot_xen FIRMWARE DIR RUN XEN_ARGS DOM0_CMDLINE INITRD [ESP_BUS]: appends to QEMU the
# way Xen (from xen_dir DIR) starts with dom0's kernel and INITRD.
#   seabios: QEMU's multiboot loader; modules are "file args" separated by commas, so a comma
#            in dom0's command line is doubled.
#   ovmf:    xen.efi as the removable-media loader of a vvfat ESP with xen.efi's own config
#            file; the ESP on ESP_BUS (default ide: the machine's own controller, no PCI
#            device) and a fresh copy of the variable store per run.
qemu_boot_xen() {
  local fw=$1 d=$2 run=$3 xen_args=$4 dom0_cmdline=$5 initrd=$6 esp_bus=${7:-ide} e
  local code=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd} vars=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
  case "$fw" in
    seabios)
      QEMU+=(-kernel "$d/xen" -append "$xen_args" -initrd "$d/vmlinuz ${dom0_cmdline//,/,,},$initrd") ;;
    ovmf)
      e=$run/esp/EFI/BOOT; mkdir -p "$e"
      cp "$d/xen.efi" "$e/BOOTX64.EFI"; cp "$d/vmlinuz" "$e/vmlinuz"; cp "$initrd" "$e/initrd.gz"
      printf '[global]\ndefault=xen\n\n[xen]\noptions=%s\nkernel=vmlinuz %s\nramdisk=initrd.gz\n' \
        "$xen_args" "$dom0_cmdline" > "$e/BOOTX64.cfg"
      cp "$vars" "$run/vars.fd"
      QEMU+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
             -drive "if=pflash,format=raw,unit=1,file=$run/vars.fd"
             -drive "file=fat:rw:$run/esp,format=raw,if=$esp_bus") ;;
    *) die "--firmware seabios|ovmf" ;;
  esac
}

# qemu_comment: the serial log's "# qemu: ..." header line, QEMU quoted to paste into a shell.
qemu_comment() { printf '# qemu:'; printf ' %q' "${QEMU[@]}"; echo; }

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
  local run=$1 log=$2 timeout=$3 fatal fifo logger t0 qpid done_at='' m
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

# receive_tarball RUN NAME TGZ DEST: what dom0 sent on the data UART (harness/dom0-lib.sh's
# dom0_send): base64 of a tar.gz between '===== SNAPSHOT BEGIN NAME =====' and an END line
# with its sha256 and size, in $RUN/data.bin. Writes TGZ and, when it arrived intact, unpacks
# its top directory NAME as DEST. Returns 1 with the first problem in RECV_WHY otherwise.
receive_tarball() {
  local run=$1 name=$2 tgz=$3 dest=$4 endline want_sha want_size
  RECV_WHY=
  tr -d '\r' < "$run/data.bin" > "$run/data.txt" 2>/dev/null || : > "$run/data.txt"
  endline=$(grep -a -m1 "^===== SNAPSHOT END $name " "$run/data.txt")
  if ! grep -a -q "^===== SNAPSHOT BEGIN $name =====" "$run/data.txt" || [ -z "$endline" ]; then
    RECV_WHY="no snapshot on the data UART ($END)"   # END: how run_qemu_watched's boot ended
    return 1
  fi
  sed -n "/^===== SNAPSHOT BEGIN $name =====\$/,/^===== SNAPSHOT END $name /p" "$run/data.txt" \
    | sed '1d;$d' | base64 -d > "$tgz" 2>/dev/null || RECV_WHY="snapshot: bad base64"
  want_sha=$(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' <<< "$endline")
  want_size=$(sed -n 's/.* size=\([0-9]*\).*/\1/p' <<< "$endline")
  if [ "$(sha256sum < "$tgz" | cut -d' ' -f1)" != "$want_sha" ] || [ "$(stat -c %s "$tgz")" != "$want_size" ]; then
    RECV_WHY=${RECV_WHY:-"snapshot damaged in transfer (sha256/size differ from the END line)"}
    return 1
  fi
  mkdir -p "$run/untar"
  tar -xzf "$tgz" -C "$run/untar" --no-same-owner && mv "$run/untar/$name" "$dest" \
    || RECV_WHY=${RECV_WHY:-"snapshot: cannot unpack"}
  rm -rf "$run/untar"
  [ -z "$RECV_WHY" ]
}

# check DESCRIPTION CMD...: runs CMD and appends "PASS|FAIL DESCRIPTION" to $CHECKS, counting
# failures in FAILS (the callers set both).
check() {
  local what=$1
  shift
  if "$@"; then echo "PASS $what" >> "$CHECKS"; else echo "FAIL $what" >> "$CHECKS"; FAILS=$((FAILS + 1)); fi
}
# not_run WHAT: records a check this run does not make, and why (WHAT says both); it is no
# pass: finish counts only PASS lines.
not_run() { echo "NOT RUN $*" >> "$CHECKS"; }

# finish SUFFIX: prints the checks of run $NAME ($CHECKS, $FAILS, $RUN) and exits 0 when none
# failed, else 1; SUFFIX ends the summary line (e.g. "; wall 12.3 s").
# shellcheck disable=SC2153  # NAME, RUN, CHECKS and FAILS are the caller's, by contract
finish() {
  sed 's/^/    /' "$CHECKS" >&2
  if [ "$FAILS" = 0 ]; then log "$NAME: OK ($(grep -c '^PASS' "$CHECKS") checks)$1"; exit 0; fi
  log "$NAME: FAILED ($FAILS checks)$1; logs in ${RUN#"$REPO_DIR"/}"
  exit 1
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
    # The TCG signature first: it also strikes before /init (a triple fault in Xen's
    # svm_asm_do_resume during dom0's own boot), and then it is that fault, not a hang.
    if tcg_svm_fault "$n"; then
      [ "$fails" -le "$tcg" ] || return 1
      why=tcg-fault msg="the PVH dom0 died in exception entry (the TCG SVM fault in docs/known-issues)"
    elif ! reached_init "$n"; then
      [ "$fails" -le 1 ] || return 1
      why=no-init msg="dom0 never reached /init (before any dom0scope code)"
    else
      return 1
    fi
    cp "$HARNESS_WORK/runs/$n/serial.log" "$HARNESS_WORK/runs/$n.$why-$fails.serial.log" 2>/dev/null || true
    log "$n: $msg; log kept as $n.$why-$fails.serial.log: booting again"
  done
}

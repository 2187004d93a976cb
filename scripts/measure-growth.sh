#!/usr/bin/env bash
# Time and peak RSS of `dom0scope audit` (release build) on generated inputs of 1x, 4x and 16x
# size, for each input an attacker in dom0 controls: a Xen log (mixed, and only 'q' dumps, the
# shape with the most memory per byte), ACPI tables (SSDTs packed with OperationRegions, as a
# directory and as a .tar.gz), and a policy file (many rules, many errors). Prints one row per
# cell and, per kind, the bound RSS = k x input + c fitted to the smallest and largest scale. docs/performance.md records the output (issue 14);
# the divan bench `growth` times the same inputs in-process.
#
#   scripts/measure-growth.sh [SCALE...]      # default: 1 4 16; RUNS=N (default 3) per cell
#
# Needs GNU time (apt-get install time). The inputs (up to ~200 MB at 16x) go to a temporary
# directory that is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "measure-growth.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(1 4 16)
runs=${RUNS:-3}

cargo build --release -q -p dom0scope
cargo build -q -p dom0scope --example growth_inputs
bin=$PWD/target/release/dom0scope
gen=$PWD/target/debug/examples/growth_inputs
base=testdata/snapshots/x417-pv-q35-vtd-bios
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The constants of the generator (crates/cli/benches/support/growth_inputs.rs).
ssdts_1x=2 ssdt_bytes=$((4 << 20)) rules_1x=2500 errors_1x=3125

results=$work/results
printf '%-14s %5s %10s %8s %10s %9s %s\n' kind scale input_MiB time_s peak_MiB rss/input exit
# measure KIND SCALE INPUT_BYTES COMMAND...: the best time and the largest peak of $runs runs.
measure() {
  local kind=$1 scale=$2 bytes=$3 best_s="" peak_kb=0 rc=0 s kb
  shift 3
  for _ in $(seq "$runs"); do
    rc=0
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" > /dev/null 2> "$work/stderr" || rc=$?
    read -r s kb < <(tail -n 1 "$work/time")
    if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$s; fi
    [ "$kb" -gt "$peak_kb" ] && peak_kb=$kb
  done
  echo "$kind $scale $bytes $best_s $peak_kb" >> "$results"
  awk -v k="$kind" -v x="$scale" -v b="$bytes" -v s="$best_s" -v m="$peak_kb" -v rc="$rc" 'BEGIN {
    printf "%-14s %4sx %10.1f %8.2f %10.1f %9.2f %s\n", k, x, b / 1048576, s, m / 1024, m * 1024 / b, rc
  }'
}

measure base-snapshot 1 "$(du -sb "$base" | cut -f1)" "$bin" audit "$base"
for x in "${scales[@]}"; do
  "$gen" log "$x" "$work/log-$x.log"
  measure log "$x" "$(stat -c %s "$work/log-$x.log")" "$bin" audit "$work/log-$x.log"
  "$gen" log-q-dumps "$x" "$work/log-$x.log"
  measure log-q-dumps "$x" "$(stat -c %s "$work/log-$x.log")" "$bin" audit "$work/log-$x.log"
  rm -f "$work/log-$x.log"

  dir=$work/acpi-$x
  cp -r "$base" "$dir"
  "$gen" ssdts $((ssdts_1x * x)) "$ssdt_bytes" "$dir/acpi"
  bytes=$(du -sb "$dir" | cut -f1)
  measure acpi-dir "$x" "$bytes" "$bin" audit "$dir"
  tar -C "$work" -czf "$dir.tar.gz" "acpi-$x"
  measure acpi-tar.gz "$x" "$bytes" "$bin" audit "$dir.tar.gz"
  rm -rf "$dir" "$dir.tar.gz"

  "$gen" policy-rules $((rules_1x * x)) "$work/rules.toml"
  measure policy-rules "$x" "$(stat -c %s "$work/rules.toml")" "$bin" audit --policy "$work/rules.toml" "$base"
  "$gen" policy-errors $((errors_1x * x)) "$work/errors.toml"
  measure policy-errors "$x" "$(stat -c %s "$work/errors.toml")" "$bin" audit --policy "$work/errors.toml" "$base"
done

echo
echo "fit from the smallest to the largest scale: peak RSS = k x input + c; time per MiB"
awk '$1 != "base-snapshot" {
  if (!($1 in lo) || $2 < lo_x[$1]) { lo[$1] = $0; lo_x[$1] = $2 }
  if (!($1 in hi) || $2 > hi_x[$1]) { hi[$1] = $0; hi_x[$1] = $2 }
}
END {
  for (k in lo) {
    split(lo[k], a, " "); split(hi[k], b, " ")
    if (b[3] == a[3]) continue
    slope = (b[5] - a[5]) * 1024 / (b[3] - a[3])
    c = (a[5] * 1024 - slope * a[3]) / 1048576
    printf "%-14s k = %5.2f  c = %6.1f MiB  input x%.1f: time %.2f s -> %.2f s (%.3f s/MiB)\n",
      k, slope, c, b[3] / a[3], a[4], b[4], b[4] * 1048576 / b[3]
  }
}' "$results" | sort

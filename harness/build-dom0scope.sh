#!/bin/bash
# Builds the dom0scope binary that goes into the dom0 initramfs: release, statically linked
# (+crt-static against glibc), so it runs on any dom0 whatever its libc; and the host-side
# snapshot checker (crates/collect/examples/verify-snapshot.rs).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_DIR"
BIN=$DOM0SCOPE_BIN
read -r -a CARGO_FLAGS <<< "${HARNESS_CARGO_FLAGS:-}"   # extra cargo build arguments, split on blanks
if [ "$BIN" = "$DOM0SCOPE_BUILT" ]; then
  RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build -q "${CARGO_FLAGS[@]}" --release --target x86_64-unknown-linux-gnu -p dom0scope
else
  log "DOM0SCOPE_BIN is set: using $BIN, not building the tree"
fi
[ -x "$BIN" ] || die "no dom0scope binary at $BIN"
if command -v file >/dev/null; then
  file -L "$BIN" | grep -Eq 'statically linked|static-pie linked' || die "$BIN is not statically linked: $(file -L "$BIN")"
else   # no file(1): a static binary has neither an ELF interpreter nor a dynamic section
  ! readelf -lW "$BIN" | grep -q 'INTERP' || die "$BIN is not statically linked (has PT_INTERP)"
fi
cargo build -q "${CARGO_FLAGS[@]}" -p dom0scope-collect --example verify-snapshot
log "dom0scope: $(du -h "$BIN" | cut -f1), statically linked ($BIN)"

#!/usr/bin/env bash
# The whole test suite: formatting, lints, the fast tests (no QEMU, no network).
# Real-Xen boots are added by the harness (see harness/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test (fast tests)"
cargo test --workspace

//! Helpers every CLI test file shares: where the real test data is, and the
//! binary with colour off.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A path under the repository's `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// The `dom0scope` binary with `NO_COLOR` set and no `COLUMNS` (its output is not a
/// terminal, so text is 100 columns wide whoever runs the tests).
pub fn dom0scope() -> Command {
    let mut c = Command::cargo_bin("dom0scope").expect("binary");
    c.env("NO_COLOR", "1").env_remove("COLUMNS");
    c
}

/// Every real boot in `testdata/` the model and the rules are checked on: the QEMU logs of
/// Xen 4.17 and 4.20 (Debian's), of 4.18, 4.19, 4.21, 4.22 and master (built from
/// `testdata/xen-src` by `harness/build-xen.sh`, Debian 13's dom0), and the snapshots
/// collected in their dom0s.
pub const REAL_BOOTS: &[&str] = &[
    "snapshots/x417-pv-q35-uefi",
    "snapshots/x417-pv-q35-vtd-bios",
    "snapshots/x420-pv-pc-bios",
    "snapshots/x420-pvh-q35-vtd-bios",
    "snapshots/x420-pvh-q35-amdvi-bios",
    "snapshots/x418-pvh-q35-vtd-bios",
    "snapshots/x419-pv-pc-uefi",
    "snapshots/x421-pvh-q35-vtd-bios",
    "snapshots/x422-pv-pc-uefi",
    "snapshots/xmaster-pv-pc-uefi",
    "snapshots/x417-pv-q35-msi-bios",
    "logs/qemu-xen-4.17/pv-q35-qemu64.log",
    "logs/qemu-xen-4.17/pv-q35-viommu.log",
    "logs/qemu-xen-4.17/pvh-q35-viommu.log",
    "logs/qemu-xen-4.17/uefi-pv-q35-qemu64.log",
    "logs/qemu-xen-4.20/pv-q35-qemu64.log",
    "logs/qemu-xen-4.20/pvh-q35-viommu.log",
    "logs/qemu-xen-4.18/x418-pvh-q35-vtd-bios.log",
    "logs/qemu-xen-4.19/x419-pv-pc-uefi.log",
    "logs/qemu-xen-4.21/x421-pvh-q35-vtd-bios.log",
    "logs/qemu-xen-4.22/x422-pv-pc-uefi.log",
    "logs/qemu-xen-master/xmaster-pv-pc-uefi.log",
];

/// The binary run from the repository root (paths in goldens stay relative), returning the
/// exit status and standard output.
pub fn run_in_repo(args: &[&str]) -> (std::process::ExitStatus, String) {
    let out = dom0scope()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(args)
        .output()
        .unwrap();
    (out.status, String::from_utf8(out.stdout).unwrap())
}

/// Copies a directory tree (a snapshot, a fake `/sys`) so a test can edit the copy.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

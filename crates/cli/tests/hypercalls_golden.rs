//! Golden `dom0scope hypercalls` text for one BIOS and one UEFI snapshot, reviewed
//! line by line: what dom0 may ask of Xen there, and why.

use std::path::Path;

use assert_cmd::Command;

fn run(args: &[&str]) -> String {
    let out = Command::cargo_bin("dom0scope")
        .unwrap()
        .env("NO_COLOR", "1")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn hypercalls_of_a_bios_snapshot() {
    insta::assert_snapshot!(run(&["hypercalls", "testdata/snapshots/x420-pv-pc-bios"]));
}

#[test]
fn hypercalls_of_a_uefi_snapshot() {
    insta::assert_snapshot!(run(&["hypercalls", "testdata/snapshots/x417-pv-q35-uefi"]));
}

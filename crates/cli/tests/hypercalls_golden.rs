//! Golden `dom0scope hypercalls` text for one BIOS and one UEFI snapshot, reviewed
//! line by line: what dom0 may ask of Xen there, and why.

mod common;

fn run(args: &[&str]) -> String {
    let (status, out) = common::run_in_repo(args);
    assert!(status.success());
    out
}

#[test]
fn hypercalls_of_a_bios_snapshot() {
    insta::assert_snapshot!(run(&["hypercalls", "testdata/snapshots/x420-pv-pc-bios"]));
}

#[test]
fn hypercalls_of_a_uefi_snapshot() {
    insta::assert_snapshot!(run(&["hypercalls", "testdata/snapshots/x417-pv-q35-uefi"]));
}

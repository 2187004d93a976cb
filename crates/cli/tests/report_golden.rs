//! Golden reports: the text and JSON audit of real snapshots, reviewed line by line.

mod common;

fn run(args: &[&str]) -> String {
    common::run_in_repo(args)
        .1
        .replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}

#[test]
fn text_report_of_the_bundled_example() {
    insta::assert_snapshot!(run(&["audit"]));
}

#[test]
fn text_report_of_a_pvh_snapshot() {
    insta::assert_snapshot!(run(&["audit", "testdata/snapshots/x420-pvh-q35-vtd-bios"]));
}

#[test]
fn json_report_of_a_uefi_snapshot() {
    insta::assert_snapshot!(run(&[
        "audit",
        "--format",
        "json",
        "testdata/snapshots/x417-pv-q35-uefi"
    ]));
}

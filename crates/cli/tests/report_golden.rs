//! Golden reports: the text and JSON audit of real snapshots, reviewed line by line.

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
    String::from_utf8(out.stdout)
        .unwrap()
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

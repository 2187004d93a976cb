//! Golden reports: the text and JSON audit of real snapshots, reviewed line by line.

mod common;

fn run(args: &[&str]) -> String {
    common::run_in_repo(args)
        .1
        .replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}

/// The default view: the answer and one line per finding (what `--summary` was).
#[test]
fn text_report_of_the_bundled_example() {
    insta::assert_snapshot!(run(&["audit"]));
}

/// Everything the default text had before the answer moved first: these goldens are the
/// earlier default-text goldens with the answer's lines added at the top.
#[test]
fn details_of_the_bundled_example() {
    insta::assert_snapshot!(run(&["audit", "--details"]));
}

#[test]
fn details_of_a_pvh_snapshot() {
    insta::assert_snapshot!(run(&[
        "audit",
        "--details",
        "testdata/snapshots/x420-pvh-q35-vtd-bios"
    ]));
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

//! Where answers go and what reaches the terminal: `-o` and `--format` mean the same in every
//! subcommand, a report that could not be written is an error, and nothing a snapshot holds
//! can steer the operator's terminal.

mod common;

use std::process::{Command, Stdio};

use common::{dom0scope, testdata};

const LOG: &str = "logs/qemu-xen-4.17/pv-q35-viommu.log";

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("dom0scope")
}

#[test]
fn a_full_disk_on_standard_output_is_an_error() {
    for args in [
        vec!["audit"],
        vec!["map"],
        vec!["harden", "--format", "json"],
        vec!["audit", "--format", "json"],
    ] {
        let full = std::fs::File::create("/dev/full").expect("/dev/full");
        let out = Command::new(bin())
            .args(&args)
            .arg(testdata(LOG))
            .stdout(Stdio::from(full))
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("cannot write to standard output"), "{err}");
    }
}

#[test]
fn a_closed_standard_output_is_an_error_but_dev_null_is_not() {
    let run = |redirect: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("exec \"$0\" audit \"$1\" {redirect}"))
            .arg(bin())
            .arg(testdata(LOG))
            .output()
            .expect("sh runs")
    };
    let closed = run(">&-");
    assert_eq!(closed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&closed.stderr).contains("standard output is closed"));
    // The real log is judged INCOMPLETE (3) or worse, never an error, when output is discarded.
    let discarded = run(">/dev/null");
    assert_ne!(discarded.status.code(), Some(2), "{discarded:?}");
}

#[test]
fn format_follows_the_output_files_extension_unless_given() {
    let dir = tempfile::tempdir().unwrap();
    let log = testdata(LOG);
    for (name, starts) in [
        ("r.json", "{"),
        ("r.sarif", "{"),
        ("r.txt", "dom0scope"),
        ("R.JSON", "{"),
        ("r.html", "<!DOCTYPE html>"),
        ("r.HTM", "<!DOCTYPE html>"),
    ] {
        let path = dir.path().join(name);
        dom0scope()
            .arg("audit")
            .arg(&log)
            .arg("-o")
            .arg(&path)
            .assert()
            .stdout("");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(starts), "{name}: {}", &text[..40]);
        if name == "r.sarif" {
            assert!(text.contains("\"$schema\""), "SARIF: {}", &text[..200]);
        }
    }
    // An explicit --format wins over the extension.
    let path = dir.path().join("forced.json");
    dom0scope()
        .args(["map", "--format", "text", "-o"])
        .arg(&path)
        .arg(&log)
        .assert()
        .success();
    assert!(!std::fs::read_to_string(&path).unwrap().starts_with('{'));
}

#[test]
fn harden_dash_o_plan_json_writes_the_plan_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    dom0scope()
        .arg("harden")
        .arg(testdata("snapshots/x417-pv-q35-vtd-bios"))
        .arg("-o")
        .arg(&plan)
        .assert()
        .success()
        .stdout("");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).expect("JSON plan");
    assert_eq!(v["schema"], "dom0scope-plan/1");
    // And -o FILE.txt is the text plan, as printed.
    let text = dir.path().join("plan.txt");
    dom0scope()
        .arg("harden")
        .arg(testdata("snapshots/x417-pv-q35-vtd-bios"))
        .arg("-o")
        .arg(&text)
        .assert()
        .success();
    assert!(!std::fs::read_to_string(&text).unwrap().starts_with('{'));
}

/// The real log with an escape sequence hidden in Xen's command line (shown in the report)
/// under a file name that carries one too.
fn hostile_log(dir: &std::path::Path) -> std::path::PathBuf {
    let log = std::fs::read_to_string(testdata(LOG)).unwrap();
    assert!(log.contains("(XEN) Command line: "));
    let log = log.replace(
        "(XEN) Command line: ",
        "(XEN) Command line: \x1b[1A\x1b[2K\x1b]0;owned\x07\r",
    );
    let path = dir.join("boot\x1b[2J.log");
    std::fs::write(&path, log).unwrap();
    path
}

#[test]
fn escape_sequences_from_a_snapshot_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = hostile_log(dir.path());
    for args in [
        vec!["audit"],
        vec!["audit", "--details"],
        vec!["map"],
        vec!["hypercalls"],
        vec!["predict"],
        vec!["verify"],
        vec!["harden"],
    ] {
        // Colour forced on, as on a terminal: only our own SGR may pass.
        let out = Command::new(bin())
            .args(&args)
            .arg(&path)
            .env("CLICOLOR_FORCE", "1")
            .output()
            .unwrap();
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            for bad in ["\x1b[1A", "\x1b[2K", "\x1b[2J", "\x1b]", "\x07", "\r"] {
                assert!(!text.contains(bad), "{args:?} printed {bad:?}:\n{text}");
            }
        }
    }
    // The audit shows the command line, escaped but readable.
    let out = dom0scope()
        .args(["audit", "--details"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\\x1b[2J.log"), "file name: {text}");
    assert!(
        text.contains("Xen command line: \\x1b[1A\\x1b[2K\\x1b]0;owned\\x07\\x0dconsole="),
        "command line: {text}"
    );
}

#[test]
fn an_error_quoting_the_snapshot_is_escaped_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x\x1b[2K.log");
    std::fs::write(&path, "nothing here\x1b[1A\n").unwrap();
    let out = dom0scope().arg("audit").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("\x1b["), "{err:?}");
    assert!(err.contains("x\\x1b[2K.log"), "{err}");
}

#[test]
fn a_document_quoting_xen_lines_is_not_a_log() {
    let out = dom0scope()
        .arg("audit")
        .arg(testdata("snapshots/README.md"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a document about a Xen log, not a log"),
        "{err}"
    );
}

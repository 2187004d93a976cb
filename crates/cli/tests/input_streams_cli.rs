//! The snapshot argument as a stream, compressed, cut short or partly unreadable (issue 14):
//! `-` and `/dev/stdin` read a pipe; a gzipped bare log is a log; a truncated archive says
//! so; an unreadable part of a directory degrades the audit instead of stopping it.

mod common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use common::{copy_dir, dom0scope, testdata};
use predicates::prelude::*;

const LOG: &str = "logs/qemu-xen-4.17/pv-q35-qemu64.log";
const TIMEOUT: Duration = Duration::from_secs(60);

/// `dom0scope` writing text too wide for the label of a long path to fold.
fn wide() -> assert_cmd::Command {
    let mut c = dom0scope();
    c.env("COLUMNS", "1000");
    c
}

/// The audit's stdout for the log read as a file, to compare a stream's against.
fn audit_of_file() -> String {
    let out = wide().arg("audit").arg(testdata(LOG)).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8(out.stdout).unwrap()
}

/// The report with the input's label dropped and its artifact name (`pv-q35-qemu64.log` for
/// the file or its `.gz`, `stdin` for a pipe) made one: the rest must be identical. (The
/// reports compared are wide enough that no label folds onto a second line.)
fn body(report: &str) -> String {
    report
        .lines()
        .filter(|l| !l.contains("bare Xen log"))
        .map(|l| {
            l.replace("pv-q35-qemu64.log:", "LOG:")
                .replace("stdin:", "LOG:")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_log_piped_into_dash_or_dev_stdin_audits_like_the_file() {
    let log = std::fs::read(testdata(LOG)).unwrap();
    let want = body(&audit_of_file());
    for arg in ["-", "/dev/stdin"] {
        let out = wide()
            .arg("audit")
            .arg(arg)
            .write_stdin(log.clone())
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{arg}: {out:?}");
        let got = String::from_utf8(out.stdout).unwrap();
        assert_eq!(body(&got), want, "{arg}");
        if arg == "-" {
            assert!(got.contains("bare Xen log on standard input"), "{got}");
        }
    }
}

#[test]
fn an_archive_piped_into_dash_is_read_as_an_archive() {
    let tgz = std::fs::read(testdata("snapshots/e417-pv-q35-bios-before.tar.gz")).unwrap();
    wide()
        .args(["audit", "-"])
        .write_stdin(tgz)
        .timeout(TIMEOUT)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "snapshot archive on standard input",
        ));
}

#[test]
fn nothing_piped_in_is_an_empty_input() {
    wide()
        .args(["audit", "-"])
        .write_stdin(Vec::new())
        .timeout(TIMEOUT)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("standard input: file is empty"));
}

#[test]
fn a_gzipped_bare_log_audits_like_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pv-q35-qemu64.log.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&std::fs::read(testdata(LOG)).unwrap()).unwrap();
    std::fs::write(&path, e.finish().unwrap()).unwrap();
    let out = wide().arg("audit").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        body(&String::from_utf8(out.stdout).unwrap()),
        body(&audit_of_file())
    );
}

/// The first tenth of a `.tar.gz` (the bundled example, and a real snapshot tarred here)
/// holds no Xen log: the error leads with the truncation.
#[test]
fn the_first_tenth_of_a_tar_gz_says_it_is_truncated() {
    let bundled = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("bundled/x417-pv-q35-vtd-bios.tar.gz"),
    )
    .unwrap();
    let mut raw = Vec::new();
    {
        let mut b = tar::Builder::new(&mut raw);
        b.append_dir_all("snap", testdata("snapshots/x420-pv-pc-bios"))
            .unwrap();
        b.finish().unwrap();
    }
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&raw).unwrap();
    let tarred = e.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, whole) in [("bundled.tar.gz", bundled), ("tarred.tar.gz", tarred)] {
        let path = dir.path().join(name);
        std::fs::write(&path, &whole[..whole.len() / 10]).unwrap();
        let out = wide().arg("audit").arg(&path).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        if out.status.code() == Some(2) {
            assert!(
                err.contains("truncated or damaged archive: no Xen log"),
                "{name}: {err}"
            );
        } else {
            // The log came early enough to be read: the audit runs, degraded.
            let report = String::from_utf8(out.stdout).unwrap();
            assert!(report.contains("archive truncated"), "{name}: {report}");
        }
    }
}

/// A file whose path exceeds PATH_MAX (readable as root, unlike chmod 000) is reported
/// among the snapshot problems; the audit runs and exits by its findings.
#[test]
fn an_unreadable_file_in_a_snapshot_directory_degrades_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    copy_dir(&testdata("snapshots/x417-pv-q35-vtd-bios"), &snap);
    let script = r#"cd "$1" || exit 1
d=$(printf '%050d' 0 | tr 0 d)
while [ ${#PWD} -lt 3850 ]; do mkdir $d && cd -P $d || exit 1; done
: > "$(printf '%0255d' 0)""#;
    let ok = std::process::Command::new("sh")
        .args(["-c", script, "sh"])
        .arg(&snap)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    wide()
        .arg("audit")
        .arg(&snap)
        .timeout(TIMEOUT)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Snapshot problems (the audit is degraded)",
        ))
        .stdout(predicate::str::contains("unreadable (File name too long"));
}

//! Files that are not what they claim (issue 14): every file dom0scope reads goes through one
//! bounded reader, so a device, a FIFO with no writer or an endless file is refused at once
//! with exit 2 naming the path and what it is; the snapshot argument alone may be a pipe.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{dom0scope, testdata};
use predicates::prelude::*;

const LOG: &str = "logs/qemu-xen-4.17/pv-q35-qemu64.log";

/// Long enough for a slow debug build on a shared machine, far below "hangs".
const TIMEOUT: Duration = Duration::from_secs(60);

fn fifo(dir: &Path) -> PathBuf {
    let p = dir.join("fifo");
    let ok = std::process::Command::new("mkfifo")
        .arg(&p)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    p
}

#[test]
fn a_policy_that_is_dev_zero_or_a_fifo_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = fifo(dir.path());
    for (policy, what) in [
        (Path::new("/dev/zero"), "is a character device"),
        (fifo.as_path(), "is a FIFO (named pipe)"),
    ] {
        dom0scope()
            .arg("audit")
            .arg("--policy")
            .arg(policy)
            .arg(testdata(LOG))
            .timeout(TIMEOUT)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "cannot read policy file: {}: {what}, not a regular file",
                policy.display()
            )));
    }
}

#[test]
fn a_policy_over_the_cap_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    std::fs::write(&big, vec![b'#'; (4 << 20) + 1]).unwrap();
    dom0scope()
        .arg("audit")
        .arg("--policy")
        .arg(&big)
        .arg(testdata(LOG))
        .timeout(TIMEOUT)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("larger than 4194304 bytes"));
}

#[test]
fn verify_plan_from_a_fifo_is_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = fifo(dir.path());
    dom0scope()
        .arg("verify")
        .arg(testdata("snapshots/e417-pv-q35-bios-after.tar.gz"))
        .arg("--plan")
        .arg(&fifo)
        .timeout(TIMEOUT)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "cannot read plan {}: is a FIFO (named pipe), not a regular file",
            fifo.display()
        )));
}

#[test]
fn enforce_dry_run_current_from_a_fifo_is_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = fifo(dir.path());
    dom0scope()
        .args(["enforce", "--dry-run", "--current"])
        .arg(&fifo)
        .arg(testdata("snapshots/e417-pv-q35-bios-plan.json"))
        .timeout(TIMEOUT)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{}: is a FIFO (named pipe), not a regular file",
            fifo.display()
        )));
}

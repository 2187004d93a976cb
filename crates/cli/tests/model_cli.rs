//! `predict` and `verify` against real Xen: the model must reproduce every
//! rangeset Xen printed in the QEMU boots (4.17 and 4.20, PV and PVH, BIOS and UEFI).

mod common;

use common::{REAL_BOOTS, dom0scope, testdata};

use predicates::prelude::*;

#[test]
fn verify_agrees_on_every_real_boot() {
    for rel in REAL_BOOTS {
        let out = dom0scope()
            .arg("verify")
            .arg(testdata(rel))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{rel}:\n{text}");
        assert!(text.contains("agree exactly"), "{rel}");
    }
}

#[test]
fn verify_lists_assumptions_for_a_bare_log_and_none_for_a_full_snapshot() {
    dom0scope()
        .arg("verify")
        .arg(testdata("logs/qemu-xen-4.17/pv-q35-viommu.log"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("VT-d register bases: assumed"))
        .stdout(predicate::str::contains(
            "physical address width: assumed 40 bits",
        ));
    dom0scope()
        .arg("verify")
        .arg(testdata("snapshots/x417-pv-q35-vtd-bios"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("assumptions").not());
}

#[test]
fn verify_reports_each_difference_with_its_rule() {
    // Xen's rangeset with the trampoline frame revoked (as after a self-revocation):
    // the plain model still grants it.
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::read_to_string(testdata("logs/qemu-xen-4.20/pv-q35-qemu64.log")).unwrap();
    let edited = log.replace("I/O Memory { 0-fedff,", "I/O Memory { 0-8e, 90-fedff,");
    assert_ne!(log, edited);
    let path = dir.path().join("revoked.log");
    std::fs::write(&path, edited).unwrap();
    dom0scope()
        .arg("verify")
        .arg(&path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "DIFF I/O Memory 8f-8f: Xen denies, the model grants; decided by rule permit-iomem",
        ))
        .stdout(predicate::str::contains("DIFFER"));
}

#[test]
fn verify_without_a_q_dump_is_an_input_error() {
    dom0scope()
        .arg("verify")
        .arg(testdata(
            "logs/xen-dmesg/intel-alderlake-getac-ux10-tablet_xen-4.19.1_alpine_uefi.txt",
        ))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to verify against"));
}

#[test]
fn predict_what_if_another_release_mode_and_option() {
    // The 4.20 PV snapshot, predicted for 4.17: the 4.19+ port denials disappear
    // and the MSI window comes back.
    dom0scope()
        .args(["predict", "--xen", "4.17"])
        .arg(testdata("snapshots/x420-pv-pc-bios"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "(model)     I/O Memory { 0-fedff, fef00-fcfffff }",
        ))
        .stdout(predicate::str::contains(
            "(model)     I/O Ports  { 0-1f, 22-3f, 44-60, 62-9f, a2-3f7, 400-607, 60c-cfb, d00-ffff }",
        ));
    dom0scope()
        .args(["predict", "--set", "dom0_ioports_disable=2f8-2ff"])
        .arg(testdata("snapshots/x417-pv-q35-vtd-bios"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("a2-2f7, 300-3f7"));
    let out = dom0scope()
        .args(["predict", "--dom0", "pvh", "--format", "json"])
        .arg(testdata("snapshots/x420-pv-pc-bios"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mode"], "pvh");
    assert!(
        v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["rule"] == "deny-isa-dma")
    );
}

#[test]
fn predict_rejects_a_bad_version() {
    dom0scope()
        .args(["predict", "--xen", "four"])
        .arg(testdata("snapshots/x420-pv-pc-bios"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a Xen version"));
}

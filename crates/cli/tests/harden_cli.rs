//! `dom0scope harden` end to end on real snapshots and on hostile input.

mod common;

use common::{copy_dir, dom0scope, testdata};

use predicates::prelude::*;

#[test]
fn uefi_plan_names_the_trampoline_and_runtime_code() {
    dom0scope()
        .args(["harden"])
        .arg(testdata("snapshots/x417-pv-q35-uefi"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "dom0scope hardening plan (dom0scope-plan/1)",
        ))
        .stdout(predicate::str::contains(
            "frames 0x9e-0x9f  Xen AP trampoline",
        ))
        .stdout(predicate::str::contains(
            "frames 0x7f5ec-0x7f6eb  EFI runtime services code",
        ))
        .stdout(predicate::str::contains("== Residual surface"))
        .stdout(predicate::str::contains(
            "closed     critical DOM0_LOWMEM_TRAMPOLINE",
        ))
        .stdout(predicate::str::contains("== Changes only Xen can make"))
        .stdout(predicate::str::contains("-- Xen patch"));
}

#[test]
fn json_plan_file_carries_schema_host_and_xen_version() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan.json");
    dom0scope()
        .args(["harden", "--format", "text", "-o"])
        .arg(&out)
        .arg(testdata("snapshots/h417-pv-q35-vtd-bios"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "frames 0x8f-0x90  Xen AP trampoline",
        ));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains('\u{1b}'), "no escape codes in the plan file");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema"], "dom0scope-plan/1");
    assert_eq!(v["host"]["sys_vendor"], "QEMU");
    assert_eq!(v["host"]["bios_vendor"], "SeaBIOS");
    assert_eq!(v["xen_version"], "4.17.7");
    assert_eq!(v["dom0_mode"], "pv");
    assert_eq!(v["dom0_use_checked"], true);
    let revoke = v["revoke"].as_array().unwrap();
    let tramp = revoke
        .iter()
        .find(|r| r["resource"] == "iomem" && r["first"] == "0x8f" && r["last"] == "0x90")
        .expect("trampoline in the plan");
    assert_eq!(tramp["status"], "planned");
    assert!(tramp["reason"].as_str().unwrap().starts_with("safe: "));
    let pm1 = revoke
        .iter()
        .find(|r| r["resource"] == "ioport" && r["first"] == "0x604")
        .expect("PM1a control considered");
    assert_eq!(pm1["status"], "refused");
    assert!(
        pm1["reason"]
            .as_str()
            .unwrap()
            .contains("ACPI PM1a_CNT_BLK")
    );
    assert!(v["residual"]["level_before"].is_string());
    assert!(
        v["residual"]["closed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "DOM0_LOWMEM_TRAMPOLINE")
    );
}

#[test]
fn json_on_stdout_is_the_same_document() {
    let out = dom0scope()
        .args(["harden", "--format", "json"])
        .arg(testdata("snapshots/x420-pvh-q35-vtd-bios"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "dom0scope-plan/1");
    assert_eq!(v["dom0_mode"], "pvh");
}

#[test]
fn a_bare_log_has_no_proc_views_so_nothing_is_called_safe() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("xl-dmesg.txt");
    std::fs::copy(
        testdata("snapshots/h417-pv-q35-vtd-bios/xen/dmesg.txt"),
        &log,
    )
    .unwrap();
    let out = dir.path().join("plan.json");
    dom0scope()
        .args(["harden", "-o"])
        .arg(&out)
        .arg(&log)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "every range below is UNCHECKED, not safe",
        ))
        .stdout(predicate::str::contains("-- UNCHECKED"))
        .stdout(predicate::str::contains("-- PLANNED").not());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["dom0_use_checked"], false);
    let revoke = v["revoke"].as_array().unwrap();
    assert!(!revoke.is_empty());
    assert!(revoke.iter().all(|r| r["status"] != "planned"));
}

#[test]
fn a_snapshot_without_proc_files_marks_ranges_unchecked() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    copy_dir(&testdata("snapshots/x417-pv-q35-uefi"), &snap);
    std::fs::remove_file(snap.join("linux/iomem")).unwrap();
    std::fs::remove_file(snap.join("linux/ioports")).unwrap();
    dom0scope()
        .arg("harden")
        .arg(&snap)
        .assert()
        .success()
        .stdout(predicate::str::contains("UNCHECKED"))
        .stdout(predicate::str::contains(
            "frames 0x9e-0x9f  Xen AP trampoline",
        ))
        .stdout(predicate::str::contains("-- PLANNED").not());
}

#[test]
fn missing_or_empty_input_is_exit_2() {
    dom0scope()
        .args(["harden", "/nonexistent/snapshot"])
        .assert()
        .code(2);
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, b"").unwrap();
    dom0scope().arg("harden").arg(&empty).assert().code(2);
    dom0scope()
        .args(["harden", "--format", "yaml"])
        .assert()
        .code(2);
}

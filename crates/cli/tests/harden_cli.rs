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
    // `-o plan.json` writes the plan (JSON, from the extension) and nothing on stdout; the
    // same command without -o prints it as text.
    dom0scope()
        .args(["harden", "-o"])
        .arg(&out)
        .arg(testdata("snapshots/h417-pv-q35-vtd-bios"))
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("wrote the plan to"));
    dom0scope()
        .arg("harden")
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
        .success();
    dom0scope()
        .arg("harden")
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

/// The `(resource, first, last, status, closes)` of every range of a plan document.
fn ranges(v: &serde_json::Value) -> Vec<(String, String, String, String, String)> {
    v["revoke"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["resource"].to_string(),
                r["first"].to_string(),
                r["last"].to_string(),
                r["status"].to_string(),
                r["closes"].to_string(),
            )
        })
        .collect()
}

#[test]
fn a_snapshot_taken_after_enforce_still_plans_what_enforce_gave_up() {
    // Real Xen 4.17: the plan made before enforce, and a snapshot collected after it, whose
    // rangesets lack the trampoline, the FACS page and SMI_CMD.
    let before: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(testdata("snapshots/e417-pv-q35-bios-plan.json")).unwrap(),
    )
    .unwrap();
    let out = dom0scope()
        .args(["harden", "--format", "json"])
        .arg(testdata("snapshots/e417-pv-q35-bios-after.tar.gz"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let after: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ranges(&after), ranges(&before));
    let planned: Vec<(&str, &str, &str)> = after["revoke"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "planned")
        .map(|r| {
            (
                r["resource"].as_str().unwrap(),
                r["first"].as_str().unwrap(),
                r["last"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        planned,
        [
            ("iomem", "0x8f", "0x90"),
            ("iomem", "0x7ffe0", "0x7ffe0"),
            ("ioport", "0xb2", "0xb2")
        ]
    );
    for r in after["revoke"].as_array().unwrap() {
        let absent = &r["already_absent"];
        if r["status"] == "planned" {
            assert_eq!(absent[0]["first"], r["first"], "{r}");
            assert_eq!(absent[0]["last"], r["last"], "{r}");
            let why = r["reason"].as_str().unwrap();
            assert!(why.starts_with("safe: "), "{why}");
            assert!(
                why.contains("ALREADY ABSENT in this snapshot")
                    && why.contains("xen/dmesg.txt:315")
                    && why.contains("kept in the plan so that the next boot gives it up too"),
                "{why}"
            );
        } else {
            assert!(absent.is_null(), "written only when non-empty: {r}");
        }
    }
    // The what-if and the changes only Xen can make are those of the fresh boot (the snapshot
    // taken before enforce, judged by this build: the committed plan's texts are as of its run).
    let fresh = dom0scope()
        .args(["harden", "--format", "json"])
        .arg(testdata("snapshots/e417-pv-q35-bios-before.tar.gz"))
        .output()
        .unwrap();
    assert!(fresh.status.success());
    let fresh: serde_json::Value = serde_json::from_slice(&fresh.stdout).unwrap();
    assert_eq!(ranges(&fresh), ranges(&before));
    assert_eq!(after["residual"], fresh["residual"]);
    assert_eq!(after["xen_changes"], fresh["xen_changes"]);
    assert!(
        after["notes"][0]
            .as_str()
            .unwrap()
            .contains("lack I/O Memory { 8f-90, 7ffe0 } and I/O Ports { b2 }")
    );
    // And loudly in text.
    dom0scope()
        .arg("harden")
        .arg(testdata("snapshots/e417-pv-q35-bios-after.tar.gz"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "WARNING: this snapshot was taken after dom0 gave up ranges",
        ))
        .stdout(predicate::str::contains(
            "the plan still names them: frames 0x8f-0x90, frames 0x7ffe0-0x7ffe0, ports 0xb2-0xb2",
        ))
        .stdout(predicate::str::contains(
            "already absent in this snapshot: 0x8f-0x90",
        ));
}

#[test]
fn a_snapshot_taken_before_enforce_gives_the_committed_ranges_unchanged() {
    // No range absent: the document is exactly as before `already_absent` existed.
    let out = dom0scope()
        .args(["harden", "--format", "json"])
        .arg(testdata("snapshots/e417-pv-q35-bios-before.tar.gz"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let now: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(testdata("snapshots/e417-pv-q35-bios-plan.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(now["revoke"], committed["revoke"]);
    assert!(
        !String::from_utf8(out.stdout)
            .unwrap()
            .contains("already_absent")
    );
}

/// The site's policy decides the plan's verdict as it decides the audit's: a waived finding is
/// not "remaining" after the plan, and a broken policy file stops harden like audit (exit 2).
#[test]
fn harden_judges_under_the_sites_policy() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site.toml");
    std::fs::write(
        &site,
        "[[waiver]]\nrule = \"FW_SMRAM_UNLOCKED\"\nreason = \"checked with CHIPSEC on 2026-11-01\"\nexpires = 2099-01-01\n",
    )
    .unwrap();
    let remaining = |extra: &[&std::ffi::OsStr]| -> Vec<String> {
        let out = dom0scope()
            .args(["harden", "--format", "json"])
            .args(extra)
            .arg(testdata("snapshots/h417-pv-q35-vtd-bios"))
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        v["residual"]["remaining"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(remaining(&[]).iter().any(|r| r == "FW_SMRAM_UNLOCKED"));
    let waived = remaining(&["--policy".as_ref(), site.as_os_str()]);
    assert!(
        !waived.iter().any(|r| r == "FW_SMRAM_UNLOCKED"),
        "{waived:?}"
    );
    assert!(waived.iter().any(|r| r == "DOM0_DMA_XEN_HEAP"));
    std::fs::write(&site, "[[waiver]]\nrule = 3\n").unwrap();
    dom0scope()
        .args(["harden", "--policy"])
        .arg(&site)
        .arg(testdata("snapshots/h417-pv-q35-vtd-bios"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("site.toml"));
}

#[test]
fn html_plan_shows_before_and_after_and_the_trampoline_range() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("plan.json");
    let html = dir.path().join("plan.html");
    let snap = testdata("snapshots/h417-pv-q35-vtd-bios");
    for out in [&json, &html] {
        dom0scope()
            .args(["harden", "-o"])
            .arg(out)
            .arg(&snap)
            .assert()
            .success()
            .stdout("");
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    let r = &v["residual"];
    for level in [&r["level_before"], &r["level_after"]] {
        assert!(page.contains(&format!("<strong>{}</strong>", level.as_str().unwrap())));
    }
    for f in r["closed"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap();
        assert!(page.contains(&format!("id=\"closed-{id}\"")), "{id}");
    }
    assert!(page.contains("frames 0x8f-0x90"));
    assert!(!page.contains("<script"));
}

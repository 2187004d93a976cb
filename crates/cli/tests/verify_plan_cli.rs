//! `dom0scope verify --plan` on a real before/after pair of `dom0scope enforce` (Xen 4.17 PV
//! under QEMU, the harness's enforce run; testdata/snapshots/e417-pv-q35-bios.provenance.txt):
//! the after-snapshot differs from the model's plain prediction by exactly the plan's planned
//! ranges, and agrees once they are subtracted; a plan that does not fit is refused.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{dom0scope, testdata};
use predicates::prelude::*;

fn before() -> PathBuf {
    testdata("snapshots/e417-pv-q35-bios-before.tar.gz")
}

fn after() -> PathBuf {
    testdata("snapshots/e417-pv-q35-bios-after.tar.gz")
}

fn plan() -> PathBuf {
    testdata("snapshots/e417-pv-q35-bios-plan.json")
}

fn verify(snapshot: &PathBuf, plan: Option<&PathBuf>) -> assert_cmd::assert::Assert {
    let mut c = dom0scope();
    c.arg("verify").arg(snapshot);
    if let Some(p) = plan {
        c.arg("--plan").arg(p);
    }
    c.assert()
}

#[test]
fn after_enforce_differs_from_the_plain_model_by_the_planned_ranges() {
    verify(&after(), None)
        .code(1)
        .stdout(predicate::str::contains(
            "DIFF I/O Memory 8f-90: Xen denies, the model grants",
        ))
        .stdout(predicate::str::contains(
            "DIFF I/O Memory 7ffe0-7ffe0: Xen denies, the model grants",
        ))
        .stdout(predicate::str::contains(
            "DIFF I/O Ports b2-b2: Xen denies, the model grants",
        ))
        .stdout(predicate::str::contains("applied plan").not());
}

#[test]
fn after_enforce_agrees_with_the_model_minus_the_plan() {
    verify(&after(), Some(&plan()))
        .code(0)
        .stdout(predicate::str::contains(
            "the prediction below is the model's minus the plan's 3 planned range(s)",
        ))
        .stdout(predicate::str::contains(
            "subtracted iomem 0x8f-0x90 (Xen AP trampoline)",
        ))
        .stdout(predicate::str::contains(
            "subtracted ioport 0xb2-0xb2 (ACPI SMI_CMD)",
        ))
        .stdout(predicate::str::contains(
            "fits: host identity matches the plan (9 DMI attributes)",
        ))
        .stdout(predicate::str::contains("DIFF").not())
        .stdout(predicate::str::contains("STILL GRANTED").not())
        .stdout(predicate::str::contains(
            "Result: the model minus the applied plan and Xen agree exactly",
        ));
}

#[test]
fn before_enforce_with_the_plan_shows_what_is_still_granted() {
    verify(&before(), None).code(0);
    verify(&before(), Some(&plan()))
        .code(1)
        .stdout(predicate::str::contains(
            "STILL GRANTED iomem 0x8f-0x90 (Xen AP trampoline)",
        ))
        .stdout(predicate::str::contains(
            "DIFF I/O Memory 8f-90: Xen grants, the model denies",
        ))
        .stdout(predicate::str::contains(
            "the model minus the applied plan and Xen DIFFER",
        ));
}

#[test]
fn json_says_the_plan_was_applied() {
    let out = dom0scope()
        .args(["verify", "--format", "json", "--plan"])
        .arg(plan())
        .arg(after())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "dom0scope-verify/1");
    assert_eq!(v["comparison"]["agrees"], true);
    let a = &v["applied_plan"];
    assert_eq!(a["snapshot"], "enforce-x417-pv-q35-bios-before");
    assert_eq!(a["xen_version"], "4.17.7");
    let sub = a["subtracted"].as_array().unwrap();
    assert_eq!(sub.len(), 3);
    assert_eq!(sub[0]["resource"], "iomem");
    assert_eq!(sub[0]["first"], "0x8f");
    assert_eq!(sub[0]["last"], "0x90");
    assert!(a["still_granted"].as_array().unwrap().is_empty());

    // Without --plan the document has no applied_plan at all.
    let out = dom0scope()
        .args(["verify", "--format", "json"])
        .arg(after())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("applied_plan").is_none());
    assert_eq!(v["comparison"]["agrees"], false);
}

#[test]
fn a_plan_that_does_not_fit_the_snapshot_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let good = fs::read_to_string(plan()).unwrap();
    let cases: &[(&str, String, &str)] = &[
        (
            "host",
            good.replace("\"sys_vendor\": \"QEMU\"", "\"sys_vendor\": \"Dell Inc.\""),
            "is for another host: sys_vendor is \"QEMU\" here, \"Dell Inc.\" in the plan",
        ),
        (
            "xen",
            good.replace("\"xen_version\": \"4.17.7\"", "\"xen_version\": \"4.20.4\""),
            "the running Xen is 4.17.7, but the plan was made for Xen 4.20.4",
        ),
        (
            "mode",
            good.replace("\"dom0_mode\": \"pv\"", "\"dom0_mode\": \"pvh\""),
            "is for a pvh dom0, but this dom0 is pv",
        ),
        (
            "anon",
            {
                let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
                v["host"] = serde_json::json!({});
                serde_json::to_string(&v).unwrap()
            },
            "has no host identity",
        ),
        ("garbage", "{\"schema\": ".into(), "is malformed"),
        (
            "range",
            good.replacen("\"last\": \"0x90\"", "\"last\": \"0x8e\"", 1),
            "range #1: first 0x8f is above last 0x8e",
        ),
    ];
    for (name, text, want) in cases {
        assert_ne!(text, &good, "{name}: the edit applied");
        let f = d.path().join(format!("{name}.json"));
        fs::write(&f, text).unwrap();
        verify(&after(), Some(&f))
            .code(2)
            .stderr(predicate::str::contains(*want))
            .stderr(predicate::str::contains(f.display().to_string()));
    }
    // A plan without host identity is accepted with --force-host.
    dom0scope()
        .args(["verify", "--force-host", "--plan"])
        .arg(d.path().join("anon.json"))
        .arg(after())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("--force-host"));
}

#[test]
fn a_bare_log_cannot_be_matched_to_the_plans_host() {
    let d = tempfile::tempdir().unwrap();
    let snap = d.path().join("after");
    fs::create_dir(&snap).unwrap();
    let out = std::process::Command::new("tar")
        .arg("xzf")
        .arg(after())
        .arg("-C")
        .arg(&snap)
        .status()
        .unwrap();
    assert!(out.success());
    let log = d.path().join("xen.log");
    fs::copy(snap.join("xen/dmesg.txt"), &log).unwrap();
    verify(&log, Some(&plan()))
        .code(2)
        .stderr(predicate::str::contains("does not fit snapshot"))
        .stderr(predicate::str::contains("the snapshot has none"));
    // The unpacked directory is the same snapshot: it fits.
    verify(&snap, Some(&plan())).code(0);
}

//! The subcommands that answer a question say the answer before the evidence: `harden` the
//! level before and after its plan, `verify` whether the model and Xen agree. (`audit`'s
//! own views are checked in audit_text_cli.rs.)

mod common;

use common::{dom0scope, testdata};

fn stdout(args: &[&str], path: &str) -> (Option<i32>, String) {
    let out = dom0scope().args(args).arg(path).output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn harden_opens_with_the_level_before_and_after_its_plan() {
    for snap in [
        "snapshots/x417-pv-q35-vtd-bios",
        "snapshots/x417-pv-q35-uefi",
        "snapshots/x420-pvh-q35-vtd-bios",
    ] {
        let path = testdata(snap);
        let path = path.to_str().unwrap();
        let (_, json) = stdout(&["harden", "--format", "json"], path);
        let plan: serde_json::Value = serde_json::from_str(&json).unwrap();
        let r = &plan["residual"];
        let planned = plan["revoke"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["status"] == "planned")
            .count();
        let (_, text) = stdout(&["harden"], path);
        let lines: Vec<&str> = text.lines().collect();
        let want = format!(
            "Level: {} now, {} once dom0 gives up the {planned} planned range(s)",
            r["level_before"].as_str().unwrap(),
            r["level_after"].as_str().unwrap()
        );
        assert_eq!(lines[4], want, "{snap}");
        let closed = r["closed"].as_array().unwrap().len();
        assert!(
            lines[5].starts_with(&format!("  closes {closed} finding(s)")),
            "{snap}: {}",
            lines[5]
        );
    }
    // Without Xen's rangesets there is nothing to take the plan from: it says so, first.
    let log = testdata("logs/xen-dmesg/intel-thinkpad-t480s-coreboot_xen-4.17.5_qubes_legacy.txt");
    let (_, text) = stdout(&["harden"], log.to_str().unwrap());
    assert!(
        text.lines()
            .nth(4)
            .unwrap()
            .starts_with("Level: not predicted"),
        "{text}"
    );
}

#[test]
fn verify_opens_with_its_result() {
    for (snap, code, words) in [
        (
            "snapshots/x417-pv-q35-vtd-bios",
            0,
            "Result: the model and Xen agree exactly.",
        ),
        (
            "snapshots/x420-pvh-q35-vtd-bios",
            0,
            "Result: the model and Xen agree exactly.",
        ),
    ] {
        let (got, text) = stdout(&["verify"], testdata(snap).to_str().unwrap());
        assert_eq!(got, Some(code), "{snap}");
        assert_eq!(text.lines().nth(1), Some(words), "{snap}: {text}");
        assert_eq!(text.matches("Result:").count(), 1, "{snap}");
    }
}

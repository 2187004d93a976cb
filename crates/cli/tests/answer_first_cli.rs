//! Every view opens with the host's verdict (level, counts, answer), and the subcommands that
//! answer a question say their answer before the evidence: `harden` the
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
        // The host's verdict opens it (as every view), then verify's own result.
        assert!(
            text.lines().nth(3).unwrap().contains("Level DOM0:"),
            "{snap}: {text}"
        );
        let at = text.lines().position(|l| l == words);
        assert!(at.is_some_and(|i| i < 10), "{snap}: {text}");
        assert!(
            text.lines()
                .nth(at.unwrap() - 1)
                .unwrap()
                .starts_with("verify ")
        );
        assert_eq!(text.matches("Result:").count(), 1, "{snap}");
    }
}

#[test]
fn every_view_opens_with_the_hosts_verdict() {
    // The level and counts the audit gives, so a view's header must say the same. (`explain`
    // answers one lookup and prints only that, as explain_cli.rs pins.)
    let snap = testdata("snapshots/x420-pvh-q35-vtd-bios");
    let snap = snap.to_str().unwrap();
    let (_, json) = stdout(&["audit", "--format", "json"], snap);
    let audit: serde_json::Value = serde_json::from_str(&json).unwrap();
    let level = audit["verdict"]["level"]["label"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed = audit["verdict"]["findings"].as_array().unwrap().len();
    for view in [&["map"][..], &["predict"], &["verify"], &["hypercalls"]] {
        // The snapshot comes right after the subcommand (explain's WHAT follows it).
        let out = dom0scope()
            .arg(view[0])
            .arg(snap)
            .args(&view[1..])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let head: Vec<&str> = text.lines().take(6).collect();
        assert!(head[0].starts_with("dom0scope "), "{view:?}: {text}");
        let line = head
            .iter()
            .find(|l| l.trim_start().starts_with("Level "))
            .unwrap_or_else(|| panic!("{view:?}: no level in {head:?}"));
        assert!(
            line.contains(&format!("Level {level}: {failed} failed,")),
            "{view:?}: {line}"
        );
        assert!(head.iter().any(|l| l.contains("PVH dom0")), "{view:?}");
    }
}

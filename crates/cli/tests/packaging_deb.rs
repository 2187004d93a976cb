//! The Debian package's own files, without building the package: the dom0scope-check script
//! (packaging/deb/check.sh) against a stub `dom0scope` that plays each outcome, and the
//! shipped example policy against the real binary. The package itself is built and installed
//! by packaging/build-deb.sh and packaging/test-deb.sh (scripts/test-all.sh, as root).

use std::path::{Path, PathBuf};
use std::process::Command;

fn packaging() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging")
}

/// A dom0 as the check script sees it: capabilities with control_d, a settings file, a state
/// directory, and a stub dom0scope whose collect/verify/audit exit with the given codes.
struct Host {
    dir: tempfile::TempDir,
}

impl Host {
    fn new(collect: i32, verify: i32, verify_says: &str, plan: bool) -> Host {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("caps"), "control_d\n").unwrap();
        let plan_path = d.join("plan.json");
        if plan {
            std::fs::write(&plan_path, "{}").unwrap();
        }
        std::fs::write(
            d.join("defaults"),
            format!(
                "KEEP=1\nPLAN={}\nPOLICY={}/none.toml\n",
                plan_path.display(),
                d.display()
            ),
        )
        .unwrap();
        let stub = format!(
            "#!/bin/sh\necho \"$*\" >> {log}\ncase $1 in\n\
             collect) mkdir -p \"$3\"; echo collected; exit {collect} ;;\n\
             verify) echo '{verify_says}'; exit {verify} ;;\n\
             audit) echo 'Level DOM0:1'; exit 1 ;;\nesac\n",
            log = d.join("calls").display()
        );
        let bin = d.join("dom0scope");
        std::fs::write(&bin, stub).unwrap();
        Command::new("chmod").arg("+x").arg(&bin).status().unwrap();
        Host { dir }
    }

    /// Runs the check script; (exit code, stdout).
    fn check(&self) -> (i32, String) {
        let d = self.dir.path();
        let out = Command::new("sh")
            .arg(packaging().join("deb/check.sh"))
            .env("DOM0SCOPE", d.join("dom0scope"))
            .env("DOM0SCOPE_DEFAULTS", d.join("defaults"))
            .env("DOM0SCOPE_STATE", d.join("state"))
            .env("DOM0SCOPE_CAPABILITIES", d.join("caps"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    }

    fn result(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("state/latest/result")).unwrap()
    }
}

#[test]
fn plan_holds_passes_and_keeps_one_run() {
    let h = Host::new(0, 0, "agree", true);
    let (rc, out) = h.check();
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("<6>dom0scope-check: plan holds"), "{out}");
    assert!(out.contains("audit: FAIL at --fail-on high"), "{out}");
    assert!(h.result().starts_with("PLAN-HOLDS audit_rc=1 status=0"));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(h.check().0, 0);
    let runs = std::fs::read_dir(h.dir.path().join("state"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_type().unwrap().is_dir())
        .count();
    assert_eq!(runs, 1, "KEEP=1 leaves one run");
    let calls = std::fs::read_to_string(h.dir.path().join("calls")).unwrap();
    assert!(calls.contains("verify ") && calls.contains("--plan"));
    assert!(!calls.contains("--policy"), "no policy file, no --policy");
}

#[test]
fn a_regained_range_fails_the_unit() {
    let h = Host::new(0, 1, "  iomem 0x8f-0x90 STILL GRANTED", true);
    let (rc, out) = h.check();
    assert_eq!(rc, 1, "{out}");
    assert!(out.contains("<3>dom0scope-check: dom0 can reach again what the plan revoked"));
    assert!(out.contains("<3>dom0scope-check:     iomem 0x8f-0x90 STILL GRANTED"));
    assert!(h.result().starts_with("PLAN-REGAINED"));
}

#[test]
fn without_rangesets_nothing_is_checked() {
    let h = Host::new(1, 0, "agree", true);
    let (rc, out) = h.check();
    assert_eq!(rc, 2, "{out}");
    assert!(out.contains("without Xen's rangeset dump"));
    let calls = std::fs::read_to_string(h.dir.path().join("calls")).unwrap();
    assert!(
        !calls.contains("verify"),
        "verify ran on a snapshot without rangesets"
    );
}

#[test]
fn without_a_plan_it_collects_and_audits_only() {
    let h = Host::new(0, 1, "differs", false);
    let (rc, out) = h.check();
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("<4>dom0scope-check: no plan at"));
    assert!(h.result().starts_with("NO-PLAN"));
}

#[test]
fn shipped_example_policy_is_accepted_as_is_and_uncommented() {
    let shipped = packaging().join("deb/policy.toml");
    let text = std::fs::read_to_string(&shipped).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let uncommented = dir.path().join("policy.toml");
    // Every example line ("#[", "#key = …"), not the prose comments.
    let body: String = text
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .filter(|l| {
            l.starts_with('[') || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        body.contains("[[waiver]]") && body.contains("[[rule]]"),
        "{body}"
    );
    std::fs::write(&uncommented, body).unwrap();
    for policy in [&shipped, &uncommented] {
        let out = assert_cmd::Command::cargo_bin("dom0scope")
            .unwrap()
            .env("NO_COLOR", "1")
            .args(["audit", "--today", "2026-12-01", "--policy"])
            .arg(policy)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1 | 3)),
            "{}: {err}",
            policy.display()
        );
    }
}

//! `dom0scope enforce` end to end: real plans from `dom0scope harden -o` on real snapshots,
//! checked against a fake system root built from the same snapshot (its DMI and
//! `/sys/hypervisor`), applied with `--dry-run` or to a simulated Xen seeded from the
//! snapshot's own `q` dump. No hypercall is made by any test here.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{copy_dir, dom0scope, testdata};
use predicates::prelude::*;

const SNAP: &str = "snapshots/h417-pv-q35-vtd-bios";

/// A plan from `dom0scope harden -o` on `snap`.
fn plan(dir: &Path, snap: &str) -> PathBuf {
    let out = dir.join("plan.json");
    dom0scope()
        .args(["harden", "--format", "json", "-o"])
        .arg(&out)
        .arg(testdata(snap))
        .assert()
        .success();
    out
}

/// A fake `/` for `snap`: DMI and /sys/hypervisor from the snapshot, dom0 capabilities, and
/// dom0's /proc/iomem and /proc/ioports as the snapshot recorded them.
fn fake_root(dir: &Path, snap: &str) -> PathBuf {
    let root = dir.join("root");
    let s = testdata(snap);
    copy_dir(&s.join("dmi"), &root.join("sys/class/dmi/id"));
    copy_dir(&s.join("hypervisor"), &root.join("sys/hypervisor"));
    fs::create_dir_all(root.join("proc/xen")).unwrap();
    fs::write(root.join("proc/xen/capabilities"), "control_d\n").unwrap();
    fs::copy(s.join("linux/iomem"), root.join("proc/iomem")).unwrap();
    fs::copy(s.join("linux/ioports"), root.join("proc/ioports")).unwrap();
    fs::create_dir_all(root.join("dev")).unwrap();
    root
}

/// `dom0scope enforce [FLAGS] --root ROOT PLAN`, asserted by the caller.
fn enforce(flags: &[&str], root: &Path, plan: &Path) -> assert_cmd::assert::Assert {
    dom0scope()
        .arg("enforce")
        .args(flags)
        .arg("--root")
        .arg(root)
        .arg(plan)
        .assert()
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn dry_run_lists_the_planned_ranges_without_a_hypercall() {
    let d = tempfile::tempdir().unwrap();
    let p = plan(d.path(), SNAP);
    let root = fake_root(d.path(), SNAP);
    dom0scope()
        .args(["enforce", "--dry-run", "--root"])
        .arg(&root)
        .arg(&p)
        .arg("--current")
        .arg(testdata(SNAP))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "dry run: 3 planned ranges, 3 to revoke, 0 already absent, 3 kept (not planned); no hypercall made",
        ))
        .stderr(predicate::str::contains(
            "host identity matches the plan (9 DMI attributes)",
        ))
        .stderr(predicate::str::contains(
            "running Xen 4.17.7 matches the plan's Xen 4.17.7 (domctl interface 0x15)",
        ))
        .stderr(predicate::str::contains(
            "would revoke iomem 0x8f-0x90 (Xen AP trampoline): XEN_DOMCTL_iomem_permission d0 allow=0",
        ))
        .stderr(predicate::str::contains(
            "keep ioport 0xcf9-0xcf9 (reset control (0xcf9)): refused in the plan",
        ))
        .stderr(predicate::str::contains(format!(
            "enforce: dom0's live {} (36 entries) and {} (25 entries): no planned range is in use",
            root.join("proc/iomem").display(),
            root.join("proc/ioports").display()
        )));
}

/// Appends `line` to the fake root's `proc/<table>`; returns its `file:line` citation.
fn claim(root: &Path, table: &str, line: &str) -> String {
    let f = root.join("proc").join(table);
    let mut text = fs::read_to_string(&f).unwrap();
    text.push_str(line);
    text.push('\n');
    fs::write(&f, &text).unwrap();
    format!("{}:{}", f.display(), text.lines().count())
}

#[test]
fn a_planned_range_dom0_uses_now_refuses_the_dry_run() {
    let d = tempfile::tempdir().unwrap();
    let p = plan(d.path(), SNAP);
    let root = fake_root(d.path(), SNAP);
    let at = claim(&root, "ioports", "00b2-00b2 : some driver");
    enforce(&["--dry-run"], &root, &p)
        .code(2)
        .stderr(predicate::str::contains(
            "refusing to enforce, nothing was changed: dom0 uses 1 planned range now, by its live /proc",
        ))
        .stderr(predicate::str::contains(format!(
            "ioport 0xb2-0xb2 (ACPI SMI_CMD): dom0 uses it: {at}: b2-b2 : some driver"
        )))
        .stderr(predicate::str::contains("would revoke").not());
}

#[test]
fn a_planned_range_dom0_uses_now_refuses_the_run_before_any_domctl() {
    if !is_root() {
        eprintln!("skipped: enforce (not --dry-run) refuses non-root, as it must");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = plan(d.path(), SNAP);
    let root = fake_root(d.path(), SNAP);
    // A driver over the FACS page (0x7ffe0000) and one on SMI_CMD.
    let facs = claim(&root, "iomem", "7ffe0000-7ffe0fff : some driver");
    let smi = claim(&root, "ioports", "00b2-00b2 : some driver");
    let out = dom0scope()
        .args(["enforce", "--root"])
        .arg(&root)
        .arg("--simulate-xen")
        .arg(testdata(SNAP))
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "refusing to enforce, nothing was changed: dom0 uses 2 planned ranges now",
        ))
        .stderr(predicate::str::contains(format!(
            "iomem 0x7ffe0-0x7ffe0 (ACPI FACS page (S3 waking vectors)): dom0 uses it: {facs}: 7ffe0000-7ffe0fff : some driver"
        )))
        .stderr(predicate::str::contains(format!(
            "{smi}: b2-b2 : some driver"
        )))
        .get_output()
        .clone();
    // Nothing reached the simulated Xen: not even its rangesets were read.
    let log = String::from_utf8(out.stderr).unwrap();
    for never in ["SIMULATED Xen", "dom0 before", "revoked", "domctls"] {
        assert!(!log.contains(never), "{never:?} in {log}");
    }
    assert!(out.stdout.is_empty(), "no summary: nothing was applied");
}

#[test]
fn a_live_proc_that_cannot_show_use_is_noted_in_a_dry_run_and_refuses_a_run() {
    let d = tempfile::tempdir().unwrap();
    let p = plan(d.path(), SNAP);
    let root = fake_root(d.path(), SNAP);
    // As a non-root reader sees it: every address zero.
    let zeros: String = fs::read_to_string(root.join("proc/iomem"))
        .unwrap()
        .lines()
        .map(|l| {
            let (range, name) = l.split_once(" : ").unwrap();
            let indent = range.len() - range.trim_start().len();
            format!("{}00000000-00000000 : {name}\n", " ".repeat(indent))
        })
        .collect();
    fs::write(root.join("proc/iomem"), zeros).unwrap();
    enforce(&["--dry-run"], &root, &p)
        .code(0)
        .stderr(predicate::str::contains(
            "enforce: dom0's live /proc NOT checked (a run without --dry-run refuses):",
        ))
        .stderr(predicate::str::contains("shows every address as zero"))
        .stderr(predicate::str::contains("would revoke iomem 0x8f-0x90"));
    if !is_root() {
        return;
    }
    dom0scope()
        .args(["enforce", "--root"])
        .arg(&root)
        .arg("--simulate-xen")
        .arg(testdata(SNAP))
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "refusing to enforce, nothing was changed: cannot check that dom0 does not use a planned range now: {} shows every address as zero",
            root.join("proc/iomem").display()
        )))
        .stderr(predicate::str::contains("SIMULATED").not());
    fs::remove_file(root.join("proc/iomem")).unwrap();
    dom0scope()
        .args(["enforce", "--root"])
        .arg(&root)
        .arg("--simulate-xen")
        .arg(testdata(SNAP))
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "cannot check that dom0 does not use a planned range now: cannot read {}",
            root.join("proc/iomem").display()
        )));
}

#[test]
fn simulated_apply_revokes_proves_and_refuses_regrant_then_is_idempotent() {
    if !is_root() {
        eprintln!("skipped: enforce (not --dry-run) refuses non-root, as it must");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = plan(d.path(), SNAP);
    let root = fake_root(d.path(), SNAP);
    let out = dom0scope()
        .args(["enforce", "--regrant-test", "--root"])
        .arg(&root)
        .arg("--simulate-xen")
        .arg(testdata(SNAP))
        .arg(&p)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "enforce: 3 planned ranges: 3 revoked now, 0 already absent, 0 failed; 3 of 3 proven absent",
        ))
        .stdout(predicate::str::contains(
            "re-grant test: iomem 0x8f-0x90: refused by Xen",
        ))
        .stderr(predicate::str::contains("no planned range is in use"))
        .stderr(predicate::str::contains(
            "SIMULATED Xen received 4 permission domctls",
        ))
        .get_output()
        .clone();
    let log = String::from_utf8(out.stderr).unwrap();
    assert!(log.contains(
        "revoked iomem 0x8f-0x90 (Xen AP trampoline): XEN_DOMCTL_iomem_permission d0 first=0x8f nr=2 allow=0 -> ok"
    ), "{log}");
    assert!(
        log.contains("dom0 after: I/O Memory { 0-8e, 91-7ffdf, 7ffe1-fed8f,"),
        "{log}"
    );
    assert!(
        log.contains("proven: ioport 0xb2-0xb2 (ACPI SMI_CMD)"),
        "{log}"
    );

    // Idempotence: a Xen log that already lacks the ranges (the "after" state).
    let src = fs::read_to_string(testdata(SNAP).join("xen/dmesg.txt")).unwrap();
    let after = src
        .replace(
            "I/O Memory { 0-fed8f,",
            "I/O Memory { 0-8e, 91-7ffdf, 7ffe1-fed8f,",
        )
        .replace("a2-3f7,", "a2-b1, b3-3f7,");
    assert_ne!(after, src, "the snapshot's q dump has the expected shape");
    let log_after = d.path().join("after.log");
    fs::write(&log_after, after).unwrap();
    dom0scope()
        .args(["enforce", "--root"])
        .arg(&root)
        .arg("--simulate-xen")
        .arg(&log_after)
        .arg(&p)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "3 planned ranges: 0 revoked now, 3 already absent, 0 failed; 3 of 3 proven",
        ))
        .stderr(predicate::str::contains(
            "skip iomem 0x8f-0x90 (Xen AP trampoline): already absent from Xen's rangesets",
        ))
        .stderr(predicate::str::contains("revoked").not());
}

#[test]
fn a_plan_for_another_host_is_refused_before_anything() {
    let d = tempfile::tempdir().unwrap();
    let p = plan(d.path(), SNAP);
    // The UEFI snapshot's DMI: same QEMU machine type, other firmware.
    let root = fake_root(d.path(), "snapshots/x417-pv-q35-uefi");
    enforce(&["--dry-run"], &root, &p)
        .code(2)
        .stderr(predicate::str::contains(
            "refusing to enforce, nothing was changed",
        ))
        .stderr(predicate::str::contains("is for another host: bios_"))
        .stderr(predicate::str::contains(
            "`dom0scope collect -o SNAP`, then `dom0scope harden SNAP -o plan.json`",
        ))
        .stderr(predicate::str::contains("would revoke").not());
}

#[test]
fn a_plan_for_another_xen_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = plan(d.path(), SNAP);
    let root = fake_root(d.path(), SNAP);
    fs::write(root.join("sys/hypervisor/version/minor"), "20\n").unwrap();
    fs::write(root.join("sys/hypervisor/version/extra"), ".4\n").unwrap();
    enforce(&["--dry-run"], &root, &p)
        .code(2)
        .stderr(predicate::str::contains(
            "the running Xen is 4.20.4, but the plan was made for Xen 4.17.7",
        ));
}

#[test]
fn bad_plans_are_refused_with_a_reason() {
    let d = tempfile::tempdir().unwrap();
    let root = fake_root(d.path(), SNAP);
    let good = fs::read_to_string(plan(d.path(), SNAP)).unwrap();
    let cases: &[(&str, String, &str)] = &[
        ("garbage", "{not json".into(), "is malformed"),
        (
            "schema",
            good.replace("dom0scope-plan/1", "dom0scope-audit/1"),
            "has schema \"dom0scope-audit/1\"; dom0scope understands only \"dom0scope-plan/1\"",
        ),
        (
            "xen",
            good.replace("\"xen_version\": \"4.17.7\"", "\"xen_version\": \"4.6.0\""),
            "was made for Xen 4.6.0, which enforce does not know",
        ),
        (
            "range",
            good.replacen("\"last\": \"0x90\"", "\"last\": \"0x8e\"", 1),
            "range #1: first 0x8f is above last 0x8e",
        ),
        (
            "status",
            good.replacen("\"status\": \"planned\"", "\"status\": \"yes\"", 1),
            "unknown status \"yes\"",
        ),
        (
            "unknown-field",
            good.replacen(
                "\"status\": \"planned\"",
                "\"status\": \"planned\", \"allow\": true",
                1,
            ),
            "unknown field `allow`",
        ),
    ];
    for (name, text, want) in cases {
        assert_ne!(text, &good, "{name}: the edit applied");
        let f = d.path().join(format!("{name}.json"));
        fs::write(&f, text).unwrap();
        enforce(&["--dry-run"], &root, &f)
            .code(2)
            .stderr(predicate::str::contains(*want));
    }
}

#[test]
fn a_plan_without_host_identity_needs_force_host() {
    let d = tempfile::tempdir().unwrap();
    let root = fake_root(d.path(), SNAP);
    let mut v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(plan(d.path(), SNAP)).unwrap()).unwrap();
    v["host"] = serde_json::json!({});
    let f = d.path().join("anon.json");
    fs::write(&f, v.to_string()).unwrap();
    enforce(&["--dry-run"], &root, &f)
        .code(2)
        .stderr(predicate::str::contains("pass --force-host"));
    enforce(&["--dry-run", "--force-host"], &root, &f)
        .code(0)
        .stderr(predicate::str::contains(
            "plan has no host identity; applying it anyway (--force-host)",
        ));
}

#[test]
fn off_dom0_a_real_run_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = plan(d.path(), SNAP);
    let root = fake_root(d.path(), SNAP);
    fs::write(root.join("proc/xen/capabilities"), "\n").unwrap();
    let want = if is_root() {
        "not in Xen's dom0"
    } else {
        "must run as root"
    };
    enforce(&[], &root, &p)
        .code(2)
        .stderr(predicate::str::contains(want))
        .stderr(predicate::str::contains("nothing was changed"));
}

#[test]
fn off_xen_a_dry_run_without_current_is_refused_even_with_force_host() {
    let d = tempfile::tempdir().unwrap();
    let mut v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(plan(d.path(), SNAP)).unwrap()).unwrap();
    v["host"] = serde_json::json!({});
    let f = d.path().join("anon.json");
    fs::write(&f, v.to_string()).unwrap();
    // A machine with no Xen: nothing to check the plan against, so no "it fits".
    let root = d.path().join("bare");
    fs::create_dir_all(root.join("sys")).unwrap();
    enforce(&["--dry-run", "--force-host"], &root, &f)
        .code(2)
        .stderr(predicate::str::contains("this is not a Xen dom0"))
        .stderr(predicate::str::contains("--current"));
    // With --current the dry run checks the plan against that snapshot.
    enforce(
        &[
            "--dry-run",
            "--force-host",
            "--current",
            testdata(SNAP).to_str().unwrap(),
        ],
        &root,
        &f,
    )
    .code(0);
}

#[test]
fn pvh_plan_on_pvh_root_and_mismatch() {
    // This older snapshot's manifest carries no host identity, hence --force-host.
    let d = tempfile::tempdir().unwrap();
    let snap = "snapshots/x420-pvh-q35-vtd-bios";
    let p = plan(d.path(), snap);
    let root = fake_root(d.path(), snap);
    enforce(&["--dry-run", "--force-host"], &root, &p)
        .code(0)
        .stderr(predicate::str::contains("domctl interface 0x17"));
    fs::write(root.join("sys/hypervisor/guest_type"), "PV\n").unwrap();
    enforce(&["--dry-run", "--force-host"], &root, &p)
        .code(2)
        .stderr(predicate::str::contains(
            "is for a pvh dom0, but this dom0 is pv",
        ));
}

#[test]
fn enforce_harness_scripts_parse() {
    let h = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../harness");
    for (shell, s) in [("bash", "enforce.sh"), ("sh", "enforce-init.sh")] {
        let st = std::process::Command::new(shell)
            .arg("-n")
            .arg(h.join(s))
            .status()
            .unwrap();
        assert!(st.success(), "{s} does not parse");
    }
}

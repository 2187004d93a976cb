//! `dom0scope probe` end to end on real data: the plan `dom0scope harden` wrote inside a real
//! Xen 4.17 PV dom0, answered by a simulated Xen seeded from the `q` dumps of the snapshots
//! collected in that dom0 before and after `enforce` (testdata/snapshots/e417-*). No
//! hypercall is made here; the real probe runs in the harness (harness/enforce.sh).

mod common;

use std::fs;

use common::{copy_dir, dom0scope, testdata};
use predicates::prelude::*;

const PLAN: &str = "snapshots/e417-pv-q35-bios-plan.json";
const BEFORE: &str = "snapshots/e417-pv-q35-bios-before.tar.gz";
const AFTER: &str = "snapshots/e417-pv-q35-bios-after.tar.gz";

fn probe(state: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    dom0scope()
        .arg("probe")
        .arg(testdata(PLAN))
        .arg("--simulate-xen")
        .arg(testdata(state))
        .args(extra)
        .assert()
}

#[test]
fn before_enforce_the_planned_frames_are_granted() {
    probe(BEFORE, &["--expect", "granted"])
        .success()
        .stdout(predicate::str::contains(
            "GRANTED     iomem 0x8f-0x90 (Xen AP trampoline)  [plan: planned]",
        ))
        .stdout(predicate::str::contains(
            "GRANTED     iomem 0x7ffe0 (ACPI FACS page (S3 waking vectors))",
        ))
        .stdout(predicate::str::contains(
            "skipped     ioport 0xb2 (ACPI SMI_CMD)",
        ))
        .stdout(predicate::str::contains("ports are read only with --ports"))
        .stdout(predicate::str::contains(
            "expectation met: every probed range granted",
        ))
        .stderr(predicate::str::contains("SIMULATED Xen"));
}

#[test]
fn after_enforce_they_are_refused_and_the_wrong_expectation_fails() {
    probe(AFTER, &["--expect", "refused", "--ports"])
        .success()
        .stdout(predicate::str::contains(
            "REFUSED     iomem 0x8f-0x90 (Xen AP trampoline)",
        ))
        .stdout(predicate::str::contains(
            "READS 0xff  ioport 0xb2 (ACPI SMI_CMD)",
        ))
        .stdout(predicate::str::contains(
            "summary: 3 ranges: 0 granted, 2 refused, 1 read 0xff",
        ));
    probe(AFTER, &["--expect", "granted"])
        .code(1)
        .stdout(predicate::str::contains(
            "EXPECTATION FAILED (granted): iomem 0x8f-0x90 (Xen AP trampoline); iomem 0x7ffe0",
        ));
    probe(BEFORE, &["--expect", "refused", "--ports"]).code(1);
}

#[test]
fn all_probes_the_kept_ranges_too_and_json_is_structured() {
    let out = probe(AFTER, &["--all", "--ports", "--format", "json"])
        .success()
        .get_output()
        .stdout
        .clone();
    let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(j["schema"], "dom0scope-probe/1");
    assert_eq!(j["method"]["kind"], "dom_io");
    let ranges = j["ranges"].as_array().unwrap();
    assert_eq!(ranges.len(), 6, "every range of the plan");
    let by_what = |w: &str| {
        ranges
            .iter()
            .find(|r| r["target"]["what"].as_str().unwrap().starts_with(w))
            .unwrap()
    };
    assert_eq!(by_what("legacy VGA")["outcome"], "granted", "kept for dom0");
    assert_eq!(
        by_what("legacy VGA")["target"]["origin"],
        "plan: kept for dom0"
    );
    assert_eq!(
        by_what("legacy VGA")["samples"].as_array().unwrap().len(),
        16
    );
    assert_eq!(by_what("ACPI PM1a_CNT_BLK")["outcome"], "granted");
    assert_eq!(by_what("reset control")["outcome"], "granted");
    assert_eq!(by_what("Xen AP trampoline")["outcome"], "refused");
    assert_eq!(by_what("Xen AP trampoline")["target"]["peek"], "trampoline");
    assert_eq!(by_what("ACPI FACS")["target"]["peek"], "facs");
}

#[test]
fn frames_and_ports_from_the_command_line() {
    dom0scope()
        .args([
            "probe",
            "--mfn",
            "0x8e-0x91",
            "--port",
            "0xb2",
            "--simulate-xen",
        ])
        .arg(testdata(AFTER))
        .assert()
        .success()
        .stdout(predicate::str::contains("MIXED       iomem 0x8e-0x91"))
        .stdout(predicate::str::contains("0x8f: REFUSED"))
        .stdout(predicate::str::contains("READS 0xff  ioport 0xb2"));
}

#[test]
fn refusals_before_probing() {
    dom0scope()
        .args(["probe", "--simulate-xen"])
        .arg(testdata(AFTER))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to probe"));
    for bad in ["0x91-0x8e", "zz", "0x"] {
        dom0scope()
            .args(["probe", "--mfn", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--mfn"));
    }
    dom0scope()
        .args(["probe", "--port", "0xffff-0x10000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ports end at 0xffff"));
    let d = tempfile::tempdir().unwrap();
    let garbage = d.path().join("plan.json");
    fs::write(&garbage, b"{\"schema\": \"something else\"}").unwrap();
    dom0scope()
        .arg("probe")
        .arg(&garbage)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plan.json"));
}

/// A fake `/` from the real Xen 4.20 PVH snapshot: its /sys/hypervisor, /proc/iomem, cpuinfo.
fn pvh_root(dir: &std::path::Path) -> std::path::PathBuf {
    let s = testdata("snapshots/x420-pvh-q35-vtd-bios");
    let root = dir.join("root");
    copy_dir(&s.join("hypervisor"), &root.join("sys/hypervisor"));
    fs::create_dir_all(root.join("proc")).unwrap();
    fs::copy(s.join("linux/iomem"), root.join("proc/iomem")).unwrap();
    fs::copy(s.join("linux/cpuinfo"), root.join("proc/cpuinfo")).unwrap();
    root
}

#[test]
fn a_pvh_dom0_needs_the_explicit_self_map_and_gets_an_unused_frame() {
    let d = tempfile::tempdir().unwrap();
    let root = pvh_root(d.path());
    dom0scope()
        .args(["probe", "--mfn", "0x8f", "--root"])
        .arg(&root)
        .args(["--simulate-xen"])
        .arg(testdata("snapshots/x420-pvh-q35-vtd-bios"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PVH dom0"))
        .stderr(predicate::str::contains("--pvh-self-map"));
    // The snapshot's /proc/iomem has a 64-bit PCI window at 0x100000000-0x8ffffffff: the
    // scratch frame is the first page after it.
    dom0scope()
        .args([
            "probe",
            "--mfn",
            "0x8f",
            "--mfn",
            "0xfed90",
            "--pvh-self-map",
            "--root",
        ])
        .arg(&root)
        .args(["--simulate-xen"])
        .arg(testdata("snapshots/x420-pvh-q35-vtd-bios"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "XEN_DOMCTL_memory_mapping on dom0 itself at gfn 0x900000",
        ))
        .stdout(predicate::str::contains("GRANTED     iomem 0x8f"))
        .stdout(predicate::str::contains("REFUSED     iomem 0xfed90"));
}

#[test]
fn the_self_map_is_refused_on_a_pv_dom0_where_xen_would_answer_success_for_anything() {
    let d = tempfile::tempdir().unwrap();
    let root = pvh_root(d.path());
    fs::write(root.join("sys/hypervisor/guest_type"), "PV\n").unwrap();
    dom0scope()
        .args(["probe", "--mfn", "0x8f", "--pvh-self-map", "--root"])
        .arg(&root)
        .args(["--simulate-xen"])
        .arg(testdata("snapshots/x417-pv-q35-vtd-bios"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs a PVH dom0"))
        .stderr(predicate::str::contains("guest_type says pv"));
}

#[test]
fn command_line_ranges_are_capped_like_a_plans() {
    dom0scope()
        .args(["probe", "--mfn", "0x10000000000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "machine frames end at 0xffffffffff",
        ));
    // collect's per-tool timeout is bounded (it once overflowed `Instant + timeout`).
    dom0scope()
        .args(["collect", "--tool-timeout", "18446744073709551615"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("1..=86400"));
}

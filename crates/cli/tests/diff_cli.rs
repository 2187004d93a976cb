//! `dom0scope diff A B` on real snapshots: before and after a real `enforce` on Xen 4.17 (both
//! ways), two hosts on two Xen releases and dom0 modes, a snapshot against itself, the JSON
//! against its schema, and the before/after text as a reviewed golden.

mod common;

use std::path::Path;

use common::{dom0scope, run_in_repo};
use serde_json::Value;

const BEFORE: &str = "testdata/snapshots/e417-pv-q35-bios-before.tar.gz";
const AFTER: &str = "testdata/snapshots/e417-pv-q35-bios-after.tar.gz";
const X417: &str = "testdata/snapshots/x417-pv-q35-vtd-bios";
const X420_PVH: &str = "testdata/snapshots/x420-pvh-q35-vtd-bios";

/// Exit status and standard output of `diff A B EXTRA…`, run from the repository root.
fn diff(a: &str, b: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["diff", a, b, "--today", "2026-12-01"];
    args.extend_from_slice(extra);
    let (status, out) = run_in_repo(&args);
    (status.code().expect("an exit status"), out)
}

fn json(a: &str, b: &str) -> (i32, Value) {
    let (code, out) = diff(a, b, &["--format", "json"]);
    (code, serde_json::from_str(&out).expect("JSON"))
}

fn ids(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

#[test]
fn before_and_after_enforce_closes_the_trampoline_and_the_waking_vector() {
    let (code, d) = json(BEFORE, AFTER);
    assert_eq!(code, 0);
    assert_eq!(d["outcome"]["direction"], "better");
    assert_eq!(
        ids(&d["findings"]["closed"]),
        ["DOM0_LOWMEM_TRAMPOLINE", "DOM0_S3_WAKING_VECTOR"]
    );
    // The revoked frames and port, with their owners from A's inventory, given up after boot.
    let changes: Vec<(String, String, bool, Vec<String>)> = d["rangesets"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["set"].as_str().unwrap().to_owned(),
                c["range"].as_str().unwrap().to_owned(),
                c["given_up_after_boot"].as_bool().unwrap(),
                c["owners"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["owner"].as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    let expect = |set: &str, range: &str, owners: &[&str]| {
        (
            set.to_owned(),
            range.to_owned(),
            true,
            owners.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        changes,
        [
            expect("I/O Memory", "8f-90", &["Xen AP trampoline"]),
            expect(
                "I/O Memory",
                "7ffe0",
                &["ACPI FACS (waking vector)", "ACPI table DSDT"]
            ),
            expect("I/O Ports", "b2", &["ACPI SMI_CMD"]),
        ]
    );
    assert!(
        d["rangesets"]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["held_by"] == "a")
    );
}

#[test]
fn the_reverse_direction_is_worse_and_exits_1() {
    let (code, out) = diff(AFTER, BEFORE, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("B is worse than A: level DOM0:0 → DOM0:0; 1 finding closed, 2 opened"),
        "{out}"
    );
    // The result line is wrapped: compare it with the line breaks as spaces.
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(
        "Result: WORSE (exit 1): DOM0_LOWMEM_TRAMPOLINE (critical) opened; \
         DOM0_S3_WAKING_VECTOR (high) opened."
    ));
    assert!(
        out.contains("B only 8f-90 (2 frames, 8 KiB), given up after boot in A: Xen AP trampoline")
    );
}

#[test]
fn two_hosts_on_two_xen_releases_and_dom0_modes() {
    let (code, out) = diff(X417, X420_PVH, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("changed: Xen 4.17.7 → 4.20.5-pre; dom0 mode PV → PVH"),
        "{out}"
    );
    let (_, d) = json(X417, X420_PVH);
    assert_eq!(d["a"]["host"]["xen"], "4.17.7");
    assert_eq!(d["b"]["host"]["xen"], "4.20.5-pre");
    assert_eq!(d["b"]["host"]["dom0_mode"], "PVH");
    assert_eq!(d["b"]["host"]["dmi"]["sys_vendor"], "QEMU");
    assert!(d["a"]["host"]["dmi"].get("modalias").is_none());
    // PV-only operations are gone for a PVH dom0; 4.20's new ones appear.
    let changes = d["hypercalls"]["changes"].as_array().unwrap();
    let state = |id: &str| {
        let c = changes.iter().find(|c| c["id"] == id).expect(id);
        (c["a"]["state"].clone(), c["b"]["state"].clone())
    };
    assert_eq!(
        state("kexec_op.load"),
        ("available".into(), "not_available".into())
    );
    assert_eq!(
        state("platform_op.get_ucode_revision"),
        ("not_available".into(), "available".into())
    );
    // Ranges Xen 4.20's PVH dom0 build never grants (not given up after boot).
    let ecam = d["rangesets"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["range"] == "b0000-bffff")
        .expect("the ECAM window");
    assert_eq!(ecam["given_up_after_boot"], false);
    assert_eq!(ecam["owners"][0]["class"], "pci_ecam");
    // A new medium finding fails only at --fail-on medium.
    let (code, out) = diff(X417, X420_PVH, &["--fail-on", "medium"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DOM0_MICROCODE_DOWNGRADE (medium) opened"));
}

#[test]
fn a_snapshot_against_itself_is_the_same() {
    let (code, out) = diff(X417, X417, &["--fail-on", "info"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with(
            "B is the same as A: level DOM0:0! → DOM0:0!; 0 findings closed, 0 opened\n"
        )
    );
    for set in ["I/O Memory", "I/O Ports", "Interrupts"] {
        assert!(out.contains(&format!("  {set}: the same\n")), "{out}");
    }
}

#[test]
fn an_unreadable_snapshot_exits_2() {
    let out = dom0scope()
        .args(["diff", "/nonexistent/a", "/nonexistent/b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/a"));
}

#[test]
fn text_wraps_at_100_columns() {
    for (a, b) in [(BEFORE, AFTER), (X417, X420_PVH), (X420_PVH, X417)] {
        let (_, out) = diff(a, b, &[]);
        for l in out.lines() {
            assert!(l.chars().count() <= 100, "{} chars: {l}", l.chars().count());
        }
    }
}

#[test]
fn json_validates_against_its_schema() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/json-schema/dom0scope-diff-1.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = jsonschema::options()
        .build(&schema)
        .expect("a usable schema");
    let pairs = [
        (BEFORE, AFTER),
        (AFTER, BEFORE),
        (X417, X420_PVH),
        (X417, X417),
        (
            "testdata/logs/qemu-xen-4.17/pv-q35-qemu64.log",
            "testdata/snapshots/x417-pv-q35-uefi",
        ),
        (
            "testdata/snapshots/x420-pv-pc-bios",
            "testdata/snapshots/x420-pvh-q35-amdvi-bios",
        ),
        // A log without a 'q' dump: rangesets not compared, every hypercall unknown.
        (
            "testdata/logs/xen-dmesg/intel-i7-3770-dell-xps8500_xen-4.1.2_ubuntu_bios.txt",
            X417,
        ),
    ];
    for (a, b) in pairs {
        let (_, doc) = json(a, b);
        assert_eq!(doc["schema"], "dom0scope-diff/1");
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{a} {b}: {errors:#?}");
    }
    let (_, mut doc) = json(BEFORE, AFTER);
    doc["unannounced"] = Value::Bool(true);
    assert!(!v.is_valid(&doc));
}

#[test]
fn text_of_before_and_after_enforce() {
    let (_, out) = diff(BEFORE, AFTER, &[]);
    insta::assert_snapshot!(out);
}

#[test]
fn html_of_before_and_after_enforce_names_what_closed_and_what_dom0_gave_up() {
    let (code, d) = json(BEFORE, AFTER);
    let (html_code, html) = diff(BEFORE, AFTER, &["--format", "html"]);
    assert_eq!(code, html_code);
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    let closed = ids(&d["findings"]["closed"]);
    assert!(closed.contains(&"DOM0_LOWMEM_TRAMPOLINE"), "{closed:?}");
    for id in closed {
        assert!(html.contains(&format!("id=\"closed-{id}\"")), "{id}");
    }
    for id in ids(&d["findings"]["opened"]) {
        assert!(html.contains(&format!("id=\"opened-{id}\"")), "{id}");
    }
    // The trampoline's frames are among what only A's dom0 reached.
    assert!(html.contains("data-owner=\"xen_trampoline\""));
    assert!(!html.contains("<script"));
}

//! `map` and `explain` on a real collected snapshot.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn snap(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/snapshots")
        .join(name)
}

fn dom0scope() -> Command {
    let mut c = Command::cargo_bin("dom0scope").expect("binary");
    c.env("NO_COLOR", "1");
    c
}

#[test]
fn map_names_the_platform_and_dom0_access() {
    let out = dom0scope()
        .arg("map")
        .arg(snap("x417-pv-q35-vtd-bios"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for (needle, access) in [
        ("0xfed90000           0xfed90fff", "denied"),
        ("0xb0000000           0xbfffffff", "reachable read-only"),
        ("0xfec00000           0xfec00fff", "reachable read-only"),
        ("0x8f000              0x90fff", "reachable"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} missing:\n{text}"));
        assert!(line.contains(access), "{line}");
    }
    assert!(text.contains("VT-d registers"));
    assert!(text.contains("Xen AP trampoline"));
    assert!(text.contains("ACPI PM1a_CNT_BLK"));
    assert!(
        !text.contains("unclaimed"),
        "unclaimed rows only with --all"
    );
}

#[test]
fn map_json_and_all() {
    let out = dom0scope()
        .args(["map", "--all", "--format", "json"])
        .arg(snap("x420-pv-pc-bios"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "dom0scope-map/1");
    let rows = v["rows"].as_array().unwrap();
    // Memory rows tile the whole address space: the first starts at 0, each next
    // one right after the previous.
    let mem: Vec<_> = rows.iter().filter(|r| r["kind"] == "memory").collect();
    assert_eq!(mem[0]["start"], "0x0");
    for w in mem.windows(2) {
        let end = u64::from_str_radix(w[0]["end"].as_str().unwrap().trim_start_matches("0x"), 16)
            .unwrap();
        let start =
            u64::from_str_radix(w[1]["start"].as_str().unwrap().trim_start_matches("0x"), 16)
                .unwrap();
        assert_eq!(end + 1, start);
    }
    assert!(rows.iter().any(|r| r["owner"] == "unclaimed"));
}

#[test]
fn explain_an_address_and_a_port() {
    dom0scope()
        .arg("explain")
        .arg(snap("x417-pv-q35-vtd-bios"))
        .arg("0xfed90000")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("VT-d registers"))
        .stdout(predicate::str::contains("acpi/RMAD: DRHD at byte 0x30"))
        .stdout(predicate::str::contains("rule deny-vtd-drhd"));
    dom0scope()
        .arg("explain")
        .arg(snap("x420-pv-pc-bios"))
        .arg("port:0xcf9")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("reset control"))
        .stdout(predicate::str::contains("dom0 access: No"))
        .stdout(predicate::str::contains("rule deny-cf9"));
    dom0scope()
        .arg("explain")
        .arg(snap("x420-pv-pc-bios"))
        .arg("port:0x10000")
        .assert()
        .code(2);
    dom0scope()
        .arg("explain")
        .arg(snap("x420-pv-pc-bios"))
        .arg("nowhere")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an address"));
}

//! The Secure Boot verdict end to end: what it flags on every real capture
//! (and what it must not), policy files, SARIF, exit codes and colour.

mod common;

use common::{REAL_BOOTS, dom0scope, testdata};

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn json_of(args: &[&str], path: &Path) -> (Value, i32) {
    let out = dom0scope()
        .args(["audit", "--format", "json"])
        .args(args)
        .arg(path)
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).expect("JSON"),
        out.status.code().unwrap(),
    )
}

fn ids(v: &Value, list: &str) -> Vec<String> {
    v["verdict"][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Issue 7's acceptance, on every collected snapshot and every QEMU log.
#[test]
fn flags_what_dom0_reaches_and_nothing_it_cannot() {
    let cases = REAL_BOOTS;
    for rel in cases {
        let (v, code) = json_of(&[], &testdata(rel));
        assert_eq!(code, 1, "{rel}");
        let f = ids(&v, "findings");
        let has = |id: &str| f.iter().any(|x| x == id);
        let pv = v["host"]["dom0_mode"] == "PV";
        let uefi = v["surface"]["efi_boot"] == true;
        let collected = !v["snapshot"]["bare_log"].as_bool().unwrap();
        assert!(has("DOM0_LOWMEM_TRAMPOLINE"), "{rel}");
        assert_eq!(has("DOM0_EFI_RUNTIME_WRITE"), uefi, "{rel}");
        // PV relaxed reaches Xen's heap; PVH is forced strict.
        assert_eq!(has("DOM0_DMA_XEN_HEAP"), pv, "{rel}");
        assert_eq!(has("DOM0_PCI_ROOT_COMPLEX_WRITE"), collected, "{rel}");
        let xen = v["host"]["xen_version"].as_str().unwrap();
        let series: Vec<u32> = xen
            .split(['.', '-'])
            .take(2)
            .map(|n| n.parse().unwrap())
            .collect();
        // The hypercall table is checked against every release here (4.17 to master). Its
        // kexec and livepatch rows need the build configuration: a collected snapshot has it
        // (hypfs), Debian's builds carry Debian's (assumed); a bare log of a build from source
        // has none, so the rules are not evaluated there, and say why.
        let debian = ["4.17", "4.20"].iter().any(|s| xen.starts_with(s));
        if collected || debian {
            // kexec_op is PV-only.
            assert_eq!(has("XEN_KEXEC_UNSIGNED_LOAD"), pv, "{rel}");
            assert!(has("XEN_LIVEPATCH_UNSIGNED"), "{rel}");
        } else {
            let unknown = |id: &str| {
                v["verdict"]["not_evaluated"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| {
                        r["id"] == id
                            && r["needs"]
                                .as_str()
                                .unwrap()
                                .contains("the build configuration")
                    })
            };
            assert!(!has("XEN_LIVEPATCH_UNSIGNED"), "{rel}");
            assert!(unknown("XEN_LIVEPATCH_UNSIGNED"), "{rel}");
            assert!(!pv || unknown("XEN_KEXEC_UNSIGNED_LOAD"), "{rel}");
        }
        // Xen denies its IOMMU registers; 4.19 and later deny the platform-control ports.
        assert!(!has("DOM0_IOMMU_REGISTERS_REACHABLE"), "{rel}");
        let denies_ports = (series[0], series[1]) >= (4, 19);
        assert_eq!(has("DOM0_PLATFORM_CONTROL_PORTS"), !denies_ports, "{rel}");
        assert!(!has("DOM0_ECAM_UNMEDIATED"), "{rel}");
        let level = &v["verdict"]["level"];
        assert_eq!(level["level"], 0, "{rel}");
        assert!(level["answer"].as_str().unwrap().starts_with("No"), "{rel}");
    }
}

#[test]
fn debug_keys_and_lockdown_as_far_as_the_snapshot_shows() {
    let (v, _) = json_of(&[], &testdata("snapshots/x420-pv-pc-bios"));
    let f = ids(&v, "findings");
    assert!(f.contains(&"XEN_DEBUG_KEYS".to_owned()));
    assert!(f.contains(&"DOM0_KERNEL_LOCKDOWN_OFF".to_owned()));
    assert_eq!(v["verdict"]["level"]["label"], "DOM0:0!");
    // SeaBIOS leaves the i440FX's compatible SMRAM unlocked.
    assert!(f.contains(&"FW_SMRAM_UNLOCKED".to_owned()));
    // A bare log cannot show lockdown: not evaluated, never passed.
    let (v, _) = json_of(&[], &testdata("logs/qemu-xen-4.20/pv-q35-qemu64.log"));
    assert!(ids(&v, "not_evaluated").contains(&"DOM0_KERNEL_LOCKDOWN_OFF".to_owned()));
}

#[test]
fn sarif_output_and_exit_codes() {
    let out = dom0scope()
        .args(["audit", "--format", "sarif"])
        .arg(testdata("snapshots/x417-pv-q35-uefi"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["tool"]["driver"]["name"], "dom0scope");

    // Lowering every firing critical and high rule to medium passes --fail-on high.
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = json_of(&[], &testdata("snapshots/x420-pvh-q35-vtd-bios"));
    let mut toml = String::from("[severity]\n");
    for f in v["verdict"]["findings"].as_array().unwrap() {
        if f["severity"] == "critical" || f["severity"] == "high" {
            toml.push_str(&format!("{} = \"medium\"\n", f["id"].as_str().unwrap()));
        }
    }
    let p = dir.path().join("lenient.toml");
    std::fs::write(&p, &toml).unwrap();
    let audit_at = |fail_on: &str| {
        dom0scope()
            .args(["audit", "--fail-on", fail_on, "--policy"])
            .arg(&p)
            .arg(testdata("snapshots/x420-pvh-q35-vtd-bios"))
            .assert()
    };
    // Nothing at or above high fires now, but QEMU's chipset leaves four high rules
    // unjudged: not a pass (exit 3), and the report says what would settle them.
    audit_at("high")
        .code(3)
        .stdout(predicate::str::contains("INCOMPLETE at --fail-on high"))
        .stdout(predicate::str::contains(
            "Not a pass: 4 rule(s) at or above high",
        ))
        .stdout(predicate::str::contains("FW_TSEG_UNLOCKED"))
        .stdout(predicate::str::contains("Would settle it:"))
        .stdout(predicate::str::contains("PASS").not());
    // Waiving what a snapshot of this host cannot settle (checked by other means) passes.
    for rule in [
        "FW_BIOS_WRITE_ENABLED",
        "FW_BIOS_LOCK_DISABLED",
        "FW_TSEG_UNLOCKED",
        "FW_MEMORY_MAP_UNLOCKED",
    ] {
        toml.push_str(&format!(
            "\n[[waiver]]\nrule = \"{rule}\"\nreason = \"QEMU: no such chipset register\"\nexpires = 2099-01-01\n"
        ));
    }
    std::fs::write(&p, &toml).unwrap();
    audit_at("high")
        .code(0)
        .stdout(predicate::str::contains("PASS at --fail-on high"));
    audit_at("medium").code(1);
    // An unknown format is a usage error (html is a format since dom0scope-html).
    dom0scope()
        .args(["audit", "--format", "pdf"])
        .assert()
        .code(2);
}

#[test]
fn waivers_hold_until_their_date_and_are_reported_after() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("site.toml");
    std::fs::write(
        &p,
        "[[waiver]]\nrule = \"DOM0_LOWMEM_TRAMPOLINE\"\nreason = \"revoked by our early-boot agent\"\nexpires = 2026-06-30\n",
    )
    .unwrap();
    let snap = testdata("snapshots/x417-pv-q35-vtd-bios");
    let run = |today: &str| {
        let (v, _) = json_of(&["--today", today, "--policy", p.to_str().unwrap()], &snap);
        v
    };
    let v = run("2026-06-30");
    assert!(!ids(&v, "findings").contains(&"DOM0_LOWMEM_TRAMPOLINE".to_owned()));
    assert_eq!(v["verdict"]["waived"][0]["id"], "DOM0_LOWMEM_TRAMPOLINE");
    assert_eq!(
        v["verdict"]["waived"][0]["source"],
        format!("{}:2", p.display())
    );
    let v = run("2026-07-01");
    assert!(ids(&v, "findings").contains(&"DOM0_LOWMEM_TRAMPOLINE".to_owned()));
    assert_eq!(
        v["verdict"]["expired_waivers"][0]["rule"],
        "DOM0_LOWMEM_TRAMPOLINE"
    );
    dom0scope()
        .args(["audit", "--today", "2026-07-01", "--policy"])
        .arg(&p)
        .arg(&snap)
        .assert()
        .stdout(predicate::str::contains(
            "Expired waivers (ignored) (1): DOM0_LOWMEM_TRAMPOLINE (expired 2026-06-30)",
        ));
    dom0scope()
        .args(["audit", "--details", "--today", "2026-07-01", "--policy"])
        .arg(&p)
        .arg(&snap)
        .assert()
        .stdout(predicate::str::contains("Expired waivers (ignored)"))
        .stdout(predicate::str::contains(
            "DOM0_LOWMEM_TRAMPOLINE expired on 2026-06-30",
        ));
}

#[test]
fn policy_errors_point_at_line_and_column_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.toml");
    std::fs::write(
        &p,
        "[[rule]]\nid = \"SITE_X\"\ntitle = \"t\"\nseverity = \"low\"\nimpact = \"integrity\"\nrationale = \"r\"\nreferences = []\ncondition = { reaches_owner = \"the_moon\" }\n",
    )
    .unwrap();
    dom0scope()
        .args(["audit", "--policy"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{}:8:", p.display())))
        .stderr(predicate::str::contains("the_moon"))
        .stderr(predicate::str::contains("panicked").not());
    dom0scope()
        .args(["audit", "--policy"])
        .arg(dir.path().join("missing.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.toml"));
}

#[test]
fn no_color_is_honoured_on_stdout() {
    let snap = testdata("snapshots/x420-pv-pc-bios");
    let coloured = Command::cargo_bin("dom0scope")
        .unwrap()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .arg("audit")
        .arg(&snap)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&coloured.stdout).contains('\x1b'));
    let plain = Command::cargo_bin("dom0scope")
        .unwrap()
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "1")
        .arg("audit")
        .arg(&snap)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\x1b'));
}

#[test]
fn every_hypercall_the_catalog_names_is_in_the_hypercall_table() {
    let table: Vec<String> = dom0scope_hypercalls::Table::builtin()
        .ops
        .iter()
        .map(|o| o.id.clone())
        .collect();
    for (file, text) in dom0scope_verdict::catalog::BUILTIN {
        for line in text.lines().filter(|l| l.contains("hypercall_available")) {
            for id in line.split('"').skip(1).step_by(2) {
                assert!(
                    table.iter().any(|t| t == id),
                    "{file}: {id} not in the table"
                );
            }
        }
    }
}

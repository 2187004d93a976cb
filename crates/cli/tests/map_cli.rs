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

#[test]
fn map_names_chipset_blocks_flash_and_pci_functions() {
    let out = dom0scope()
        .arg("map")
        .arg(snap("x417-pv-q35-vtd-bios"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for (needle, owner) in [
        (
            "0xfed1c000           0xfed1f7ff",
            "Intel RCBA chipset registers (0000:00:1f.0)",
        ),
        (
            "0xfed1f800           0xfed1f9ff",
            "SPI controller (0000:00:1f.0 RCBA+0x3800)",
        ),
        ("0xfffc0000           0xffffffff", "BIOS flash window"),
        (
            "0x630                0x67f",
            "Intel PMBASE (PM1, SMI_EN, TCO) (0000:00:1f.0)",
        ),
        (
            "0x700                0x73f",
            "PCI 0000:00:1f.3 BAR4 (SMBus controller)",
        ),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} missing:\n{text}"));
        assert!(line.contains(owner), "{line}");
    }
    // Names from the PCI ID database, once per function, under its first row.
    let named = "device 8086:2918 Intel Corporation 82801IB (ICH9) LPC Interface Controller [ISA bridge, class 060100]";
    assert_eq!(text.matches(named).count(), 1, "{text}");
    let rcba = text
        .lines()
        .position(|l| l.contains("0xfed1c000 "))
        .unwrap();
    assert!(text.lines().nth(rcba + 1).unwrap().contains(named));
}

#[test]
fn map_and_audit_state_the_same_unclaimed_total() {
    let json = |args: &[&str]| -> serde_json::Value {
        let out = dom0scope()
            .args(args)
            .args(["--format", "json"])
            .arg(snap("x420-pv-pc-bios"))
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let map = json(&["map"]);
    let audit = json(&["audit"]);
    let n = map["unclaimed_reachable_bytes"].as_u64().unwrap();
    assert!(n > 0 && n % 4096 == 0, "{n}");
    assert_eq!(
        audit["unclaimed_reachable_bytes"],
        map["unclaimed_reachable_bytes"]
    );
    let row = map["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["owner"] == "PCI 0000:00:03.0 BAR0")
        .unwrap();
    assert_eq!(row["device"]["ids"], "8086:100e");
    assert_eq!(row["device"]["vendor_name"], "Intel Corporation");
    assert_eq!(
        row["device"]["device_name"],
        "82540EM Gigabit Ethernet Controller"
    );
    // A bare log has no rangesets to count.
    let out = dom0scope()
        .args(["map", "--format", "json"])
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../testdata/logs/xen-dmesg/intel-core2-dell-vostro1700_xen-4.1.1_ubuntu_bios_no-iommu.txt"),
        )
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["unclaimed_reachable_bytes"].is_null());
}

#[test]
fn explain_names_the_spi_controller_and_its_function() {
    dom0scope()
        .arg("explain")
        .arg(snap("x417-pv-q35-vtd-bios"))
        .arg("0xfed1f804")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "0xfed1f804: SPI controller (0000:00:1f.0 RCBA+0x3800) (0xfed1f800-0xfed1f9ff)",
        ))
        .stdout(predicate::str::contains(
            "stated by pci/0000:00:1f.0/config: RCBA at byte 0xf0: 0xfed1c001; SPIBAR = RCBA + 0x3800 on 8086:2918",
        ))
        .stdout(predicate::str::contains(
            "device 0000:00:1f.0: 8086:2918 Intel Corporation 82801IB (ICH9) LPC Interface Controller",
        ))
        .stdout(predicate::str::contains(
            "frame 0xfed1f also holds: Intel RCBA chipset registers (0000:00:1f.0) (access",
        ));
    dom0scope()
        .arg("explain")
        .arg(snap("x417-pv-q35-vtd-bios"))
        .arg("port:0x703")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "PCI 0000:00:1f.3 BAR4 (SMBus controller)",
        ))
        .stdout(predicate::str::contains(
            "recognised by IDs and class as: SMBus controller",
        ));
}

#[test]
fn explain_names_the_piix4_pm_and_smbus_ports_on_i440fx() {
    for (port, owner, range, reg) in [
        (
            "port:0x630",
            "Intel PIIX4 PMBA (PM1, GLBCTL, DEVCTL) (0000:00:01.3)",
            "(ports 0x60c-0x63f)",
            "PMBA at byte 0x40: 0x00000601, PMREGMISC at byte 0x80: 0x01 (PMIOSE)",
        ),
        (
            "port:0x700",
            "Intel PIIX4 SMBus (SMBBA) (0000:00:01.3)",
            "(ports 0x700-0x70f)",
            "SMBBA at byte 0x90: 0x00000701, SMBHSTCFG at byte 0xd2: 0x09 (SMB_HST_EN)",
        ),
    ] {
        let out = dom0scope()
            .arg("explain")
            .arg(snap("x420-pv-pc-bios"))
            .arg(port)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(&format!("{owner} {range}")), "{text}");
        assert!(
            text.contains(&format!("stated by pci/0000:00:01.3/config: {reg}")),
            "{text}"
        );
        assert!(text.contains("dom0 access: Yes"), "{text}");
    }
}

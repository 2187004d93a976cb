//! ACPI tables captured in real dom0s, and damaged copies of them.

use std::path::Path;

use dom0scope_facts::acpi::AcpiTables;

fn table(snapshot: &str, sig: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/snapshots")
            .join(snapshot)
            .join("acpi")
            .join(sig),
    )
    .expect("table")
}

#[test]
fn qemu_q35_tables_as_a_pv_dom0_sees_them() {
    let rmad = table("x417-pv-q35-vtd-bios", "RMAD");
    let hpet = table("x417-pv-q35-vtd-bios", "HPET");
    let facp = table("x417-pv-q35-vtd-bios", "FACP");
    let t = AcpiTables::parse([
        ("acpi/RMAD", rmad.as_slice()),
        ("acpi/HPET", hpet.as_slice()),
        ("acpi/FACP", facp.as_slice()),
    ]);
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    assert!(t.tables.iter().all(|i| i.checksum_ok));
    let dmar = t.dmar.unwrap();
    assert_eq!(dmar.signature, "RMAD");
    assert_eq!(dmar.drhd.len(), 1);
    assert_eq!(dmar.drhd[0].base, 0xfed9_0000);
    // QEMU lists device scopes instead of INCLUDE_PCI_ALL (flags byte 0 at offset 0x34).
    assert!(!dmar.drhd[0].include_all);
    let hpet = t.hpet.unwrap();
    assert_eq!((hpet.base, hpet.page_protect), (0xfed0_0000, 0));
    let f = t.fadt.unwrap();
    assert_eq!(f.smi_cmd, 0xb2);
    assert_eq!(f.pm_tmr_blk, 0x608);
    assert_eq!((f.pm1a_evt_blk, f.pm1a_cnt_blk), (0x600, 0x604));
    assert_eq!(f.firmware_ctrl, 0x7ffe_0000);
    assert!(!f.hw_reduced());
}

#[test]
fn damaged_tables_warn_per_table_and_never_panic() {
    let rmad = table("x417-pv-q35-vtd-bios", "RMAD");
    let mut bad_sum = rmad.clone();
    bad_sum[9] ^= 0xff;
    let mut huge_len = rmad.clone();
    huge_len[4..8].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    let mut bad_struct = rmad.clone();
    bad_struct[0x32..0x34].copy_from_slice(&2u16.to_le_bytes());
    let t = AcpiTables::parse([
        ("acpi/a", &rmad[..20]),
        ("acpi/b", bad_sum.as_slice()),
        ("acpi/c", huge_len.as_slice()),
        ("acpi/d", bad_struct.as_slice()),
        ("acpi/e", &rmad[..60]),
    ]);
    let by = |a: &str| {
        t.warnings
            .iter()
            .filter(|w| w.artifact == a)
            .map(|w| w.message.clone())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert!(by("acpi/a").contains("too short"));
    assert!(by("acpi/b").contains("checksum"));
    assert!(by("acpi/c").contains("only 120 are present"));
    assert!(by("acpi/d").contains("has length 2"));
    assert!(by("acpi/e").contains("runs past the table end"));
    for cut in 0..rmad.len() {
        let _ = AcpiTables::parse([("acpi/x", &rmad[..cut])]);
    }
}

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

/// An SSDT with a correct header, length and checksum whose body is `n` distinct
/// `OperationRegion (Rnnnn, SystemMemory, DWordConst, 0x10)`s.
fn ssdt_packed_with_regions(n: u32) -> Vec<u8> {
    let mut t = b"SSDT\0\0\0\0\x02\0OEMIDXOPREGION\x01\0\0\0INTL\x28\x06\x23\x20".to_vec();
    for i in 0..n {
        let d = |k: u32| b'0' + (i / k % 10) as u8;
        t.extend_from_slice(&[0x5b, 0x80, b'R', d(100), d(10), d(1), 0x00, 0x0c]);
        t.extend_from_slice(&(0x1000_0000 + i * 16).to_le_bytes());
        t.extend_from_slice(&[0x0a, 0x10]);
    }
    let len = u32::try_from(t.len()).unwrap();
    t[4..8].copy_from_slice(&len.to_le_bytes());
    let sum = t.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    t[9] = 0u8.wrapping_sub(sum);
    t
}

/// Issue 14 item 1: SSDTs packed with OperationRegions kept every one (25× the artifact in
/// memory). Now each table keeps at most its cap, all tables together at most theirs, and
/// what was not kept is counted in a warning per table, never dropped silently.
#[test]
fn operation_regions_past_the_caps_are_counted_and_reported() {
    use dom0scope_facts::acpi::aml::{MAX_REGIONS, MAX_REGIONS_PER_TABLE};
    let full = MAX_REGIONS_PER_TABLE;
    let per = full as u32 + 100;
    let big = ssdt_packed_with_regions(per);
    let small = ssdt_packed_with_regions(10);
    // A small DSDT, then five big SSDTs: the fourth reaches the cap in all.
    assert_eq!(MAX_REGIONS, 4 * full);
    let mut input: Vec<(String, &[u8])> = vec![("acpi/DSDT".into(), small.as_slice())];
    input.extend((1..=5).map(|i| (format!("acpi/SSDT{i}"), big.as_slice())));
    let t = AcpiTables::parse(input.iter().map(|(n, b)| (n.as_str(), *b)));
    assert!(t.tables.iter().all(|i| i.checksum_ok && !i.truncated));
    let kept: Vec<usize> = t.op_regions.iter().map(|(_, r)| r.len()).collect();
    assert_eq!(kept, [10, full, full, full, full - 10, 0]);
    let found = 10 + 5 * u64::from(per);
    assert_eq!(t.op_regions_not_kept, found - MAX_REGIONS as u64);
    let said: Vec<(&str, &str)> = t
        .warnings
        .iter()
        .map(|w| (w.artifact.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(said.len(), 5, "{said:?}");
    assert_eq!(
        said[0],
        (
            "acpi/SSDT1",
            format!(
                "kept the first {full} of its {per} OperationRegions (at most {full} a table, \
                 {MAX_REGIONS} in all, to bound memory): the owners the other 100 declare are \
                 missing from the inventory"
            )
            .as_str()
        )
    );
    let partial = format!("kept the first {} of its {per} OperationRegions", full - 10);
    assert!(said[3].1.starts_with(&partial), "{}", said[3].1);
    let none = format!("kept none of its {per} OperationRegions ({MAX_REGIONS} were kept");
    assert!(said[4].1.starts_with(&none), "{}", said[4].1);
    // What is kept is the start of the table, as parsed without a cap.
    let r = &t.op_regions[1].1[full - 1];
    let last = 0x1000_0000 + 16 * (full as u64 - 1);
    assert_eq!((r.offset, r.length), (Some(last), Some(0x10)));
    // A table under the cap is untouched.
    let t = AcpiTables::parse([("acpi/SSDT", small.as_slice())]);
    assert_eq!((t.op_regions[0].1.len(), t.op_regions_not_kept), (10, 0));
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
}

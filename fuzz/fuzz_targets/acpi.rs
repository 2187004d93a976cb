//! ACPI table parsers (header, HPET, DMAR/RMAD/XMAR, IVRS, FADT, the AML scan) on
//! arbitrary bytes under every signature they dispatch on: no panic, no unbounded
//! allocation, every DRHD/IVHD offset inside the table, and no more OperationRegions kept
//! than the per-table cap (the rest counted).

#![no_main]

use dom0scope_facts::acpi::{AcpiTables, aml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for sig in [b"HPET", b"DMAR", b"RMAD", b"IVRS", b"FACP", b"FACS", b"APIC", b"MCFG", b"TPM2", b"DSDT"] {
        let mut t = data.to_vec();
        if t.len() >= 4 {
            t[..4].copy_from_slice(sig);
        }
        let out = AcpiTables::parse([("acpi/X", t.as_slice())]);
        if let Some(d) = &out.dmar {
            assert!(d.drhd.iter().all(|u| u.offset + 16 <= t.len()));
        }
        if let Some(i) = &out.ivrs {
            assert!(i.ivhd.iter().all(|h| h.offset + 16 <= t.len()));
        }
        let kept: usize = out.op_regions.iter().map(|(_, r)| r.len()).sum();
        assert!(kept <= aml::MAX_REGIONS_PER_TABLE);
        assert!(out.op_regions_not_kept == 0 || kept == aml::MAX_REGIONS_PER_TABLE);
    }
});

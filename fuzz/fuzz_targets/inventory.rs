//! The inventory build on one PCI function with arbitrary config bytes and
//! sysfs `resource` text: the chipset decoding (RCBA, SPIBAR, PMBASE, AMD FCH
//! SPI, PIIX4 PMBA/SMBBA), roles and device names; and, when byte 0 asks, the
//! tail as an ACPI table too (AML OperationRegions, FADT blocks, DMAR, IVRS …
//! claims). No panic; the frame map covers the address space and the port map
//! every port, in order, without gaps or overlaps.
//!
//! Input: byte 0 picks the function's address (bits 0-1) and the signature
//! stamped on the tail (bits 2-5, none past the list), bytes 1-2 (little
//! endian) the config length, then the config bytes, then the tail (resource
//! text, and the table).

#![no_main]

use dom0scope_facts::Facts;
use dom0scope_inventory::Inventory;
use libfuzzer_sys::fuzz_target;

const ADDRS: [&str; 4] = [
    "0000:00:1f.0",
    "0000:00:01.3",
    "0000:00:14.3",
    "0000:00:1f.5",
];

const SIGS: [&[u8; 4]; 9] = [
    b"DSDT", b"FACP", b"DMAR", b"IVRS", b"HPET", b"MCFG", b"TPM2", b"APIC", b"FACS",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let (len, rest) = match rest {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        _ => (0, rest),
    };
    let (config, resource) = rest.split_at(len.min(rest.len()));
    let sbdf = ADDRS[usize::from(sel & 3)];
    let (cfg_path, res_path) = (format!("pci/{sbdf}/config"), format!("pci/{sbdf}/resource"));
    let mut warnings = Vec::new();
    let pci = dom0scope_facts::pci::parse(
        [(cfg_path.as_str(), config), (res_path.as_str(), resource)],
        &mut warnings,
    );
    let acpi = SIGS.get(usize::from(sel >> 2 & 0xf)).map(|sig| {
        let mut t = resource.to_vec();
        if t.len() >= 4 {
            t[..4].copy_from_slice(*sig);
        }
        dom0scope_facts::acpi::AcpiTables::parse([("acpi/X", t.as_slice())])
    });
    let facts = Facts {
        xen: None,
        acpi,
        cpuinfo: None,
        pci,
        dom0: None,
        warnings,
    };
    let inv = Inventory::build(&facts);
    let top = (1u64 << inv.phys_bits) - 1;
    let mut next = 0u64;
    for r in &inv.regions {
        assert_eq!(r.start, next);
        assert!(r.start <= r.end && r.end <= top);
        next = r.end.wrapping_add(1);
    }
    assert_eq!(inv.regions.last().map(|r| r.end), Some(top));
    let mut next = 0u32;
    for p in &inv.ports {
        assert_eq!(u32::from(p.start), next);
        assert!(p.start <= p.end);
        next = u32::from(p.end) + 1;
    }
    assert_eq!(next, 0x10000);
    for d in &inv.devices {
        let _ = d.describe();
    }
});

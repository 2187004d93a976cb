//! Facts from a whole collected snapshot: every artifact kind the facts stage reads.

use std::path::Path;

use dom0scope_facts::Facts;
use dom0scope_snapshot::Snapshot;

#[test]
fn a_collected_snapshot_yields_every_kind_of_fact() {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/snapshots/x417-pv-q35-vtd-bios");
    let s = Snapshot::open(&p).unwrap();
    let f = Facts::extract(&s).unwrap();
    assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    let x = f.xen.as_ref().unwrap();
    assert_eq!(x.pci_owners.len(), 6);
    assert_eq!(x.pci_owners_artifact.as_deref(), Some("xen/debugkey-Q.txt"));
    let a = f.acpi.as_ref().unwrap();
    assert_eq!(a.dmar.as_ref().unwrap().signature, "RMAD");
    assert_eq!(a.madt.as_ref().unwrap().ioapics.len(), 1);
    assert_eq!(a.mcfg.as_ref().unwrap().entries[0].base, 0xb000_0000);
    assert_eq!(f.cpuinfo.as_ref().unwrap().phys_bits, Some(40));
    assert_eq!(f.pci.len(), 6);
    let d = f.dom0.as_ref().unwrap();
    let l = d.lockdown.as_ref().unwrap();
    assert_eq!(l.mode, dom0scope_facts::linux::lockdown::Lockdown::None);
    assert_eq!(
        (l.evidence.artifact.as_str(), l.evidence.line),
        ("linux/lockdown", 1)
    );
    assert!(
        d.version
            .as_ref()
            .unwrap()
            .text
            .starts_with("Linux version")
    );
    assert!(
        d.iomem
            .iter()
            .any(|r| r.name == "PCI MMCONFIG 0000 [bus 00-ff]")
    );
    assert!(d.ioports.iter().any(|r| r.name == "keyboard"));
}

/// The boot whose dom0 maps MSI/MSI-X: debug keys `i` and `M` come from their own artifacts,
/// the `Q` lines keep each device's MSI IRQs, config space shows the enabled capabilities.
#[test]
fn a_snapshot_with_msi_yields_the_irq_dumps() {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/snapshots/x417-pv-q35-msi-bios");
    let f = Facts::extract(&Snapshot::open(&p).unwrap()).unwrap();
    assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    let x = f.xen.as_ref().unwrap();
    let d = &x.irq_dumps;
    assert_eq!(d.bindings_artifact.as_deref(), Some("xen/debugkey-i.txt"));
    assert_eq!(d.msi_artifact.as_deref(), Some("xen/debugkey-M.txt"));
    let msi: Vec<(u32, &str)> = d.msi.values().map(|m| (m.irq, m.kind.as_str())).collect();
    assert_eq!(
        msi,
        [(24, "MSI"), (25, "MSI-X"), (26, "MSI-X"), (27, "MSI-X")]
    );
    let pci_msi: Vec<u32> = d
        .bindings
        .values()
        .filter(|b| b.is_pci_msi())
        .map(|b| b.irq)
        .collect();
    assert_eq!(pci_msi, [24, 25, 26, 27]);
    let nic = x
        .pci_owners
        .iter()
        .find(|o| o.sbdf == "0000:00:02.0")
        .unwrap();
    assert_eq!(nic.msi_irqs, [25, 26, 27]);
    let caps = |sbdf: &str| {
        let c = &f.pci.iter().find(|p| p.sbdf == sbdf).unwrap().config;
        dom0scope_facts::pci::config::msi_caps(c)
            .iter()
            .map(|c| (c.kind, c.enabled))
            .collect::<Vec<_>>()
    };
    assert_eq!(caps("0000:00:02.0"), [("MSI", false), ("MSI-X", true)]);
    assert_eq!(caps("0000:00:1f.2"), [("MSI", true)]);
}

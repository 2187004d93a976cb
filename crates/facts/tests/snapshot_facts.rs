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

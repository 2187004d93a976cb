use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_verdict::Inputs;
use dom0scope_verdict::predicates::Truth;
use dom0scope_verdict::predicates::host::*;

use crate::common::load;

#[test]
fn dma_relaxed_on_pv_strict_on_pvh() {
    let (s, r) = load("snapshots/x417-pv-q35-vtd-bios");
    let i = Inputs::new(&s, &r);
    assert!(dma_reaches_xen_heap(&i).holds());
    assert!(dma_mode_in(&i, &[DmaMode::Relaxed]).holds());
    assert!(!dma_mode_in(&i, &[DmaMode::Off]).holds());
    let (s, r) = load("snapshots/x420-pvh-q35-vtd-bios");
    let i = Inputs::new(&s, &r);
    assert!(matches!(dma_reaches_xen_heap(&i), Truth::Fails(_)));
    assert!(dom0_mode(&i, Dom0Mode::Pvh).holds());
}

#[test]
fn pci_write_access_by_class() {
    let (s, r) = load("snapshots/x417-pv-q35-uefi");
    let i = Inputs::new(&s, &r);
    let Truth::Holds(d) = pci_writable(&i, PciClass::HostBridge) else {
        panic!("host bridge writable");
    };
    assert!(d.vars["devices"].starts_with("0000:00:00.0 (8086:29c0)"));
    assert!(pci_writable(&i, PciClass::LpcBridge).holds());
    assert!(matches!(pci_writable(&i, PciClass::Iommu), Truth::Fails(_)));
    let (s, r) = load("logs/qemu-xen-4.20/pv-q35-qemu64.log");
    assert!(matches!(
        pci_writable(&Inputs::new(&s, &r), PciClass::Any),
        Truth::Unknown(_)
    ));
}

#[test]
fn version_cmdline_boot_and_vendor() {
    let (s, r) = load("snapshots/x417-pv-q35-uefi");
    let i = Inputs::new(&s, &r);
    assert!(xen_version_below(&i, (4, 19, 0)).holds());
    assert!(matches!(xen_version_below(&i, (4, 17, 7)), Truth::Fails(_)));
    assert!(cmdline_has(&i, &["dom0_mem".into()]).holds());
    assert!(cmdline_lacks(&i, &["efi=no-rs".into()]).holds());
    assert!(matches!(
        cmdline_has(&i, &["efi=no-rs".into()]),
        Truth::Fails(_)
    ));
    assert!(efi_boot(&i, true).holds());
    assert!(efi_runtime_services(&i).holds());
    // QEMU's qemu64 CPU reports AMD.
    assert!(cpu_vendor(&i, CpuVendor::Amd).holds());
    assert!(matches!(model_differs(&i), Truth::Fails(_)));
    let (s, r) = load("snapshots/x420-pv-pc-bios");
    let i = Inputs::new(&s, &r);
    assert!(matches!(efi_boot(&i, true), Truth::Fails(_)));
    assert!(efi_boot(&i, false).holds());
    assert!(matches!(efi_runtime_services(&i), Truth::Fails(_)));
    assert!(matches!(xen_version_below(&i, (4, 19, 0)), Truth::Fails(_)));
}

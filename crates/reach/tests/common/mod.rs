//! The platform of `shared/reference/xen-dom0-surface.md` §12.3 and the helpers the model
//! tests share.

#![allow(dead_code)] // each test binary uses a subset

use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_ranges::Radix;
use dom0scope_reach::model::{
    self, Cmdline, Mcfg, ModelInput, Prediction, Release, SerialPort, Vendor,
};

/// §12.3's platform: Intel, 39 address bits, LAPIC 0xfee00000, one IO-APIC,
/// HPET without page protection, PM timer 0x1808, one unusable range, one
/// enabled MCFG window, two VT-d units, console on COM1, 120 GSIs.
pub fn vector_platform(version: &str, mode: Dom0Mode) -> ModelInput {
    ModelInput {
        xen: Release::parse(version).unwrap(),
        requested: Release::parse(version).unwrap(),
        mode,
        cmdline: Cmdline::parse("console=com1"),
        cmdline_text: "console=com1".into(),
        vendor: Vendor::Intel,
        family: 6,
        paddr_bits: 39,
        lapic: 0xfee0_0000,
        ioapics: vec![(0xfec0_0000, 0, 119)],
        nr_irqs_gsi: 120,
        hpet: Some((0xfed0_0000, 0)),
        pm_timer: Some(0x1808),
        smi_cmd: Some(0xb2),
        fadt_known: true,
        e820_unusable: vec![(0x7f00_0000, 0x7f0f_ffff)],
        mcfg: vec![Mcfg {
            base: 0x8000_0000,
            bus_start: 0,
            bus_end: 0xff,
            used: true,
        }],
        iommu_enabled: true,
        vtd_drhd: vec![0xfed9_0000, 0xfed9_1000],
        amd_iommu_units: 0,
        amd_iommu_bases: vec![],
        amd_iommu_source: None,
        serial: vec![SerialPort {
            name: "com1".into(),
            io_base: 0x3f8,
        }],
        trampoline: None,
        dma: model::dma::reach(
            &dom0scope_facts::XenLog::default(),
            &Cmdline::parse(""),
            mode,
        ),
        pci_config: vec![],
        efi_boot: false,
        efi_map_known: false,
        patched: Default::default(),
        assumptions: vec![],
    }
}

/// Dom0's three rangesets as Xen prints them: I/O memory, I/O ports, IRQs.
pub fn xen(p: &Prediction) -> (String, String, String) {
    (
        p.iomem.to_xen(Radix::Hex),
        p.ioports.to_xen(Radix::Hex),
        p.irqs.to_xen(Radix::Decimal),
    )
}

/// The frames below 2^paddr_bits the prediction denies, in Xen's notation.
pub fn denied_frames(i: &ModelInput) -> String {
    let p = model::predict(i);
    let all = dom0scope_ranges::FrameSet::from_ranges([0..=(1u64 << (i.paddr_bits - 12)) - 1]);
    all.difference(&p.iomem).to_xen(Radix::Hex)
}

/// The ports the prediction denies, in Xen's notation.
pub fn denied_ports(i: &ModelInput) -> String {
    let p = model::predict(i);
    p.ioports.complement_within(0..=0xffff).to_xen(Radix::Hex)
}

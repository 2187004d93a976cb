//! Owners: what a range of physical address space is, and which owner wins
//! where sources overlap.

use dom0scope_facts::xenlog::E820Kind;
use serde::Serialize;

/// Who or what owns a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "owner", rename_all = "snake_case")]
pub enum Owner {
    /// What the E820 map says lies there.
    E820 { kind: E820Kind },
    /// Not described by any source (MMIO, or nothing).
    Hole,
    /// UEFI runtime services code: firmware that Xen runs in ring 0 on dom0's
    /// EFI runtime calls.
    EfiRuntimeCode,
    /// UEFI runtime services data (and other EFI_MEMORY_RUNTIME ranges).
    EfiRuntimeData { efi_type: u32 },
    /// An ACPI table, by signature.
    AcpiTable { signature: String },
    /// The Firmware ACPI Control Structure: the S3 waking vectors.
    Facs,
    /// The local APIC register page.
    Lapic,
    /// An IO-APIC register page.
    IoApic { id: u32 },
    /// The HPET register block.
    Hpet,
    /// A PCI Express ECAM (MMCONFIG) window.
    PciEcam {
        segment: u16,
        bus_start: u8,
        bus_end: u8,
    },
    /// A VT-d remapping unit's registers.
    VtdRegisters,
    /// An AMD IOMMU's registers.
    AmdIommuRegisters,
    /// Xen's AP start-up trampoline (executed on CPU bring-up and S3 resume).
    XenTrampoline,
    /// A PC/AT fixed memory region (IVT/BDA, VGA window, option ROMs, system BIOS,
    /// MSI address window), named by convention when no artifact says more.
    Legacy { what: &'static str },
    /// An AML `OperationRegion` in SystemMemory (firmware code touches it).
    AmlRegion { name: String },
    /// A PCI function's memory BAR (index 0-5) or expansion ROM (6).
    PciBar { sbdf: String, index: u8 },
}

impl Owner {
    /// Short label for reports.
    pub fn label(&self) -> String {
        match self {
            Owner::E820 { kind } => match kind {
                E820Kind::Usable => "usable RAM (E820)".into(),
                E820Kind::Reserved => "reserved (E820)".into(),
                E820Kind::AcpiData => "ACPI data (E820)".into(),
                E820Kind::AcpiNvs => "ACPI NVS (E820)".into(),
                E820Kind::Unusable => "unusable (E820)".into(),
                E820Kind::Other(n) => format!("E820 type {n}"),
            },
            Owner::Hole => "hole (unclaimed)".into(),
            Owner::EfiRuntimeCode => "EFI runtime code".into(),
            Owner::EfiRuntimeData { efi_type } => format!("EFI runtime data (type {efi_type})"),
            Owner::AcpiTable { signature } => format!("ACPI table {signature}"),
            Owner::Facs => "ACPI FACS (waking vector)".into(),
            Owner::Lapic => "local APIC".into(),
            Owner::IoApic { id } => format!("IO-APIC {id}"),
            Owner::Hpet => "HPET".into(),
            Owner::PciEcam {
                segment,
                bus_start,
                bus_end,
            } => format!("PCI ECAM {segment:04x}:{bus_start:02x}-{bus_end:02x}"),
            Owner::VtdRegisters => "VT-d registers".into(),
            Owner::AmdIommuRegisters => "AMD IOMMU registers".into(),
            Owner::XenTrampoline => "Xen AP trampoline".into(),
            Owner::AmlRegion { name } => format!("AML OperationRegion {name}"),
            Owner::Legacy { what } => (*what).to_owned(),
            Owner::PciBar { sbdf, index } => match index {
                0..=5 => format!("PCI {sbdf} BAR{index}"),
                6 => format!("PCI {sbdf} ROM"),
                n => format!("PCI {sbdf} window {n}"),
            },
        }
    }

    /// Where sources overlap the higher precedence wins: a device's registers
    /// over a firmware range over the E820 type over nothing.
    pub(crate) fn precedence(&self) -> u8 {
        match self {
            Owner::Lapic
            | Owner::IoApic { .. }
            | Owner::Hpet
            | Owner::VtdRegisters
            | Owner::AmdIommuRegisters
            | Owner::XenTrampoline => 100,
            Owner::PciBar { index, .. } if *index <= 6 => 95,
            // Bridge windows only say where devices below the bridge may sit.
            Owner::PciBar { .. } => 20,
            Owner::PciEcam { .. } => 90,
            Owner::Facs => 85,
            Owner::EfiRuntimeCode | Owner::EfiRuntimeData { .. } => 80,
            Owner::AcpiTable { .. } => 70,
            Owner::AmlRegion { .. } => 60,
            Owner::Legacy { .. } => 15,
            Owner::E820 { .. } => 10,
            Owner::Hole => 0,
        }
    }

    /// A device or register block (as opposed to memory).
    pub(crate) fn is_device(&self) -> bool {
        // The trampoline lives in RAM by design; everything else this high is MMIO.
        self.precedence() >= 90 && *self != Owner::XenTrampoline
    }
}

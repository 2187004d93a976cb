//! Owners: what a range of physical address space is, and which owner wins
//! where sources overlap.

use dom0scope_facts::xenlog::E820Kind;
use serde::Serialize;

/// Who or what owns a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "owner", rename_all = "snake_case")]
pub enum Owner {
    /// What the E820 map says lies there.
    E820 {
        /// The type Xen's E820 map gives the range.
        kind: E820Kind,
    },
    /// Not described by any source (MMIO, or nothing).
    Hole,
    /// UEFI runtime services code: firmware that Xen runs in ring 0 on dom0's
    /// EFI runtime calls.
    EfiRuntimeCode,
    /// UEFI runtime services data (and other EFI_MEMORY_RUNTIME ranges).
    EfiRuntimeData {
        /// The descriptor's `EFI_MEMORY_TYPE` (6 = runtime services data, or another type marked EFI_MEMORY_RUNTIME).
        efi_type: u32,
    },
    /// An ACPI table, by signature.
    AcpiTable {
        /// The table's signature as Xen's `ACPI:` line prints it (e.g. `DSDT`).
        signature: String,
    },
    /// The Firmware ACPI Control Structure: the S3 waking vectors.
    Facs,
    /// The local APIC register page.
    Lapic,
    /// An IO-APIC register page.
    IoApic {
        /// The IO-APIC's id (Xen's `ACPI: IOAPIC` line or the MADT entry).
        id: u32,
    },
    /// The HPET register block.
    Hpet,
    /// A PCI Express ECAM (MMCONFIG) window.
    PciEcam {
        /// PCI segment (MCFG / Xen's `PCI: MCFG configuration` line).
        segment: u16,
        /// First bus the window decodes.
        bus_start: u8,
        /// Last bus the window decodes (inclusive).
        bus_end: u8,
    },
    /// A VT-d remapping unit's registers.
    VtdRegisters,
    /// An AMD IOMMU's registers.
    AmdIommuRegisters,
    /// Memory the firmware keeps DMA-mapped for the listed devices through the
    /// IOMMU (DMAR RMRR): a device may write it at any time.
    Rmrr {
        /// The RMRR's device scopes, named (`SSSS:BB:DD.F`, or the hops behind a bridge).
        devices: Vec<String>,
    },
    /// The AMD counterpart of an RMRR (IVRS IVMD): unity-mapped or excluded
    /// from translation for the listed devices.
    Ivmd {
        /// `exclusion range` (flags bit 3) or `unity-mapped range`.
        what: &'static str,
        /// Which devices it applies to: all (type 0x20), one (0x21), or a range of device ids (0x22).
        devices: String,
    },
    /// The TPM's CRB locality page holding the control area (TPM2 table).
    TpmCrb,
    /// The TPM localities 0-4 window the PC Client PTP fixes at 0xfed40000.
    TpmLocalities,
    /// The boot flash decoded just below 4 GiB (it holds the reset vector).
    FlashWindow,
    /// A chipset register block located by a config-space register, not a BAR
    /// (Intel RCBA, …).
    ChipsetRegisters {
        /// The function whose config register locates the block (`SSSS:BB:DD.F`).
        sbdf: String,
        /// Which block, e.g. `Intel RCBA chipset registers`.
        block: &'static str,
    },
    /// The SPI flash controller's registers when a chipset register, not a BAR,
    /// locates them (Intel RCBA + 0x3800, AMD FCH LPC 0xa0).
    SpiController {
        /// The LPC bridge whose register locates it (`SSSS:BB:DD.F`).
        sbdf: String,
        /// The register used: `RCBA+0x3800`, `RCBA+0x3020` or `SPI_BASE_ADDR`.
        via: &'static str,
    },
    /// Xen's AP start-up trampoline (executed on CPU bring-up and S3 resume).
    XenTrampoline,
    /// Xen's own image where it relocated itself (`New Xen image base address`),
    /// to the 2 MiB-aligned top of its E820 RAM region: Xen's setup places the
    /// image's end there unless boot modules sit at the top, so the extent is an
    /// upper bound.
    XenImage,
    /// A PC/AT fixed memory region (IVT/BDA, VGA window, option ROMs, system BIOS,
    /// MSI address window), named by convention when no artifact says more.
    Legacy {
        /// The conventional region's name, e.g. `legacy VGA window`.
        what: &'static str,
    },
    /// An AML `OperationRegion` in SystemMemory (firmware code touches it).
    AmlRegion {
        /// The region's AML name path (e.g. `\_SB.GNVS`).
        name: String,
    },
    /// A PCI function's memory BAR (index 0-5) or expansion ROM (6); `role`
    /// names a platform-critical function (SPI controller, SMBus, LPC bridge).
    PciBar {
        /// The function (`SSSS:BB:DD.F`).
        sbdf: String,
        /// Index of the line in sysfs `resource`: 0-5 BARs, 6 the expansion ROM, 7+ bridge windows.
        index: u8,
        /// The function's platform role (SPI controller, SMBus, LPC bridge …), when it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        role: Option<&'static str>,
    },
}

/// At most this many device names in a label; the rest are counted.
const MAX_NAMED: usize = 4;

impl Owner {
    /// Short label for reports.
    pub fn label(&self) -> String {
        match self {
            Owner::E820 { kind } => match kind {
                // Which domain holds which RAM frame is not in a snapshot (Xen,
                // dom0 or free): only the firmware's word that it is RAM.
                E820Kind::Usable => "RAM, owner unknown".into(),
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
            Owner::Rmrr { devices } => {
                let mut s = String::from("VT-d RMRR for ");
                if devices.is_empty() {
                    s.push_str("no listed device");
                }
                s.push_str(&devices[..devices.len().min(MAX_NAMED)].join(", "));
                if devices.len() > MAX_NAMED {
                    s.push_str(&format!(" and {} more", devices.len() - MAX_NAMED));
                }
                s
            }
            Owner::Ivmd { what, devices } => format!("AMD IVMD {what} for {devices}"),
            Owner::TpmCrb => "TPM CRB control area".into(),
            Owner::TpmLocalities => "TPM localities 0-4".into(),
            Owner::FlashWindow => "BIOS flash window".into(),
            Owner::ChipsetRegisters { sbdf, block } => format!("{block} ({sbdf})"),
            Owner::SpiController { sbdf, via } => {
                format!("SPI controller ({sbdf} {via})")
            }
            Owner::XenTrampoline => "Xen AP trampoline".into(),
            Owner::XenImage => "Xen image (upper bound)".into(),
            Owner::AmlRegion { name } => format!("AML OperationRegion {name}"),
            Owner::Legacy { what } => (*what).to_owned(),
            Owner::PciBar { sbdf, index, role } => {
                let bar = match index {
                    0..=5 => format!("PCI {sbdf} BAR{index}"),
                    6 => format!("PCI {sbdf} ROM"),
                    n => format!("PCI {sbdf} window {n}"),
                };
                match role {
                    Some(r) => format!("{bar} ({r})"),
                    None => bar,
                }
            }
        }
    }

    /// The PCI function this owner belongs to, if any.
    pub fn sbdf(&self) -> Option<&str> {
        match self {
            Owner::PciBar { sbdf, .. }
            | Owner::ChipsetRegisters { sbdf, .. }
            | Owner::SpiController { sbdf, .. } => Some(sbdf),
            _ => None,
        }
    }

    /// Where sources overlap the higher precedence wins, in four tiers:
    ///
    /// - register blocks of devices (100-90): the fixed platform devices and
    ///   the TPM's control area; then PCI BARs, where a SPI controller located
    ///   inside a chipset block (96) beats the block (95); then ECAM; then the
    ///   decode windows fixed by specification (TPM localities, boot flash, 88);
    /// - firmware statements about memory (85-60): FACS, EFI runtime ranges,
    ///   ACPI tables, DMA-mapped ranges (RMRR/IVMD), AML OperationRegions —
    ///   the more specific statement first;
    /// - Xen's statement about its own image in RAM (50): below every
    ///   firmware statement, since its extent is only an upper bound;
    /// - bridge windows (20): they only say where devices below may sit;
    /// - conventions and the E820 type (15, 10), then nothing (0).
    ///
    /// Ties go to the claim starting later (the nested one).
    pub(crate) fn precedence(&self) -> u8 {
        match self {
            Owner::Lapic
            | Owner::IoApic { .. }
            | Owner::Hpet
            | Owner::VtdRegisters
            | Owner::AmdIommuRegisters
            | Owner::TpmCrb
            | Owner::XenTrampoline => 100,
            Owner::SpiController { .. } => 96,
            Owner::PciBar { index, .. } if *index <= 6 => 95,
            Owner::ChipsetRegisters { .. } => 95,
            // Bridge windows only say where devices below the bridge may sit.
            Owner::PciBar { .. } => 20,
            Owner::PciEcam { .. } => 90,
            Owner::TpmLocalities | Owner::FlashWindow => 88,
            Owner::Facs => 85,
            Owner::EfiRuntimeCode | Owner::EfiRuntimeData { .. } => 80,
            Owner::AcpiTable { .. } => 70,
            Owner::Rmrr { .. } | Owner::Ivmd { .. } => 65,
            Owner::AmlRegion { .. } => 60,
            Owner::XenImage => 50,
            Owner::Legacy { .. } => 15,
            Owner::E820 { .. } => 10,
            Owner::Hole => 0,
        }
    }

    /// A device's registers or decode window (as opposed to memory), which
    /// should never sit in RAM.
    pub(crate) fn is_device(&self) -> bool {
        match self {
            // The trampoline and Xen's image live in RAM by design.
            Owner::XenTrampoline | Owner::XenImage => false,
            Owner::PciBar { index, .. } => *index <= 6,
            o => o.precedence() >= 88,
        }
    }
}

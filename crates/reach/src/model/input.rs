//! What the model needs to know about a host, read from the facts, with every
//! gap filled by a stated assumption rather than silently.
//!
//! The types live here; reading them from the facts (`ModelInput::from_facts`, every
//! assumption it makes) is in `read`.

mod read;

use dom0scope_facts::xenlog::Dom0Mode;
use serde::Serialize;

use super::cmdline::Cmdline;

/// A Xen release as the model keys it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    pub major: u32,
    pub minor: u32,
    /// Stable patch level; a `-pre` build of 4.20.5 counts as 5 (it already holds
    /// the stable branch's backports).
    pub patch: u32,
    /// As printed, e.g. `4.20.5-pre`.
    pub label: String,
    /// Distribution package version, when printed (Debian carries backports).
    pub package: Option<String>,
}

impl Release {
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    pub fn at_least_patch(&self, major: u32, minor: u32, patch: u32) -> bool {
        (self.major, self.minor, self.patch) >= (major, minor, patch)
    }

    /// Parses `4.17`, `4.20.5-pre`, `4.21`.
    pub fn parse(s: &str) -> Option<Release> {
        let (maj, rest) = s.split_once('.')?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let extra = rest.get(digits..).unwrap_or("");
        Some(Release {
            major: maj.parse().ok()?,
            minor: rest.get(..digits)?.parse().ok()?,
            patch: patch_of(extra),
            label: s.to_owned(),
            package: None,
        })
    }
}

/// `.5-pre` → 5, `.1` → 1, `-unstable` → 0.
fn patch_of(extra: &str) -> u32 {
    extra
        .strip_prefix('.')
        .map(|p| p.bytes().take_while(u8::is_ascii_digit).count())
        .and_then(|n| extra.get(1..1 + n)?.parse().ok())
        .unwrap_or(0)
}

impl Release {}

/// CPU vendor, as Xen's vendor-specific rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    Intel,
    Amd,
    Hygon,
    Other,
}

/// A fact the model had to assume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assumption {
    /// The missing fact.
    pub fact: String,
    /// What was assumed instead.
    pub assumed: String,
    /// What in a snapshot would pin it.
    pub needs: String,
}

/// An I/O-port UART Xen uses as its console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SerialPort {
    pub name: String,
    pub io_base: u16,
}

/// One MCFG (ECAM) window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mcfg {
    pub base: u64,
    pub bus_start: u8,
    pub bus_end: u8,
    pub used: bool,
}

/// Everything the model reads.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInput {
    pub xen: Release,
    pub mode: Dom0Mode,
    #[serde(skip)]
    pub cmdline: Cmdline,
    pub cmdline_text: String,
    pub vendor: Vendor,
    pub family: u32,
    pub paddr_bits: u8,
    pub lapic: u64,
    /// (address, first GSI, last GSI).
    pub ioapics: Vec<(u64, u32, u32)>,
    pub nr_irqs_gsi: u32,
    /// (base, page-protection nibble).
    pub hpet: Option<(u64, u8)>,
    pub pm_timer: Option<u16>,
    pub smi_cmd: Option<u16>,
    /// The FADT was captured (so an absent SMI_CMD is a fact, not a gap).
    pub fadt_known: bool,
    /// Inclusive byte ranges typed unusable in the E820 map.
    pub e820_unusable: Vec<(u64, u64)>,
    pub mcfg: Vec<Mcfg>,
    pub iommu_enabled: bool,
    pub vtd_drhd: Vec<u64>,
    pub amd_iommu_units: u32,
    pub amd_iommu_bases: Vec<u64>,
    pub serial: Vec<SerialPort>,
    /// The AP trampoline, located from the memory maps.
    pub trampoline: Option<super::trampoline::Trampoline>,
    /// The IOMMU mode for dom0's DMA.
    pub dma: super::dma::DmaReach,
    /// Config-space access per PCI function.
    pub pci_config: Vec<super::pci::PciConfigAccess>,
    /// Xen was booted through UEFI (xen.efi or multiboot2 on EFI).
    pub efi_boot: bool,
    /// The log holds Xen's EFI memory map.
    pub efi_map_known: bool,
    pub assumptions: Vec<Assumption>,
}

/// What the user asked to change (`predict --xen --dom0 --set`).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub xen: Option<String>,
    pub dom0: Option<Dom0Mode>,
    pub set: Vec<(String, String)>,
}

/// Why the model cannot run at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoModel(pub String);

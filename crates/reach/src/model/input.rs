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
    /// Major version (`4` in 4.20.5).
    pub major: u32,
    /// Minor version (`20` in 4.20.5).
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
    /// The release is `major.minor` or newer (the patch level is ignored).
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// The release is `major.minor.patch` or newer (a `-pre` build counts as its patch level).
    pub fn at_least_patch(&self, major: u32, minor: u32, patch: u32) -> bool {
        (self.major, self.minor, self.patch) >= (major, minor, patch)
    }

    /// The release names a series only (`4.19`, as `--xen` takes it), no patch level or suffix.
    pub fn series_only(&self) -> bool {
        self.label == format!("{}.{}", self.major, self.minor)
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

/// A release series the model reproduces, and the Xen source its rules were checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Series {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// The release predicted for the bare series (`--xen 4.19`), and for a version the model
    /// does not reproduce when this series is the nearest: the tag whose source the rules were
    /// read or diffed against, the series' newest (stable backports differ by patch level).
    pub stands_for: &'static str,
    /// How the rules were checked against this series.
    pub checked: &'static str,
}

/// The release series the model reproduces, oldest first. Within a series the rules follow
/// the stable backports by patch level (`changes`): 4.18.5, 4.19.2, 4.19.3 and 4.20.1 each
/// bring some.
pub const MODELLED: &[Series] = &[
    Series {
        major: 4,
        minor: 17,
        stands_for: "4.17.7",
        checked: "read at RELEASE-4.17.7 (dom0_setup_permissions() is unchanged since 4.17.0); measured on 4.17.7",
    },
    Series {
        major: 4,
        minor: 18,
        stands_for: "4.18.6",
        checked: "diffed against 4.17.7 at RELEASE-4.18.0, 4.18.4, 4.18.5 and 4.18.6 (PVH build order from 4.18.0; the iomem backports 7ce2ec63b2 and 5f640b6213 from 4.18.5, never 62f3fc5296 or the rangeset fix); no boot measured",
    },
    Series {
        major: 4,
        minor: 19,
        stands_for: "4.19.6",
        checked: "diffed at RELEASE-4.19.0, 4.19.1, 4.19.2, 4.19.3 and 4.19.6 (port denials from 4.19.0; the iomem backports from 4.19.2, as 4.20.1's; the rangeset fix from 4.19.3); dom0_setup_permissions() at 4.19.6 is 4.20.4's; no boot measured",
    },
    Series {
        major: 4,
        minor: 20,
        stands_for: "4.20.4",
        checked: "read at RELEASE-4.20.4 (4.20.0 predates the 4.20.1 backports, keyed separately); measured on 4.20.5-pre",
    },
    Series {
        major: 4,
        minor: 21,
        stands_for: "4.21.2",
        checked: "dom0_setup_permissions(), the IOMMU hooks, ns16550_endboot() and the dom0 build order as in 4.20.4 (diffed at RELEASE-4.21.2)",
    },
    Series {
        major: 4,
        minor: 22,
        stands_for: "4.22.0",
        checked: "as 4.21 (diffed at RELEASE-4.22.0)",
    },
    Series {
        major: 4,
        minor: 23,
        stands_for: "4.23-unstable",
        checked: "read at master c447b7308b (4.23-unstable)",
    },
];

/// The names of assumed facts that the model's rules and `verify` look for.
pub mod fact {
    /// The Xen release (not modelled, or not in the log).
    pub const XEN_VERSION: &str = "Xen version";
    /// `paddr_bits`: bounds dom0's I/O memory grant.
    pub const PADDR_BITS: &str = "physical address width";
}

/// How a release relates to [`MODELLED`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// In a modelled series.
    Modelled,
    /// Not modelled; this is the nearest modelled series (a newer one on a tie).
    Nearest(&'static Series),
    /// Older than the oldest modelled series: the model does not reach back that far.
    TooOld(&'static Series),
}

impl Release {
    /// Where the release stands against [`MODELLED`].
    pub fn fit(&self) -> Fit {
        let (oldest, newest) = (&MODELLED[0], &MODELLED[MODELLED.len() - 1]);
        let me = (self.major, self.minor);
        if me < (oldest.major, oldest.minor) {
            return Fit::TooOld(oldest);
        }
        if MODELLED.iter().any(|s| (s.major, s.minor) == me) {
            return Fit::Modelled;
        }
        if self.major != newest.major || me > (newest.major, newest.minor) {
            return Fit::Nearest(newest);
        }
        let near = MODELLED
            .iter()
            .filter(|s| s.major == self.major)
            .min_by_key(|s| (s.minor.abs_diff(self.minor), u32::MAX - s.minor))
            .unwrap_or(newest);
        Fit::Nearest(near)
    }
}

impl Series {
    /// The release this series stands for.
    pub fn release(&self) -> Release {
        Release::parse(self.stands_for).unwrap_or(Release {
            major: self.major,
            minor: self.minor,
            patch: 0,
            label: self.stands_for.into(),
            package: None,
        })
    }

    /// `4.17`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.major, self.minor)
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

/// CPU vendor, as Xen's vendor-specific rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    /// `GenuineIntel` (Xen's `CPU Vendor: Intel`).
    Intel,
    /// `AuthenticAMD`: the HyperTransport-hole and C1E-quirk rules apply.
    Amd,
    /// `HygonGenuine`: the HyperTransport-hole rule applies as for AMD.
    Hygon,
    /// Any other vendor: no vendor-specific rule applies.
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
    /// `com1` or `com2`.
    pub name: String,
    /// First of its eight I/O ports (`comN=` io-base; default 0x3f8 for com1, 0x2f8 for com2).
    pub io_base: u16,
}

/// One MCFG (ECAM) window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mcfg {
    /// ECAM base address from Xen's `PCI: MCFG configuration` line (where bus 0's config space would be).
    pub base: u64,
    /// First bus the window decodes.
    pub bus_start: u8,
    /// Last bus the window decodes (inclusive).
    pub bus_end: u8,
    /// Xen printed `Using MCFG` for its segment (a PV dom0 then gets the window read-only); false when not said.
    pub used: bool,
}

/// Everything the model reads.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInput {
    /// The release the rules are keyed on: the requested one when it is modelled, else the
    /// nearest modelled release (then an assumption says so).
    pub xen: Release,
    /// The release asked for: the `Xen version` banner, or `--xen`.
    pub requested: Release,
    /// dom0 mode: `--dom0`, else the `*** Building a PV/PVH Dom0 ***` line, else `dom0=pvh` on the command line; PV is assumed without any.
    pub mode: Dom0Mode,
    /// The command line below, parsed.
    #[serde(skip)]
    pub cmdline: Cmdline,
    /// Xen's command line as logged, with each `--set` appended as ` key=value`.
    pub cmdline_text: String,
    /// From the `CPU Vendor:` line, else dom0's cpuinfo `vendor_id`; Intel is assumed without either.
    pub vendor: Vendor,
    /// CPU family (decimal), from the same source as `vendor`; 6 when assumed.
    pub family: u32,
    /// Physical address width in bits: cpuinfo `address sizes`, else guessed (an assumption); bounds dom0's I/O memory grant.
    pub paddr_bits: u8,
    /// Local APIC base address: Xen's `ACPI: Local APIC address` line, else 0xfee00000 (assumed).
    pub lapic: u64,
    /// (address, first GSI, last GSI).
    pub ioapics: Vec<(u64, u32, u32)>,
    /// One past the highest IO-APIC GSI (at least 16; 24 assumed without IO-APIC lines): dom0 is granted IRQs 1 to this minus 1.
    pub nr_irqs_gsi: u32,
    /// (base, page-protection nibble).
    pub hpet: Option<(u64, u8)>,
    /// ACPI PM timer I/O port: Xen's `ACPI: PM-Timer IO Port` line, else the FADT's PM_TMR_BLK when non-zero and below 0x10000.
    pub pm_timer: Option<u16>,
    /// The FADT's SMI_CMD port; None without a FADT, when it is 0 or above 0xffff, or when ACPI_ENABLE and ACPI_DISABLE are both 0.
    pub smi_cmd: Option<u16>,
    /// The FADT was captured (so an absent SMI_CMD is a fact, not a gap).
    pub fadt_known: bool,
    /// Inclusive byte ranges typed unusable in the E820 map.
    pub e820_unusable: Vec<(u64, u64)>,
    /// ECAM windows from Xen's `PCI: MCFG configuration` lines.
    pub mcfg: Vec<Mcfg>,
    /// Xen printed `I/O virtualisation enabled`.
    pub iommu_enabled: bool,
    /// VT-d remapping-unit register bases: the DMAR's DRHDs, else Xen's `[VT-D] dmaru->address` lines, else assumed from 0xfed90000.
    pub vtd_drhd: Vec<u64>,
    /// AMD IOMMUs Xen enabled (count of `AMD-Vi: IOMMU N Enabled.` lines).
    pub amd_iommu_units: u32,
    /// AMD IOMMU register bases from the IVRS's IVHD blocks, else from the AMD IOMMU
    /// functions' PCI capability blocks; sorted and deduplicated.
    pub amd_iommu_bases: Vec<u64>,
    /// Where `amd_iommu_bases` were read (None when there are none).
    pub amd_iommu_source: Option<String>,
    /// I/O-port UARTs Xen uses as its console (`console=` × `comN=`).
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
    /// What the patches of `dom0scope harden --xen-patch` did, as their tagged lines say
    /// (empty for an unpatched Xen, and then left out of JSON): the model replays them where
    /// Xen runs them.
    #[serde(skip_serializing_if = "Patched::is_empty")]
    pub patched: Patched,
    /// Every fact that was missing, and what was assumed instead.
    pub assumptions: Vec<Assumption>,
}

/// The patched steps, from the patches' own lines in Xen's log: real evidence of a patched
/// build, never inferred from a missing range.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Patched {
    /// `[dom0-ro-trampoline]`: the frames Xen says it made read-only (`mmio_ro_ranges`).
    pub trampoline: Option<(u64, u64)>,
    /// `[dom0-protect-efi-rt]`: EfiRuntimeServicesCode frame ranges of the EFI memory map,
    /// denied.
    pub efi_rt_code: Vec<(u64, u64)>,
    /// `[dom0-protect-efi-rt]`: EfiRuntimeServicesData frame ranges, read-only.
    pub efi_rt_data: Vec<(u64, u64)>,
    /// `[dom0-protect-s3]`: the ACPI sleep control port blocks denied (first, last, name).
    pub s3_ports: Vec<(u16, u16, String)>,
}

impl Patched {
    /// No patch line in the log.
    pub fn is_empty(&self) -> bool {
        self.trampoline.is_none()
            && self.efi_rt_code.is_empty()
            && self.efi_rt_data.is_empty()
            && self.s3_ports.is_empty()
    }
}

/// What the user asked to change (`predict --xen --dom0 --set`), or told the model
/// (`verify --xen` for a log without a version banner).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `predict --xen`: the Xen version to model (e.g. `4.20`, `4.20.5-pre`) instead of the
    /// logged one (a what-if, not an assumption).
    pub xen: Option<String>,
    /// `verify --xen`: the Xen version when the log has no `Xen version` banner; it is the
    /// user's word, not the log's, so it is listed as an assumption.
    pub xen_if_unlogged: Option<String>,
    /// What to do with a release the model does not reproduce.
    pub unmodelled: Unmodelled,
    /// `--dom0`: the dom0 mode to model instead of the logged one.
    pub dom0: Option<Dom0Mode>,
    /// `--set OPT=VAL`: Xen command-line options added after the logged ones (the last occurrence wins).
    pub set: Vec<(String, String)>,
}

/// What the model does with a Xen release outside [`MODELLED`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Unmodelled {
    /// Predict the nearest modelled release (the oldest, for an older Xen), as an assumption.
    /// The audit's default: the rest of the analysis still needs the model's other readings.
    #[default]
    AssumeNearest,
    /// As `AssumeNearest`, but refuse a Xen older than the oldest modelled release (`predict`
    /// and `verify`: asking for a model of a Xen it never read is a usage error).
    RefuseOlder,
    /// Refuse every release the model does not reproduce (`--strict`).
    Refuse,
}

/// Why the model cannot run at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoModel(pub String);

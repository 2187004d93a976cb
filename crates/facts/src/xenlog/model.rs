//! Typed facts read from a Xen console log. Every fact keeps the line it came from.

use dom0scope_ranges::{FrameSet, IrqSet, PortSet, Radix, RangeInt};
use serde::{Serialize, Serializer};

use crate::evidence::{Evidence, Warning, hex};

/// Everything read from one Xen log artifact (and, when [`crate::Facts`]
/// assembles it, what other artifacts say of the same Xen: `'Q'` owners, the
/// build configuration).
#[derive(Debug, Clone, Default, Serialize)]
pub struct XenLog {
    /// Artifact path inside the snapshot (e.g. `xen/dmesg.txt`).
    pub artifact: String,
    /// The `Xen version` banner.
    pub version: Option<XenVersion>,
    /// The architecture the log shows, with the first line that shows it (None: no marker).
    #[serde(skip)]
    pub arch: Option<Located<super::arch::ArchMark>>,
    /// `build-id:` (hex).
    pub build_id: Option<Located<String>>,
    /// `Bootloader:` (e.g. `GRUB 2.06`; `EFI` for xen.efi).
    pub bootloader: Option<Located<String>>,
    /// `Command line:`: the boot loader's command line for Xen (empty when printed bare).
    pub cmdline: Option<Located<String>>,
    /// `Xen image load base address` (0 for a multiboot1 load).
    #[serde(serialize_with = "opt_loc_hex")]
    pub image_load_base: Option<Located<u64>>,
    /// `New Xen image base address`: where Xen relocated itself (BIOS/multiboot).
    #[serde(serialize_with = "opt_loc_hex")]
    pub image_base: Option<Located<u64>>,
    /// `CPU Vendor: …, Family …, Model …, Stepping …`.
    pub cpu: Option<Cpu>,
    /// Hardware-assisted paging (`HVM: Hardware Assisted Paging (HAP) detected`).
    pub hap: Option<Located<bool>>,
    /// The sanitised E820 map (`<label> RAM map:`), not the `Initial … RAM map:` before it.
    pub e820: Option<E820Map>,
    /// Xen's dump of the UEFI memory map (a debug-level line from 4.18 on).
    pub efi_memory_map: Option<EfiMemoryMap>,
    /// `ACPI: SIG ADDR, LEN …` table lines, in log order.
    pub acpi_tables: Vec<AcpiTable>,
    /// Platform facts from the MADT, HPET, PM timer, sleep and wakeup lines.
    pub acpi: AcpiFacts,
    /// `PCI: MCFG configuration` lines, with whether Xen used each.
    pub mcfg: Vec<McfgArea>,
    /// IOMMU state as Xen reported it.
    pub iommu: Iommu,
    /// The dom0 build block.
    pub dom0: Option<Dom0Build>,
    /// `Disabling dom0 access to ioport range` lines (`dom0_ioports_disable=`).
    pub ioport_disables: Vec<PortRange>,
    /// Every `'q'` rangeset dump, per domain, in log order.
    pub rangesets: Vec<DomainRangesets>,
    /// Debug key `'Q'`: which domain owns each PCI device (`d0`, `d[XEN]` …).
    pub pci_owners: Vec<PciOwner>,
    /// The artifact the `'Q'` lines came from, when not this log.
    pub pci_owners_artifact: Option<String>,
    /// Debug keys `'i'` and `'M'`: IRQ bindings and MSI entries (skipped in JSON when empty).
    #[serde(skip_serializing_if = "super::irqdump::IrqDumps::is_empty")]
    pub irq_dumps: super::irqdump::IrqDumps,
    /// Lines printed by the patches of `dom0scope harden --xen-patch`, if Xen carries them
    /// (skipped in JSON when there are none).
    #[serde(skip_serializing_if = "XenPatches::is_empty")]
    pub patches: XenPatches,
    /// How many copies of the boot log the capture holds (console, then `xl dmesg`).
    pub boot_copies: u32,
    /// How much of the capture was Xen's.
    pub stats: Stats,
    /// Lines that looked like a known family but did not parse, over-long lines, disagreeing boot copies.
    pub warnings: Vec<Warning>,
    /// Text of every line a fact above cites, for evidence.
    #[serde(skip)]
    pub cited: std::collections::BTreeMap<u32, String>,
    /// Start-up lines read in a pass of their own (XSM module, EFI runtime
    /// services turned off, MCE disabled, built-in command line); each cites
    /// its own line and text.
    #[serde(skip)]
    pub startup: super::startup::Startup,
    /// This Xen's build configuration, when the facts stage found it in the
    /// snapshot (hypfs, or a `/boot` config of this version; see
    /// [`crate::xen_config::find`]). Not read from the log, like `pci_owners_artifact`.
    #[serde(skip)]
    pub build_config: Option<crate::xen_config::XenConfig>,
    /// Configuration artifacts not used and their parser's problems (`path: why`),
    /// kept apart from `warnings`: the hypercall surface reports them.
    #[serde(skip)]
    pub build_config_warnings: Vec<String>,
}

/// A value with the line it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Located<T> {
    /// The value read.
    pub value: T,
    /// 1-based line in the artifact it was read from.
    pub line: u32,
}

fn opt_loc_hex<S: Serializer>(v: &Option<Located<u64>>, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct H {
        #[serde(serialize_with = "hex::u64")]
        value: u64,
        line: u32,
    }
    match v {
        Some(l) => H {
            value: l.value,
            line: l.line,
        }
        .serialize(s),
        None => s.serialize_none(),
    }
}

/// Counts that say how much of the capture was Xen's.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Lines in the artifact.
    pub total_lines: u32,
    /// Lines carrying Xen's `(XEN)` prefix.
    pub xen_lines: u32,
    /// Lines over 1 MiB, skipped as not Xen console lines.
    pub overlong_lines_skipped: u32,
}

/// `Xen version %d.%d%s (%s@%s) (%s) %s %s`, with the distribution's package
/// version where the build puts it in front (Debian, Ubuntu).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct XenVersion {
    /// Major version (`4` in 4.17.7).
    pub major: u32,
    /// Minor version (`17` in 4.17.7).
    pub minor: u32,
    /// Everything after `major.minor`: `.7`, `.5-pre`, `-unstable`.
    pub extra: String,
    /// Distribution package version, e.g. `Debian 4.17.7+13-g2445b30a44-0+deb12u1`.
    pub package: Option<String>,
    /// `user@domain` of the build (the banner's group holding an `@`).
    pub compiled_by: Option<String>,
    /// The compiler group that follows, e.g. `gcc (Debian 12.2.0-14) 12.2.0`.
    pub compiler: Option<String>,
    /// `debug=y|n`; absent in old versions.
    pub debug: Option<bool>,
    /// Line of the banner.
    pub line: u32,
}

impl XenVersion {
    /// `4.17.7`, `4.20.5-pre`.
    pub fn full(&self) -> String {
        format!("{}.{}{}", self.major, self.minor, self.extra)
    }
}

/// `CPU Vendor: AMD, Family 15 (0xf), Model 107 (0x6b), Stepping 1 (raw 00060fb1)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cpu {
    /// Vendor as Xen prints it (`Intel`, `AMD`, `Hygon` …).
    pub vendor: String,
    /// CPU family, decimal (the extended family already added, e.g. 25 for Zen 3).
    pub family: u32,
    /// CPU model, decimal.
    pub model: u32,
    /// Stepping, decimal.
    pub stepping: u32,
    /// Line of the `CPU Vendor:` line.
    pub line: u32,
}

/// Firmware memory map as Xen printed it (after its own sanitisation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct E820Map {
    /// `Xen-e820`, `Multiboot-e820`, `EFI`, `PVH-e820`, or a loader name.
    pub label: String,
    /// The old (Xen 4.1) `start - end` format with an exclusive end.
    pub legacy_format: bool,
    /// Line of the `RAM map:` header.
    pub header_line: u32,
    /// The ranges, in log order.
    pub entries: Vec<E820Entry>,
}

/// One E820 range; `end` is inclusive whatever the source format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct E820Entry {
    /// First byte.
    #[serde(serialize_with = "hex::u64")]
    pub start: u64,
    /// Last byte (inclusive).
    #[serde(serialize_with = "hex::u64")]
    pub end: u64,
    /// The type Xen printed.
    pub kind: E820Kind,
    /// Line of the entry.
    pub line: u32,
}

/// E820 types (`E820_RAM` 1 … `E820_UNUSABLE` 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum E820Kind {
    /// `usable` (type 1): RAM.
    Usable,
    /// `reserved` (type 2).
    Reserved,
    /// `ACPI data` (type 3): ACPI tables, reclaimable once read.
    AcpiData,
    /// `ACPI NVS` (type 4): firmware storage kept across sleep states.
    AcpiNvs,
    /// `unusable` (type 5): memory with errors.
    Unusable,
    /// Any other type, printed as `type N`.
    Other(u32),
}

impl E820Kind {
    /// The word Xen prints for it.
    pub fn label(self) -> String {
        match self {
            E820Kind::Usable => "usable".into(),
            E820Kind::Reserved => "reserved".into(),
            E820Kind::AcpiData => "ACPI data".into(),
            E820Kind::AcpiNvs => "ACPI NVS".into(),
            E820Kind::Unusable => "unusable".into(),
            E820Kind::Other(n) => format!("type {n}"),
        }
    }
}

/// Xen's dump of the UEFI memory map (`EFI memory map:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EfiMemoryMap {
    /// Line of the `EFI memory map:` header.
    pub header_line: u32,
    /// The descriptors, in log order.
    pub entries: Vec<EfiMemoryDescriptor>,
}

/// One UEFI memory descriptor; `end` inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EfiMemoryDescriptor {
    /// First byte.
    #[serde(serialize_with = "hex::u64")]
    pub start: u64,
    /// Last byte (inclusive).
    #[serde(serialize_with = "hex::u64")]
    pub end: u64,
    /// `EFI_MEMORY_TYPE` number (5 = runtime code, 6 = runtime data, …).
    pub kind: u32,
    /// Attribute bits (`EFI_MEMORY_*`; bit 63 is EFI_MEMORY_RUNTIME).
    #[serde(serialize_with = "hex::u64")]
    pub attr: u64,
    /// Line of the descriptor.
    pub line: u32,
}

impl EfiMemoryDescriptor {
    /// `EFI_MEMORY_RUNTIME`: the firmware keeps using this range at run time.
    pub fn is_runtime(&self) -> bool {
        self.attr & (1 << 63) != 0
    }
}

/// `ACPI: SIG ADDR, LEN (rREV OEMID OEMTABLEID …)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcpiTable {
    /// Signature as printed (`RSDP`, `XSDT`, `FACP`, `DSDT` …).
    pub signature: String,
    /// Physical address of the table.
    #[serde(serialize_with = "hex::u64")]
    pub address: u64,
    /// Length in bytes.
    pub length: u32,
    /// Revision (`rN`); None when the line has no parenthesised part.
    pub revision: Option<u32>,
    /// OEM ID: the first word in the parentheses after the revision.
    pub oem_id: Option<String>,
    /// Line of the table line.
    pub line: u32,
}

/// Platform facts from the MADT, FADT, HPET and FACS lines.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AcpiFacts {
    /// `ACPI: Local APIC address 0x…`.
    #[serde(serialize_with = "opt_loc_hex")]
    pub local_apic_address: Option<Located<u64>>,
    /// `ACPI: LAPIC (…)` and `ACPI: X2APIC (…)` lines, one per processor entry.
    pub lapics: Vec<Lapic>,
    /// IO-APICs, one per register address.
    pub ioapics: Vec<IoApic>,
    /// `ACPI: HPET id: … base: …`.
    pub hpet: Option<Hpet>,
    /// `ACPI: PM-Timer IO Port: …`.
    pub pm_timer: Option<PmTimer>,
    /// `ACPI: SLEEP INFO: …`.
    pub sleep: Option<SleepInfo>,
    /// FACS address derived from `wakeup_vec` (`wakeup_vec - 0xc`).
    #[serde(serialize_with = "opt_loc_hex")]
    pub facs: Option<Located<u64>>,
}

/// `ACPI: LAPIC (acpi_id[..] lapic_id[..] enabled)` and the X2APIC form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lapic {
    /// ACPI processor UID (`acpi_id[…]`, or `uid[…]` on the X2APIC line).
    pub acpi_id: u32,
    /// Local APIC id (`lapic_id[…]`, or `apic_id[…]` on the X2APIC line).
    pub apic_id: u32,
    /// `enabled` rather than `disabled`.
    pub enabled: bool,
    /// Line of the entry.
    pub line: u32,
}

/// An IO-APIC, merged from `ACPI: IOAPIC (…)` and `IOAPIC[n]: …` lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IoApic {
    /// IO-APIC id (`id[…]` of `ACPI: IOAPIC`, or `apic_id` of `IOAPIC[n]:`).
    pub id: u32,
    /// Register base address.
    #[serde(serialize_with = "hex::u64")]
    pub address: u64,
    /// First GSI it serves.
    pub gsi_base: u32,
    /// Last GSI, from the `IOAPIC[n]: … GSI a-b` line.
    pub gsi_end: Option<u32>,
    /// IO-APIC version, from the `IOAPIC[n]:` line.
    pub version: Option<u32>,
    /// Line that first described it.
    pub line: u32,
}

/// `ACPI: HPET id: … base: …` (page protection is not printed: read the table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hpet {
    /// Event timer block id (`id:`).
    #[serde(serialize_with = "hex::u64")]
    pub id: u64,
    /// Register block base address (`base:`).
    #[serde(serialize_with = "hex::u64")]
    pub base: u64,
    /// Line of the HPET line.
    pub line: u32,
}

/// `ACPI: PM-Timer IO Port: 0x608 (24 bits)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PmTimer {
    /// I/O port of the PM timer.
    pub port: u16,
    /// Counter width (24 or 32), when printed.
    pub bits: Option<u32>,
    /// Line of the PM-Timer line.
    pub line: u32,
}

/// `ACPI: SLEEP INFO: pm1x_cnt[space:addr,space:addr], pm1x_evt[…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SleepInfo {
    /// PM1a control block.
    pub pm1a_cnt: GenericAddress,
    /// PM1b control block (address 0 when there is none).
    pub pm1b_cnt: GenericAddress,
    /// PM1a event block.
    pub pm1a_evt: GenericAddress,
    /// PM1b event block (address 0 when there is none).
    pub pm1b_evt: GenericAddress,
    /// Line of the SLEEP INFO line.
    pub line: u32,
}

/// An ACPI generic address: space 0 = memory, 1 = I/O port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GenericAddress {
    /// Address space: 0 memory, 1 I/O port.
    pub space: u8,
    /// Address in that space.
    #[serde(serialize_with = "hex::u64")]
    pub address: u64,
}

/// `PCI: MCFG configuration N: base … segment … buses a - b`, plus whether Xen used it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct McfgArea {
    /// ECAM base address (as the MCFG gives it: where bus 0 would be).
    #[serde(serialize_with = "hex::u64")]
    pub base: u64,
    /// PCI segment.
    pub segment: u16,
    /// First bus decoded.
    pub bus_start: u8,
    /// Last bus decoded (inclusive).
    pub bus_end: u8,
    /// `Using MCFG` (true) / `Not using MCFG` (false); None if not said.
    pub used: Option<bool>,
    /// Line of the `MCFG configuration` line.
    pub line: u32,
}

/// What the patches of `dom0scope harden --xen-patch` said they did (their tagged lines).
#[derive(Debug, Clone, Default, Serialize)]
pub struct XenPatches {
    /// `[dom0-ro-trampoline]`: the frames Xen made read-only to dom0 (`mmio_ro_ranges`),
    /// first and last.
    pub trampoline_ro: Option<Located<(u64, u64)>>,
    /// `[dom0-protect-efi-rt]`: what Xen did to the EFI runtime regions.
    pub efi_rt: Option<Located<EfiRtPatch>>,
    /// `[dom0-protect-s3]`: the ACPI sleep control port blocks Xen denied to dom0 (PM1a/PM1b
    /// control, sleep control), each with its name, first and last port.
    pub s3_ports: Vec<Located<SleepPorts>>,
    /// `[dom0-protect-s3]` at run time: the lines saying Xen's filter zeroed the FACS waking
    /// vectors before a PVH dom0's SLP_EN write.
    pub s3_vectors_zeroed: Vec<u32>,
    /// `[dom0-protect-s3=0]` (turned off) or `[dom0-protect-s3=pvh]` (a PVH dom0 keeps the
    /// ports): the patch is built in, no port was denied. The line number.
    pub s3_off: Option<u32>,
}

/// One ACPI sleep control register block the S3 patch denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SleepPorts {
    /// `PM1a control`, `PM1b control` or `sleep control`.
    pub name: String,
    /// First port.
    pub first: u64,
    /// Last port.
    pub last: u64,
    /// `trapped` (a PVH dom0: denied in the rangeset, its accesses go through Xen, which zeroes
    /// the FACS waking vectors before passing on SLP_EN) rather than `denied` (a PV dom0).
    pub trapped: bool,
}

impl XenPatches {
    /// No patch line was seen: an unpatched Xen (or a log that lost them).
    pub fn is_empty(&self) -> bool {
        self.trampoline_ro.is_none()
            && self.efi_rt.is_none()
            && self.s3_ports.is_empty()
            && self.s3_off.is_none()
            && self.s3_vectors_zeroed.is_empty()
    }
}

/// The EFI runtime patch's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EfiRtPatch {
    /// Runtime code denied, data read-only: how many memory-map ranges of each.
    Protected {
        /// EfiRuntimeServicesCode ranges denied.
        code: u32,
        /// EfiRuntimeServicesData ranges made read-only.
        data: u32,
    },
    /// Built in but turned off (`dom0-protect-efi-rt=0`).
    Off,
}

/// IOMMU state as Xen reported it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Iommu {
    /// `I/O virtualisation enabled|disabled`.
    pub enabled: Option<Located<bool>>,
    /// ` - Dom0 mode: Passthrough|Strict|Relaxed`.
    pub dom0_mode: Option<Located<Dom0IommuMode>>,
    /// `Interrupt remapping enabled|disabled`.
    pub interrupt_remapping: Option<Located<bool>>,
    /// Number of VT-d units (`Intel VT-d iommu N supported page sizes`).
    pub vtd_units: u32,
    /// DRHD register bases, when Xen was verbose (`dmaru->address = …`).
    pub vtd_drhd: Vec<Located<u64>>,
    /// `Intel VT-d <feature> enabled|not enabled.` lines.
    pub vtd_features: Vec<(String, bool)>,
    /// Number of AMD IOMMUs (`AMD-Vi: IOMMU N Enabled.`).
    pub amd_vi_units: u32,
}

/// How the IOMMU treats dom0's DMA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dom0IommuMode {
    /// `Passthrough`: dom0's devices DMA untranslated, to all memory.
    Passthrough,
    /// `Strict`: dom0's devices reach only dom0's own pages (and reserved ranges).
    Strict,
    /// `Relaxed`: dom0's devices reach all RAM except Xen's own (the PV default).
    Relaxed,
}

/// The dom0 build block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dom0Build {
    /// PV or PVH, from `*** Building a PV|PVH Dom0 ***` (old Xen's `*** LOADING DOMAIN 0 ***` counts as PV).
    pub mode: Dom0Mode,
    /// Line of that header.
    pub line: u32,
    /// ` Dom0 kernel: …, paddr A -> B`.
    pub kernel_paddr: Option<(u64, u64)>,
    /// ` Dom0 alloc.: A->B (N pages to be allocated)` (PV).
    pub alloc: Option<(u64, u64)>,
    /// Pages to be allocated, from ` Dom0 alloc.:` (PV).
    pub pages: Option<u64>,
    /// `Dom0 has maximum N VCPUs`.
    pub max_vcpus: Option<u32>,
}

/// PV or PVH dom0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dom0Mode {
    /// Paravirtualised dom0.
    Pv,
    /// PVH dom0: a hardware-virtualised container without emulated devices.
    Pvh,
}

impl Dom0Mode {
    /// `PV` or `PVH`, as Xen's build line prints it.
    pub fn label(self) -> &'static str {
        match self {
            Dom0Mode::Pv => "PV",
            Dom0Mode::Pvh => "PVH",
        }
    }
}

/// An inclusive port range with its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortRange {
    /// First port.
    pub start: u16,
    /// Last port (inclusive).
    pub end: u16,
    /// Line of the `Disabling dom0 access to ioport range` line.
    pub line: u32,
}

/// One line of the `'Q'` dump (`drivers/passthrough/pci.c` `_dump_pci_devices()`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PciOwner {
    /// `SSSS:BB:DD.F`.
    pub sbdf: String,
    /// `d0`, `d[XEN]` (hidden or read-only), `d[IO]`, `DomIO:…` (quarantined).
    pub owner: String,
    /// Line of the device's entry.
    pub line: u32,
    /// The entry's text after `(XEN)`, trimmed.
    pub text: String,
    /// Xen's IRQs of the device's MSI/MSI-X entries (` - MSIs < … >`, `pdev_dump_msi()`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub msi_irqs: Vec<u32>,
}

impl PciOwner {
    /// Xen keeps the device for itself (hidden, or read-only and hidden).
    pub fn is_xen(&self) -> bool {
        self.owner == "d[XEN]"
    }
}

/// One domain's block in a `'q'` dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainRangesets {
    /// Domain id (`Rangesets belonging to domain N:`).
    pub domain: u32,
    /// Which dump (0-based, in log order) this block belongs to.
    pub dump: u32,
    /// Line of that header.
    pub header_line: u32,
    /// `Interrupts`: IRQs the domain may use (decimal in the dump).
    #[serde(serialize_with = "opt_set::<u32, _>")]
    pub interrupts: Option<Located<IrqSet>>,
    /// `I/O Memory`: machine frames the domain may map (hex in the dump).
    #[serde(serialize_with = "opt_set::<u64, _>")]
    pub iomem: Option<Located<FrameSet>>,
    /// `I/O Ports`: I/O ports the domain may access (hex in the dump).
    #[serde(serialize_with = "opt_set::<u16, _>")]
    pub ioports: Option<Located<PortSet>>,
    /// Other named rangesets (log-dirty, ioreq servers), raw text.
    pub other: Vec<(String, String)>,
}

/// Serialises a located set in Xen's own syntax (hex for memory and ports).
fn opt_set<T, S>(
    v: &Option<Located<dom0scope_ranges::RangeSet<T>>>,
    s: S,
) -> Result<S::Ok, S::Error>
where
    T: RangeInt + XenRadix,
    S: Serializer,
{
    #[derive(Serialize)]
    struct L {
        value: String,
        line: u32,
    }
    match v {
        Some(l) => L {
            value: l.value.to_xen(T::RADIX),
            line: l.line,
        }
        .serialize(s),
        None => s.serialize_none(),
    }
}

/// The radix Xen prints a set of this element type in.
pub trait XenRadix {
    /// Hex for frames and ports, decimal for IRQs.
    const RADIX: Radix;
}
impl XenRadix for u64 {
    const RADIX: Radix = Radix::Hex;
}
impl XenRadix for u16 {
    const RADIX: Radix = Radix::Hex;
}
impl XenRadix for u32 {
    const RADIX: Radix = Radix::Decimal;
}

impl XenLog {
    /// Evidence for a line that a fact of this log cites.
    pub fn evidence(&self, line: u32) -> Evidence {
        Evidence {
            artifact: self.artifact.clone(),
            line,
            text: self.cited.get(&line).cloned().unwrap_or_default(),
        }
    }

    /// Evidence for a `'Q'` line.
    pub fn pci_owner_evidence(&self, o: &PciOwner) -> Evidence {
        Evidence {
            artifact: self
                .pci_owners_artifact
                .clone()
                .unwrap_or_else(|| self.artifact.clone()),
            line: o.line,
            text: o.text.clone(),
        }
    }

    /// The last dump's block for `domain`: Xen's state when the capture ended.
    pub fn last_rangesets(&self, domain: u32) -> Option<&DomainRangesets> {
        self.rangesets.iter().rev().find(|r| r.domain == domain)
    }
}

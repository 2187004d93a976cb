//! What the rules are evaluated over: the surface, plus readings taken from the
//! facts stage — dom0's kernel lockdown, the PCI config dumps (for firmware
//! lock bits), the UEFI Secure Boot variable, the Xen command line's source
//! line — and the hypercall surface. Nothing here reads a snapshot artifact.

use dom0scope_facts::{Evidence, Facts};
use dom0scope_surface::Surface;

pub use dom0scope_facts::efi::SECURE_BOOT_VAR;
pub use dom0scope_facts::linux::lockdown::Lockdown;

/// Everything a predicate may look at.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// dom0's reach named by owner.
    pub surface: &'a Surface,
    /// What the snapshot says beyond the surface.
    pub readings: &'a Readings,
}

impl<'a> Inputs<'a> {
    /// The inputs for one snapshot: its surface and its readings.
    pub fn new(surface: &'a Surface, readings: &'a Readings) -> Inputs<'a> {
        Inputs { surface, readings }
    }
}

/// One PCI function's captured config space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PciConfig {
    /// `SSSS:BB:DD.F`.
    pub sbdf: String,
    /// The dumped config space from offset 0: at least the 64-byte standard header.
    pub bytes: Vec<u8>,
}

impl PciConfig {
    fn u16_at(&self, o: usize) -> Option<u16> {
        let b = self.bytes.get(o..o + 2)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }

    /// The vendor id (offset 0x00), e.g. 0x8086 for Intel.
    pub fn vendor_id(&self) -> Option<u16> {
        self.u16_at(0)
    }

    /// The device id (offset 0x02), which with the vendor id picks the chipset.
    pub fn device_id(&self) -> Option<u16> {
        self.u16_at(2)
    }

    /// Subsystem vendor (offset 0x2c): 0x1af4 marks QEMU's emulated devices.
    pub fn subsystem_vendor_id(&self) -> Option<u16> {
        self.u16_at(0x2c)
    }

    /// `width` bytes (1-8) at `offset`, little-endian.
    pub fn read(&self, offset: usize, width: usize) -> Option<u64> {
        let b = self.bytes.get(offset..offset.checked_add(width)?)?;
        Some(
            b.iter()
                .rev()
                .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)),
        )
    }
}

/// Whether dom0 may use one hypercall operation (from the hypercall stage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpState {
    /// dom0 may use the operation on this host.
    Available,
    /// dom0 may not use it; why (e.g. `PVH dom0`).
    NotAvailable(String),
    /// Cannot tell; what would decide it (e.g. Xen's `.config`).
    Unknown(String),
}

/// One operation of the hypercall surface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HypercallOp {
    /// The table's id, e.g. `kexec_op.load`.
    pub id: String,
    /// What the operation does, in a few words (e.g. `load a kexec image`).
    pub name: String,
    /// Whether dom0 may use it here.
    pub state: OpState,
    /// True when the state rests on a default the tool carries (e.g. Debian's config).
    pub assumed: bool,
    /// The log lines and build-config facts the state rests on.
    pub evidence: Vec<Evidence>,
}

/// The hypercall surface as the verdict needs it; built by the caller from
/// `dom0scope_hypercalls::surface()` so this stage does not depend on its types.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HypercallView {
    /// Every operation in the hypercall stage's table, with its state on this host.
    pub ops: Vec<HypercallOp>,
}

/// Readings beyond the surface. Each is None when the snapshot lacks it.
#[derive(Debug, Clone, Default)]
pub struct Readings {
    /// `linux/lockdown`: the selected mode and its line.
    pub lockdown: Option<(Lockdown, Evidence)>,
    /// `linux/version`: dom0 runs Linux.
    pub dom0_linux: Option<Evidence>,
    /// `pci/<sbdf>/config` of every captured function.
    pub pci: Vec<PciConfig>,
    /// The UEFI `SecureBoot` variable (efivarfs bytes: 4-byte attributes, value).
    pub secure_boot: Option<(bool, Evidence)>,
    /// Xen's command line with its line in the log.
    pub xen_cmdline: Option<Evidence>,
    /// Xen's version line.
    pub xen_version: Option<Evidence>,
    /// Xen's boot-loader line (the boot path: multiboot or EFI).
    pub xen_bootloader: Option<Evidence>,
    /// The hypercall surface, when the caller evaluated it.
    pub hypercalls: Option<HypercallView>,
}

impl Readings {
    /// Takes what the rules need from the facts. What the snapshot lacked (or
    /// the facts stage could not read) is left out, so the rules that need it
    /// say so.
    pub fn gather(facts: &Facts) -> Readings {
        let x = facts.xen.as_ref();
        let dom0 = facts.dom0.as_ref();
        // The line as cited by the log parser, or the fact itself.
        let cite = |x: &dom0scope_facts::XenLog, line: u32, fallback: String| {
            let mut e = x.evidence(line);
            if e.text.is_empty() {
                e.text = fallback;
            }
            e
        };
        Readings {
            lockdown: dom0
                .and_then(|d| d.lockdown.as_ref())
                .map(|l| (l.mode, l.evidence.clone())),
            dom0_linux: dom0.and_then(|d| d.version.clone()),
            // A function's config dump counts from the standard header's 64 bytes.
            pci: facts
                .pci
                .iter()
                .filter(|f| f.config.len() >= 0x40)
                .map(|f| PciConfig {
                    sbdf: f.sbdf.clone(),
                    bytes: f.config.clone(),
                })
                .collect(),
            secure_boot: dom0
                .and_then(|d| d.secure_boot.as_ref())
                .map(|s| (s.enabled, s.evidence.clone())),
            xen_cmdline: x.and_then(|x| {
                let c = x.cmdline.as_ref()?;
                Some(cite(x, c.line, format!("Command line: {}", c.value)))
            }),
            xen_version: x.and_then(|x| {
                let v = x.version.as_ref()?;
                Some(cite(x, v.line, format!("Xen version {}", v.full())))
            }),
            xen_bootloader: x.and_then(|x| {
                let b = x.bootloader.as_ref()?;
                Some(cite(x, b.line, format!("Bootloader: {}", b.value)))
            }),
            hypercalls: None,
        }
    }

    /// The captured config space of the function at `sbdf` (`SSSS:BB:DD.F`), if it was dumped.
    pub fn pci_function(&self, sbdf: &str) -> Option<&PciConfig> {
        self.pci.iter().find(|p| p.sbdf == sbdf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pci_config_reads_little_endian_and_bounds() {
        let mut bytes = vec![0u8; 256];
        bytes[0..4].copy_from_slice(&[0x86, 0x80, 0xc0, 0x29]);
        bytes[0x9d] = 0x0a;
        let c = PciConfig {
            sbdf: "0000:00:00.0".into(),
            bytes,
        };
        assert_eq!(c.vendor_id(), Some(0x8086));
        assert_eq!(c.device_id(), Some(0x29c0));
        assert_eq!(c.read(0x9d, 1), Some(0x0a));
        assert_eq!(c.read(0x9c, 2), Some(0x0a00));
        assert_eq!(c.read(0xff, 2), None);
        assert_eq!(c.read(usize::MAX, 2), None);
    }
}

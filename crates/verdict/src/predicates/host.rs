//! Predicates over the host as the Xen model reads it: the IOMMU's DMA reach,
//! PCI config write access, dom0 mode, Xen version and command line, boot path,
//! CPU vendor, and whether the model agrees with Xen's rangesets.

use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_reach::Prediction;
use dom0scope_reach::model::Vendor;
use dom0scope_reach::model::dma::IommuMode;
use serde::Deserialize;

use super::{Detail, Truth};
use crate::inputs::Inputs;

/// What the model-based predicates need when the reach has no prediction.
pub const NEEDS_LOG: &str = "a Xen log the model can read (version, dom0 mode, command line)";

fn predicted<'a>(i: &Inputs<'a>) -> Result<&'a Prediction, Truth> {
    i.surface
        .reach()
        .predicted()
        .ok_or_else(|| Truth::Unknown(NEEDS_LOG.into()))
}

/// `dma_reaches_xen_heap = true`: dom0's devices can DMA into Xen's memory
/// (IOMMU off, passthrough, or the PV default "relaxed" mode). Vars: `mode`, `how`.
pub fn dma_reaches_xen_heap(i: &Inputs<'_>) -> Truth {
    let p = match predicted(i) {
        Ok(p) => p,
        Err(t) => return t,
    };
    let d = &p.dma;
    if !d.reaches_xen_heap {
        return Truth::Fails(format!(
            "IOMMU mode {:?} keeps Xen's heap out of DMA reach",
            d.mode
        ));
    }
    let mode = format!("{:?}", d.mode);
    Truth::Holds(
        Detail::summary(format!("IOMMU mode for dom0: {mode}. {}.", d.how))
            .var("mode", mode)
            .var("how", d.how.clone())
            .evidence(d.evidence.iter().cloned()),
    )
}

/// IOMMU modes a condition can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DmaMode {
    /// No IOMMU in use: DMA reaches all memory.
    Off,
    /// Identity-mapped without translation: all memory, Xen included.
    Passthrough,
    /// The PV default: everything but Xen's image and trampoline, so Xen's heap stays reachable.
    Relaxed,
    /// Only dom0's own pages plus reserved (RMRR) ranges; forced for PVH.
    Strict,
}

/// `dma_mode_in = ["off", …]`: the IOMMU mode for dom0's DMA is one of these.
pub fn dma_mode_in(i: &Inputs<'_>, modes: &[DmaMode]) -> Truth {
    let p = match predicted(i) {
        Ok(p) => p,
        Err(t) => return t,
    };
    let m = match p.dma.mode {
        IommuMode::Off => DmaMode::Off,
        IommuMode::Passthrough => DmaMode::Passthrough,
        IommuMode::Relaxed => DmaMode::Relaxed,
        IommuMode::Strict => DmaMode::Strict,
    };
    if modes.contains(&m) {
        Truth::Holds(
            Detail::default()
                .var("mode", format!("{:?}", p.dma.mode))
                .evidence(p.dma.evidence.iter().cloned()),
        )
    } else {
        Truth::Fails(format!("IOMMU mode is {:?}", p.dma.mode))
    }
}

/// PCI function classes a condition can name (`pci_writable = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PciClass {
    /// The root complex (class 06:00).
    HostBridge,
    /// The ISA/LPC bridge (class 06:01), which holds BIOS_CNTL on Intel PCHs.
    LpcBridge,
    /// An IOMMU function (class 08:06).
    Iommu,
    /// Any function.
    Any,
}

/// `pci_writable = "<class>"`: dom0 can write that function's config space.
/// Vars: `devices`, `how`.
pub fn pci_writable(i: &Inputs<'_>, class: PciClass) -> Truth {
    let p = match predicted(i) {
        Ok(p) => p,
        Err(t) => return t,
    };
    if p.pci_config.is_empty() {
        return Truth::Unknown(
            "the PCI functions' config space (pci/…/config in a collected snapshot)".into(),
        );
    }
    let hit: Vec<_> = p
        .pci_config
        .iter()
        .filter(|a| a.writable)
        .filter(|a| match class {
            PciClass::HostBridge => a.host_bridge,
            PciClass::LpcBridge => a.class >> 8 == 0x0601,
            PciClass::Iommu => a.class >> 8 == 0x0806,
            PciClass::Any => true,
        })
        .collect();
    if hit.is_empty() {
        return Truth::Fails("no such function is writable by dom0".into());
    }
    let names = hit
        .iter()
        .map(|a| format!("{} ({:04x}:{:04x})", a.sbdf, a.vendor_id, a.device_id))
        .collect::<Vec<_>>()
        .join(", ");
    Truth::Holds(
        Detail::summary(format!(
            "dom0 can write the config space of {names}: {}.",
            hit[0].how
        ))
        .var("devices", names)
        .var("how", hit[0].how.clone())
        .evidence(hit.iter().flat_map(|a| a.evidence.iter().cloned())),
    )
}

/// `dom0_mode = "pv" | "pvh"`.
pub fn dom0_mode(i: &Inputs<'_>, mode: Dom0Mode) -> Truth {
    let r = i.surface.reach();
    match r.dom0_mode() {
        None => Truth::Unknown("the dom0 build line in Xen's log (PV or PVH)".into()),
        Some(m) if m == mode => Truth::Holds(
            Detail::default()
                .var("dom0_mode", m.label())
                .evidence(r.dom0_mode_source().cloned()),
        ),
        Some(m) => Truth::Fails(format!("dom0 is {}", m.label())),
    }
}

/// `xen_version_below = "4.19"`: the running Xen is older (patch levels count:
/// `4.17.6` is below `4.17.7`). Vars: `xen_version`.
pub fn xen_version_below(i: &Inputs<'_>, v: (u32, u32, u32)) -> Truth {
    let p = match predicted(i) {
        Ok(p) => p,
        Err(t) => return t,
    };
    // The running release, not the modelled one the rules were keyed on.
    let x = &p.input.requested;
    let ev = i.readings.xen_version.clone();
    if (x.major, x.minor, x.patch) < v {
        Truth::Holds(
            Detail::default()
                .var("xen_version", x.label.clone())
                .evidence(ev),
        )
    } else {
        Truth::Fails(format!("Xen is {}", x.label))
    }
}

/// Whether Xen's command line has `spec`: `opt` (present), or `opt=item`
/// (the value, or one comma-separated item of it, equals `item`).
fn cmdline_matches(p: &Prediction, spec: &str) -> bool {
    let c = &p.input.cmdline;
    match spec.split_once('=') {
        None => c.value(spec).is_some(),
        Some((k, item)) => c.value(k) == Some(item) || c.items(k).contains(&item),
    }
}

/// `cmdline_has = ["efi=no-rs", …]`: Xen's command line has any of these.
/// Vars: `option`.
pub fn cmdline_has(i: &Inputs<'_>, specs: &[String]) -> Truth {
    let p = match predicted(i) {
        Ok(p) => p,
        Err(t) => return t,
    };
    match specs.iter().find(|s| cmdline_matches(p, s)) {
        Some(s) => Truth::Holds(
            Detail::default()
                .var("option", s.clone())
                .evidence(i.readings.xen_cmdline.clone()),
        ),
        None => Truth::Fails(format!(
            "Xen's command line has none of {}",
            specs.join(", ")
        )),
    }
}

/// `cmdline_lacks = ["efi=no-rs", …]`: Xen's command line has none of these.
pub fn cmdline_lacks(i: &Inputs<'_>, specs: &[String]) -> Truth {
    match cmdline_has(i, specs) {
        Truth::Holds(d) => Truth::Fails(format!(
            "Xen's command line has {}",
            d.vars.get("option").map_or("it", String::as_str)
        )),
        Truth::Fails(_) => Truth::Holds(
            Detail::default()
                .var("option", specs.join(", "))
                .evidence(i.readings.xen_cmdline.clone()),
        ),
        u => u,
    }
}

/// `efi_boot = true`: Xen was booted through UEFI (`false`: through a legacy
/// multiboot path). Either way the evidence is Xen's boot-loader line.
pub fn efi_boot(i: &Inputs<'_>, want: bool) -> Truth {
    let p = match predicted(i) {
        Ok(p) => p,
        Err(t) => return t,
    };
    if p.input.efi_boot == want {
        Truth::Holds(
            Detail::default()
                .evidence(i.readings.xen_bootloader.clone())
                .evidence(i.readings.xen_version.clone()),
        )
    } else if p.input.efi_boot {
        Truth::Fails("Xen was booted through UEFI".into())
    } else {
        Truth::Fails("Xen was not booted through UEFI".into())
    }
}

/// `efi_runtime_services = true`: Xen booted through UEFI and runtime services
/// are on (no `efi=no-rs`, `efi=rs=0` or `noefi`).
pub fn efi_runtime_services(i: &Inputs<'_>) -> Truth {
    let s = i.surface;
    if s.reach().predicted().is_none() {
        return Truth::Unknown(NEEDS_LOG.into());
    }
    if s.efi_runtime_disabled() {
        return Truth::Fails("EFI runtime services are off (efi=no-rs)".into());
    }
    if !s.efi_boot() {
        return Truth::Fails("Xen was not booted through UEFI".into());
    }
    Truth::Holds(Detail::default().evidence(i.readings.xen_cmdline.clone()))
}

/// CPU vendors a condition can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CpuVendor {
    /// Intel, as Xen's log names the CPU vendor.
    Intel,
    /// AMD (QEMU's `qemu64` CPU reports AMD too).
    Amd,
    /// Hygon: AMD-derived; the model applies AMD's rules to it.
    Hygon,
}

/// `cpu_vendor = "amd"`.
pub fn cpu_vendor(i: &Inputs<'_>, v: CpuVendor) -> Truth {
    let p = match predicted(i) {
        Ok(p) => p,
        Err(t) => return t,
    };
    let is = match (v, p.input.vendor) {
        (CpuVendor::Intel, Vendor::Intel) => true,
        (CpuVendor::Amd, Vendor::Amd) => true,
        (CpuVendor::Hygon, Vendor::Hygon) => true,
        (_, Vendor::Other) => return Truth::Unknown("the CPU vendor line in Xen's log".into()),
        _ => false,
    };
    if is {
        Truth::Holds(Detail::default().var("cpu_vendor", format!("{:?}", p.input.vendor)))
    } else {
        Truth::Fails(format!("the CPU is {:?}", p.input.vendor))
    }
}

/// `model_differs = true`: Xen's own rangesets differ from the model's
/// prediction (the observed ones are what every other rule judges). Vars:
/// `differences`.
pub fn model_differs(i: &Inputs<'_>) -> Truth {
    let r = i.surface.reach();
    let (Some(c), Some(o)) = (r.comparison(), r.observed()) else {
        return Truth::Unknown(
            "both Xen's rangesets ('q' dump) and a Xen log the model reads".into(),
        );
    };
    if c.agrees {
        return Truth::Fails("the model predicts exactly Xen's rangesets".into());
    }
    let list = c
        .differences
        .iter()
        .map(|d| {
            let assumed = match d.assumption {
                Some(a) if d.follows_from_assumption => format!(" (follows from the assumed {a})"),
                _ => String::new(),
            };
            format!(
                "{:?} {} {}{assumed}",
                d.set,
                d.range,
                if d.observed_only {
                    "granted by Xen, denied by the model"
                } else {
                    "denied by Xen, granted by the model"
                }
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let cause = if c.outcome == dom0scope_reach::verify::Outcome::DiffersWhereAssumed {
        "Every difference lies where the model had to assume a fact the snapshot lacks: the assumption, not the host or the model, is in question (a snapshot collected in dom0 settles it)"
    } else {
        "Either the host changed dom0's permissions after boot (e.g. dom0 gave up ranges) or the model misses a rule"
    };
    Truth::Holds(
        Detail::summary(format!(
            "Xen's rangesets differ from the model's prediction in {} range(s): {list}. {cause}; the observed rangesets are what the other rules judge.",
            c.differences.len()
        ))
        .var("differences", list)
        .evidence([o.iomem_source.clone()])
        .evidence(o.ioports_source.clone()),
    )
}

//! The Xen model: predicts dom0's rangesets from the Xen release, dom0 mode,
//! command line, CPU and platform facts, by replaying the grants and denials of
//! Xen's dom0 build in Xen's order. Every step names the rule (and so the Xen
//! source) that produced it, so a disagreement with the observed rangesets can
//! be traced to one rule.

mod cmdline;
pub mod dma;
mod input;
pub mod pci;
mod rules;
/// The trampoline locator lives with the facts; re-exported for the model's users.
pub use dom0scope_facts::trampoline;

use std::ops::RangeInclusive;

use dom0scope_facts::evidence::hex;
use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_ranges::{FrameSet, IrqSet, PortSet};
use serde::Serialize;

pub use cmdline::{BadOption, Cmdline, OPTIONS, Opt, Syntax, check_set};
pub use input::{
    Assumption, Fit, MODELLED, Mcfg, ModelInput, NoModel, Overrides, Release, SerialPort, Series,
    Unmodelled, Vendor, fact,
};
pub use rules::{RULES, RuleDoc, rule_source};

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Add the target to dom0's rangeset (Xen's `iomem_permit_access()` and kin).
    Permit,
    /// Remove the target from dom0's rangeset (Xen's `iomem_deny_access()` and kin).
    Deny,
    /// Stays mappable, read-only (`mmio_ro_ranges`).
    ReadOnly,
}

/// What a step applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Machine frame numbers (4 KiB pages), inclusive.
    Frames(#[serde(serialize_with = "hex_range")] RangeInclusive<u64>),
    /// I/O ports, inclusive.
    Ports(#[serde(serialize_with = "hex_range")] RangeInclusive<u16>),
    /// IRQ numbers, inclusive.
    Irqs(RangeInclusive<u32>),
}

fn hex_range<T: std::fmt::LowerHex, S: serde::Serializer>(
    r: &RangeInclusive<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{:#x}-{:#x}", r.start(), r.end()))
}

/// One grant or denial, as Xen performs it.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Rule id (see [`RULES`] for its source citation).
    pub rule: &'static str,
    /// Grant, denial, or read-only marking.
    pub op: Op,
    /// The frames, ports or IRQs it applies to.
    pub target: Target,
    /// Why, for this host (e.g. "PM timer at 0x608").
    pub why: String,
    /// True when the step rests on an assumed fact.
    pub assumed: bool,
    /// The assumed fact it rests on (an [`Assumption::fact`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumption: Option<&'static str>,
}

/// The model's answer for one host.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    /// The release the rules were keyed on (the logged one, or `--xen`).
    pub xen: Release,
    /// The dom0 mode the rules were keyed on.
    pub mode: Dom0Mode,
    /// Frames dom0 may map after every step (Xen's `I/O Memory` rangeset).
    #[serde(serialize_with = "hex::set")]
    pub iomem: FrameSet,
    /// I/O ports dom0 may access after every step (Xen's `I/O Ports` rangeset).
    #[serde(serialize_with = "hex::set")]
    pub ioports: PortSet,
    /// IRQs dom0 may use after every step (Xen's `Interrupts` rangeset).
    pub irqs: IrqSet,
    /// Frames dom0 may map read-only only (PV).
    #[serde(serialize_with = "hex::set")]
    pub ro_iomem: FrameSet,
    /// Ports in the rangeset that a PV dom0 reaches only through Xen's emulation.
    #[serde(serialize_with = "hex::set")]
    pub emulated_ports: PortSet,
    /// Every grant and denial, in Xen's order.
    pub steps: Vec<Step>,
    /// Facts the model had to assume (the input's, repeated here).
    pub assumptions: Vec<Assumption>,
    /// Where Xen keeps the AP trampoline, if the memory maps allow locating it.
    pub trampoline: Option<trampoline::Trampoline>,
    /// How far dom0's devices can DMA.
    pub dma: dma::DmaReach,
    /// Config-space write access per PCI function (empty for a bare log).
    pub pci_config: Vec<pci::PciConfigAccess>,
    /// The inputs the prediction was computed from.
    pub input: ModelInput,
}

impl Prediction {
    /// The last step that decided an element, for explaining a difference.
    pub fn last_step_for(&self, target: &Target) -> Option<&Step> {
        self.steps.iter().rev().find(|s| {
            s.op != Op::ReadOnly
                && match (&s.target, target) {
                    (Target::Frames(a), Target::Frames(b)) => {
                        a.start() <= b.end() && b.start() <= a.end()
                    }
                    (Target::Ports(a), Target::Ports(b)) => {
                        a.start() <= b.end() && b.start() <= a.end()
                    }
                    (Target::Irqs(a), Target::Irqs(b)) => {
                        a.start() <= b.end() && b.start() <= a.end()
                    }
                    _ => false,
                }
        })
    }
}

/// Replays Xen's dom0 permission setup for `input`.
pub fn predict(input: &ModelInput) -> Prediction {
    let steps = rules::steps(input);
    let mut iomem = FrameSet::new();
    let mut ioports = PortSet::new();
    let mut irqs = IrqSet::new();
    let mut ro_iomem = FrameSet::new();
    for s in &steps {
        match (&s.target, s.op) {
            (Target::Frames(r), Op::Permit) => iomem.insert(r.clone()),
            (Target::Frames(r), Op::Deny) => iomem.remove(r.clone()),
            (Target::Frames(r), Op::ReadOnly) => ro_iomem.insert(r.clone()),
            (Target::Ports(r), Op::Permit) => ioports.insert(r.clone()),
            (Target::Ports(r), Op::Deny) => ioports.remove(r.clone()),
            (Target::Irqs(r), Op::Permit) => irqs.insert(r.clone()),
            (Target::Irqs(r), Op::Deny) => irqs.remove(r.clone()),
            (Target::Ports(_) | Target::Irqs(_), Op::ReadOnly) => {}
        }
    }
    let ro_iomem = ro_iomem.intersection(&iomem);
    let emulated_ports = match input.mode {
        // PV port access is emulated by Xen; these are the ones Xen intercepts
        // even when granted (PCI config address 0xcf8, RTC/CMOS 0x70-0x71).
        Dom0Mode::Pv => PortSet::from_ranges([0x70..=0x71, 0xcf8..=0xcf8]).intersection(&ioports),
        Dom0Mode::Pvh => PortSet::new(),
    };
    Prediction {
        xen: input.xen.clone(),
        mode: input.mode,
        iomem,
        ioports,
        irqs,
        ro_iomem,
        emulated_ports,
        assumptions: step_assumptions(&steps, &input.assumptions),
        steps,
        trampoline: input.trampoline.clone(),
        dma: input.dma.clone(),
        pci_config: input.pci_config.clone(),
        input: input.clone(),
    }
}

/// The input's assumptions plus any a step made on its own (SMI_CMD at 0xb2 when the FADT is
/// missing), so every assumption a prediction rests on is listed, not only marked on its step.
fn step_assumptions(steps: &[Step], input: &[Assumption]) -> Vec<Assumption> {
    let mut all = input.to_vec();
    for s in steps {
        if s.assumption == Some(SMI_CMD_FACT) && !all.iter().any(|a| a.fact == SMI_CMD_FACT) {
            all.push(Assumption {
                fact: SMI_CMD_FACT.into(),
                assumed: "0xb2, the usual SMI_CMD port".into(),
                needs: "the FADT (acpi/FACP in a collected snapshot)".into(),
            });
        }
    }
    all
}

/// The fact the AMD C1E step assumes without a FADT.
pub(crate) const SMI_CMD_FACT: &str = "SMI_CMD port";

//! The Xen model: predicts dom0's rangesets from the Xen release, dom0 mode,
//! command line, CPU and platform facts, by replaying the grants and denials of
//! Xen's dom0 build in Xen's order. Every step names the rule (and so the Xen
//! source) that produced it, so a disagreement with the observed rangesets can
//! be traced to one rule.

mod changes;
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
use dom0scope_ranges::{FrameSet, IrqSet, PortSet, RangeInt, RangeSet};
use serde::Serialize;

pub use cmdline::{BadOption, Cmdline, OPTIONS, Opt, Syntax, check_set};
pub use input::{
    Assumption, Fit, MODELLED, Mcfg, ModelInput, NoModel, Overrides, Patched, Release, SerialPort,
    Series, Unmodelled, Vendor, fact,
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
    let fixed = changes::Changes::of(&input.xen).rangeset_remove_fix;
    let mut iomem = FrameSet::new();
    let mut ioports = PortSet::new();
    let mut irqs = IrqSet::new();
    let mut ro_iomem = FrameSet::new();
    let mut steps = Vec::new();
    for s in rules::steps(input) {
        let regrant = match (&s.target, s.op) {
            (Target::Frames(r), Op::Permit) => {
                iomem.insert(r.clone());
                None
            }
            (Target::Frames(r), Op::Deny) => {
                remove_as_xen(&mut iomem, r.clone(), fixed).map(Target::Frames)
            }
            (Target::Frames(r), Op::ReadOnly) => {
                ro_iomem.insert(r.clone());
                None
            }
            (Target::Ports(r), Op::Permit) => {
                ioports.insert(r.clone());
                None
            }
            (Target::Ports(r), Op::Deny) => {
                remove_as_xen(&mut ioports, r.clone(), fixed).map(Target::Ports)
            }
            (Target::Irqs(r), Op::Permit) => {
                irqs.insert(r.clone());
                None
            }
            (Target::Irqs(r), Op::Deny) => {
                remove_as_xen(&mut irqs, r.clone(), fixed).map(Target::Irqs)
            }
            (Target::Ports(_) | Target::Irqs(_), Op::ReadOnly) => None,
        };
        let regrant = regrant.map(|target| Step {
            rule: rules::REMOVE_REGRANT,
            op: Op::Permit,
            target,
            why: format!(
                "{} started inside a hole (Xen {} predates e118fc98e7)",
                s.rule, input.xen.label
            ),
            assumed: s.assumed,
            assumption: s.assumption,
        });
        steps.push(s);
        steps.extend(regrant);
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

/// Removes `r` as Xen's `rangeset_remove_range()` does, returning what it grants back. Before
/// e118fc98e7 (`fixed` false: 4.17, 4.18, 4.19.0-4.19.2, 4.20.0), a removal that starts inside
/// a hole and reaches a later range first stretched the range before the hole up to the
/// removal's start, re-granting the hole's tail.
fn remove_as_xen<T: RangeInt>(
    set: &mut RangeSet<T>,
    r: RangeInclusive<T>,
    fixed: bool,
) -> Option<RangeInclusive<T>> {
    let (s, e) = (*r.start(), *r.end());
    // Xen's find_range(): the last range starting at or before s.
    let before = set.ranges().take_while(|x| *x.start() <= s).last();
    let reaches_later = set.ranges().any(|x| *x.start() > s && *x.start() <= e);
    match before {
        Some(x) if !fixed && reaches_later && *x.end() < s => {
            let old = set.clone();
            // Xen sets that range's end to s - 1, then removes r.
            set.insert(*x.start()..=s);
            set.remove(r);
            set.difference(&old).ranges().next()
        }
        _ => {
            set.remove(r);
            None
        }
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

//! Predicted against observed: the exact differences, each traced to the model
//! rule that decided it, and marked when that rule rested on an assumption. A
//! comparison whose every difference rests on an assumption questions the assumed
//! facts, not the model ([`Outcome`]).

use dom0scope_ranges::{FrameSet, IrqSet, PortSet};
use serde::Serialize;

use crate::Observed;
use crate::model::{Op, Prediction, Step, Target, fact, rule_source};
use crate::runtime::{MsiIrq, RuntimeGrant};

/// Which rangeset a difference is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Set {
    /// Xen's `I/O Memory` rangeset: machine frames.
    #[serde(rename = "I/O Memory")]
    IoMemory,
    /// Xen's `I/O Ports` rangeset.
    #[serde(rename = "I/O Ports")]
    IoPorts,
    /// Xen's `Interrupts` rangeset: IRQs.
    #[serde(rename = "Interrupts")]
    Interrupts,
}

impl Set {
    /// The rangeset's name as the `'q'` dump prints it.
    pub fn label(self) -> &'static str {
        match self {
            Set::IoMemory => "I/O Memory",
            Set::IoPorts => "I/O Ports",
            Set::Interrupts => "Interrupts",
        }
    }
}

/// One range on which model and Xen disagree.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// The rangeset the range is in.
    pub set: Set,
    /// Hex (memory, ports) or decimal (interrupts), inclusive.
    pub range: String,
    /// True: Xen granted it but the model denies it; false: the reverse.
    pub observed_only: bool,
    /// The rule whose step decided this range in the model, if any.
    pub rule: Option<&'static str>,
    /// The Xen source (file and function) of that rule, from [`RULES`].
    pub rule_source: Option<&'static str>,
    /// That step's reason on this host (e.g. `PM timer at 0x608`).
    pub why: Option<String>,
    /// No step touches the range: it lies outside the bounds of that rule's grant (frames
    /// above `2^paddr_bits`, IRQs from `nr_irqs_gsi`), so the grant's bound decided it.
    pub beyond_grant: bool,
    /// The deciding step rested on an assumed fact.
    pub follows_from_assumption: bool,
    /// The assumed fact that decided it (the step's, else an assumed Xen release, which
    /// decides which rules run at all).
    pub assumption: Option<&'static str>,
    /// What Xen's dumps say of the range short of explaining it (an MSI IRQ no `'Q'` line
    /// ties to a device).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a comparison says about the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No difference: the model reproduces Xen's rangesets exactly.
    Agree,
    /// Every difference lies where an assumed fact decided the prediction: the assumptions,
    /// not the model, are in question (a full snapshot would settle them).
    DiffersWhereAssumed,
    /// At least one difference where nothing was assumed: a model bug or a surprise on the host.
    ModelDiffers,
}

/// The comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// No differences: the model reproduces Xen's rangesets exactly.
    pub agrees: bool,
    /// Agree, differ only where assumptions decided, or differ where nothing was assumed.
    pub outcome: Outcome,
    /// Every range on which they disagree, per set observed-only first.
    pub differences: Vec<Difference>,
    /// IRQs Xen holds that the boot-time model does not, each explained by Xen's own record
    /// that dom0 mapped it as a device's MSI/MSI-X after boot: observations, not predictions,
    /// so they are neither differences nor part of the prediction.
    pub runtime_grants: Vec<RuntimeGrant>,
}

/// The step that decided `target`: the last one touching it, else the first grant of its
/// kind, whose bounds left it out.
fn deciding_step<'p>(p: &'p Prediction, target: &Target) -> (Option<&'p Step>, bool) {
    if let Some(s) = p.last_step_for(target) {
        return (Some(s), false);
    }
    let same_kind = |s: &&Step| {
        s.op == Op::Permit && std::mem::discriminant(&s.target) == std::mem::discriminant(target)
    };
    (p.steps.iter().find(same_kind), true)
}

/// The narrowest physical address width any x86-64 CPU reports (Xen's own default when
/// CPUID leaf 0x80000008 is absent): an assumed width cannot decide frames below it.
const MIN_PADDR_BITS: u32 = 36;

/// Frames all below `2^MIN_PADDR_BITS`: granted whatever the width, so an assumed width
/// does not explain a difference there.
fn below_any_width(t: &Target) -> bool {
    matches!(t, Target::Frames(r) if *r.end() < 1u64 << (MIN_PADDR_BITS - 12))
}

/// Compares the model's prediction with Xen's rangesets.
pub fn compare(p: &Prediction, o: &Observed) -> Comparison {
    let mut differences = Vec::new();
    // An assumed release decides which rules run, so every difference rests on it.
    let release_assumed = p
        .assumptions
        .iter()
        .any(|a| a.fact == fact::XEN_VERSION)
        .then_some(fact::XEN_VERSION);
    let mut add = |set: Set, observed_only: bool, target: Target, range: String, note| {
        let (step, beyond_grant) = deciding_step(p, &target);
        let assumption = step
            .and_then(|s| s.assumption)
            .filter(|&f| !(f == fact::PADDR_BITS && below_any_width(&target)))
            .or(release_assumed);
        differences.push(Difference {
            set,
            range,
            observed_only,
            rule: step.map(|s| s.rule),
            rule_source: step.map(|s| rule_source(s.rule)).filter(|s| !s.is_empty()),
            why: step.map(|s| s.why.clone()),
            beyond_grant,
            follows_from_assumption: assumption.is_some(),
            assumption,
            note,
        });
    };
    for (observed_only, set) in [
        (true, o.iomem.difference(&p.iomem)),
        (false, p.iomem.difference(&o.iomem)),
    ] {
        for r in set.ranges() {
            let text = format!("{:x}-{:x}", r.start(), r.end());
            add(Set::IoMemory, observed_only, Target::Frames(r), text, None);
        }
    }
    if let Some(ports) = &o.ioports {
        for (observed_only, set) in [
            (true, ports.difference(&p.ioports)),
            (false, p.ioports.difference(ports)),
        ] {
            for r in set.ranges() {
                let text = format!("{:x}-{:x}", r.start(), r.end());
                add(Set::IoPorts, observed_only, Target::Ports(r), text, None);
            }
        }
    }
    let mut runtime_grants = Vec::new();
    if let Some(irqs) = &o.irqs {
        // Only IRQs Xen holds, the model does not, and a `'Q'` line ties to a device.
        let extra = irqs.difference(&p.irqs);
        let explained: Vec<&MsiIrq> = o
            .msi_irqs
            .iter()
            .filter(|m| m.device.is_some() && extra.contains(m.irq))
            .collect();
        let explained_set = IrqSet::from_ranges(explained.iter().map(|m| m.irq..=m.irq));
        runtime_grants = crate::runtime::grants(&explained);
        for (observed_only, set) in [
            (true, extra.difference(&explained_set)),
            (false, p.irqs.difference(irqs)),
        ] {
            for r in set.ranges() {
                let text = format!("{}-{}", r.start(), r.end());
                let note = observed_only.then(|| untied_msi(&o.msi_irqs, &r)).flatten();
                add(Set::Interrupts, observed_only, Target::Irqs(r), text, note);
            }
        }
    }
    let outcome = if differences.is_empty() {
        Outcome::Agree
    } else if differences.iter().all(|d| d.follows_from_assumption) {
        Outcome::DiffersWhereAssumed
    } else {
        Outcome::ModelDiffers
    };
    Comparison {
        agrees: differences.is_empty(),
        outcome,
        differences,
        runtime_grants,
    }
}

/// Says which IRQs of `r` Xen's `'i'`/`'M'` dumps show as MSI although no `'Q'` line ties
/// them to a device (so they stay differences).
fn untied_msi(msi: &[MsiIrq], r: &std::ops::RangeInclusive<u32>) -> Option<String> {
    let untied: Vec<&MsiIrq> = msi
        .iter()
        .filter(|m| m.device.is_none() && r.contains(&m.irq))
        .collect();
    let first = untied.first()?;
    let at = first
        .evidence
        .first()
        .map(|e| format!(" ({}:{})", e.artifact, e.line))
        .unwrap_or_default();
    Some(format!(
        "Xen's dumps show {} IRQ(s) here as MSI, first IRQ {}{at}, but no debug-key 'Q' line \
         ties them to a device: not taken as run-time grants",
        untied.len(),
        first.irq
    ))
}

/// The prediction with ranges dom0 gave up after boot removed (`dom0scope enforce` revokes a
/// plan's planned ranges through Xen's permission domctls, which Xen's rangesets then no longer
/// hold): what Xen's rangesets should be after the revocation. Interrupts are untouched.
pub fn without_revoked(p: &Prediction, frames: &FrameSet, ports: &PortSet) -> Prediction {
    let mut after = p.clone();
    after.iomem = after.iomem.difference(frames);
    after.ioports = after.ioports.difference(ports);
    after
}

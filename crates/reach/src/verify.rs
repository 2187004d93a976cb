//! Predicted against observed: the exact differences, each traced to the model
//! rule that decided it, and marked when that rule rested on an assumption.

use dom0scope_ranges::{FrameSet, PortSet};
use serde::Serialize;

use crate::Observed;
use crate::model::{Prediction, RULES, Target};

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
    /// The deciding step rested on an assumed fact.
    pub follows_from_assumption: bool,
}

/// The comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// No differences: the model reproduces Xen's rangesets exactly.
    pub agrees: bool,
    /// Every range on which they disagree, per set observed-only first.
    pub differences: Vec<Difference>,
}

/// Compares the model's prediction with Xen's rangesets.
pub fn compare(p: &Prediction, o: &Observed) -> Comparison {
    let mut differences = Vec::new();
    let mut add = |set: Set, observed_only: bool, target: Target, range: String| {
        let step = p.last_step_for(&target);
        differences.push(Difference {
            set,
            range,
            observed_only,
            rule: step.map(|s| s.rule),
            rule_source: step.and_then(|s| RULES.iter().find(|r| r.id == s.rule).map(|r| r.source)),
            why: step.map(|s| s.why.clone()),
            follows_from_assumption: step.is_some_and(|s| s.assumed),
        });
    };
    for (observed_only, set) in [
        (true, o.iomem.difference(&p.iomem)),
        (false, p.iomem.difference(&o.iomem)),
    ] {
        for r in set.ranges() {
            let text = format!("{:x}-{:x}", r.start(), r.end());
            add(Set::IoMemory, observed_only, Target::Frames(r), text);
        }
    }
    if let Some(ports) = &o.ioports {
        for (observed_only, set) in [
            (true, ports.difference(&p.ioports)),
            (false, p.ioports.difference(ports)),
        ] {
            for r in set.ranges() {
                let text = format!("{:x}-{:x}", r.start(), r.end());
                add(Set::IoPorts, observed_only, Target::Ports(r), text);
            }
        }
    }
    if let Some(irqs) = &o.irqs {
        for (observed_only, set) in [
            (true, irqs.difference(&p.irqs)),
            (false, p.irqs.difference(irqs)),
        ] {
            for r in set.ranges() {
                let text = format!("{}-{}", r.start(), r.end());
                add(Set::Interrupts, observed_only, Target::Irqs(r), text);
            }
        }
    }
    Comparison {
        agrees: differences.is_empty(),
        differences,
    }
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

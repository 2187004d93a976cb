//! Observed reach: what Xen recorded for dom0 (the last debug-key `'q'` dump of
//! domain 0), and the combined [`Reach`] with the model's prediction.

use dom0scope_facts::evidence::hex;
use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_facts::{Evidence, Facts};
use dom0scope_ranges::{FrameSet, IrqSet, PortSet};
use serde::Serialize;

/// dom0's reach as Xen's own rangesets state it.
#[derive(Debug, Clone, Serialize)]
pub struct Observed {
    /// Machine frames dom0 may map (`I/O Memory`).
    #[serde(serialize_with = "hex::set")]
    pub iomem: FrameSet,
    pub iomem_source: Evidence,
    /// I/O ports dom0 may access (`I/O Ports`); None when the dump has no such set
    /// (non-x86 dumps).
    #[serde(serialize_with = "hex::opt_set")]
    pub ioports: Option<PortSet>,
    pub ioports_source: Option<Evidence>,
    pub irqs: Option<IrqSet>,
    pub irqs_source: Option<Evidence>,
    /// The dump's header line.
    pub header: Evidence,
}

/// What dom0 may touch, and in which mode it runs.
#[derive(Debug, Clone, Serialize)]
pub struct Reach {
    pub observed: Option<Observed>,
    /// The model's prediction for the same host (None if the model had no Xen log).
    /// Reports carry the comparison instead (see `verify`).
    #[serde(skip)]
    pub predicted: Option<crate::Prediction>,
    pub dom0_mode: Option<Dom0Mode>,
    pub dom0_mode_source: Option<Evidence>,
    /// Why parts of the reach are unknown.
    pub notes: Vec<String>,
}

impl Reach {
    /// Derives dom0's reach from the facts, with the model's default prediction.
    pub fn derive(facts: &Facts) -> Reach {
        let mut r = Reach::observe(facts);
        r.predicted = crate::ModelInput::from_facts(facts, &crate::Overrides::default())
            .ok()
            .map(|i| crate::model::predict(&i));
        r
    }

    /// Only what Xen recorded.
    pub fn observe(facts: &Facts) -> Reach {
        let mut notes = Vec::new();
        let Some(log) = facts.xen.as_ref() else {
            notes.push("no Xen log: dom0's reach is unknown".into());
            return Reach {
                observed: None,
                predicted: None,
                dom0_mode: None,
                dom0_mode_source: None,
                notes,
            };
        };
        let observed = match log.last_rangesets(0) {
            Some(d0) => match &d0.iomem {
                Some(iomem) => Some(Observed {
                    iomem: iomem.value.clone(),
                    iomem_source: log.evidence(iomem.line),
                    ioports: d0.ioports.as_ref().map(|p| p.value.clone()),
                    ioports_source: d0.ioports.as_ref().map(|p| log.evidence(p.line)),
                    irqs: d0.interrupts.as_ref().map(|p| p.value.clone()),
                    irqs_source: d0.interrupts.as_ref().map(|p| log.evidence(p.line)),
                    header: log.evidence(d0.header_line),
                }),
                None => {
                    notes.push(format!(
                        "domain 0's rangeset dump at {}:{} has no I/O Memory set",
                        log.artifact, d0.header_line
                    ));
                    None
                }
            },
            None => {
                notes.push(
                    "no debug-key 'q' dump for domain 0 in the log (run `xl debug-keys q` before `xl dmesg`, or use `dom0scope collect`): observed reach unknown"
                        .into(),
                );
                None
            }
        };
        let (dom0_mode, dom0_mode_source) = match &log.dom0 {
            Some(d) => (Some(d.mode), Some(log.evidence(d.line))),
            None => {
                notes.push("no dom0 build line in the log: dom0 mode (PV/PVH) unknown".into());
                (None, None)
            }
        };
        Reach {
            observed,
            predicted: None,
            dom0_mode,
            dom0_mode_source,
            notes,
        }
    }
}

//! Observed reach: what Xen recorded for dom0 (the last debug-key `'q'` dump of
//! domain 0), and the combined [`Reach`] with the model's prediction.

use dom0scope_facts::evidence::hex;
use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_facts::{Evidence, Facts};
use dom0scope_ranges::{FrameSet, IrqSet, PortSet};
use serde::Serialize;

use crate::model::NoModel;
use crate::verify::Comparison;
use crate::{ModelInput, Overrides, Prediction};

/// dom0's reach as Xen's own rangesets state it.
#[derive(Debug, Clone, Serialize)]
pub struct Observed {
    /// Machine frames dom0 may map (`I/O Memory`).
    #[serde(serialize_with = "hex::set")]
    pub iomem: FrameSet,
    /// The dump's `I/O Memory` line.
    pub iomem_source: Evidence,
    /// I/O ports dom0 may access (`I/O Ports`); None when the dump has no such set
    /// (non-x86 dumps).
    #[serde(serialize_with = "hex::opt_set")]
    pub ioports: Option<PortSet>,
    /// The dump's `I/O Ports` line, when present.
    pub ioports_source: Option<Evidence>,
    /// IRQs dom0 may use (`Interrupts`); None when the dump has no such set.
    pub irqs: Option<IrqSet>,
    /// The dump's `Interrupts` line, when present.
    pub irqs_source: Option<Evidence>,
    /// The dump's header line.
    pub header: Evidence,
    /// IRQs Xen's `'Q'`/`'i'`/`'M'` dumps show as devices' MSI/MSI-X: what explains IRQs it
    /// granted at run time ([`crate::runtime`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub msi_irqs: Vec<crate::runtime::MsiIrq>,
}

/// What dom0 may touch, and in which mode it runs. The model-vs-observed comparison is
/// computed here, once, whenever either side changes; readers ask for it.
#[derive(Debug, Clone, Serialize)]
pub struct Reach {
    observed: Option<Observed>,
    /// The model's prediction for the same host (None if the model had no Xen log).
    /// Reports carry the comparison instead.
    #[serde(skip)]
    predicted: Option<Prediction>,
    /// Why there is no prediction.
    #[serde(skip)]
    no_model: Option<NoModel>,
    #[serde(skip)]
    comparison: Option<Comparison>,
    dom0_mode: Option<Dom0Mode>,
    dom0_mode_source: Option<Evidence>,
    /// Why parts of the reach are unknown.
    notes: Vec<String>,
}

impl Reach {
    /// Derives dom0's reach from the facts, with the model's default prediction.
    pub fn derive(facts: &Facts) -> Reach {
        let mut r = Reach::observe(facts);
        match ModelInput::from_facts(facts, &Overrides::default()) {
            Ok(i) => r.predicted = Some(crate::model::predict(&i)),
            Err(e) => r.no_model = Some(e),
        }
        r.compare();
        r
    }

    /// Xen's rangesets for dom0 (None without a `q` dump of domain 0).
    pub fn observed(&self) -> Option<&Observed> {
        self.observed.as_ref()
    }

    /// The model's prediction for this host.
    pub fn predicted(&self) -> Option<&Prediction> {
        self.predicted.as_ref()
    }

    /// Why the model could not run, when it could not.
    pub fn no_model(&self) -> Option<&NoModel> {
        self.no_model.as_ref()
    }

    /// The prediction against Xen's rangesets (None when either is missing).
    pub fn comparison(&self) -> Option<&Comparison> {
        self.comparison.as_ref()
    }

    /// PV or PVH, when the log says.
    pub fn dom0_mode(&self) -> Option<Dom0Mode> {
        self.dom0_mode
    }

    /// The log line that states the dom0 mode.
    pub fn dom0_mode_source(&self) -> Option<&Evidence> {
        self.dom0_mode_source.as_ref()
    }

    /// Why parts of the reach are unknown.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// What-if: dom0 also holds `frames` and `ports` (what it gave up earlier in the boot the
    /// snapshot was taken in). The prediction is unchanged.
    pub fn granting(&self, frames: &FrameSet, ports: &PortSet) -> Reach {
        let mut r = self.clone();
        if let Some(o) = r.observed.as_mut() {
            o.iomem = o.iomem.union(frames);
            if let Some(p) = o.ioports.as_mut() {
                *p = p.union(ports);
            }
        }
        r.compare();
        r
    }

    /// What-if: dom0 gave up `frames` and `ports`. The prediction gets the same edit, so the
    /// comparison stays like with like.
    pub fn without(&self, frames: &FrameSet, ports: &PortSet) -> Reach {
        let mut r = self.clone();
        if let Some(p) = r.predicted.as_mut() {
            p.iomem = p.iomem.difference(frames);
            p.ioports = p.ioports.difference(ports);
        }
        if let Some(o) = r.observed.as_mut() {
            o.iomem = o.iomem.difference(frames);
            if let Some(p) = o.ioports.as_mut() {
                *p = p.difference(ports);
            }
        }
        r.compare();
        r
    }

    fn compare(&mut self) {
        self.comparison = match (&self.predicted, &self.observed) {
            (Some(p), Some(o)) => Some(crate::verify::compare(p, o)),
            _ => None,
        };
    }

    /// Only what Xen recorded.
    pub fn observe(facts: &Facts) -> Reach {
        let mut notes = Vec::new();
        let Some(log) = facts.xen.as_ref() else {
            notes.push("no Xen log: dom0's reach is unknown".into());
            return Reach {
                observed: None,
                predicted: None,
                no_model: None,
                comparison: None,
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
                    msi_irqs: crate::runtime::msi_irqs(log, &facts.pci),
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
            no_model: None,
            comparison: None,
            dom0_mode,
            dom0_mode_source,
            notes,
        }
    }
}

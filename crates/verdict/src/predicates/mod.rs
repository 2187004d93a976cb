//! The predicates a rule's condition is built from. Each is one function over
//! the [`Inputs`] returning [`Truth`]: it holds (with the detail a finding
//! quotes: frames, evidence, template variables), it does not hold (with why),
//! or it cannot be decided (with what it needs). The set is deliberately small
//! and documented in `docs/policy.md`; a condition is a conjunction of
//! predicates, optionally with an `any` group — not a programming language.

pub mod dom0;
pub mod firmware;
pub mod host;
pub mod hypercalls;
pub mod memory;
pub mod ports;

use std::collections::BTreeMap;

use dom0scope_facts::Evidence;
use dom0scope_ranges::FrameSet;

use dom0scope_facts::xenlog::Dom0Mode;

use crate::inputs::Inputs;
use crate::{FrameRange, PortRange};
use dom0::LockdownLevel;
use firmware::{BitTest, Registers};
use host::{CpuVendor, DmaMode, PciClass};
use memory::OwnerKind;
use ports::{PortOwnerKind, PortSpec};

/// A predicate's answer.
#[derive(Debug, Clone)]
pub enum Truth {
    /// Holds, with what a finding quotes.
    Holds(Detail),
    /// Does not hold; the reason (shown for passed rules in verbose output).
    Fails(String),
    /// Cannot be decided; what input would decide it.
    Unknown(String),
}

impl Truth {
    /// Flips Holds and Fails (for `pred = false`); Unknown stays.
    pub fn negate(self, what: &str) -> Truth {
        match self {
            Truth::Holds(_) => Truth::Fails(format!("{what} holds")),
            Truth::Fails(_) => Truth::Holds(Detail::default()),
            u @ Truth::Unknown(_) => u,
        }
    }

    /// True only for Holds: an unknown is not a yes.
    pub fn holds(&self) -> bool {
        matches!(self, Truth::Holds(_))
    }
}

/// What a predicate found when it holds.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    /// Default wording, used when the rule has no `summary` template.
    pub summary: Vec<String>,
    /// The frames concerned, merged by [`Detail::normalize_frames`] before a finding shows them.
    pub frames: Vec<FrameRange>,
    /// The I/O ports concerned (inclusive ranges), merged by [`Detail::normalize_frames`].
    pub ports: Vec<PortRange>,
    /// The log lines and dump bytes it rests on, each once.
    pub evidence: Vec<Evidence>,
    /// Values for the rule's `summary` and remedy templates.
    pub vars: BTreeMap<String, String>,
}

impl Detail {
    /// A detail whose default wording is the one sentence `s`.
    pub fn summary(s: impl Into<String>) -> Detail {
        Detail {
            summary: vec![s.into()],
            ..Detail::default()
        }
    }

    /// Sets template variable `k` for the rule's summary and remedies.
    pub fn var(mut self, k: &str, v: impl Into<String>) -> Detail {
        self.vars.insert(k.to_owned(), v.into());
        self
    }

    /// Adds evidence, skipping what is already cited.
    pub fn evidence(mut self, e: impl IntoIterator<Item = Evidence>) -> Detail {
        for e in e {
            push_unique(&mut self.evidence, e);
        }
        self
    }

    /// Adds another predicate's detail (conjunction).
    pub fn merge(&mut self, other: Detail) {
        self.summary.extend(other.summary);
        self.frames.extend(other.frames);
        self.ports.extend(other.ports);
        for e in other.evidence {
            push_unique(&mut self.evidence, e);
        }
        for (k, v) in other.vars {
            self.vars.entry(k).or_insert(v);
        }
    }

    /// Frames sorted, with touching or overlapping ranges merged; a merged range spans the
    /// bytes of everything merged into it.
    pub fn normalize_frames(&mut self) {
        self.ports.sort();
        let mut merged: Vec<PortRange> = Vec::with_capacity(self.ports.len());
        for p in self.ports.drain(..) {
            match merged.last_mut() {
                Some(m) if u32::from(p.first) <= u32::from(m.last) + 1 => {
                    m.last = m.last.max(p.last)
                }
                _ => merged.push(p),
            }
        }
        self.ports = merged;
        let set = FrameSet::from_ranges(self.frames.iter().map(|f| f.first_frame..=f.last_frame));
        let parts = std::mem::take(&mut self.frames);
        self.frames = set
            .ranges()
            .filter_map(|r| {
                let inside = || parts.iter().filter(|f| r.contains(&f.first_frame));
                Some(FrameRange {
                    first_frame: *r.start(),
                    last_frame: *r.end(),
                    start: inside().map(|f| f.start).min()?,
                    end: inside().map(|f| f.end).max()?,
                })
            })
            .collect();
    }
}

/// One compiled predicate.
#[derive(Debug, Clone)]
pub(crate) enum Predicate {
    Always,
    ReachesOwner(OwnerKind),
    ReachesFrames(Vec<(u64, u64)>),
    TrampolineReachable,
    EcamUnmediated,
    PortsReachable(Vec<PortSpec>),
    PortsReachableOwner(PortOwnerKind),
    DmaReachesXenHeap,
    DmaModeIn(Vec<DmaMode>),
    PciWritable(PciClass),
    Dom0Mode(Dom0Mode),
    XenVersionBelow((u32, u32, u32)),
    CmdlineHas(Vec<String>),
    CmdlineLacks(Vec<String>),
    EfiBoot(bool),
    EfiRuntimeServices,
    CpuVendor(CpuVendor),
    ModelDiffers,
    Dom0LockdownBelow(LockdownLevel),
    PrivcmdUnrestricted,
    UefiSecureBoot(bool),
    RegisterBits(Vec<BitTest>),
    HypercallAvailable(Vec<String>),
    Unavailable(String),
}

impl Predicate {
    /// Template variables the predicate sets when it holds.
    pub(crate) fn vars(&self) -> &'static [&'static str] {
        match self {
            Predicate::ReachesOwner(_) => {
                &["frames_count", "code_frames", "first_address", "owners"]
            }
            Predicate::ReachesFrames(_) => &["frames"],
            Predicate::TrampolineReachable => &["low_frames"],
            Predicate::PortsReachable(_) | Predicate::PortsReachableOwner(_) => {
                &["ports", "ports_disable"]
            }
            Predicate::DmaReachesXenHeap => &["mode", "how"],
            Predicate::DmaModeIn(_) => &["mode"],
            Predicate::PciWritable(_) => &["devices", "how"],
            Predicate::Dom0Mode(_) => &["dom0_mode"],
            Predicate::XenVersionBelow(_) => &["xen_version"],
            Predicate::CmdlineHas(_) | Predicate::CmdlineLacks(_) => &["option"],
            Predicate::CpuVendor(_) => &["cpu_vendor"],
            Predicate::ModelDiffers => &["differences"],
            Predicate::Dom0LockdownBelow(_) => &["lockdown"],
            Predicate::RegisterBits(_) => &["registers", "chipset"],
            Predicate::HypercallAvailable(_) => &["operations"],
            _ => &[],
        }
    }

    pub(crate) fn eval(&self, i: &Inputs<'_>, registers: &Registers) -> Truth {
        match self {
            Predicate::Always => Truth::Holds(Detail::default()),
            Predicate::ReachesOwner(k) => memory::reaches_owner(i, *k),
            Predicate::ReachesFrames(r) => memory::reaches_frames(i, r),
            Predicate::TrampolineReachable => memory::trampoline_reachable(i),
            Predicate::EcamUnmediated => memory::ecam_unmediated(i),
            Predicate::PortsReachable(p) => ports::ports_reachable(i, p),
            Predicate::PortsReachableOwner(k) => ports::ports_reachable_owner(i, *k),
            Predicate::DmaReachesXenHeap => host::dma_reaches_xen_heap(i),
            Predicate::DmaModeIn(m) => host::dma_mode_in(i, m),
            Predicate::PciWritable(c) => host::pci_writable(i, *c),
            Predicate::Dom0Mode(m) => host::dom0_mode(i, *m),
            Predicate::XenVersionBelow(v) => host::xen_version_below(i, *v),
            Predicate::CmdlineHas(s) => host::cmdline_has(i, s),
            Predicate::CmdlineLacks(s) => host::cmdline_lacks(i, s),
            Predicate::EfiBoot(want) => host::efi_boot(i, *want),
            Predicate::EfiRuntimeServices => host::efi_runtime_services(i),
            Predicate::CpuVendor(v) => host::cpu_vendor(i, *v),
            Predicate::ModelDiffers => host::model_differs(i),
            Predicate::Dom0LockdownBelow(l) => dom0::dom0_lockdown_below(i, *l),
            Predicate::PrivcmdUnrestricted => dom0::privcmd_unrestricted(i),
            Predicate::UefiSecureBoot(on) => dom0::uefi_secure_boot(i, *on),
            Predicate::RegisterBits(t) => firmware::register_bits(i, registers, t),
            Predicate::HypercallAvailable(ids) => hypercalls::hypercall_available(i, ids),
            Predicate::Unavailable(needs) => Truth::Unknown(needs.clone()),
        }
    }
}

pub(crate) fn push_unique(v: &mut Vec<Evidence>, e: Evidence) {
    if !v.contains(&e) {
        v.push(e);
    }
}

/// "a, b and c" for lists in summaries.
pub(crate) fn join_list(items: &[String]) -> String {
    items.join(", ")
}

//! The hardening plan: what dom0 should give up itself, what only Xen can
//! change, and the surface that remains.
//!
//! - **Self-revocation**: the exact frame and port ranges dom0 can give up
//!   through Xen's permission domctls (`XEN_DOMCTL_iomem_permission`,
//!   `XEN_DOMCTL_ioport_permission`) early in boot — the AP trampoline, EFI
//!   runtime *code* (not data: Linux reads runtime data, measured), the FACS
//!   page, IOMMU register pages, PM1 control, reset (0xcf9) and SMI_CMD ports,
//!   and the frames of any finding whose remedies include the
//!   `dom0_self_revocation` channel. Each range is checked against what dom0
//!   itself uses (its `/proc/iomem` and `/proc/ioports` in the snapshot): a range
//!   a dom0 driver claims is refused with the claim; without those views every
//!   range is `unchecked`, never silently safe.
//! - **Changes only Xen can make** (and the firmware / dom0-kernel ones), from
//!   the findings' other remedies, grouped by channel.
//! - **Residual**: the verdict re-run on the observed reach minus the planned
//!   ranges (a what-if), with the findings closed and remaining.
//!
//! The plan is a versioned JSON document ([`SCHEMA`]) carrying the host's
//! identity and Xen version so a later `enforce` can refuse a plan for another
//! host.

mod candidates;
mod check;
pub mod plan;
mod render;
mod residual;
pub mod xen_patch;

use std::collections::BTreeMap;

use dom0scope_engine::Analysis;
use dom0scope_facts::Facts;
use dom0scope_ranges::{IoSets, PortSet, Radix};
use dom0scope_reach::Reach;

pub use check::{Dom0Use, Judgement, UseKind, ViewSource, check_range};
pub use plan::{
    Change, ChannelChanges, FindingRef, MAX_MFN, MAX_PLAN_BYTES, Plan, PlanError, Range, Residual,
    Resource, Revocation, SCHEMA, Span, Status,
};
pub use render::render_text;

use candidates::{Candidate, candidates};
use residual::{changes, residual};

/// What the plan is built from.
#[derive(Debug)]
pub struct Context<'a> {
    /// The snapshot analysed (its facts, inventory, surface, verdict and policy); the plan's
    /// what-ifs are judged by the same engine.
    pub analysis: &'a Analysis,
    /// The host's DMI identity, which enforce checks before acting.
    pub host: BTreeMap<String, String>,
    /// The snapshot's name, as the plan records it.
    pub snapshot: String,
    /// dom0's kernel log (`linux/dmesg`), if the snapshot has it: it tells
    /// whether dom0 drives a VGA text console in the legacy VGA window.
    pub dom0_dmesg: Option<&'a [u8]>,
}

/// Frames and ports the model predicts Xen grants dom0 at boot that the snapshot's rangesets
/// lack: given up earlier in the boot the snapshot was taken in (by `enforce`).
#[derive(Debug)]
struct AlreadyAbsent {
    sets: IoSets,
    /// The `q` dump that shows them absent (`xen/dmesg.txt:315`).
    source: String,
}

impl AlreadyAbsent {
    fn of(reach: &Reach) -> Option<AlreadyAbsent> {
        let obs = reach.observed()?;
        let pred = reach.predicted()?;
        let frames = pred.iomem.difference(&obs.iomem);
        let ports = obs
            .ioports
            .as_ref()
            .map(|p| pred.ioports.difference(p))
            .unwrap_or_default();
        if frames.is_empty() && ports.is_empty() {
            return None;
        }
        Some(AlreadyAbsent {
            sets: IoSets { frames, ports },
            source: format!("{}:{}", obs.header.artifact, obs.header.line),
        })
    }

    /// dom0's reach at the next boot: the observed reach plus what is already absent.
    fn boot_reach(&self, reach: &Reach) -> Reach {
        reach.granting(&self.sets.frames, &self.sets.ports)
    }

    /// The parts of `r` already absent.
    fn within(&self, r: &Range) -> Vec<Span> {
        r.io_range()
            .map(|ir| self.sets.parts_of(&ir))
            .unwrap_or_default()
            .into_iter()
            .map(|(first, last)| Span { first, last })
            .collect()
    }
}

impl Plan {
    /// Builds the plan and its what-if residual, for dom0's reach **at boot**.
    ///
    /// The snapshot's rangesets show dom0's reach at the time of the snapshot. After
    /// `enforce` ran in that boot they lack what it gave up, and a plan made from them alone
    /// would leave those ranges out, so the next boot would not give them up. The model's
    /// prediction (`dom0scope_reach::model::predict`, replaying Xen's
    /// `dom0_setup_permissions()` for this host) says what Xen grants dom0 at boot, so
    /// whatever it predicts and the rangesets lack is taken as given up earlier in this boot:
    /// the plan is built on the observed reach plus those ranges (surface, verdict and
    /// what-if alike), exactly as on a snapshot taken before `enforce`. A range the plan then
    /// names keeps its status from the usual check against dom0's own use (so an absent range
    /// dom0's drivers claim is still refused) and records the absent part in
    /// `already_absent`, with its reason saying so and a plan note naming them all. `enforce`
    /// skips already absent parts, so planning them costs nothing; leaving them out would
    /// silently re-open them on the next boot. Planning rather than only warning is what
    /// keeps the plan correct; it relies on the model, which agrees exactly with Xen on every
    /// real boot in `testdata/`, and a range the model wrongly predicts is harmless (enforce
    /// finds it absent).
    pub fn build(cx: &Context<'_>) -> Plan {
        let Some(absent) = AlreadyAbsent::of(cx.analysis.reach()) else {
            return Plan::build_for(cx, None);
        };
        let at_boot = cx
            .analysis
            .with_reach(absent.boot_reach(cx.analysis.reach()));
        let boot = Context {
            analysis: &at_boot,
            host: cx.host.clone(),
            snapshot: cx.snapshot.clone(),
            dom0_dmesg: cx.dom0_dmesg,
        };
        Plan::build_for(&boot, Some(&absent))
    }

    fn build_for(cx: &Context<'_>, absent: Option<&AlreadyAbsent>) -> Plan {
        let mut notes = Vec::new();
        let dom0_mode = cx.analysis.surface().reach().dom0_mode();
        let view = cx
            .analysis
            .facts()
            .dom0
            .as_ref()
            .filter(|v| !v.iomem.is_empty() || !v.ioports.is_empty());
        if view.is_none() {
            notes.push("the snapshot has no dom0 /proc/iomem or /proc/ioports: dom0's own use of each range cannot be checked, so every range is marked unchecked (collect the snapshot with `dom0scope collect` inside dom0)".into());
        }
        let Some(obs) = cx.analysis.surface().reach().observed() else {
            notes.push("dom0's observed reach is unknown (no debug-key 'q' dump of domain 0): nothing to revoke can be named".into());
            return Plan {
                schema: SCHEMA.into(),
                host: cx.host.clone(),
                snapshot: cx.snapshot.clone(),
                xen_version: xen_version(cx.analysis.facts()),
                dom0_mode,
                dom0_use_checked: view.is_some(),
                ranges: Vec::new(),
                xen_changes: changes(cx.analysis.verdict(), &[], true),
                other_changes: changes(cx.analysis.verdict(), &[], false),
                residual: None,
                notes,
            };
        };
        // Only what dom0 can reach today, one candidate per reachable stretch.
        let no_ports = PortSet::new();
        let candidates: Vec<Candidate> = candidates(cx, &mut notes)
            .into_iter()
            .flat_map(|c| {
                let stretches = c
                    .resource
                    .range(c.first, c.last)
                    .map(|r| r.parts_in(&obs.iomem, obs.ioports.as_ref().unwrap_or(&no_ports)))
                    .unwrap_or_default();
                stretches.into_iter().map(move |(a, b)| Candidate {
                    first: a,
                    last: b,
                    ..c.clone()
                })
            })
            .collect();
        let mut revoke: Vec<Revocation> = candidates
            .into_iter()
            .map(|c| check::judge(c, view, dom0_mode))
            .collect();
        revoke.sort_by_key(|r| (r.resource == Resource::Ioport, r.first, r.last));
        if let Some(a) = absent {
            let mut named = Vec::new();
            for r in &mut revoke {
                r.already_absent = a.within(r);
                if r.already_absent.is_empty() {
                    continue;
                }
                let parts = r
                    .already_absent
                    .iter()
                    .map(Span::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                r.reason = format!(
                    "{}; ALREADY ABSENT in this snapshot ({} {parts} missing from Xen's rangesets at {} although the model predicts Xen grants {} at boot: given up earlier in this boot, e.g. by enforce): {}",
                    r.reason,
                    r.resource.label(),
                    a.source,
                    if r.already_absent.len() == 1 {
                        "it"
                    } else {
                        "them"
                    },
                    if r.status == Status::Planned {
                        "kept in the plan so that the next boot gives it up too"
                    } else {
                        "the next boot grants it again"
                    }
                );
                named.push(format!("{} [{}]", r.describe(), r.status.label()));
            }
            let other = {
                let mut o = a.sets.clone();
                for ir in revoke.iter().filter_map(Range::io_range) {
                    o.remove(&ir);
                }
                (o.frames, o.ports)
            };
            notes.push(format!(
                "this snapshot was taken after dom0 gave up ranges (Xen's rangesets at {} lack I/O Memory {} and I/O Ports {} that the model predicts Xen grants at boot): the plan is made for dom0's reach at boot, so it still names {}",
                a.source,
                a.sets.frames.to_xen(Radix::Hex),
                a.sets.ports.to_xen(Radix::Hex),
                if named.is_empty() { "none of them".to_owned() } else { named.join(", ") }
            ));
            if !other.0.is_empty() || !other.1.is_empty() {
                notes.push(format!(
                    "absent but named by no rule of the plan (a model difference, or given up by hand): I/O Memory {}, I/O Ports {}; see `dom0scope verify`",
                    other.0.to_xen(Radix::Hex),
                    other.1.to_xen(Radix::Hex)
                ));
            }
        }
        let residual = residual(cx, &revoke);
        let closed: Vec<String> = residual
            .as_ref()
            .map(|r| r.closed.iter().map(|f| f.id.clone()).collect())
            .unwrap_or_default();
        // A range closes a rule only if the what-if shows it closed; otherwise it narrows it.
        for r in &mut revoke {
            let planned = r.status == Status::Planned;
            let (c, n): (Vec<String>, Vec<String>) = r
                .closes
                .drain(..)
                .partition(|id| planned && closed.contains(id));
            r.closes = c;
            r.narrows = n;
        }
        Plan {
            schema: SCHEMA.into(),
            host: cx.host.clone(),
            snapshot: cx.snapshot.clone(),
            xen_version: xen_version(cx.analysis.facts()),
            dom0_mode,
            dom0_use_checked: view.is_some(),
            ranges: revoke,
            xen_changes: changes(cx.analysis.verdict(), &closed, true),
            other_changes: changes(cx.analysis.verdict(), &closed, false),
            residual,
            notes,
        }
    }
}

fn xen_version(facts: &Facts) -> Option<String> {
    let v = facts.xen.as_ref()?.version.as_ref()?;
    Some(format!("{}.{}{}", v.major, v.minor, v.extra))
}

//! What only one side's dom0 reaches, by Xen's own rangesets (the last debug-key `q` dump of
//! domain 0), each range named by the owners the holding side's inventory gives it.
//!
//! A range one side lacks is marked `given_up_after_boot` when that side's model prediction
//! (what Xen's `dom0_setup_permissions()` grants at boot, the prediction `verify` checks)
//! holds it: Xen granted it at boot and dom0 gave it up later, as `enforce` does. Otherwise
//! that side's Xen never granted it (another release, dom0 mode, command line or machine).

use std::ops::RangeInclusive;

use dom0scope_engine::Analysis;
use dom0scope_facts::Evidence;
use dom0scope_inventory::Inventory;
use dom0scope_ranges::{RangeInt, RangeSet, bytes_of_frames};
use dom0scope_reach::verify::Set;
use dom0scope_reach::{Observed, Prediction};
use dom0scope_verdict::Verdict;
use serde::Serialize;

use crate::Which;

/// An owner's part of a range: bytes for I/O Memory, ports for I/O Ports.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerPart {
    /// First byte (I/O Memory) or port (I/O Ports).
    pub start: u64,
    /// Last, inclusive.
    pub end: u64,
    /// The owner as reports name it (`Xen AP trampoline`, `ACPI SMI_CMD`).
    pub owner: String,
    /// The owner's kind (the inventory's `owner` tag, e.g. `xen_trampoline`): a stable key
    /// for colouring and grouping.
    pub class: String,
    /// The line or table bytes the owner was read from.
    pub source: Option<Evidence>,
}

/// A range only one side's dom0 reaches.
#[derive(Debug, Clone, Serialize)]
pub struct RangeChange {
    /// Which rangeset.
    pub set: Set,
    /// The range as Xen's dump writes it: hex frames or ports, decimal IRQs.
    pub range: String,
    /// First frame, port or IRQ.
    pub first: u64,
    /// Last, inclusive.
    pub last: u64,
    /// How many frames, ports or IRQs.
    pub count: u64,
    /// The side whose dom0 reaches it.
    pub held_by: Which,
    /// The other side's Xen granted it at boot (its model says so) and dom0 gave it up later;
    /// false: that Xen never granted it; null: that side has no model prediction.
    pub given_up_after_boot: Option<bool>,
    /// Who owns it, by the holding side's inventory (empty for IRQs).
    pub owners: Vec<OwnerPart>,
    /// The holding side's findings whose frames overlap it.
    pub findings: Vec<String>,
}

/// Per rangeset, how much only one side reaches.
#[derive(Debug, Clone, Serialize)]
pub struct SetTotal {
    /// Which rangeset.
    pub set: Set,
    /// Frames, ports or IRQs only A's dom0 reaches.
    pub only_a: u64,
    /// Only B's.
    pub only_b: u64,
}

/// The rangesets compared.
#[derive(Debug, Clone, Serialize)]
pub struct Rangesets {
    /// Both snapshots hold Xen's rangesets for dom0 (else nothing below is compared).
    pub compared: bool,
    /// Totals for each rangeset both sides hold.
    pub totals: Vec<SetTotal>,
    /// Every range only one side reaches, by set, then address.
    pub changes: Vec<RangeChange>,
    /// What could not be compared, and why.
    pub notes: Vec<String>,
}

/// One side's view, for naming what it alone reaches.
struct Holder<'a> {
    which: Which,
    observed: &'a Observed,
    predicted: Option<&'a Prediction>,
    inventory: &'a Inventory,
    verdict: &'a Verdict,
}

impl Rangesets {
    /// Compares A's rangesets with B's.
    pub(crate) fn between(a: &Analysis, b: &Analysis) -> Rangesets {
        let mut notes = Vec::new();
        let (ra, rb) = (a.reach(), b.reach());
        let (Some(oa), Some(ob)) = (ra.observed(), rb.observed()) else {
            for (w, r) in [(Which::A, ra), (Which::B, rb)] {
                if r.observed().is_none() {
                    notes.push(format!(
                        "{} has no rangesets for dom0 (no debug-key 'q' dump of domain 0): \
                         reach not compared",
                        w.label()
                    ));
                }
            }
            return Rangesets {
                compared: false,
                totals: Vec::new(),
                changes: Vec::new(),
                notes,
            };
        };
        let (ha, hb) = (Holder::of(Which::A, a, oa), Holder::of(Which::B, b, ob));
        let mut out = Rangesets {
            compared: true,
            totals: Vec::new(),
            changes: Vec::new(),
            notes,
        };
        out.compare(Set::IoMemory, (&ha, &hb), |o| Some(&o.iomem), |p| &p.iomem);
        out.compare(
            Set::IoPorts,
            (&ha, &hb),
            |o| o.ioports.as_ref(),
            |p| &p.ioports,
        );
        out.compare(
            Set::Interrupts,
            (&ha, &hb),
            |o| o.irqs.as_ref(),
            |p| &p.irqs,
        );
        out
    }

    /// Compares one rangeset, `get` from the dumps and `predicted` from the predictions.
    fn compare<T: RangeInt + Into<u64>>(
        &mut self,
        set: Set,
        (ha, hb): (&Holder<'_>, &Holder<'_>),
        get: fn(&Observed) -> Option<&RangeSet<T>>,
        predicted: fn(&Prediction) -> &RangeSet<T>,
    ) {
        let (Some(a), Some(b)) = (get(ha.observed), get(hb.observed)) else {
            let lacking: Vec<&str> = [ha, hb]
                .iter()
                .filter(|h| get(h.observed).is_none())
                .map(|h| h.which.label())
                .collect();
            self.notes.push(format!(
                "{}'s dump has no {} rangeset: not compared",
                lacking.join(" and "),
                set.label()
            ));
            return;
        };
        let (only_a, only_b) = (a.difference(b), b.difference(a));
        self.totals.push(SetTotal {
            set,
            only_a: count(&only_a),
            only_b: count(&only_b),
        });
        let mut changes = Vec::new();
        // What one side alone holds, the other lacks: the other's prediction says whether its
        // Xen granted it at boot.
        for (only, holder, lacking) in [(&only_a, ha, hb), (&only_b, hb, ha)] {
            let parts: Vec<(RangeSet<T>, Option<bool>)> = match lacking.predicted.map(predicted) {
                Some(p) => vec![
                    (only.intersection(p), Some(true)),
                    (only.difference(p), Some(false)),
                ],
                None => vec![(only.clone(), None)],
            };
            for (part, given_up) in parts {
                for r in part.ranges() {
                    let (first, last): (u64, u64) = ((*r.start()).into(), (*r.end()).into());
                    changes.push(holder.change(set, first..=last, given_up));
                }
            }
        }
        changes.sort_by_key(|c| (c.first, c.held_by == Which::B));
        self.changes.extend(changes);
    }
}

fn count<T: RangeInt>(s: &RangeSet<T>) -> u64 {
    u64::try_from(s.count()).unwrap_or(u64::MAX)
}

impl<'a> Holder<'a> {
    fn of(which: Which, analysis: &'a Analysis, observed: &'a Observed) -> Holder<'a> {
        Holder {
            which,
            observed,
            predicted: analysis.reach().predicted(),
            inventory: analysis.inventory(),
            verdict: analysis.verdict(),
        }
    }

    fn change(&self, set: Set, r: RangeInclusive<u64>, given_up: Option<bool>) -> RangeChange {
        let (first, last) = (*r.start(), *r.end());
        let range = match (set, first == last) {
            (Set::Interrupts, true) => format!("{first}"),
            (Set::Interrupts, false) => format!("{first}-{last}"),
            (_, true) => format!("{first:x}"),
            (_, false) => format!("{first:x}-{last:x}"),
        };
        let (owners, findings) = match set {
            Set::IoMemory => (self.memory_owners(r.clone()), self.findings_on(r)),
            Set::IoPorts => (self.port_owners(first, last), Vec::new()),
            Set::Interrupts => (Vec::new(), Vec::new()),
        };
        RangeChange {
            set,
            range,
            first,
            last,
            count: last - first + 1,
            held_by: self.which,
            given_up_after_boot: given_up,
            owners,
            findings,
        }
    }

    fn memory_owners(&self, frames: RangeInclusive<u64>) -> Vec<OwnerPart> {
        let bytes = bytes_of_frames(frames);
        self.inventory
            .overlapping(*bytes.start(), *bytes.end())
            .map(|region| OwnerPart {
                start: region.start.max(*bytes.start()),
                end: region.end.min(*bytes.end()),
                owner: region.owner.label(),
                class: class(&region.owner),
                source: region.source.clone(),
            })
            .collect()
    }

    fn port_owners(&self, first: u64, last: u64) -> Vec<OwnerPart> {
        let (Ok(first), Ok(last)) = (u16::try_from(first), u16::try_from(last)) else {
            return Vec::new();
        };
        self.inventory
            .ports_overlapping(first, last)
            .map(|region| OwnerPart {
                start: region.start.max(first).into(),
                end: region.end.min(last).into(),
                owner: region.owner.label(),
                class: class(&region.owner),
                source: region.source.clone(),
            })
            .collect()
    }

    fn findings_on(&self, frames: RangeInclusive<u64>) -> Vec<String> {
        self.verdict
            .findings
            .iter()
            .filter(|f| {
                f.frames
                    .iter()
                    .any(|r| r.first_frame <= *frames.end() && *frames.start() <= r.last_frame)
            })
            .map(|f| f.id.clone())
            .collect()
    }
}

/// The owner's `owner` tag as the inventory serialises it: one key per kind of owner, kept in
/// step with the inventory's own JSON rather than a second list here.
fn class<T: Serialize>(owner: &T) -> String {
    serde_json::to_value(owner)
        .ok()
        .and_then(|v| v.get("owner")?.as_str().map(str::to_owned))
        .unwrap_or_default()
}

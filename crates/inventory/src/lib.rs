//! The inventory stage: every byte of physical address space with an owner and
//! the artifact line that says so. This slice knows what the firmware memory map
//! (E820, as Xen printed it) says; ACPI tables, PCI BARs and platform devices
//! refine it in later slices. Gaps are kept as explicit holes, never dropped.

use dom0scope_facts::evidence::hex;
use dom0scope_facts::xenlog::E820Kind;
use dom0scope_facts::{Evidence, Facts};
use serde::Serialize;

/// x86-64's architectural maximum; used when the snapshot does not say the CPU's width.
pub const MAX_PHYS_BITS: u8 = 52;

/// Who or what owns a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "owner", rename_all = "snake_case")]
pub enum Owner {
    /// What the E820 map says lies there.
    E820 { kind: E820Kind },
    /// Not described by the E820 map (MMIO, or nothing).
    Hole,
}

impl Owner {
    /// Short label for reports.
    pub fn label(&self) -> String {
        match self {
            Owner::E820 { kind } => match kind {
                E820Kind::Usable => "usable RAM (E820)".into(),
                E820Kind::Reserved => "reserved (E820)".into(),
                E820Kind::AcpiData => "ACPI data (E820)".into(),
                E820Kind::AcpiNvs => "ACPI NVS (E820)".into(),
                E820Kind::Unusable => "unusable (E820)".into(),
                E820Kind::Other(n) => format!("E820 type {n}"),
            },
            Owner::Hole => "hole (not in E820)".into(),
        }
    }
}

/// One byte range with its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    #[serde(serialize_with = "hex::u64")]
    pub start: u64,
    /// Inclusive.
    #[serde(serialize_with = "hex::u64")]
    pub end: u64,
    pub owner: Owner,
    /// The line that says so; None for holes.
    pub source: Option<Evidence>,
}

/// The owner-tagged map of the physical address space.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    /// Sorted, non-overlapping, covering `0..=top`.
    pub regions: Vec<Region>,
    /// Physical address width the map covers.
    pub phys_bits: u8,
    /// True when `phys_bits` is an assumption, not read from the snapshot.
    pub phys_bits_assumed: bool,
    /// Facts the inventory could not use, and why.
    pub notes: Vec<String>,
}

impl Inventory {
    /// Builds the map from parsed facts.
    pub fn build(facts: &Facts) -> Inventory {
        let known = facts.cpuinfo.as_ref().and_then(|c| c.phys_bits);
        let phys_bits = known.unwrap_or(MAX_PHYS_BITS).min(MAX_PHYS_BITS);
        let top = (1u64 << phys_bits) - 1;
        let mut notes = Vec::new();
        if known.is_none() {
            notes.push(format!(
                "physical address width not in the snapshot; the map covers {phys_bits} bits (x86-64 maximum)"
            ));
        }
        let mut entries: Vec<Region> = Vec::new();
        match facts
            .xen
            .as_ref()
            .and_then(|x| x.e820.as_ref().map(|m| (x, m)))
        {
            Some((log, map)) => {
                for e in &map.entries {
                    if e.start > top {
                        continue;
                    }
                    entries.push(Region {
                        start: e.start,
                        end: e.end.min(top),
                        owner: Owner::E820 { kind: e.kind },
                        source: Some(log.evidence(e.line)),
                    });
                }
            }
            None => notes.push("no E820 map in the snapshot: every range is a hole".into()),
        }
        entries.sort_by_key(|r| (r.start, r.end));
        let regions = fill_holes(resolve_overlaps(entries, &mut notes), top);
        Inventory {
            regions,
            phys_bits,
            phys_bits_assumed: known.is_none(),
            notes,
        }
    }

    /// Regions overlapping the inclusive byte range `[start, end]`.
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Region> {
        let first = self.regions.partition_point(|r| r.end < start);
        self.regions[first..]
            .iter()
            .take_while(move |r| r.start <= end)
    }
}

/// E820 maps from firmware can overlap; the earlier-starting entry keeps the
/// shared bytes and the overlap is reported.
fn resolve_overlaps(sorted: Vec<Region>, notes: &mut Vec<String>) -> Vec<Region> {
    let mut out: Vec<Region> = Vec::with_capacity(sorted.len());
    for mut r in sorted {
        if let Some(prev) = out.last()
            && r.start <= prev.end
        {
            notes.push(format!(
                "E820 entries overlap at {:#x}-{:#x}; the earlier entry is kept there",
                r.start,
                prev.end.min(r.end)
            ));
            if r.end <= prev.end {
                continue;
            }
            r.start = prev.end + 1;
        }
        out.push(r);
    }
    out
}

fn fill_holes(sorted: Vec<Region>, top: u64) -> Vec<Region> {
    let mut out = Vec::with_capacity(sorted.len() * 2 + 1);
    let mut next = 0u64;
    let mut done = false;
    for r in sorted {
        if r.start > next {
            out.push(hole(next, r.start - 1));
        }
        next = r.end.wrapping_add(1);
        done = r.end == u64::MAX || r.end >= top;
        out.push(r);
        if done {
            break;
        }
    }
    if !done {
        out.push(hole(next, top));
    }
    out
}

fn hole(start: u64, end: u64) -> Region {
    Region {
        start,
        end,
        owner: Owner::Hole,
        source: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_fill_gaps_and_overlaps_are_reported() {
        let log = dom0scope_facts::xenlog::parse(
            "t",
            b"(XEN) Xen-e820 RAM map:\n(XEN)  [0000000000000000, 000000000009fbff] (usable)\n(XEN)  [0000000000090000, 00000000000fffff] (reserved)\n(XEN)  [0000000000200000, 0000000000200fff] (ACPI NVS)\n",
        )
        .unwrap();
        let facts = Facts {
            xen: Some(log),
            acpi: None,
            cpuinfo: None,
            warnings: vec![],
        };
        let inv = Inventory::build(&facts);
        let got: Vec<_> = inv
            .regions
            .iter()
            .map(|r| (r.start, r.end, r.owner.label()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, 0x9fbff, "usable RAM (E820)".to_string()),
                (0x9fc00, 0xfffff, "reserved (E820)".to_string()),
                (0x100000, 0x1fffff, "hole (not in E820)".to_string()),
                (0x200000, 0x200fff, "ACPI NVS (E820)".to_string()),
                (0x201000, (1 << 52) - 1, "hole (not in E820)".to_string()),
            ]
        );
        assert!(inv.notes.iter().any(|n| n.contains("overlap")));
        assert_eq!(inv.regions[0].source.as_ref().unwrap().line, 2);
        assert_eq!(inv.overlapping(0x9f000, 0x9ffff).count(), 2);
    }
}

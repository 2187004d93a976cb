//! Disagreements between sources that are cheap to see, reported as notes:
//! each is either a firmware bug that matters to what dom0 reaches, or a sign
//! that one artifact does not describe the machine the others describe.

use dom0scope_facts::Facts;
use dom0scope_facts::pci::config;
use dom0scope_facts::xenlog::E820Kind;

use crate::claims::Claim;
use crate::{Owner, Region};

/// Every check; `regions` is the finished map, `claims` what went into it.
pub(crate) fn run(facts: &Facts, claims: &[Claim], regions: &[Region], notes: &mut Vec<String>) {
    dma_ranges_reserved(facts, claims, regions, notes);
    bars_match_config(facts, notes);
    drhd_sources_agree(facts, notes);
}

/// VT-d spec §8.4 (and the AMD IOMMU spec for IVMD): firmware must report
/// RMRR memory as reserved in the memory map, or the OS may hand out memory
/// a device keeps DMA-ing into.
fn dma_ranges_reserved(
    facts: &Facts,
    claims: &[Claim],
    regions: &[Region],
    notes: &mut Vec<String>,
) {
    if facts.xen.as_ref().is_none_or(|x| x.e820.is_none()) {
        return;
    }
    for c in claims {
        let what = match &c.owner {
            Owner::Rmrr { .. } => "RMRR",
            Owner::Ivmd { .. } => "IVMD",
            _ => continue,
        };
        let label = c.owner.label();
        let mut usable = false;
        let mut undescribed = false;
        let first = regions.partition_point(|r| r.end < c.start);
        for r in regions[first..].iter().take_while(|r| r.start <= c.end) {
            let e820 = match &r.owner {
                Owner::E820 { kind } => Some(*kind),
                _ => r.e820,
            };
            match e820 {
                Some(E820Kind::Usable) => usable = true,
                None if !matches!(
                    r.owner,
                    Owner::EfiRuntimeCode | Owner::EfiRuntimeData { .. }
                ) =>
                {
                    undescribed = true;
                }
                _ => {}
            }
        }
        let at = format!("{:#x}-{:#x}", c.start, c.end);
        if usable {
            notes.push(format!(
                "{what} {at} ({label}, {}) overlaps memory the E820 map calls usable RAM: the firmware must reserve it",
                c.source
            ));
        } else if undescribed {
            notes.push(format!(
                "{what} {at} ({label}, {}) is not reserved in the E820 map",
                c.source
            ));
        }
    }
}

/// The kernel's `resource` file and the BAR registers in the captured config
/// space should give the same base; a difference means the dump and the
/// kernel's view were taken of different states.
fn bars_match_config(facts: &Facts, notes: &mut Vec<String>) {
    for f in &facts.pci {
        if f.config.len() < 0x40 {
            continue;
        }
        for bar in config::bars(&f.config) {
            let Some(r) = f.resources.iter().find(|r| r.index == bar.index) else {
                continue;
            };
            if r.io != bar.io || r.start != bar.base {
                notes.push(format!(
                    "PCI {} BAR{}: config space says {} {:#x} but pci/{}/resource:{} says {:#x}",
                    f.sbdf,
                    bar.index,
                    if bar.io { "I/O" } else { "memory" },
                    bar.base,
                    f.sbdf,
                    r.line,
                    r.start
                ));
            }
        }
    }
}

/// The DMAR table and Xen's log should name the same remapping units.
fn drhd_sources_agree(facts: &Facts, notes: &mut Vec<String>) {
    let (Some(log), Some(dmar)) = (
        facts.xen.as_ref(),
        facts.acpi.as_ref().and_then(|a| a.dmar.as_ref()),
    ) else {
        return;
    };
    if log.iommu.vtd_drhd.is_empty() {
        return;
    }
    for u in &dmar.drhd {
        if !log.iommu.vtd_drhd.iter().any(|d| d.value == u.base) {
            notes.push(format!(
                "{}: DRHD at byte {:#x} names registers at {:#x}, which Xen's log does not list",
                dmar.artifact, u.offset, u.base
            ));
        }
    }
    for d in &log.iommu.vtd_drhd {
        if !dmar.drhd.iter().any(|u| u.base == d.value) {
            notes.push(format!(
                "{}:{}: Xen lists a VT-d unit at {:#x} that {} does not",
                log.artifact, d.line, d.value, dmar.artifact
            ));
        }
    }
}

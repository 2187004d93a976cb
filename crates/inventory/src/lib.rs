//! The inventory stage: every byte of physical address space with an owner and
//! the artifact line or table offset that says so. Sources: the E820 and EFI
//! memory maps and the platform lines of Xen's log, the ACPI tables of a full
//! snapshot (including DMAR RMRRs, IVRS IVMDs and the TPM2 table), PCI BARs
//! and the chipset registers in captured config space, and dom0's /proc/iomem
//! where the log lacks an E820 map. Where sources overlap, a documented
//! precedence decides ([`Owner`]: device registers over firmware ranges over
//! E820 types), and disagreements between sources become notes. Gaps are kept
//! as unclaimed holes, never dropped.

mod checks;
mod chipset;
mod claims;
mod devices;
mod firmware;
mod owner;
mod ports;

use dom0scope_facts::evidence::hex;
use dom0scope_facts::xenlog::E820Kind;
use dom0scope_facts::{Evidence, Facts};
use dom0scope_ranges::FrameSet;
use dom0scope_ranges::frame_of;
use serde::Serialize;

pub use devices::Device;
pub use owner::Owner;
pub use ports::{PortOwner, PortRegion};

/// x86-64's architectural maximum; used when the snapshot does not say the CPU's width.
pub const MAX_PHYS_BITS: u8 = 52;

/// One byte range with its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    /// First byte of the range.
    #[serde(serialize_with = "hex::u64")]
    pub start: u64,
    /// Inclusive.
    #[serde(serialize_with = "hex::u64")]
    pub end: u64,
    /// Who or what owns it (the highest-precedence claim).
    pub owner: Owner,
    /// The line that says so; None for holes.
    pub source: Option<Evidence>,
    /// What the E820 map says of the same bytes, when a more specific owner won.
    pub e820: Option<E820Kind>,
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
    /// Every I/O port, 0..=0xffff, with an owner.
    pub ports: Vec<PortRegion>,
    /// The PCI functions the snapshot shows, with display names.
    pub devices: Vec<Device>,
    /// Facts the inventory could not use, disagreements between sources.
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
        if facts.xen.as_ref().is_none_or(|x| x.e820.is_none()) {
            notes.push("no E820 map in the snapshot: RAM and holes are not told apart".into());
        }
        let claims = claims::gather(facts);
        let regions = sweep(&claims, top, &mut notes);
        checks::run(facts, &claims, &regions, &mut notes);
        Inventory {
            regions,
            ports: ports::build(facts),
            devices: facts.pci.iter().map(Device::of).collect(),
            phys_bits,
            phys_bits_assumed: known.is_none(),
            notes,
        }
    }

    /// Port regions overlapping `[start, end]`.
    pub fn ports_overlapping(&self, start: u16, end: u16) -> impl Iterator<Item = &PortRegion> {
        let first = self.ports.partition_point(|r| r.end < start);
        self.ports[first..]
            .iter()
            .take_while(move |r| r.start <= end)
    }

    /// The PCI function `sbdf`, when the snapshot shows it.
    pub fn device(&self, sbdf: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.sbdf == sbdf)
    }

    /// Bytes of unclaimed holes inside `frames` (e.g. dom0's I/O Memory
    /// rangeset): only whole frames inside a hole count, so a frame shared
    /// with a named owner is not counted as unclaimed. Saturates at u64::MAX.
    pub fn unclaimed_bytes_in(&self, frames: &FrameSet) -> u64 {
        let mut total = 0u128;
        for r in self.regions.iter().filter(|r| r.owner == Owner::Hole) {
            let first = r.start.div_ceil(4096);
            let Some(last) = frame_of(r.end.wrapping_add(1)).checked_sub(1) else {
                continue;
            };
            if first <= last {
                total += frames.intersect_range(first..=last).count() * 4096;
            }
        }
        u64::try_from(total).unwrap_or(u64::MAX)
    }

    /// Regions overlapping the inclusive byte range `[start, end]`.
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Region> {
        let first = self.regions.partition_point(|r| r.end < start);
        self.regions[first..]
            .iter()
            .take_while(move |r| r.start <= end)
    }
}

/// A byte count for people: 4 KiB, 1.5 MiB, 256 MiB (one decimal when not whole).
pub fn human_size(size: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = size as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Splits the address space at every claim boundary and gives each piece to
/// its highest-precedence claim; merges neighbours with the same owner and source.
fn sweep(claims: &[claims::Claim], top: u64, notes: &mut Vec<String>) -> Vec<Region> {
    let mut cuts: Vec<u128> = vec![0, u128::from(top) + 1];
    for c in claims.iter().filter(|c| c.start <= top) {
        cuts.push(u128::from(c.start));
        cuts.push(u128::from(c.end.min(top)) + 1);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut by_start: Vec<&claims::Claim> = claims.iter().filter(|c| c.start <= top).collect();
    by_start.sort_by_key(|c| c.start);
    let mut next = 0;
    let mut active: Vec<&claims::Claim> = Vec::new();
    let mut out: Vec<Region> = Vec::new();
    let mut reported = std::collections::BTreeSet::new();
    for w in cuts.windows(2) {
        let (s, e) = (w[0] as u64, (w[1] - 1) as u64);
        while next < by_start.len() && by_start[next].start <= s {
            active.push(by_start[next]);
            next += 1;
        }
        active.retain(|c| c.end >= s);
        let best = active
            .iter()
            .copied()
            .max_by_key(|c| (c.owner.precedence(), std::cmp::Reverse(c.start)));
        let e820 = active.iter().find_map(|c| match c.owner {
            Owner::E820 { kind } => Some(kind),
            _ => None,
        });
        let (owner, source) = match best {
            Some(c) => (c.owner.clone(), Some(c.source.clone())),
            None => (Owner::Hole, None),
        };
        if owner.is_device() && e820 == Some(E820Kind::Usable) && reported.insert(owner.label()) {
            notes.push(format!(
                "{} at {s:#x} lies in a range the E820 map calls usable RAM",
                owner.label()
            ));
        }
        let e820 = if matches!(owner, Owner::E820 { .. }) {
            None
        } else {
            e820
        };
        if let Some(last) = out.last_mut()
            && last.owner == owner
            && last.source == source
            && last.e820 == e820
            && last.end.wrapping_add(1) == s
        {
            last.end = e;
            continue;
        }
        out.push(Region {
            start: s,
            end: e,
            owner,
            source,
            e820,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(log: &str) -> Inventory {
        let facts = Facts {
            xen: Some(dom0scope_facts::xenlog::parse("t", log.as_bytes()).unwrap()),
            acpi: None,
            cpuinfo: None,
            pci: vec![],
            dom0: None,
            warnings: vec![],
            identity: Default::default(),
        };
        Inventory::build(&facts)
    }

    #[test]
    fn devices_win_over_e820_and_holes_fill_gaps() {
        let i = inv("(XEN) Xen-e820 RAM map:\n\
             (XEN)  [0000000000000000, 000000000009fbff] (usable)\n\
             (XEN)  [0000000000090000, 00000000000fffff] (reserved)\n\
             (XEN)  [0000000000200000, 0000000000200fff] (ACPI NVS)\n\
             (XEN) ACPI: FACS 00200100, 0040\n\
             (XEN) ACPI: HPET id: 0x8086a201 base: 0x300000\n");
        let got: Vec<_> = i
            .regions
            .iter()
            .map(|r| (r.start, r.end, r.owner.label()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, 0x4ff, "real-mode IVT and BIOS data area".to_string()),
                (0x500, 0x8efff, "RAM, owner unknown".to_string()),
                // Located as Xen places it: 64 KiB below the EBDA at 0x9fc00.
                (0x8f000, 0x90fff, "Xen AP trampoline".to_string()),
                (0x91000, 0x9fbff, "RAM, owner unknown".to_string()),
                (0x9fc00, 0x9ffff, "reserved (E820)".to_string()),
                (0xa0000, 0xbffff, "legacy VGA window".to_string()),
                (0xc0000, 0xdffff, "option ROM area".to_string()),
                (0xe0000, 0xfffff, "system BIOS area".to_string()),
                (0x100000, 0x1fffff, "hole (unclaimed)".to_string()),
                (0x200000, 0x2000ff, "ACPI NVS (E820)".to_string()),
                (0x200100, 0x20013f, "ACPI FACS (waking vector)".to_string()),
                (0x200140, 0x200fff, "ACPI NVS (E820)".to_string()),
                (0x201000, 0x2fffff, "hole (unclaimed)".to_string()),
                (0x300000, 0x3003ff, "HPET".to_string()),
                (0x300400, 0xfedfffff, "hole (unclaimed)".to_string()),
                (0xfee00000, 0xfeefffff, "MSI address window".to_string()),
                (0xfef00000, (1 << 52) - 1, "hole (unclaimed)".to_string()),
            ]
        );
        assert_eq!(i.regions[2].e820, Some(E820Kind::Usable));
        assert_eq!(i.regions[5].e820, Some(E820Kind::Reserved));
        assert_eq!(i.regions[10].e820, Some(E820Kind::AcpiNvs));
        assert_eq!(i.overlapping(0x9f000, 0x9ffff).count(), 2);
    }

    #[test]
    fn a_device_inside_usable_ram_is_reported() {
        let i = inv(
            "(XEN) Xen-e820 RAM map:\n(XEN)  [0000000000000000, 00000000ffffffff] (usable)\n(XEN) ACPI: HPET id: 0x1 base: 0xfed00000\n",
        );
        assert!(i.notes.iter().any(|n| {
            n.contains("HPET at 0xfed00000 lies in a range the E820 map calls usable RAM")
        }));
    }
}

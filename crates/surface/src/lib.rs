//! The surface stage: dom0's reach joined with the inventory, so "dom0 may map
//! frames 0-fedff" becomes "dom0 may map this usable RAM, that reserved range …".
//! Access is per 4 KiB frame: an owner sharing a frame with another is listed
//! with it, since access to a frame is access to every byte in it.

use dom0scope_facts::Evidence;
use dom0scope_facts::evidence::hex;
use dom0scope_inventory::{Inventory, Owner, PortOwner};
use dom0scope_ranges::{FrameRange, PortSet, bytes_of_frames, frame_of};
use dom0scope_reach::Reach;
use serde::Serialize;

/// One stretch of dom0-reachable frames with a single owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemoryEntry {
    /// The frames of the stretch, and the owner's bytes inside them (inclusive).
    #[serde(flatten)]
    pub frames: FrameRange,
    /// Who holds those bytes.
    pub owner: Owner,
    /// The log line or table bytes the owner was read from, when known.
    pub owner_source: Option<Evidence>,
}

/// A stretch of dom0-reachable ports with one owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortEntry {
    /// First port (inclusive).
    pub start: u16,
    /// Last port (inclusive).
    pub end: u16,
    /// Who the inventory says holds those ports (a FADT block, a PCI I/O BAR, …).
    pub owner: PortOwner,
    /// The log line or table bytes the owner was read from, when known.
    pub owner_source: Option<Evidence>,
}

/// Every range dom0 can touch, named by owner.
#[derive(Debug, Clone, Serialize)]
pub struct Surface {
    reach: Reach,
    /// Empty when the observed reach is unknown.
    memory: Vec<MemoryEntry>,
    #[serde(serialize_with = "hex::opt_set")]
    ports: Option<PortSet>,
    /// dom0-reachable ports by owner (empty when the observed reach is unknown).
    port_entries: Vec<PortEntry>,
    inventory_notes: Vec<String>,
    /// The inventory knows where the FACS is.
    facs_known: bool,
    /// Xen was booted through UEFI.
    efi_boot: bool,
    /// The snapshot shows the EFI memory map (so runtime regions are known).
    efi_map_known: bool,
    /// `efi=no-rs` (or equivalent) is on Xen's command line.
    efi_runtime_disabled: bool,
}

impl Surface {
    /// Joins reach and inventory.
    pub fn join(reach: Reach, inventory: &Inventory) -> Surface {
        let mut memory = Vec::new();
        if let Some(obs) = reach.observed() {
            for frames in obs.iomem.ranges() {
                let bytes = bytes_of_frames(frames.clone());
                for region in inventory.overlapping(*bytes.start(), *bytes.end()) {
                    let start = region.start.max(*bytes.start());
                    let end = region.end.min(*bytes.end());
                    memory.push(MemoryEntry {
                        frames: FrameRange {
                            first_frame: frame_of(start),
                            last_frame: frame_of(end),
                            start,
                            end,
                        },
                        owner: region.owner.clone(),
                        owner_source: region.source.clone(),
                    });
                }
            }
        }
        let ports = reach.observed().and_then(|o| o.ioports.clone());
        let mut port_entries = Vec::new();
        if let Some(p) = &ports {
            for r in p.ranges() {
                for region in inventory.ports_overlapping(*r.start(), *r.end()) {
                    port_entries.push(PortEntry {
                        start: region.start.max(*r.start()),
                        end: region.end.min(*r.end()),
                        owner: region.owner.clone(),
                        owner_source: region.source.clone(),
                    });
                }
            }
        }
        let (efi_boot, efi_map_known, efi_runtime_disabled) = match reach.predicted() {
            Some(p) => {
                let c = &p.input.cmdline;
                let no_rs = c.items("efi").iter().any(|o| *o == "no-rs" || *o == "rs=0")
                    || c.value("noefi").is_some();
                (p.input.efi_boot, p.input.efi_map_known, no_rs)
            }
            None => (false, false, false),
        };
        Surface {
            reach,
            memory,
            ports,
            port_entries,
            inventory_notes: inventory.notes.clone(),
            facs_known: inventory.regions.iter().any(|r| r.owner == Owner::Facs),
            efi_boot,
            efi_map_known,
            efi_runtime_disabled,
        }
    }

    /// dom0's reach the surface was joined from.
    pub fn reach(&self) -> &Reach {
        &self.reach
    }

    /// Every dom0-reachable stretch of frames, by owner (empty when the observed reach is
    /// unknown).
    pub fn memory(&self) -> &[MemoryEntry] {
        &self.memory
    }

    /// dom0's I/O ports (None when the observed reach is unknown).
    pub fn ports(&self) -> Option<&PortSet> {
        self.ports.as_ref()
    }

    /// dom0-reachable ports by owner.
    pub fn port_entries(&self) -> &[PortEntry] {
        &self.port_entries
    }

    /// The inventory's notes (source disagreements, unknowns).
    pub fn inventory_notes(&self) -> &[String] {
        &self.inventory_notes
    }

    /// The inventory knows where the FACS is.
    pub fn facs_known(&self) -> bool {
        self.facs_known
    }

    /// Xen was booted through UEFI.
    pub fn efi_boot(&self) -> bool {
        self.efi_boot
    }

    /// The snapshot shows the EFI memory map (so runtime regions are known).
    pub fn efi_map_known(&self) -> bool {
        self.efi_map_known
    }

    /// `efi=no-rs` (or equivalent) is on Xen's command line.
    pub fn efi_runtime_disabled(&self) -> bool {
        self.efi_runtime_disabled
    }

    /// Reachable port entries owned as `pred` says.
    pub fn ports_where(
        &self,
        pred: impl Fn(&PortOwner) -> bool,
    ) -> impl Iterator<Item = &PortEntry> {
        self.port_entries.iter().filter(move |p| pred(&p.owner))
    }

    /// Reachable entries overlapping the inclusive byte range.
    pub fn memory_in(&self, start: u64, end: u64) -> impl Iterator<Item = &MemoryEntry> {
        self.memory
            .iter()
            .filter(move |m| m.frames.start <= end && m.frames.end >= start)
    }
}

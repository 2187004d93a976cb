//! The surface stage: dom0's reach joined with the inventory, so "dom0 may map
//! frames 0-fedff" becomes "dom0 may map this usable RAM, that reserved range …".
//! Access is per 4 KiB frame: an owner sharing a frame with another is listed
//! with it, since access to a frame is access to every byte in it.

use dom0scope_facts::Evidence;
use dom0scope_facts::evidence::hex;
use dom0scope_inventory::{Inventory, Owner, PortOwner};
use dom0scope_ranges::{PortSet, bytes_of_frames};
use dom0scope_reach::Reach;
use serde::Serialize;

/// One stretch of dom0-reachable frames with a single owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemoryEntry {
    #[serde(serialize_with = "hex::u64")]
    pub first_frame: u64,
    #[serde(serialize_with = "hex::u64")]
    pub last_frame: u64,
    /// The owner's bytes inside those frames (inclusive).
    #[serde(serialize_with = "hex::u64")]
    pub start: u64,
    #[serde(serialize_with = "hex::u64")]
    pub end: u64,
    pub owner: Owner,
    pub owner_source: Option<Evidence>,
}

/// A stretch of dom0-reachable ports with one owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortEntry {
    pub start: u16,
    pub end: u16,
    pub owner: PortOwner,
    pub owner_source: Option<Evidence>,
}

/// Every range dom0 can touch, named by owner.
#[derive(Debug, Clone, Serialize)]
pub struct Surface {
    pub reach: Reach,
    /// Empty when the observed reach is unknown.
    pub memory: Vec<MemoryEntry>,
    #[serde(serialize_with = "hex::opt_set")]
    pub ports: Option<PortSet>,
    /// dom0-reachable ports by owner (empty when the observed reach is unknown).
    pub port_entries: Vec<PortEntry>,
    pub inventory_notes: Vec<String>,
    /// The inventory knows where the FACS is.
    pub facs_known: bool,
    /// Xen was booted through UEFI.
    pub efi_boot: bool,
    /// The snapshot shows the EFI memory map (so runtime regions are known).
    pub efi_map_known: bool,
    /// `efi=no-rs` (or equivalent) is on Xen's command line.
    pub efi_runtime_disabled: bool,
}

impl Surface {
    /// Joins reach and inventory.
    pub fn join(reach: Reach, inventory: &Inventory) -> Surface {
        let mut memory = Vec::new();
        if let Some(obs) = &reach.observed {
            for frames in obs.iomem.ranges() {
                let bytes = bytes_of_frames(frames.clone());
                for region in inventory.overlapping(*bytes.start(), *bytes.end()) {
                    let start = region.start.max(*bytes.start());
                    let end = region.end.min(*bytes.end());
                    memory.push(MemoryEntry {
                        first_frame: start >> 12,
                        last_frame: end >> 12,
                        start,
                        end,
                        owner: region.owner.clone(),
                        owner_source: region.source.clone(),
                    });
                }
            }
        }
        let ports = reach.observed.as_ref().and_then(|o| o.ioports.clone());
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
        let (efi_boot, efi_map_known, efi_runtime_disabled) = match &reach.predicted {
            Some(p) => {
                let c = &p.input.cmdline;
                let no_rs = c.list("efi").iter().any(|o| *o == "no-rs" || *o == "rs=0")
                    || c.get("noefi").is_some();
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
            .filter(move |m| m.start <= end && m.end >= start)
    }
}

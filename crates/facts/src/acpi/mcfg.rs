//! PCI Express memory-mapped configuration table (PCI Firmware spec 3.3 §4.1.2):
//! one ECAM window per segment and bus range.

use serde::Serialize;

use super::{TableInfo, u8_at, u16_at, u64_at};
use crate::evidence::hex;

/// One ECAM window (a configuration space base address allocation structure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct McfgEntry {
    /// ECAM base address of the window (allocation offset 0; where bus 0 would be).
    #[serde(serialize_with = "hex::u64")]
    pub base: u64,
    /// PCI segment group (allocation offset 8).
    pub segment: u16,
    /// First bus decoded (allocation offset 10).
    pub bus_start: u8,
    /// Last bus decoded, inclusive (allocation offset 11).
    pub bus_end: u8,
    /// Byte offset of the allocation in the table, for evidence.
    pub offset: usize,
}

/// The PCI Express memory-mapped configuration table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mcfg {
    /// Artifact path inside the snapshot.
    pub artifact: String,
    /// The ECAM windows, 16 bytes each from offset 44, in table order.
    pub entries: Vec<McfgEntry>,
}

pub(crate) fn parse(info: &TableInfo, b: &[u8]) -> Result<Mcfg, String> {
    if b.len() < 44 {
        return Err(format!(
            "MCFG of {} bytes is shorter than its 44-byte header",
            b.len()
        ));
    }
    let mut entries = Vec::new();
    let mut off = 44usize;
    while off + 16 <= b.len() {
        let (Some(base), Some(segment), Some(bus_start), Some(bus_end)) = (
            u64_at(b, off),
            u16_at(b, off + 8),
            u8_at(b, off + 10),
            u8_at(b, off + 11),
        ) else {
            break;
        };
        if bus_end < bus_start {
            return Err(format!(
                "MCFG entry at byte {off}: bus range {bus_start:#x}-{bus_end:#x} is inverted"
            ));
        }
        entries.push(McfgEntry {
            base,
            segment,
            bus_start,
            bus_end,
            offset: off,
        });
        off += 16;
    }
    if off != b.len() {
        return Err(format!(
            "MCFG has {} trailing bytes after its last entry",
            b.len() - off
        ));
    }
    Ok(Mcfg {
        artifact: info.artifact.clone(),
        entries,
    })
}

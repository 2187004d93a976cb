//! PCI Express memory-mapped configuration table (PCI Firmware spec 3.3 §4.1.2):
//! one ECAM window per segment and bus range.

use serde::Serialize;

use super::{TableInfo, u8_at, u16_at, u64_at};
use crate::evidence::hex;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct McfgEntry {
    #[serde(serialize_with = "hex::u64")]
    pub base: u64,
    pub segment: u16,
    pub bus_start: u8,
    pub bus_end: u8,
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mcfg {
    pub artifact: String,
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

//! HPET description table (IA-PC HPET spec 1.0a, table 3): base address and page
//! protection, which decides whether Xen denies dom0 the HPET page or only makes
//! it read-only (`ro-hpet`).

use serde::Serialize;

use super::{TableInfo, u8_at, u32_at, u64_at};
use crate::evidence::hex;

/// The HPET description table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HpetTable {
    /// Artifact path inside the snapshot.
    pub artifact: String,
    /// Event Timer Block ID (offset 36): vendor id, comparator count and revision of the timer block.
    #[serde(serialize_with = "hex::u64")]
    pub event_timer_block_id: u64,
    /// Address space of the base (0 = memory).
    pub space: u8,
    /// Register block base address (offset 44, in the generic address at offset 40).
    #[serde(serialize_with = "hex::u64")]
    pub base: u64,
    /// HPET sequence number (offset 52).
    pub number: u8,
    /// Low nibble of the page-protection byte: 0 none, 1 = 4 KiB, 2 = 64 KiB.
    pub page_protect: u8,
    /// Byte offset of the page-protection field, for evidence.
    pub page_protect_offset: usize,
}

pub(crate) fn parse(info: &TableInfo, b: &[u8]) -> Result<HpetTable, String> {
    let short = || format!("HPET table of {} bytes is too short (needs 56)", b.len());
    Ok(HpetTable {
        artifact: info.artifact.clone(),
        event_timer_block_id: u64::from(u32_at(b, 36).ok_or_else(short)?),
        space: u8_at(b, 40).ok_or_else(short)?,
        base: u64_at(b, 44).ok_or_else(short)?,
        number: u8_at(b, 52).ok_or_else(short)?,
        page_protect: u8_at(b, 55).ok_or_else(short)? & 0xf,
        page_protect_offset: 55,
    })
}

//! DMA Remapping table (Intel VT-d spec 4.x §8): the register bases of the
//! remapping units (DRHD), which Xen takes away from dom0.

use serde::Serialize;

use super::{TableInfo, u8_at, u16_at, u64_at};
use crate::evidence::hex;

/// One remapping hardware unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drhd {
    #[serde(serialize_with = "hex::u64")]
    pub base: u64,
    pub segment: u16,
    /// INCLUDE_PCI_ALL.
    pub include_all: bool,
    /// Register set size as 2^n pages (DMAR revision ≥ … `Size` field; 0 = 4 KiB).
    pub size_pages_log2: u8,
    /// Byte offset of the structure in the table, for evidence.
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dmar {
    pub artifact: String,
    /// The signature as found (`DMAR`, or `RMAD`/`XMAR` when Xen hid it).
    pub signature: String,
    pub host_address_width: u8,
    pub flags: u8,
    pub drhd: Vec<Drhd>,
}

pub(crate) fn parse(info: &TableInfo, b: &[u8]) -> Result<Dmar, String> {
    let haw = u8_at(b, 36).ok_or("DMAR table too short for its fixed fields")?;
    let flags = u8_at(b, 37).ok_or("DMAR table too short for its fixed fields")?;
    let mut drhd = Vec::new();
    let mut off = 48usize;
    while off + 4 <= b.len() {
        let (Some(kind), Some(len)) = (u16_at(b, off), u16_at(b, off + 2)) else {
            break;
        };
        let len = usize::from(len);
        if len < 4 {
            return Err(format!(
                "remapping structure at byte {off} has length {len}"
            ));
        }
        if off + len > b.len() {
            return Err(format!(
                "remapping structure at byte {off} runs past the table end ({} > {})",
                off + len,
                b.len()
            ));
        }
        if kind == 0 {
            let base = u64_at(b, off + 8).ok_or(format!("DRHD at byte {off} is truncated"))?;
            drhd.push(Drhd {
                base,
                segment: u16_at(b, off + 6).unwrap_or(0),
                include_all: u8_at(b, off + 4).unwrap_or(0) & 1 != 0,
                size_pages_log2: u8_at(b, off + 5).unwrap_or(0) & 0xf,
                offset: off,
            });
        }
        off += len;
    }
    Ok(Dmar {
        artifact: info.artifact.clone(),
        signature: info.signature.clone(),
        host_address_width: haw.saturating_add(1),
        flags,
        drhd,
    })
}

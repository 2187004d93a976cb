//! I/O Virtualization Reporting Structure (AMD IOMMU spec rev 3.x §5.2): the
//! register base of each IOMMU (IVHD blocks of type 0x10, 0x11, 0x40), which Xen
//! takes from dom0.

use serde::Serialize;

use super::{TableInfo, u8_at, u16_at, u64_at};
use crate::evidence::hex;

/// One IOMMU's hardware definition (IVHD) block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ivhd {
    /// Block type: 0x10, 0x11 or 0x40.
    pub kind: u8,
    /// PCI device id of the IOMMU function.
    pub device_id: u16,
    /// IOMMU register base address (IVHD offset 8).
    #[serde(serialize_with = "hex::u64")]
    pub base: u64,
    /// Byte offset of the block in the table, for evidence.
    pub offset: usize,
}

/// A memory range firmware requires to stay mapped for devices (IVMD, types 0x20-0x22).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ivmd {
    /// Block type: 0x20 all devices, 0x21 one device, 0x22 a range of devices.
    pub kind: u8,
    /// IVMD flags (offset 1): bit 0 unity map, bits 1-2 read/write permission, bit 3 exclusion range.
    pub flags: u8,
    /// Device id (bus << 8 | devfn, offset 4): the device, or the first of the range for type 0x22.
    pub device_id: u16,
    /// Auxiliary data: the last device id of the range for type 0x22.
    pub aux: u16,
    /// First byte of the range (offset 16).
    #[serde(serialize_with = "hex::u64")]
    pub start: u64,
    /// Length of the range in bytes (offset 24).
    pub length: u64,
    /// Byte offset of the block in the table, for evidence.
    pub offset: usize,
}

/// The I/O Virtualization Reporting Structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ivrs {
    /// Artifact path inside the snapshot.
    pub artifact: String,
    /// One entry per IVHD block, in table order (one IOMMU may have blocks of several types).
    pub ivhd: Vec<Ivhd>,
    /// Memory definitions (IVMD blocks), in table order.
    pub ivmd: Vec<Ivmd>,
}

pub(crate) fn parse(info: &TableInfo, b: &[u8]) -> Result<Ivrs, String> {
    let mut ivhd = Vec::new();
    let mut ivmd = Vec::new();
    let mut off = 48usize;
    while off + 4 <= b.len() {
        let (Some(kind), Some(len)) = (u8_at(b, off), u16_at(b, off + 2)) else {
            break;
        };
        let len = usize::from(len);
        if len < 4 {
            return Err(format!("IVRS block at byte {off} has length {len}"));
        }
        if off + len > b.len() {
            return Err(format!("IVRS block at byte {off} runs past the table end"));
        }
        if matches!(kind, 0x10 | 0x11 | 0x40) {
            let base = u64_at(b, off + 8).ok_or(format!("IVHD at byte {off} is truncated"))?;
            ivhd.push(Ivhd {
                kind,
                device_id: u16_at(b, off + 4).unwrap_or(0),
                base,
                offset: off,
            });
        }
        if matches!(kind, 0x20..=0x22) && len >= 32 {
            ivmd.push(Ivmd {
                kind,
                flags: u8_at(b, off + 1).unwrap_or(0),
                device_id: u16_at(b, off + 4).unwrap_or(0),
                aux: u16_at(b, off + 6).unwrap_or(0),
                start: u64_at(b, off + 16).unwrap_or(0),
                length: u64_at(b, off + 24).unwrap_or(0),
                offset: off,
            });
        }
        off += len;
    }
    Ok(Ivrs {
        artifact: info.artifact.clone(),
        ivhd,
        ivmd,
    })
}

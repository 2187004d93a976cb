//! DMA Remapping table (Intel VT-d spec 4.x §8): the register bases of the
//! remapping units (DRHD), which Xen takes away from dom0; the reserved-memory
//! regions firmware keeps DMA-mapped for devices (RMRR); the root ports with
//! ATS (ATSR); and each structure's device scopes.

use serde::Serialize;

use super::{TableInfo, u8_at, u16_at, u64_at};
use crate::evidence::hex;

/// One remapping hardware unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drhd {
    /// Register base address (DRHD offset 8).
    #[serde(serialize_with = "hex::u64")]
    pub base: u64,
    /// PCI segment the unit serves (DRHD offset 6).
    pub segment: u16,
    /// INCLUDE_PCI_ALL.
    pub include_all: bool,
    /// Register set size as 2^n 4 KiB pages: the DRHD `Size` field (offset 5, bits 3:0), which
    /// older tables leave 0, meaning one page.
    pub size_pages_log2: u8,
    /// Byte offset of the structure in the table, for evidence.
    pub offset: usize,
    /// Device scopes (from DRHD offset 16): the devices the unit covers.
    pub scopes: Vec<DeviceScope>,
}

/// A device scope entry (VT-d §8.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceScope {
    /// 1 endpoint, 2 bridge, 3 IO-APIC, 4 HPET, 5 ACPI namespace device.
    pub kind: u8,
    /// Enumeration ID (scope offset 4): the IO-APIC id, HPET number or ACPI device number for kinds 3-5.
    pub enumeration_id: u8,
    /// Bus the path starts at (scope offset 5).
    pub start_bus: u8,
    /// (device, function) hops from `start_bus`.
    pub path: Vec<(u8, u8)>,
}

/// Reserved memory the firmware keeps identity-mapped for devices (§8.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rmrr {
    /// PCI segment (RMRR offset 6).
    pub segment: u16,
    /// First byte of the region (RMRR offset 8).
    #[serde(serialize_with = "hex::u64")]
    pub base: u64,
    /// Inclusive.
    #[serde(serialize_with = "hex::u64")]
    pub limit: u64,
    /// Byte offset of the structure in the table, for evidence.
    pub offset: usize,
    /// The devices the region is kept mapped for (from RMRR offset 24).
    pub scopes: Vec<DeviceScope>,
}

/// Root ports that support Address Translation Services (§8.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Atsr {
    /// PCI segment (ATSR offset 6).
    pub segment: u16,
    /// ALL_PORTS (ATSR offset 4, bit 0): every root port of the segment supports ATS.
    pub all_ports: bool,
    /// Byte offset of the structure in the table, for evidence.
    pub offset: usize,
    /// The root ports listed (from ATSR offset 8).
    pub scopes: Vec<DeviceScope>,
}

/// The DMA Remapping table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dmar {
    /// Artifact path inside the snapshot.
    pub artifact: String,
    /// The signature as found (`DMAR`, or `RMAD`/`XMAR` when Xen hid it).
    pub signature: String,
    /// DMA physical address width in bits (the table stores it minus one at offset 36).
    pub host_address_width: u8,
    /// Flags (offset 37): bit 0 INTR_REMAP, bit 1 X2APIC_OPT_OUT, bit 2 DMA_CTRL_PLATFORM_OPT_IN.
    pub flags: u8,
    /// Remapping hardware units (structure type 0), in table order.
    pub drhd: Vec<Drhd>,
    /// Reserved memory regions (structure type 1), in table order.
    pub rmrr: Vec<Rmrr>,
    /// Root-port ATS reports (structure type 2), in table order.
    pub atsr: Vec<Atsr>,
}

/// Device scopes from `start` to the end of the structure `s`.
fn scopes(s: &[u8], start: usize) -> Vec<DeviceScope> {
    let mut out = Vec::new();
    let mut p = start;
    while p + 6 <= s.len() && out.len() < 256 {
        let len = usize::from(s[p + 1]);
        if len < 6 || p + len > s.len() {
            break;
        }
        let path = s[p + 6..p + len]
            .chunks_exact(2)
            .map(|c| (c[0], c[1]))
            .collect();
        out.push(DeviceScope {
            kind: s[p],
            enumeration_id: s[p + 4],
            start_bus: s[p + 5],
            path,
        });
        p += len;
    }
    out
}

pub(crate) fn parse(info: &TableInfo, b: &[u8]) -> Result<Dmar, String> {
    let haw = u8_at(b, 36).ok_or("DMAR table too short for its fixed fields")?;
    let flags = u8_at(b, 37).ok_or("DMAR table too short for its fixed fields")?;
    let mut drhd = Vec::new();
    let mut rmrr = Vec::new();
    let mut atsr = Vec::new();
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
                scopes: scopes(&b[off..off + len], 16),
            });
        } else if kind == 1 && len >= 24 {
            rmrr.push(Rmrr {
                segment: u16_at(b, off + 6).unwrap_or(0),
                base: u64_at(b, off + 8).unwrap_or(0),
                limit: u64_at(b, off + 16).unwrap_or(0),
                offset: off,
                scopes: scopes(&b[off..off + len], 24),
            });
        } else if kind == 2 && len >= 8 {
            atsr.push(Atsr {
                segment: u16_at(b, off + 6).unwrap_or(0),
                all_ports: u8_at(b, off + 4).unwrap_or(0) & 1 != 0,
                offset: off,
                scopes: scopes(&b[off..off + len], 8),
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
        rmrr,
        atsr,
    })
}

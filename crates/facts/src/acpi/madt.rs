//! Multiple APIC Description Table (ACPI 6.5 §5.2.12): the local APIC address
//! (and its 64-bit override) and the IO-APICs with their GSI bases.

use serde::Serialize;

use super::{TableInfo, u8_at, u32_at, u64_at};
use crate::evidence::hex;

/// An I/O APIC entry (MADT structure type 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MadtIoApic {
    /// I/O APIC id (entry offset 2).
    pub id: u8,
    /// Register base address (entry offset 4).
    #[serde(serialize_with = "hex::u64")]
    pub address: u64,
    /// First GSI it serves (entry offset 8).
    pub gsi_base: u32,
    /// Byte offset of the entry in the table, for evidence.
    pub offset: usize,
}

/// The Multiple APIC Description Table (signature `APIC`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Madt {
    /// Artifact path inside the snapshot.
    pub artifact: String,
    /// The effective LAPIC base: the override (type 5) if present.
    #[serde(serialize_with = "hex::u64")]
    pub lapic_address: u64,
    /// A Local APIC Address Override (type 5) replaced the 32-bit address at offset 36.
    pub lapic_override: bool,
    /// Processor Local APIC entries (type 0), enabled or not.
    pub lapics: u32,
    /// Processor Local x2APIC entries (type 9), enabled or not.
    pub x2apics: u32,
    /// I/O APIC entries, in table order.
    pub ioapics: Vec<MadtIoApic>,
}

pub(crate) fn parse(info: &TableInfo, b: &[u8]) -> Result<Madt, String> {
    let mut lapic_address = u64::from(u32_at(b, 36).ok_or("MADT too short for the LAPIC address")?);
    let mut m = Madt {
        artifact: info.artifact.clone(),
        lapic_address,
        lapic_override: false,
        lapics: 0,
        x2apics: 0,
        ioapics: Vec::new(),
    };
    let mut off = 44usize;
    while off + 2 <= b.len() {
        let (Some(kind), Some(len)) = (u8_at(b, off), u8_at(b, off + 1)) else {
            break;
        };
        let len = usize::from(len);
        if len < 2 {
            return Err(format!("MADT entry at byte {off} has length {len}"));
        }
        if off + len > b.len() {
            return Err(format!("MADT entry at byte {off} runs past the table end"));
        }
        match kind {
            0 => m.lapics += 1,
            9 => m.x2apics += 1,
            1 if len >= 12 => m.ioapics.push(MadtIoApic {
                id: u8_at(b, off + 2).unwrap_or(0),
                address: u64::from(u32_at(b, off + 4).unwrap_or(0)),
                gsi_base: u32_at(b, off + 8).unwrap_or(0),
                offset: off,
            }),
            5 if len >= 12 => {
                if let Some(a) = u64_at(b, off + 4) {
                    lapic_address = a;
                    m.lapic_override = true;
                }
            }
            _ => {}
        }
        off += len;
    }
    m.lapic_address = lapic_address;
    Ok(m)
}

//! Firmware ACPI Control Structure (ACPI 6.5 §5.2.10): the S3 waking vectors.
//! It has a signature and length but no checksum.

use serde::Serialize;

use super::{u32_at, u64_at};
use crate::evidence::hex;

/// The FACS, recognised by its signature (it has no checksum).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facs {
    /// Artifact path inside the snapshot.
    pub artifact: String,
    /// Length field (byte 0x04), in bytes.
    pub length: u32,
    /// Hardware signature (byte 0x08), which firmware changes when the hardware configuration changes.
    #[serde(serialize_with = "hex::u64")]
    pub hardware_signature: u64,
    /// 32-bit real-mode waking vector (byte 0x0c).
    #[serde(serialize_with = "hex::u64")]
    pub waking_vector: u64,
    /// 64-bit waking vector (byte 0x18), which Xen never clears.
    #[serde(serialize_with = "hex::u64")]
    pub x_waking_vector: u64,
    /// Flags (byte 0x14): bit 0 S4BIOS_F, bit 1 64BIT_WAKE_SUPPORTED_F.
    pub flags: u32,
}

pub(crate) fn parse(artifact: &str, b: &[u8]) -> Result<Facs, String> {
    let short = || format!("FACS of {} bytes is too short (needs 32)", b.len());
    Ok(Facs {
        artifact: artifact.to_owned(),
        length: u32_at(b, 4).ok_or_else(short)?,
        hardware_signature: u64::from(u32_at(b, 8).ok_or_else(short)?),
        waking_vector: u64::from(u32_at(b, 12).ok_or_else(short)?),
        flags: u32_at(b, 20).ok_or_else(short)?,
        x_waking_vector: u64_at(b, 24).ok_or_else(short)?,
    })
}

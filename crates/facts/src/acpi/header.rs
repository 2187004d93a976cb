//! The 36-byte System Description Table header (ACPI 6.5 §5.2.6).

use serde::Serialize;
use zerocopy::little_endian::U32;
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

/// The header as laid out in memory.
#[derive(Debug, FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct SdtHeader {
    pub signature: [u8; 4],
    pub length: U32,
    pub revision: u8,
    pub checksum: u8,
    pub oem_id: [u8; 6],
    pub oem_table_id: [u8; 8],
    pub oem_revision: U32,
    pub creator_id: [u8; 4],
    pub creator_revision: U32,
}

/// What a table's header says, and whether its bytes agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableInfo {
    pub artifact: String,
    pub signature: String,
    #[serde(skip)]
    pub signature_bytes: [u8; 4],
    pub length: u32,
    /// Bytes actually present in the artifact.
    pub present: usize,
    pub truncated: bool,
    pub revision: u8,
    pub oem_id: String,
    pub oem_table_id: String,
    pub checksum_ok: bool,
}

fn text(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                c as char
            } else {
                '.'
            }
        })
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// Parses the header; returns it and the table bytes (at most `length`).
pub(crate) fn parse<'a>(artifact: &str, bytes: &'a [u8]) -> Result<(TableInfo, &'a [u8]), String> {
    let (h, _) = SdtHeader::ref_from_prefix(bytes).map_err(|_| {
        format!(
            "{} bytes: too short for an ACPI table header (36)",
            bytes.len()
        )
    })?;
    let length = h.length.get();
    if length < 36 {
        return Err(format!(
            "header length {length} is smaller than the header itself"
        ));
    }
    let end = (length as usize).min(bytes.len());
    let body = &bytes[..end];
    let sum = body.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    let info = TableInfo {
        artifact: artifact.to_owned(),
        signature: text(&h.signature),
        signature_bytes: h.signature,
        length,
        present: bytes.len(),
        truncated: (length as usize) > bytes.len(),
        revision: h.revision,
        oem_id: text(&h.oem_id),
        oem_table_id: text(&h.oem_table_id),
        // The FACS has a length but no checksum (ACPI 6.5 §5.2.10).
        checksum_ok: (sum == 0 || &h.signature == b"FACS") && (length as usize) <= bytes.len(),
    };
    Ok((info, body))
}

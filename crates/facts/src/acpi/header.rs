//! The 36-byte System Description Table header (ACPI 6.5 §5.2.6).

use serde::Serialize;
use zerocopy::little_endian::U32;
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

/// The header as laid out in memory.
#[derive(Debug, FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct SdtHeader {
    /// Table signature, e.g. `APIC` (offset 0).
    pub signature: [u8; 4],
    /// Length of the whole table in bytes, header included (offset 4).
    pub length: U32,
    /// Revision (offset 8).
    pub revision: u8,
    /// Checksum (offset 9): makes the table's bytes sum to 0 mod 256.
    pub checksum: u8,
    /// OEM ID (offset 10).
    pub oem_id: [u8; 6],
    /// OEM table ID (offset 16).
    pub oem_table_id: [u8; 8],
    /// OEM revision (offset 24).
    pub oem_revision: U32,
    /// Vendor ID of the ASL compiler that built the table (offset 28).
    pub creator_id: [u8; 4],
    /// Revision of that compiler (offset 32).
    pub creator_revision: U32,
}

/// What a table's header says, and whether its bytes agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableInfo {
    /// Artifact path inside the snapshot.
    pub artifact: String,
    /// Signature as text (non-printable bytes shown as `.`).
    pub signature: String,
    /// Signature as found, for matching.
    #[serde(skip)]
    pub signature_bytes: [u8; 4],
    /// The header's length field, in bytes.
    pub length: u32,
    /// Bytes actually present in the artifact.
    pub present: usize,
    /// The artifact holds fewer bytes than `length`.
    pub truncated: bool,
    /// The header's revision.
    pub revision: u8,
    /// OEM ID as text, trailing spaces trimmed.
    pub oem_id: String,
    /// OEM table ID as text, trailing spaces trimmed.
    pub oem_table_id: String,
    /// The bytes up to `length` are all present and sum to 0 (the FACS has no checksum and passes).
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

//! TPM 2.0 table (TCG ACPI spec 1.3 §8.3): the CRB control area and start method.

use serde::Serialize;

use super::{TableInfo, u32_at, u64_at};
use crate::evidence::hex;

/// The TPM 2.0 table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tpm2 {
    /// Artifact path inside the snapshot.
    pub artifact: String,
    /// Physical address of the CRB control area (offset 40).
    #[serde(serialize_with = "hex::u64")]
    pub control_area: u64,
    /// 2 = ACPI start, 6 = memory-mapped (TIS), 7 = CRB, 8 = CRB + ACPI start, …
    pub start_method: u32,
}

pub(crate) fn parse(info: &TableInfo, b: &[u8]) -> Result<Tpm2, String> {
    let short = || format!("TPM2 table of {} bytes is too short (needs 52)", b.len());
    Ok(Tpm2 {
        artifact: info.artifact.clone(),
        control_area: u64_at(b, 40).ok_or_else(short)?,
        start_method: u32_at(b, 48).ok_or_else(short)?,
    })
}

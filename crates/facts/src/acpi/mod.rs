//! ACPI tables as dom0 captured them (`acpi/<SIG>` in a snapshot). Hand-written
//! over `zerocopy`: every read is bounds-checked, nothing is sized by an
//! untrusted length beyond the bytes actually present, and a bad table is a
//! warning for that table only.

pub mod aml;
mod dmar;
mod facs;
mod fadt;
mod header;
mod hpet;
mod ivrs;
mod madt;
mod mcfg;
mod tpm2;

use serde::Serialize;

pub use dmar::{Atsr, DeviceScope, Dmar, Drhd, Rmrr};
pub use facs::Facs;
pub use fadt::Fadt;
pub use header::{SdtHeader, TableInfo};
pub use hpet::HpetTable;
pub use ivrs::{Ivhd, Ivmd, Ivrs};
pub use madt::{Madt, MadtIoApic};
pub use mcfg::{Mcfg, McfgEntry};
pub use tpm2::Tpm2;

use crate::evidence::Warning;

/// The tables the model and inventory use, with a note of every table seen.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AcpiTables {
    /// The header of every table whose header parsed (the FACS, which has none, excepted), in artifact order.
    pub tables: Vec<TableInfo>,
    /// The HPET table (`HPET`).
    pub hpet: Option<HpetTable>,
    /// The DMA remapping table, under any of [`DMAR_SIGNATURES`].
    pub dmar: Option<Dmar>,
    /// The FADT (`FACP`).
    pub fadt: Option<Fadt>,
    /// The AMD IOMMU table (`IVRS`).
    pub ivrs: Option<Ivrs>,
    /// The MADT (`APIC`).
    pub madt: Option<Madt>,
    /// The PCIe ECAM table (`MCFG`).
    pub mcfg: Option<Mcfg>,
    /// The FACS.
    pub facs: Option<Facs>,
    /// The TPM 2.0 table (`TPM2`).
    pub tpm2: Option<Tpm2>,
    /// `OperationRegion`s in the DSDT and SSDTs, per table artifact: at most
    /// [`aml::MAX_REGIONS_PER_TABLE`] a table and [`aml::MAX_REGIONS`] in all.
    pub op_regions: Vec<(String, Vec<aml::OpRegion>)>,
    /// Regions found past those caps and not kept (each table's count is also a warning):
    /// when non-zero, the AML owners in the inventory are incomplete.
    pub op_regions_not_kept: u64,
    /// Per-table problems: unreadable headers, bad checksums, truncation, parse errors.
    pub warnings: Vec<Warning>,
}

/// Signatures under which the VT-d table reaches dom0: Xen renames it so dom0
/// does not drive the IOMMU (`RMAD` in 4.17's `acpi_dmar_zap()`, `XMAR` in newer source).
pub const DMAR_SIGNATURES: &[&[u8; 4]] = &[b"DMAR", b"RMAD", b"XMAR"];

impl AcpiTables {
    /// Parses every `acpi/…` artifact given as (artifact path, bytes).
    pub fn parse<'a>(artifacts: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> AcpiTables {
        let mut out = AcpiTables::default();
        let mut regions_kept = 0usize;
        for (path, bytes) in artifacts {
            if bytes.get(..4) == Some(b"FACS".as_slice()) {
                match facs::parse(path, bytes) {
                    Ok(f) => out.facs = Some(f),
                    Err(message) => out.warnings.push(Warning {
                        artifact: path.into(),
                        line: 0,
                        message,
                    }),
                }
                continue;
            }
            let (info, body) = match header::parse(path, bytes) {
                Ok(x) => x,
                Err(message) => {
                    out.warnings.push(Warning {
                        artifact: path.into(),
                        line: 0,
                        message,
                    });
                    continue;
                }
            };
            if !info.checksum_ok {
                out.warnings.push(Warning {
                    artifact: path.into(),
                    line: 0,
                    message: "checksum does not match; table parsed anyway".into(),
                });
            }
            if info.truncated {
                out.warnings.push(Warning {
                    artifact: path.into(),
                    line: 0,
                    message: format!(
                        "header says {} bytes but only {} are present; parsed what is there",
                        info.length, info.present
                    ),
                });
            }
            let sig = info.signature_bytes;
            let result = if &sig == b"HPET" {
                hpet::parse(&info, body).map(|t| out.hpet = Some(t))
            } else if DMAR_SIGNATURES.contains(&&sig) {
                dmar::parse(&info, body).map(|t| out.dmar = Some(t))
            } else if &sig == b"IVRS" {
                ivrs::parse(&info, body).map(|t| out.ivrs = Some(t))
            } else if &sig == b"APIC" {
                madt::parse(&info, body).map(|t| out.madt = Some(t))
            } else if &sig == b"MCFG" {
                mcfg::parse(&info, body).map(|t| out.mcfg = Some(t))
            } else if &sig == b"TPM2" {
                tpm2::parse(&info, body).map(|t| out.tpm2 = Some(t))
            } else if &sig == b"DSDT" || &sig == b"SSDT" {
                let keep = aml::MAX_REGIONS_PER_TABLE.min(aml::MAX_REGIONS - regions_kept);
                let scan = aml::scan(body, keep);
                regions_kept += scan.regions.len();
                if scan.not_kept > 0 {
                    out.op_regions_not_kept += scan.not_kept;
                    let (kept, total) = (
                        scan.regions.len(),
                        scan.regions.len() as u64 + scan.not_kept,
                    );
                    let message = if kept == 0 {
                        format!(
                            "kept none of its {total} OperationRegions ({} were kept from earlier \
                             tables, the cap in all, to bound memory): the owners they declare \
                             are missing from the inventory",
                            aml::MAX_REGIONS
                        )
                    } else {
                        format!(
                            "kept the first {kept} of its {total} OperationRegions (at most {} a \
                             table, {} in all, to bound memory): the owners the other {} declare \
                             are missing from the inventory",
                            aml::MAX_REGIONS_PER_TABLE,
                            aml::MAX_REGIONS,
                            scan.not_kept
                        )
                    };
                    out.warnings.push(Warning {
                        artifact: path.into(),
                        line: 0,
                        message,
                    });
                }
                out.op_regions.push((info.artifact.clone(), scan.regions));
                Ok(())
            } else if &sig == b"FACP" {
                fadt::parse(&info, body).map(|t| out.fadt = Some(t))
            } else {
                Ok(())
            };
            if let Err(message) = result {
                out.warnings.push(Warning {
                    artifact: path.into(),
                    line: 0,
                    message,
                });
            }
            out.tables.push(info);
        }
        out
    }
}

/// Little-endian reads that fail, not panic, past the end.
pub(crate) fn u8_at(b: &[u8], off: usize) -> Option<u8> {
    b.get(off).copied()
}

pub(crate) fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(off..off.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub(crate) fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(off..off.checked_add(4)?)?.try_into().ok()?,
    ))
}

pub(crate) fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(off..off.checked_add(8)?)?.try_into().ok()?,
    ))
}

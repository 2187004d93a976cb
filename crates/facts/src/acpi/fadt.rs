//! Fixed ACPI Description Table (ACPI 6.5 §5.2.9): the fixed-hardware I/O
//! blocks (PM1, PM timer, GPE), SMI_CMD and the FACS pointers. Field offsets are
//! the spec's; fields past the table's length are absent (older revisions).

use serde::Serialize;

use super::{TableInfo, u8_at, u16_at, u32_at, u64_at};
use crate::evidence::hex;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fadt {
    pub artifact: String,
    pub revision: u8,
    #[serde(serialize_with = "hex::u64")]
    pub firmware_ctrl: u64,
    #[serde(serialize_with = "hex::opt_u64")]
    pub x_firmware_ctrl: Option<u64>,
    pub smi_cmd: u32,
    /// Values written to SMI_CMD to enter and leave ACPI mode.
    pub acpi_enable: u8,
    pub acpi_disable: u8,
    pub pm1a_evt_blk: u32,
    pub pm1b_evt_blk: u32,
    pub pm1a_cnt_blk: u32,
    pub pm1b_cnt_blk: u32,
    pub pm2_cnt_blk: u32,
    pub pm_tmr_blk: u32,
    pub gpe0_blk: u32,
    pub gpe1_blk: u32,
    pub pm1_evt_len: u8,
    pub pm1_cnt_len: u8,
    pub pm2_cnt_len: u8,
    pub pm_tmr_len: u8,
    pub gpe0_blk_len: u8,
    pub gpe1_blk_len: u8,
    pub iapc_boot_arch: Option<u16>,
    pub flags: Option<u32>,
}

impl Fadt {
    /// FADT flag HW_REDUCED_ACPI (bit 20).
    pub fn hw_reduced(&self) -> bool {
        self.flags.is_some_and(|f| f & (1 << 20) != 0)
    }
}

pub(crate) fn parse(info: &TableInfo, b: &[u8]) -> Result<Fadt, String> {
    if b.len() < 94 {
        return Err(format!(
            "FADT of {} bytes is too short for the ACPI 1.0 fields (94)",
            b.len()
        ));
    }
    let d32 = |o| u32_at(b, o).unwrap_or(0);
    let d8 = |o| u8_at(b, o).unwrap_or(0);
    Ok(Fadt {
        artifact: info.artifact.clone(),
        revision: info.revision,
        firmware_ctrl: u64::from(d32(36)),
        x_firmware_ctrl: u64_at(b, 132),
        smi_cmd: d32(48),
        acpi_enable: d8(52),
        acpi_disable: d8(53),
        pm1a_evt_blk: d32(56),
        pm1b_evt_blk: d32(60),
        pm1a_cnt_blk: d32(64),
        pm1b_cnt_blk: d32(68),
        pm2_cnt_blk: d32(72),
        pm_tmr_blk: d32(76),
        gpe0_blk: d32(80),
        gpe1_blk: d32(84),
        pm1_evt_len: d8(88),
        pm1_cnt_len: d8(89),
        pm2_cnt_len: d8(90),
        pm_tmr_len: d8(91),
        gpe0_blk_len: d8(92),
        gpe1_blk_len: d8(93),
        iapc_boot_arch: u16_at(b, 109),
        flags: u32_at(b, 112),
    })
}

//! Fixed ACPI Description Table (ACPI 6.5 §5.2.9): the fixed-hardware I/O
//! blocks (PM1, PM timer, GPE), SMI_CMD and the FACS pointers. Field offsets are
//! the spec's; fields past the table's length are absent (older revisions).

use serde::Serialize;

use super::{TableInfo, u8_at, u16_at, u32_at, u64_at};
use crate::evidence::hex;

/// The Fixed ACPI Description Table (signature `FACP`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fadt {
    /// Artifact path inside the snapshot.
    pub artifact: String,
    /// Table revision, from the header (byte 8).
    pub revision: u8,
    /// 32-bit FACS address (FIRMWARE_CTRL, offset 36).
    #[serde(serialize_with = "hex::u64")]
    pub firmware_ctrl: u64,
    /// 64-bit FACS address (X_FIRMWARE_CTRL, offset 132); None when the table is shorter.
    #[serde(serialize_with = "hex::opt_u64")]
    pub x_firmware_ctrl: Option<u64>,
    /// SMI command I/O port (SMI_CMD, offset 48); 0 when there is none.
    pub smi_cmd: u32,
    /// Values written to SMI_CMD to enter and leave ACPI mode.
    pub acpi_enable: u8,
    /// Value written to SMI_CMD to leave ACPI mode (ACPI_DISABLE, offset 53; ACPI_ENABLE is offset 52).
    pub acpi_disable: u8,
    /// PM1a event block I/O port (offset 56).
    pub pm1a_evt_blk: u32,
    /// PM1b event block I/O port (offset 60); 0 when absent.
    pub pm1b_evt_blk: u32,
    /// PM1a control block I/O port (offset 64).
    pub pm1a_cnt_blk: u32,
    /// PM1b control block I/O port (offset 68); 0 when absent.
    pub pm1b_cnt_blk: u32,
    /// PM2 control block I/O port (offset 72); 0 when absent.
    pub pm2_cnt_blk: u32,
    /// PM timer block I/O port (offset 76).
    pub pm_tmr_blk: u32,
    /// GPE0 block I/O port (offset 80); 0 when absent.
    pub gpe0_blk: u32,
    /// GPE1 block I/O port (offset 84); 0 when absent.
    pub gpe1_blk: u32,
    /// Bytes each PM1 event block decodes (offset 88).
    pub pm1_evt_len: u8,
    /// Bytes each PM1 control block decodes (offset 89).
    pub pm1_cnt_len: u8,
    /// Bytes the PM2 control block decodes (offset 90).
    pub pm2_cnt_len: u8,
    /// Bytes the PM timer block decodes (offset 91; 4 when there is one).
    pub pm_tmr_len: u8,
    /// Bytes the GPE0 block decodes (offset 92).
    pub gpe0_blk_len: u8,
    /// Bytes the GPE1 block decodes (offset 93).
    pub gpe1_blk_len: u8,
    /// IA-PC boot architecture flags (offset 109: legacy devices, 8042, VGA not present …); None when the table is shorter.
    pub iapc_boot_arch: Option<u16>,
    /// Fixed feature flags (offset 112; bit 20 HW_REDUCED_ACPI); None when the table is shorter.
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

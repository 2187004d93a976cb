//! Platform-critical PCI functions, recognised by numeric vendor/device IDs
//! and class codes (never by name), and the register blocks their config
//! space locates without a BAR: the Intel ICH/PCH root complex block (RCBA)
//! with the SPI controller inside it and the ACPI PM I/O block (PMBASE), and
//! the AMD FCH SPI controller base. These blocks are where the BIOS-flash
//! write protection lives, so dom0 reaching them must be visible by name.
//!
//! Register definitions: Intel ICH9 (316972) and 6 Series PCH (324645)
//! datasheets, LPC D31:F0: PMBASE offset 40h (bits 15:7, 128 bytes), ACPI_CNTL
//! offset 44h (ACPI_EN bit 7), RCBA offset F0h (bits 31:14, 16 KiB, enable bit
//! 0); SPIBAR at RCBA + 3020h on ICH7/ICH8 and RCBA + 3800h from ICH9 on (as
//! coreboot's inteltool also uses them). AMD: FCH LPC D14F3 offset A0h
//! SPI_BASE_ADDR (64-byte aligned on SB8x0/Hudson, 256-byte from Zen on, as
//! coreboot's soc/amd lpc.h define it).
//!
//! The i440FX/PIIX4 machine (QEMU `pc`) has no LPC bridge of that kind: its
//! ACPI and SMBus I/O blocks are located by the power-management function
//! 8086:7113 (Intel 82371AB/EB/MB PIIX4, datasheet 290562-001, Function 3
//! PCI configuration registers): PMBA offset 40h (bits 15:6, 64 bytes; bit 0
//! reads 1, I/O space) decoded when PMREGMISC offset 80h bit 0 (PMIOSE) is
//! set, and SMBBA offset 90h (bits 15:4, 16 bytes; bit 0 reads 1) decoded
//! when SMBHSTCFG offset D2h bit 0 (SMB_HST_EN) is set. The PMBA block holds
//! PMSTS/PMEN/PMCNTRL/PMTMR (the FADT's PM1 and PM timer blocks) and the
//! SMI controls GLBCTL and DEVCTL.

use dom0scope_facts::Evidence;
use dom0scope_facts::pci::PciFunction;

use crate::Owner;

/// What a platform-critical function is, for labels; `None` for the rest.
pub(crate) fn role(f: &PciFunction) -> Option<&'static str> {
    let (vendor, sub) = (f.vendor_id, f.class >> 8);
    match sub {
        0x0601 if vendor == 0x8086 => Some("Intel ISA/LPC/eSPI bridge"),
        0x0601 if matches!(vendor, 0x1022 | 0x1002) => Some("AMD FCH LPC bridge"),
        0x0601 => Some("ISA/LPC bridge"),
        _ if is_piix4_pm(f) => Some("Intel PIIX4 power management and SMBus"),
        0x0c05 => Some("SMBus controller"),
        0x0806 => Some("IOMMU"),
        0x0600 => Some("host bridge"),
        // From the 100 Series PCH on, the SPI controller is D31:F5 with its
        // registers behind BAR0 (class 0c80, "other serial bus").
        0x0c80 if vendor == 0x8086 && f.bus == 0 && f.device == 0x1f && f.function == 5 => {
            Some("SPI flash controller")
        }
        _ => None,
    }
}

/// Intel LPC bridges of the RCBA era (ICH6 to the 9 Series PCH and C610),
/// device-ID ranges as Linux drivers/mfd/lpc_ich.c lists them, with the
/// SPIBAR offset inside the RCBA block (None: no SPI controller).
const RCBA_LPC: &[(u16, u16, Option<u64>)] = &[
    (0x2640, 0x2642, None),         // ICH6
    (0x27b0, 0x27bd, Some(0x3020)), // ICH7
    (0x2810, 0x2815, Some(0x3020)), // ICH8
    (0x2912, 0x2919, Some(0x3800)), // ICH9 (0x2918 is also QEMU's q35 LPC)
    (0x3a14, 0x3a1a, Some(0x3800)), // ICH10
    (0x3b00, 0x3b1f, Some(0x3800)), // 5 Series / 3400
    (0x1c41, 0x1c5f, Some(0x3800)), // 6 Series
    (0x1d40, 0x1d41, Some(0x3800)), // C600 / X79
    (0x1e41, 0x1e5f, Some(0x3800)), // 7 Series
    (0x8c41, 0x8c5f, Some(0x3800)), // 8 Series
    (0x9c41, 0x9c47, Some(0x3800)), // 8 Series LP
    (0x8cc1, 0x8cc6, Some(0x3800)), // 9 Series
    (0x9cc1, 0x9cc9, Some(0x3800)), // 9 Series LP
    (0x8d40, 0x8d5f, Some(0x3800)), // C610 / X99
];

/// AMD FCH LPC bridges and the alignment mask of their SPI base register.
const AMD_FCH_LPC: &[(u16, u16, u32)] = &[
    (0x1002, 0x439d, !0x3f), // SB7x0/SB8x0/SB9x0
    (0x1022, 0x780e, !0x3f), // Hudson / Bolton FCH
    (0x1022, 0x790e, !0xff), // Zen FCH
];

/// SPI registers claimed from SPIBAR: every generation's SPI register set
/// ends below SPIBAR + 0x200.
const SPI_SPAN: u64 = 0x200;

/// The PIIX4 power-management function (82371AB/EB/MB, Function 3).
fn is_piix4_pm(f: &PciFunction) -> bool {
    f.vendor_id == 0x8086 && f.device_id == 0x7113
}

fn cfg32(f: &PciFunction, off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        f.config.get(off..off + 4)?.try_into().ok()?,
    ))
}

fn cfg_evidence(f: &PciFunction, text: String) -> Evidence {
    Evidence {
        artifact: format!("pci/{}/config", f.sbdf),
        line: 0,
        text,
    }
}

fn rcba_lpc(f: &PciFunction) -> Option<Option<u64>> {
    if f.vendor_id != 0x8086 || f.class >> 8 != 0x0601 {
        return None;
    }
    RCBA_LPC
        .iter()
        .find(|(lo, hi, _)| (*lo..=*hi).contains(&f.device_id))
        .map(|r| r.2)
}

/// A memory block found through a chipset register.
pub(crate) struct MemBlock {
    pub start: u64,
    pub end: u64,
    pub owner: Owner,
    pub source: Evidence,
}

/// The memory blocks chipset registers locate (RCBA, SPIBAR).
pub(crate) fn memory_blocks(pci: &[PciFunction]) -> Vec<MemBlock> {
    let mut out = Vec::new();
    for f in pci {
        if let Some(spi_off) = rcba_lpc(f)
            && let Some(rcba) = cfg32(f, 0xf0)
            && rcba & 1 == 1
        {
            let base = u64::from(rcba & !0x3fff);
            if base == 0 {
                continue;
            }
            out.push(MemBlock {
                start: base,
                end: base + 0x3fff,
                owner: Owner::ChipsetRegisters {
                    sbdf: f.sbdf.clone(),
                    block: "Intel RCBA chipset registers",
                },
                source: cfg_evidence(
                    f,
                    format!("RCBA at byte 0xf0: {rcba:#010x} (enabled, 16 KiB at {base:#x})"),
                ),
            });
            if let Some(off) = spi_off {
                out.push(MemBlock {
                    start: base + off,
                    end: base + off + SPI_SPAN - 1,
                    owner: Owner::SpiController {
                        sbdf: f.sbdf.clone(),
                        via: if off == 0x3800 {
                            "RCBA+0x3800"
                        } else {
                            "RCBA+0x3020"
                        },
                    },
                    source: cfg_evidence(
                        f,
                        format!(
                            "RCBA at byte 0xf0: {rcba:#010x}; SPIBAR = RCBA + {off:#x} on {:04x}:{:04x}",
                            f.vendor_id, f.device_id
                        ),
                    ),
                });
            }
        }
        if f.class >> 8 == 0x0601
            && let Some(&(_, _, mask)) = AMD_FCH_LPC
                .iter()
                .find(|(v, d, _)| *v == f.vendor_id && *d == f.device_id)
            && let Some(reg) = cfg32(f, 0xa0)
        {
            let base = u64::from(reg & mask);
            if base == 0 {
                continue;
            }
            out.push(MemBlock {
                start: base,
                end: base + 0xff,
                owner: Owner::SpiController {
                    sbdf: f.sbdf.clone(),
                    via: "SPI_BASE_ADDR",
                },
                source: cfg_evidence(
                    f,
                    format!("SPI_BASE_ADDR at byte 0xa0: {reg:#010x} (registers at {base:#x})"),
                ),
            });
        }
    }
    out
}

/// An I/O block found through a chipset register.
pub(crate) struct PortBlock {
    pub start: u16,
    pub end: u16,
    pub sbdf: String,
    pub block: &'static str,
    pub source: Evidence,
}

/// The I/O blocks chipset registers locate: the ICH/PCH PMBASE when ACPI
/// decode is on, the PIIX4 PMBA and SMBBA when their enable bits are set.
pub(crate) fn port_blocks(facts: &dom0scope_facts::Facts) -> Vec<PortBlock> {
    let mut out = Vec::new();
    for f in &facts.pci {
        if is_piix4_pm(f) {
            piix4_port_blocks(f, &mut out);
            continue;
        }
        if rcba_lpc(f).is_none() {
            continue;
        }
        let (Some(pmbase), Some(cntl)) = (cfg32(f, 0x40), f.config.get(0x44).copied()) else {
            continue;
        };
        let base = pmbase & 0xff80;
        if cntl & 0x80 == 0 || base == 0 {
            continue;
        }
        out.push(PortBlock {
            start: base as u16,
            end: (base + 0x7f) as u16,
            sbdf: f.sbdf.clone(),
            block: "Intel PMBASE (PM1, SMI_EN, TCO)",
            source: cfg_evidence(
                f,
                format!(
                    "PMBASE at byte 0x40: {pmbase:#010x}, ACPI_CNTL at byte 0x44: {cntl:#04x} (ACPI_EN)"
                ),
            ),
        });
    }
    out
}

/// PIIX4 Function 3: PMBA (64 ports) gated by PMREGMISC.PMIOSE and SMBBA
/// (16 ports) gated by SMBHSTCFG.SMB_HST_EN.
fn piix4_port_blocks(f: &PciFunction, out: &mut Vec<PortBlock>) {
    let blocks = [
        (
            0x40,
            "PMBA",
            0xffc0u32,
            0x80,
            "PMREGMISC",
            "PMIOSE",
            "Intel PIIX4 PMBA (PM1, GLBCTL, DEVCTL)",
        ),
        (
            0x90,
            "SMBBA",
            0xfff0,
            0xd2,
            "SMBHSTCFG",
            "SMB_HST_EN",
            "Intel PIIX4 SMBus (SMBBA)",
        ),
    ];
    for (at, name, mask, en_at, en_name, en_bit, block) in blocks {
        let (Some(reg), Some(en)) = (cfg32(f, at), f.config.get(en_at).copied()) else {
            continue;
        };
        let base = reg & mask;
        if en & 1 == 0 || base == 0 {
            continue;
        }
        out.push(PortBlock {
            start: base as u16,
            // The mask keeps base + size - 1 within 16 bits.
            end: (base | !mask & 0xffff) as u16,
            sbdf: f.sbdf.clone(),
            block,
            source: cfg_evidence(
                f,
                format!(
                    "{name} at byte {at:#x}: {reg:#010x}, {en_name} at byte {en_at:#x}: {en:#04x} ({en_bit})"
                ),
            ),
        });
    }
}

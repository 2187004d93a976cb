//! `lspci -x`/`-xxx`/`-xxxx` hex dumps (the text pciutils prints and re-reads
//! with `lspci -F`): a device line `[SSSS:]BB:DD.F class: name`, optional
//! verbose lines, then `OFF: xx xx …` rows of config bytes.

use std::sync::LazyLock;

use regex::Regex;

use super::PciFunction;
use crate::evidence::Warning;

static DEVICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7]) ")
        .expect("static regex")
});
static HEX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([0-9a-fA-F]{2,3}): ((?:[0-9a-fA-F]{2} ?){1,16})$").expect("static regex")
});

/// Parses a dump; lines it cannot place become warnings with their numbers.
pub fn parse(artifact: &str, text: &str, warnings: &mut Vec<Warning>) -> Vec<PciFunction> {
    let mut out: Vec<PciFunction> = Vec::new();
    for (i, line) in text.lines().enumerate().take(1_000_000) {
        let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if let Some(c) = DEVICE.captures(line) {
            let seg = c
                .get(1)
                .map_or(Some(0), |m| u16::from_str_radix(m.as_str(), 16).ok());
            let (Some(segment), Ok(bus), Ok(device), Ok(function)) = (
                seg,
                u8::from_str_radix(&c[2], 16),
                u8::from_str_radix(&c[3], 16),
                c[4].parse::<u8>(),
            ) else {
                continue;
            };
            if device > 31 {
                continue;
            }
            out.push(PciFunction {
                sbdf: format!("{segment:04x}:{bus:02x}:{device:02x}.{function}"),
                segment,
                bus,
                device,
                function,
                vendor_id: 0xffff,
                device_id: 0xffff,
                class: 0,
                header_type: None,
                config_len: 0,
                config: Vec::new(),
                resources: Vec::new(),
            });
            continue;
        }
        let Some(c) = HEX.captures(line.trim_end()) else {
            continue;
        };
        let Some(f) = out.last_mut() else {
            warnings.push(Warning {
                artifact: artifact.into(),
                line: no,
                message: "config bytes before any device line".into(),
            });
            continue;
        };
        let Ok(off) = usize::from_str_radix(&c[1], 16) else {
            continue;
        };
        if off % 16 != 0 || off >= 4096 || off != f.config.len() {
            warnings.push(Warning {
                artifact: artifact.into(),
                line: no,
                message: format!(
                    "config row at offset {off:#x} out of sequence for {}",
                    f.sbdf
                ),
            });
            continue;
        }
        f.config.extend(
            c[2].split_whitespace()
                .filter_map(|b| u8::from_str_radix(b, 16).ok()),
        );
    }
    for f in &mut out {
        let c = &f.config;
        let w = |o: usize| c.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        f.vendor_id = w(0).unwrap_or(0xffff);
        f.device_id = w(2).unwrap_or(0xffff);
        f.class = c.get(9..12).map_or(0, |b| {
            u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16
        });
        f.header_type = c.get(0x0e).map(|h| h & 0x7f);
        f.config_len = c.len();
    }
    out
}

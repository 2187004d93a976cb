//! Firmware preconditions read from PCI config dumps, in the style of CHIPSEC
//! and fwupd HSI: lock bits that decide whether "dom0 can write this config
//! space" becomes "dom0 can rewrite the flash or SMM". Registers are data (the
//! catalog's `[[register]]` tables: name, bit fields, and where each chipset
//! keeps it, with the datasheet cited); this module only reads them.

use std::collections::BTreeMap;

use dom0scope_facts::Evidence;
use serde::Deserialize;

use super::{Detail, Truth};
use crate::inputs::{Inputs, PciConfig};

/// A chipset register as the catalog defines it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// The name bit tests use, e.g. `SMRAMC`.
    pub name: String,
    /// What the register controls, for readers of the catalog.
    pub description: String,
    /// Bytes (1-8).
    #[serde(default = "one")]
    pub width: u8,
    /// Single-bit fields: name → bit number.
    pub fields: BTreeMap<String, u8>,
    /// Where each known chipset keeps it.
    pub at: Vec<Location>,
}

/// The registers a policy defines, by name (names are unique; a map keeps every lookup of a
/// `register_bits` test logarithmic however many a policy file defines).
pub type Registers = BTreeMap<String, Register>;

fn one() -> u8 {
    1
}

/// One chipset's placement of a register.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// `SSSS:BB:DD.F`.
    pub device: String,
    /// The chipset's name, quoted in findings.
    pub chipset: String,
    /// `"8086:29c0"` or a range `"8086:1e41-1e5f"`.
    pub ids: Vec<String>,
    /// Byte offset of the register in the function's config space.
    pub offset: u16,
    /// Subsystem vendor id (hex) the placement also requires, e.g. QEMU's `1af4`.
    #[serde(default)]
    pub subsystem: Option<String>,
    /// Set when the chipset is known but the register is not implemented
    /// (e.g. QEMU's ICH9 LPC has no BIOS_CNTL): the rule is then not evaluated.
    #[serde(default)]
    pub unsupported: Option<String>,
    /// The datasheet (and CHIPSEC config) the placement is read from.
    pub source: String,
}

impl Location {
    fn matches(&self, vendor: u16, device: u16, subsystem: Option<u16>) -> bool {
        if let Some(want) = &self.subsystem
            && u16::from_str_radix(want, 16).ok() != subsystem
        {
            return false;
        }
        self.ids.iter().any(|id| match parse_id(id) {
            Some((v, lo, hi)) => v == vendor && (lo..=hi).contains(&device),
            None => false,
        })
    }
}

/// `VVVV:DDDD` or `VVVV:DDDD-EEEE`.
pub fn parse_id(s: &str) -> Option<(u16, u16, u16)> {
    let (v, d) = s.split_once(':')?;
    let v = u16::from_str_radix(v, 16).ok()?;
    let (lo, hi) = match d.split_once('-') {
        Some((a, b)) => (
            u16::from_str_radix(a, 16).ok()?,
            u16::from_str_radix(b, 16).ok()?,
        ),
        None => {
            let x = u16::from_str_radix(d, 16).ok()?;
            (x, x)
        }
    };
    (lo <= hi).then_some((v, lo, hi))
}

/// One term of `register_bits = [{ register = "SMRAMC", field = "D_LCK", equals = 0 }]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BitTest {
    /// The register, by [`Register::name`].
    pub register: String,
    /// One of its [`Register::fields`].
    pub field: String,
    /// The value the bit must have, 0 or 1.
    pub equals: u8,
}

/// A register read on this host.
struct Read<'a> {
    reg: &'a Register,
    loc: &'a Location,
    cfg: &'a PciConfig,
    value: u64,
}

fn read<'a>(i: &'a Inputs<'_>, reg: &'a Register) -> Result<Read<'a>, String> {
    let mut devices: Vec<&str> = reg.at.iter().map(|l| l.device.as_str()).collect();
    devices.dedup();
    let mut seen = Vec::new();
    for dev in &devices {
        let Some(cfg) = i.readings.pci_function(dev) else {
            continue;
        };
        let (Some(v), Some(d)) = (cfg.vendor_id(), cfg.device_id()) else {
            continue;
        };
        seen.push(format!("{dev} is {v:04x}:{d:04x}"));
        let sub = cfg.subsystem_vendor_id();
        let Some(loc) = reg
            .at
            .iter()
            .find(|l| l.device == *dev && l.matches(v, d, sub))
        else {
            continue;
        };
        if let Some(why) = &loc.unsupported {
            return Err(why.clone());
        }
        let Some(value) = cfg.read(usize::from(loc.offset), usize::from(reg.width)) else {
            return Err(format!(
                "{} at {dev} offset {:#x} (the config dump is shorter)",
                reg.name, loc.offset
            ));
        };
        return Ok(Read {
            reg,
            loc,
            cfg,
            value,
        });
    }
    if i.readings.pci.is_empty() {
        return Err(format!(
            "the config space of {} (pci/…/config in a collected snapshot)",
            devices.join(" or ")
        ));
    }
    if seen.is_empty() {
        seen.push(format!("no function at {}", devices.join(" or ")));
    }
    let mut chipsets: Vec<&str> = reg.at.iter().map(|l| l.chipset.as_str()).collect();
    chipsets.dedup();
    Err(format!(
        "where this chipset keeps {} ({}; the catalog knows: {})",
        reg.name,
        seen.join(", "),
        chipsets.join("; ")
    ))
}

/// `register_bits = [{ register, field, equals }, …]`: every named bit has the
/// given value. Vars: `registers` (the values read), `chipset`.
pub fn register_bits(i: &Inputs<'_>, registers: &Registers, tests: &[BitTest]) -> Truth {
    let mut reads: Vec<(Read<'_>, Vec<(String, u8)>)> = Vec::new();
    for t in tests {
        let Some(reg) = registers.get(&t.register) else {
            return Truth::Unknown(format!("a definition of register {}", t.register));
        };
        let Some(bit) = reg.fields.get(&t.field) else {
            return Truth::Unknown(format!("field {} of register {}", t.field, t.register));
        };
        let idx = match reads.iter().position(|(r, _)| r.reg.name == reg.name) {
            Some(k) => k,
            None => match read(i, reg) {
                Ok(r) => {
                    reads.push((r, Vec::new()));
                    reads.len() - 1
                }
                Err(needs) => return Truth::Unknown(needs),
            },
        };
        let v = ((reads[idx].0.value >> bit) & 1) as u8;
        reads[idx].1.push((t.field.clone(), v));
        if v != t.equals {
            return Truth::Fails(format!("{}.{} = {v}", t.register, t.field));
        }
    }
    let mut d = Detail::default();
    let mut described = Vec::new();
    for (r, fields) in &reads {
        let f = fields
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let text = format!(
            "{} = {:#0w$x} at {} offset {:#x} ({f}) on the {}",
            r.reg.name,
            r.value,
            r.cfg.sbdf,
            r.loc.offset,
            r.loc.chipset,
            w = 2 + 2 * usize::from(r.reg.width)
        );
        d = d.evidence([Evidence {
            artifact: format!("pci/{}/config", r.cfg.sbdf),
            line: 0,
            text: format!(
                "bytes {:#x}-{:#x}: {text} ({})",
                r.loc.offset,
                u64::from(r.loc.offset) + u64::from(r.reg.width) - 1,
                r.loc.source
            ),
        }]);
        described.push(text);
    }
    d.summary.push(format!("{}.", described.join("; ")));
    d = d.var("registers", described.join("; "));
    if let Some((r, _)) = reads.first() {
        d = d.var("chipset", r.loc.chipset.clone());
    }
    Truth::Holds(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_id_ranges() {
        assert_eq!(parse_id("8086:1e41-1e5f"), Some((0x8086, 0x1e41, 0x1e5f)));
        assert_eq!(parse_id("8086:29c0"), Some((0x8086, 0x29c0, 0x29c0)));
        assert_eq!(parse_id("8086:1e5f-1e41"), None);
        assert_eq!(parse_id("zz:1"), None);
    }
}

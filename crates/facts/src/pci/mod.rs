//! PCI functions as dom0's sysfs showed them (`pci/<SSSS:BB:DD.F>/{config,
//! resource,vendor,device,class}`): identity from the config header, BARs from
//! the kernel's `resource` file (never sized by writing). `lspci -xxx`/`-xxxx`
//! hex dumps are read too ([`lspci`]), and the header and capability list are
//! decoded from the captured bytes ([`config`]).

pub mod config;
pub mod lspci;

use serde::Serialize;

use crate::evidence::{Warning, hex};

/// One resource line of sysfs `resource`: `start end flags`, BAR index = line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// 0-5 BARs, 6 the expansion ROM, 7+ bridge windows.
    pub index: u8,
    /// First address (I/O port or memory).
    #[serde(serialize_with = "hex::u64")]
    pub start: u64,
    /// Last address (inclusive).
    #[serde(serialize_with = "hex::u64")]
    pub end: u64,
    /// I/O ports (IORESOURCE_IO) rather than memory.
    pub io: bool,
    /// Prefetchable memory (IORESOURCE_PREFETCH).
    pub prefetchable: bool,
    /// 1-based line in the `resource` file.
    pub line: u32,
    /// The line as read.
    pub text: String,
}

/// One PCI function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PciFunction {
    /// `SSSS:BB:DD.F`.
    pub sbdf: String,
    /// PCI segment (domain).
    pub segment: u16,
    /// Bus number.
    pub bus: u8,
    /// Device number (0-31).
    pub device: u8,
    /// Function number (0-7).
    pub function: u8,
    /// Vendor ID (config offset 0x0, else sysfs `vendor`; 0xffff when neither is there).
    pub vendor_id: u16,
    /// Device ID (config offset 0x2, else sysfs `device`; 0xffff when neither is there).
    pub device_id: u16,
    /// Class code: base class << 16 | subclass << 8 | prog-if.
    pub class: u32,
    /// Header type (config offset 0xe, multi-function bit masked): 0 endpoint, 1 PCI-PCI bridge, 2 CardBus bridge.
    pub header_type: Option<u8>,
    /// Bytes of config space captured (256, or 4096 for PCIe as root).
    pub config_len: usize,
    /// The captured config space itself (at most 4096 bytes).
    #[serde(skip)]
    pub config: Vec<u8>,
    /// Memory and I/O ranges from sysfs `resource` (empty and unset lines skipped; none for lspci dumps).
    pub resources: Vec<Resource>,
}

impl PciFunction {
    /// Host bridge (class 06:00) on bus 0: the root complex.
    pub fn is_host_bridge(&self) -> bool {
        self.class >> 8 == 0x0600
    }

    /// An IOMMU function (class 08:06).
    pub fn is_iommu(&self) -> bool {
        self.class >> 8 == 0x0806
    }

    /// An AMD (or Hygon) IOMMU function's register base and the config offset of the
    /// capability it was read from (see [`config::amd_iommu_base`]).
    pub fn amd_iommu_base(&self) -> Option<(u64, u16)> {
        (self.is_iommu() && matches!(self.vendor_id, 0x1022 | 0x1d94))
            .then(|| config::amd_iommu_base(&self.config))
            .flatten()
    }

    /// ISA/LPC bridge (class 06:01): the PCH/FCH function with the BIOS controls.
    pub fn is_lpc_bridge(&self) -> bool {
        self.class >> 8 == 0x0601
    }
}

const IORESOURCE_IO: u64 = 0x100;
const IORESOURCE_MEM: u64 = 0x200;
const IORESOURCE_PREFETCH: u64 = 0x2000;

/// (artifact path, file name inside the function's directory, bytes).
type FileRef<'a> = (&'a str, &'a str, &'a [u8]);

/// Parses `SSSS:BB:DD.F`.
fn parse_sbdf(s: &str) -> Option<(u16, u8, u8, u8)> {
    let (seg, rest) = s.split_once(':')?;
    let (bus, rest) = rest.split_once(':')?;
    let (dev, func) = rest.split_once('.')?;
    let seg = u16::from_str_radix(seg, 16).ok()?;
    let bus = u8::from_str_radix(bus, 16).ok()?;
    let dev = u8::from_str_radix(dev, 16).ok().filter(|&d| d < 32)?;
    let func = u8::from_str_radix(func, 16).ok().filter(|&f| f < 8)?;
    Some((seg, bus, dev, func))
}

fn hex_text(b: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(b).ok()?.trim();
    u64::from_str_radix(s.strip_prefix("0x").unwrap_or(s), 16).ok()
}

/// Reads every `pci/<sbdf>/` directory among `artifacts` (path, bytes).
pub fn parse<'a>(
    artifacts: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    warnings: &mut Vec<Warning>,
) -> Vec<PciFunction> {
    let mut by: std::collections::BTreeMap<String, Vec<FileRef<'a>>> = Default::default();
    for (path, bytes) in artifacts {
        let Some(rest) = path.strip_prefix("pci/") else {
            continue;
        };
        let Some((sbdf, file)) = rest.split_once('/') else {
            continue;
        };
        by.entry(sbdf.to_owned())
            .or_default()
            .push((path, file, bytes));
    }
    let mut out = Vec::new();
    for (sbdf, files) in by {
        let Some((segment, bus, device, function)) = parse_sbdf(&sbdf) else {
            warnings.push(Warning {
                artifact: format!("pci/{sbdf}"),
                line: 0,
                message: "not a PCI address (SSSS:BB:DD.F); skipped".into(),
            });
            continue;
        };
        let get = |name: &str| files.iter().find(|f| f.1 == name).map(|f| (f.0, f.2));
        let config = get("config").map(|c| c.1).unwrap_or(&[]);
        let cfg16 = |o: usize| {
            config
                .get(o..o + 2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
        };
        let vendor_id = cfg16(0)
            .or_else(|| {
                get("vendor")
                    .and_then(|v| hex_text(v.1))
                    .and_then(|v| u16::try_from(v).ok())
            })
            .unwrap_or(0xffff);
        let device_id = cfg16(2)
            .or_else(|| {
                get("device")
                    .and_then(|v| hex_text(v.1))
                    .and_then(|v| u16::try_from(v).ok())
            })
            .unwrap_or(0xffff);
        let class = config
            .get(9..12)
            .map(|b| u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
            .or_else(|| {
                get("class")
                    .and_then(|v| hex_text(v.1))
                    .and_then(|v| u32::try_from(v).ok())
            })
            .unwrap_or(0);
        let header_type = config.get(0x0e).map(|h| h & 0x7f);
        let mut resources = Vec::new();
        if let Some((path, bytes)) = get("resource") {
            let text = String::from_utf8_lossy(bytes);
            for (i, line) in text.lines().enumerate().take(64) {
                let mut f = line.split_whitespace().map(|w| hex_text(w.as_bytes()));
                let (Some(Some(start)), Some(Some(end)), Some(Some(flags))) =
                    (f.next(), f.next(), f.next())
                else {
                    warnings.push(Warning {
                        artifact: path.into(),
                        line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                        message: format!("unreadable resource line {line:?}"),
                    });
                    continue;
                };
                if flags & (IORESOURCE_IO | IORESOURCE_MEM) == 0
                    || end < start
                    || (start == 0 && end == 0)
                {
                    continue;
                }
                resources.push(Resource {
                    index: u8::try_from(i).unwrap_or(u8::MAX),
                    start,
                    end,
                    io: flags & IORESOURCE_IO != 0,
                    prefetchable: flags & IORESOURCE_PREFETCH != 0,
                    line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    text: line.trim().to_owned(),
                });
            }
        }
        out.push(PciFunction {
            sbdf,
            segment,
            bus,
            device,
            function,
            vendor_id,
            device_id,
            class,
            header_type,
            config_len: config.len(),
            config: config[..config.len().min(4096)].to_vec(),
            resources,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_lines_and_bad_names() {
        let mut w = Vec::new();
        let f = parse(
            [
                ("pci/0000:00:02.0/resource", b"0x00000000feb80000 0x00000000feb9ffff 0x0000000000040200\n0x0 0x0 0x0\n0x000000000000c040 0x000000000000c05f 0x0000000000040101\ngarbage\n".as_slice()),
                ("pci/0000:00:02.0/class", b"0x020000\n".as_slice()),
                ("pci/zz:top/class", b"0x0\n".as_slice()),
            ],
            &mut w,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].class, 0x020000);
        assert_eq!(f[0].resources.len(), 2);
        assert!(f[0].resources[1].io);
        assert_eq!(f[0].resources[1].index, 2);
        assert_eq!(w.len(), 2, "{w:?}");
    }
}

//! `/proc/cpuinfo` as dom0 saw it: vendor, family and, most usefully, the
//! physical address width (`address sizes : 40 bits physical`), which sets the
//! top of dom0's I/O memory in Xen. A PV dom0 sees the host's CPUID leaves for these.

use serde::Serialize;

/// The first processor's block of dom0's `/proc/cpuinfo` (`linux/cpuinfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cpuinfo {
    /// Artifact path inside the snapshot.
    pub artifact: String,
    /// `vendor_id`, e.g. `GenuineIntel`, `AuthenticAMD`.
    pub vendor_id: Option<String>,
    /// `cpu family`, decimal.
    pub family: Option<u32>,
    /// `model`, decimal.
    pub model: Option<u32>,
    /// Physical address bits from `address sizes`; None when missing or outside 32-64.
    pub phys_bits: Option<u8>,
    /// Virtual address bits from `address sizes`.
    pub virt_bits: Option<u8>,
    /// 1-based line of the `address sizes` entry.
    pub address_sizes_line: Option<u32>,
}

/// Reads the first processor's block. Returns None when nothing was recognised.
pub fn parse(artifact: &str, bytes: &[u8]) -> Option<Cpuinfo> {
    let text = String::from_utf8_lossy(bytes);
    let mut c = Cpuinfo {
        artifact: artifact.into(),
        vendor_id: None,
        family: None,
        model: None,
        phys_bits: None,
        virt_bits: None,
        address_sizes_line: None,
    };
    for (i, line) in text.lines().enumerate().take(10_000) {
        if line.trim().is_empty() && c.vendor_id.is_some() {
            break;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        match k {
            "vendor_id" => c.vendor_id = Some(v.to_owned()),
            "cpu family" => c.family = v.parse().ok(),
            "model" => c.model = v.parse().ok(),
            "address sizes" => {
                // "40 bits physical, 48 bits virtual"
                let mut nums = v.split(',').map(|p| {
                    p.split_whitespace()
                        .next()
                        .and_then(|n| n.parse::<u8>().ok())
                });
                c.phys_bits = nums.next().flatten().filter(|&b| (32..=64).contains(&b));
                c.virt_bits = nums.next().flatten();
                c.address_sizes_line = u32::try_from(i + 1).ok();
            }
            _ => {}
        }
    }
    (c.vendor_id.is_some() || c.phys_bits.is_some()).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_address_sizes() {
        let c = parse(
            "linux/cpuinfo",
            b"processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 15\nmodel\t\t: 107\naddress sizes\t: 40 bits physical, 48 bits virtual\n\nprocessor\t: 1\n",
        )
        .unwrap();
        assert_eq!(c.phys_bits, Some(40));
        assert_eq!(c.virt_bits, Some(48));
        assert_eq!(c.address_sizes_line, Some(5));
        assert_eq!(c.family, Some(15));
        assert!(parse("x", b"garbage\x00\xff").is_none());
    }
}

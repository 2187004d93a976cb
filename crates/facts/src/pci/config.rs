//! Decoding captured config space (PCI Local Bus 3.0 §6.1, PCIe 6.0 §7.5):
//! BARs as the registers read (sizes are unknowable from a dump without
//! writing, so only the base and type), and the capability lists.

use serde::Serialize;

use crate::evidence::hex;

/// A BAR register's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bar {
    /// BAR number, 0-5 (a 64-bit BAR also uses the next register).
    pub index: u8,
    /// An I/O-space BAR (bit 0 set).
    pub io: bool,
    /// A 64-bit memory BAR (type bits 2:1 = 10b).
    pub is_64: bool,
    /// Prefetchable memory (bit 3).
    pub prefetchable: bool,
    /// Base address as programmed, flag bits masked (with the upper half for a 64-bit BAR).
    #[serde(serialize_with = "hex::u64")]
    pub base: u64,
}

/// A capability in the standard (0x40-0xff) or extended (0x100+) list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capability {
    /// Capability ID (8 bits in the standard list, 16 in the extended one).
    pub id: u16,
    /// Offset of the capability in config space.
    pub offset: u16,
    /// In the extended list (0x100 and up) rather than the standard one.
    pub extended: bool,
    /// A human name for the ID (`other` when not known here).
    pub name: &'static str,
}

/// MSI-X table and PBA location (BAR index and offset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MsiX {
    /// BAR holding the MSI-X table (Table BIR, capability offset 4, bits 2:0).
    pub table_bar: u8,
    /// Offset of the table in that BAR.
    pub table_offset: u32,
    /// BAR holding the Pending Bit Array (PBA BIR, capability offset 8, bits 2:0).
    pub pba_bar: u8,
    /// Offset of the PBA in that BAR.
    pub pba_offset: u32,
    /// Number of table entries (Message Control bits 10:0, plus one).
    pub entries: u16,
}

fn u16_at(c: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(c.get(o..o + 2)?.try_into().ok()?))
}

fn u32_at(c: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(c.get(o..o + 4)?.try_into().ok()?))
}

/// BARs of a type-0 header (6) or a bridge (2).
pub fn bars(c: &[u8]) -> Vec<Bar> {
    let n = match c.get(0x0e).map(|h| h & 0x7f) {
        Some(0) => 6,
        Some(1) => 2,
        _ => 0,
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let Some(lo) = u32_at(c, 0x10 + 4 * i) else {
            break;
        };
        let io = lo & 1 == 1;
        let is_64 = !io && (lo >> 1) & 3 == 2;
        let mut base = if io {
            u64::from(lo & !3)
        } else {
            u64::from(lo & !0xf)
        };
        if is_64 {
            base |= u64::from(u32_at(c, 0x10 + 4 * (i + 1)).unwrap_or(0)) << 32;
        }
        if base != 0 {
            out.push(Bar {
                index: i as u8,
                io,
                is_64,
                prefetchable: !io && lo & 8 != 0,
                base,
            });
        }
        i += if is_64 { 2 } else { 1 };
    }
    out
}

fn cap_name(id: u16, extended: bool) -> &'static str {
    match (extended, id) {
        (false, 0x01) => "power management",
        (false, 0x05) => "MSI",
        (false, 0x08) => "HyperTransport",
        (false, 0x09) => "vendor specific",
        (false, 0x0d) => "bridge subsystem ID",
        (false, 0x10) => "PCI Express",
        (false, 0x11) => "MSI-X",
        (false, 0x12) => "SATA",
        (false, 0x13) => "advanced features",
        (true, 0x01) => "advanced error reporting",
        (true, 0x02) => "virtual channel",
        (true, 0x03) => "device serial number",
        (true, 0x0b) => "vendor specific (extended)",
        (true, 0x0d) => "access control services",
        (true, 0x0e) => "alternative routing ID",
        (true, 0x0f) => "address translation services",
        (true, 0x10) => "SR-IOV",
        (true, 0x13) => "page request",
        (true, 0x18) => "latency tolerance reporting",
        (true, 0x1b) => "process address space ID",
        (true, 0x1e) => "L1 PM substates",
        _ => "other",
    }
}

/// Walks both capability lists, stopping at loops (a corrupt chain can point
/// back at itself), bad pointers and the end of the captured bytes.
pub fn capabilities(c: &[u8]) -> Vec<Capability> {
    let mut out = Vec::new();
    let mut visited = [false; 1024];
    let mut first_visit = |p: usize| !std::mem::replace(&mut visited[(p / 4) % 1024], true);
    if c.get(6).is_some_and(|s| s & 0x10 != 0) {
        let mut p = usize::from(c.get(0x34).copied().unwrap_or(0) & 0xfc);
        let mut seen = 0;
        while p >= 0x40 && p + 1 < c.len().min(0x100) && seen < 48 && first_visit(p) {
            let id = u16::from(c[p]);
            out.push(Capability {
                id,
                offset: p as u16,
                extended: false,
                name: cap_name(id, false),
            });
            p = usize::from(c[p + 1] & 0xfc);
            seen += 1;
        }
    }
    let mut p = 0x100usize;
    let mut seen = 0;
    while p >= 0x100 && p + 4 <= c.len() && seen < 512 && first_visit(p) {
        let Some(h) = u32_at(c, p) else { break };
        if h == 0 || h == 0xffff_ffff {
            break;
        }
        let id = (h & 0xffff) as u16;
        out.push(Capability {
            id,
            offset: p as u16,
            extended: true,
            name: cap_name(id, true),
        });
        p = (h >> 20) as usize & 0xffc;
        seen += 1;
    }
    out
}

/// The register base of an AMD IOMMU from its IOMMU Capability Block (capability ID 0x0F
/// with capability type 011b in bits 18:16 of the header), and the block's offset: the Base
/// Address Low register (block + 4) holds bits 31:14, Base Address High (block + 8) bits 63:32
/// (AMD I/O Virtualization Technology (IOMMU) Specification, 48882 rev 3.x, §3.2.2). The
/// firmware programs it; dom0 can read it even where Xen hides the IVRS table (PVH).
pub fn amd_iommu_base(c: &[u8]) -> Option<(u64, u16)> {
    let cap = capabilities(c).into_iter().find(|k| {
        !k.extended
            && k.id == 0x0f
            && u32_at(c, usize::from(k.offset)).is_some_and(|h| (h >> 16) & 7 == 3)
    })?;
    let o = usize::from(cap.offset);
    let low = u64::from(u32_at(c, o + 4)? & 0xffff_c000);
    let high = u64::from(u32_at(c, o + 8)?);
    let base = high << 32 | low;
    (base != 0).then_some((base, cap.offset))
}

/// The MSI-X table and PBA, if the function has the capability.
pub fn msix(c: &[u8]) -> Option<MsiX> {
    let cap = capabilities(c)
        .into_iter()
        .find(|k| !k.extended && k.id == 0x11)?;
    let o = usize::from(cap.offset);
    let ctl = u16_at(c, o + 2)?;
    let t = u32_at(c, o + 4)?;
    let p = u32_at(c, o + 8)?;
    Some(MsiX {
        table_bar: (t & 7) as u8,
        table_offset: t & !7,
        pba_bar: (p & 7) as u8,
        pba_offset: p & !7,
        entries: (ctl & 0x7ff) + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::amd_iommu_base;

    /// The capability block as QEMU's `amd-iommu` (1022:0018) lays it out: ID 0x0F at 0x40,
    /// type 011b, base 0xfed80000.
    fn iommu_config(header: u32, low: u32, high: u32) -> Vec<u8> {
        let mut c = vec![0u8; 256];
        c[0..4].copy_from_slice(&[0x22, 0x10, 0x18, 0x00]);
        c[6] = 0x10; // capability list present
        c[0x34] = 0x40;
        c[0x40..0x44].copy_from_slice(&header.to_le_bytes());
        c[0x44..0x48].copy_from_slice(&low.to_le_bytes());
        c[0x48..0x4c].copy_from_slice(&high.to_le_bytes());
        c
    }

    #[test]
    fn the_iommu_capability_gives_the_register_base() {
        let c = iommu_config(0x1f03_000f, 0xfed8_0001, 0);
        assert_eq!(amd_iommu_base(&c), Some((0xfed8_0000, 0x40)));
        let c = iommu_config(0x1f03_000f, 0x8000_4000, 0x1);
        assert_eq!(amd_iommu_base(&c), Some((0x1_8000_4000, 0x40)));
    }

    #[test]
    fn another_secure_device_type_or_no_base_is_not_an_iommu_base() {
        assert_eq!(
            amd_iommu_base(&iommu_config(0x1f02_000f, 0xfed8_0000, 0)),
            None
        );
        assert_eq!(amd_iommu_base(&iommu_config(0x1f03_000f, 0x3fff, 0)), None);
        // Truncated config space: the block runs past the captured bytes.
        let c = iommu_config(0x1f03_000f, 0xfed8_0000, 0);
        assert_eq!(amd_iommu_base(&c[..0x46]), None);
    }
}

/// An MSI or MSI-X capability and whether its Enable bit is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsiCap {
    /// `MSI` (capability ID 0x05) or `MSI-X` (0x11).
    pub kind: &'static str,
    /// The capability's offset in config space.
    pub offset: u16,
    /// Message Control: MSI Enable (bit 0) or MSI-X Enable (bit 15), as the driver (through
    /// Xen, for a PV dom0) left it (PCI Local Bus 3.0 §6.8.1.3, §6.8.2.3).
    pub enabled: bool,
    /// The Message Control register.
    pub control: u16,
}

/// The function's MSI and MSI-X capabilities with their Enable bits: whether it signals by
/// message, which is what makes Xen grant its IRQs to the domain that maps them.
pub fn msi_caps(c: &[u8]) -> Vec<MsiCap> {
    capabilities(c)
        .into_iter()
        .filter(|k| !k.extended && (k.id == 0x05 || k.id == 0x11))
        .filter_map(|k| {
            let control = u16_at(c, usize::from(k.offset) + 2)?;
            let (kind, bit) = if k.id == 0x05 {
                ("MSI", 0)
            } else {
                ("MSI-X", 15)
            };
            Some(MsiCap {
                kind,
                offset: k.offset,
                enabled: control >> bit & 1 == 1,
                control,
            })
        })
        .collect()
}

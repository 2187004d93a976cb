//! A byte-level scan of DSDT/SSDT AML for `OperationRegion` declarations in
//! SystemMemory and SystemIO with constant offset and length (ACPI 6.5 §20.2.5.2:
//! `DefOpRegion := ExtOpPrefix 0x80 NameString RegionSpace RegionOffset RegionLen`).
//! Not an interpreter: a region whose offset or length is computed is reported
//! as dynamic. A match inside a Buffer's data could in principle be a false
//! hit; the NameString and RegionSpace checks make that unlikely.

use serde::Serialize;

use crate::evidence::hex;

/// The address space of an operation region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Space {
    /// RegionSpace 0: physical memory.
    SystemMemory,
    /// RegionSpace 1: I/O ports.
    SystemIo,
    /// RegionSpace 2: PCI configuration space.
    PciConfig,
    /// RegionSpace 3: the embedded controller.
    EmbeddedControl,
    /// Any other space id the scan accepts (0x04-0x0a, or OEM-defined 0x80-0xff).
    Other(u8),
}

/// One `OperationRegion`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpRegion {
    /// Name path as declared (e.g. `\_SB.GNVS`), each segment's trailing `_` padding dropped.
    pub name: String,
    /// The RegionSpace byte.
    pub space: Space,
    /// None when computed at run time.
    #[serde(serialize_with = "hex::opt_u64")]
    pub offset: Option<u64>,
    /// Length in bytes; None when computed at run time.
    #[serde(serialize_with = "hex::opt_u64")]
    pub length: Option<u64>,
    /// Byte offset of the declaration in the table.
    pub at: usize,
}

/// Regions kept from one table. Each kept region costs a few hundred bytes here and in the
/// inventory, and a hostile 64 MiB SSDT declares five million; past this many a table's
/// regions are counted, not kept, and [`super::AcpiTables::parse`] reports the count, so the
/// owners missing from the inventory are never lost silently.
pub const MAX_REGIONS_PER_TABLE: usize = 2048;

/// Regions kept across all of a snapshot's tables (so memory stays bounded however many
/// tables there are).
pub const MAX_REGIONS: usize = 8192;

/// What the scan of one table found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// The first regions, in table order, at most the `keep` the caller asked for.
    pub regions: Vec<OpRegion>,
    /// Regions found after those and not kept.
    pub not_kept: u64,
}

/// Scans one table's bytes (the whole table, header included), keeping at most `keep`
/// regions and counting the rest; time is linear in the table, memory in `keep`.
pub fn scan(table: &[u8], keep: usize) -> Scan {
    let mut out = Scan::default();
    let mut i = 36usize.min(table.len());
    while i + 2 < table.len() {
        if table[i] == 0x5b
            && table[i + 1] == 0x80
            && let Some((r, next)) = region(table, i, out.regions.len() < keep)
        {
            match r {
                Some(r) => out.regions.push(r),
                None => out.not_kept += 1,
            }
            i = next;
            continue;
        }
        i += 1;
    }
    out
}

/// The region at `at` and the position after it; with `keep` false it is only checked
/// (no name is built), so counting the ones past the cap allocates nothing.
fn region(b: &[u8], at: usize, keep: bool) -> Option<(Option<OpRegion>, usize)> {
    let mut p = name_string(b, at + 2)?;
    let space = match *b.get(p)? {
        0 => Space::SystemMemory,
        1 => Space::SystemIo,
        2 => Space::PciConfig,
        3 => Space::EmbeddedControl,
        n if n <= 0x0a || n >= 0x80 => Space::Other(n),
        _ => return None,
    };
    p += 1;
    let (offset, p2) = term_arg(b, p)?;
    let (length, p3) = term_arg(b, p2)?;
    let r = keep.then(|| OpRegion {
        name: name_text(b, at + 2),
        space,
        offset,
        length,
        at,
    });
    Some((r, p3))
}

fn lead(c: u8) -> bool {
    c.is_ascii_uppercase() || c == b'_'
}

fn seg_char(c: u8) -> bool {
    lead(c) || c.is_ascii_digit()
}

fn name_seg(b: &[u8], p: usize) -> Option<&[u8]> {
    let s = b.get(p..p + 4)?;
    (lead(s[0]) && s[1..].iter().all(|&c| seg_char(c))).then_some(s)
}

/// At most this many `^` (parent) prefixes are accepted.
const MAX_CARETS: usize = 64;

/// `NameString := RootChar NamePath | PrefixPath NamePath`: the prefix (`\` or `^`s), the
/// segments' start and count. The one parser of the syntax for [`name_string`] and [`name_text`].
fn name_parts(b: &[u8], mut p: usize) -> Option<(usize, usize, usize, usize)> {
    let from = p;
    match *b.get(p)? {
        b'\\' => p += 1,
        b'^' => {
            while *b.get(p)? == b'^' && p - from < MAX_CARETS {
                p += 1;
            }
        }
        _ => {}
    }
    let prefix = p - from;
    let segs = match *b.get(p)? {
        0x00 => return Some((prefix, p + 1, 0, p + 1)),
        0x2e => {
            p += 1;
            2
        }
        0x2f => {
            let n = usize::from(*b.get(p + 1)?);
            p += 2;
            n
        }
        _ => 1,
    };
    if segs == 0 || segs > 32 {
        return None;
    }
    for k in 0..segs {
        name_seg(b, p + 4 * k)?;
    }
    Some((prefix, p, segs, p + 4 * segs))
}

/// Checks the NameString at `p`; returns the position after it.
fn name_string(b: &[u8], p: usize) -> Option<usize> {
    name_parts(b, p).map(|(.., next)| next)
}

/// The NameString at `p` as text (e.g. `\_SB.GNVS`), each segment's `_` padding dropped;
/// empty if it does not parse (callers check with [`name_string`] first).
fn name_text(b: &[u8], p: usize) -> String {
    let Some((prefix, segs_at, segs, _)) = name_parts(b, p) else {
        return String::new();
    };
    let mut name = String::from_utf8_lossy(&b[p..p + prefix]).into_owned();
    for k in 0..segs {
        if k > 0 {
            name.push('.');
        }
        let seg = &b[segs_at + 4 * k..segs_at + 4 * k + 4];
        name.push_str(String::from_utf8_lossy(seg).trim_end_matches('_'));
    }
    name
}

/// A TermArg that is an integer constant gives its value; anything else is
/// dynamic and is skipped by its encoded size when that is knowable.
fn term_arg(b: &[u8], p: usize) -> Option<(Option<u64>, usize)> {
    let le = |n: usize| -> Option<u64> {
        let s = b.get(p + 1..p + 1 + n)?;
        Some(s.iter().rev().fold(0u64, |a, &x| (a << 8) | u64::from(x)))
    };
    Some(match *b.get(p)? {
        0x00 => (Some(0), p + 1),
        0x01 => (Some(1), p + 1),
        0xff => (Some(u64::MAX), p + 1),
        0x0a => (Some(le(1)?), p + 2),
        0x0b => (Some(le(2)?), p + 3),
        0x0c => (Some(le(4)?), p + 5),
        0x0e => (Some(le(8)?), p + 9),
        // A name (e.g. a field) or a method call: computed at run time.
        c if lead(c) || c == b'\\' || c == b'^' || c == 0x2e || c == 0x2f => {
            (None, name_string(b, p)?)
        }
        // LocalN / ArgN.
        0x60..=0x6e => (None, p + 1),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(body: &[u8]) -> Vec<u8> {
        let mut t = vec![0u8; 36];
        t.extend_from_slice(body);
        t
    }

    #[test]
    fn constant_and_dynamic_regions() {
        // OperationRegion (PRST, SystemIO, 0x0CD8, 0x0C)
        let t = table(&[
            0x5b, 0x80, b'P', b'R', b'S', b'T', 0x01, 0x0b, 0xd8, 0x0c, 0x0a, 0x0c,
        ]);
        let r = scan(&t, 8).regions;
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].space, r[0].offset, r[0].length),
            (Space::SystemIo, Some(0xcd8), Some(0xc))
        );
        // OperationRegion (\_SB.GNVS, SystemMemory, NVSA, 0x1000): offset is a name.
        let t = table(&[
            0x5b, 0x80, b'\\', 0x2e, b'_', b'S', b'B', b'_', b'G', b'N', b'V', b'S', 0x00, b'N',
            b'V', b'S', b'A', 0x0b, 0x00, 0x10,
        ]);
        let r = scan(&t, 8).regions;
        assert_eq!(r[0].name, "\\_SB.GNVS");
        assert_eq!((r[0].offset, r[0].length), (None, Some(0x1000)));
    }

    #[test]
    fn truncated_and_garbage_input_never_panics() {
        let t = table(&[0x5b, 0x80, b'P', b'R', b'S', b'T', 0x01, 0x0c, 0xd8]);
        assert_eq!(scan(&t, 8), Scan::default());
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 9) as u8)
            .collect();
        let _ = scan(&noise, 8);
        for cut in 0..40 {
            let _ = scan(&t[..cut.min(t.len())], 8);
        }
    }

    /// `OperationRegion (Rnnn, SystemMemory, DWordConst, ByteConst)` `n` times, distinct.
    fn packed(n: u32) -> Vec<u8> {
        let mut body = Vec::new();
        for i in 0..n {
            let d = |k: u32| b'0' + (i / k % 10) as u8;
            body.extend_from_slice(&[0x5b, 0x80, b'R', d(100), d(10), d(1), 0x00, 0x0c]);
            body.extend_from_slice(&(0x1000_0000 + i * 16).to_le_bytes());
            body.extend_from_slice(&[0x0a, 0x10]);
        }
        table(&body)
    }

    #[test]
    fn regions_past_the_cap_are_counted_not_kept() {
        let s = scan(&packed(1000), 300);
        assert_eq!((s.regions.len(), s.not_kept), (300, 700));
        assert_eq!(s.regions[299].name, "R299");
        assert_eq!(s.regions[299].offset, Some(0x1000_0000 + 299 * 16));
        let all = scan(&packed(1000), usize::MAX);
        assert_eq!((all.regions.len(), all.not_kept), (1000, 0));
        assert_eq!(all.regions[..300], s.regions[..]);
    }

    #[test]
    fn name_prefixes_and_paths() {
        // ^^Multi-name path of three segments; a root-only NullName.
        let mut b = vec![b'^', b'^', 0x2f, 3];
        b.extend_from_slice(b"_SB_PCI0LPCB");
        assert_eq!(name_string(&b, 0), Some(b.len()));
        assert_eq!(name_text(&b, 0), "^^_SB.PCI0.LPCB");
        assert_eq!(name_text(b"\\\0", 0), "\\");
        assert_eq!(name_string(&[b'^'; 80], 0), None);
        assert_eq!(name_string(b"\\\x2f\0", 0), None);
    }
}

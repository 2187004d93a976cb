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

/// Scans one table's bytes (the whole table, header included).
pub fn scan(table: &[u8]) -> Vec<OpRegion> {
    let mut out = Vec::new();
    let mut i = 36usize.min(table.len());
    while i + 2 < table.len() {
        if table[i] == 0x5b
            && table[i + 1] == 0x80
            && let Some((r, next)) = region(table, i)
        {
            out.push(r);
            i = next;
            continue;
        }
        i += 1;
    }
    out
}

fn region(b: &[u8], at: usize) -> Option<(OpRegion, usize)> {
    let (name, mut p) = name_string(b, at + 2)?;
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
    Some((
        OpRegion {
            name,
            space,
            offset,
            length,
            at,
        },
        p3,
    ))
}

fn lead(c: u8) -> bool {
    c.is_ascii_uppercase() || c == b'_'
}

fn seg_char(c: u8) -> bool {
    lead(c) || c.is_ascii_digit()
}

fn name_seg(b: &[u8], p: usize) -> Option<String> {
    let s = b.get(p..p + 4)?;
    (lead(s[0]) && s[1..].iter().all(|&c| seg_char(c)))
        .then(|| String::from_utf8_lossy(s).trim_end_matches('_').to_owned())
}

/// `NameString := RootChar NamePath | PrefixPath NamePath`; returns it and the next position.
fn name_string(b: &[u8], mut p: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    match *b.get(p)? {
        b'\\' => {
            name.push('\\');
            p += 1;
        }
        b'^' => {
            while *b.get(p)? == b'^' && name.len() < 64 {
                name.push('^');
                p += 1;
            }
        }
        _ => {}
    }
    let segs = match *b.get(p)? {
        0x00 => return Some((name, p + 1)),
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
    let mut parts = Vec::with_capacity(segs);
    for _ in 0..segs {
        parts.push(name_seg(b, p)?);
        p += 4;
    }
    name.push_str(&parts.join("."));
    Some((name, p))
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
            let (_, next) = name_string(b, p)?;
            (None, next)
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
        let r = scan(&t);
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
        let r = scan(&t);
        assert_eq!(r[0].name, "\\_SB.GNVS");
        assert_eq!((r[0].offset, r[0].length), (None, Some(0x1000)));
    }

    #[test]
    fn truncated_and_garbage_input_never_panics() {
        let t = table(&[0x5b, 0x80, b'P', b'R', b'S', b'T', 0x01, 0x0c, 0xd8]);
        assert!(scan(&t).is_empty());
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 9) as u8)
            .collect();
        let _ = scan(&noise);
        for cut in 0..40 {
            let _ = scan(&t[..cut.min(t.len())]);
        }
    }
}

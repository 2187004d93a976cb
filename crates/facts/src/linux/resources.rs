//! `/proc/iomem` and `/proc/ioports` as dom0 saw them: the kernel's resource
//! tree (two spaces of indent per level). In a PV dom0 RAM entries are dom0's
//! pseudo-physical view; MMIO entries are machine addresses. They say what dom0
//! itself uses — which ranges it must keep when it gives others up.

use serde::Serialize;

use crate::evidence::{Warning, hex};

/// One resource line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceEntry {
    /// First address of the range.
    #[serde(serialize_with = "hex::u64")]
    pub start: u64,
    /// Last address of the range (inclusive, as the kernel prints it).
    #[serde(serialize_with = "hex::u64")]
    pub end: u64,
    /// What the kernel calls the range (e.g. `System RAM`, `PCI Bus 0000:00`).
    pub name: String,
    /// Nesting depth (0 = top level).
    pub depth: u8,
    /// 1-based line in the artifact.
    pub line: u32,
}

/// Parses a resource tree; malformed lines are warnings.
pub fn parse(artifact: &str, bytes: &[u8], warnings: &mut Vec<Warning>) -> Vec<ResourceEntry> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate().take(1_000_000) {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if raw.trim().is_empty() {
            continue;
        }
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let parsed = raw
            .trim_start()
            .split_once(" : ")
            .and_then(|(range, name)| {
                let (s, e) = range.split_once('-')?;
                let s = u64::from_str_radix(s.trim(), 16).ok()?;
                let e = u64::from_str_radix(e.trim(), 16).ok()?;
                (s <= e).then(|| (s, e, name.trim().to_owned()))
            });
        match parsed {
            Some((start, end, name)) => out.push(ResourceEntry {
                start,
                end,
                name,
                depth: u8::try_from(indent / 2).unwrap_or(u8::MAX),
                line: line_no,
            }),
            None => warnings.push(Warning {
                artifact: artifact.into(),
                line: line_no,
                message: format!(
                    "not a resource line (\"start-end : name\"): {:?}",
                    raw.chars().take(80).collect::<String>()
                ),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_lines_and_bad_lines() {
        let mut w = Vec::new();
        let r = parse(
            "linux/iomem",
            b"00000000-00000fff : Reserved\n  000a0000-000bffff : PCI Bus 0000:00\nzzzz\nfff-000 : backwards\n",
            &mut w,
        );
        assert_eq!(r.len(), 2);
        assert_eq!((r[1].start, r[1].end, r[1].depth), (0xa0000, 0xbffff, 1));
        assert_eq!(w.iter().map(|w| w.line).collect::<Vec<_>>(), vec![3, 4]);
    }
}

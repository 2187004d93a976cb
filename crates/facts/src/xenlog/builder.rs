//! The per-line dispatcher: one boot-log copy's facts, built line by line.

use std::collections::BTreeMap;

use super::lines::XenLine;
use super::model::XenLog;
use super::{dom0, header, iommu, irqdump, memmap, patches, pcidump, platform, rangesets};
use crate::evidence::Warning;

/// A multi-line block being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Block {
    None,
    E820,
    Efi,
    /// Index into `log.rangesets`.
    Rangesets(usize),
}

pub(crate) struct Builder {
    pub log: XenLog,
    pub block: Block,
    /// Dumps started so far (shared across copies by the caller).
    pub dumps: u32,
    /// Whether a `'q' pressed` line opened the current dump.
    pub dump_open: bool,
    /// Domains already listed in the current dump of this builder's log (a repeat starts a
    /// new dump); kept so a header costs O(1), not a scan of every earlier dump.
    pub dump_domains: std::collections::HashSet<u32>,
}

impl Builder {
    pub fn new(artifact: &str) -> Self {
        Builder {
            log: XenLog {
                artifact: artifact.into(),
                cited: BTreeMap::new(),
                ..XenLog::default()
            },
            block: Block::None,
            dumps: 0,
            dump_open: false,
            dump_domains: std::collections::HashSet::new(),
        }
    }

    /// Records the line's text so evidence can quote it.
    pub fn cite(&mut self, l: &XenLine<'_>) -> u32 {
        self.log.cited.insert(l.no, l.body.trim().to_owned());
        l.no
    }

    pub fn warn(&mut self, l: &XenLine<'_>, message: impl Into<String>) {
        self.log.warnings.push(Warning {
            artifact: self.log.artifact.clone(),
            line: l.no,
            message: format!("{}: {:?}", message.into(), truncate(l.body.trim(), 160)),
        });
    }

    /// Feeds one line.
    pub fn line(&mut self, l: &XenLine<'_>) {
        let handled_by_block = match self.block {
            Block::None => false,
            Block::E820 => memmap::e820_entry(self, l),
            Block::Efi => memmap::efi_entry(self, l),
            Block::Rangesets(i) => rangesets::entry(self, i, l),
        };
        if handled_by_block {
            return;
        }
        self.block = Block::None;
        let _ = header::line(self, l)
            || memmap::header(self, l)
            || platform::line(self, l)
            || iommu::line(self, l)
            || dom0::line(self, l)
            || patches::line(self, l)
            || rangesets::header(self, l)
            || pcidump::line(self, l)
            || irqdump::line(self, l);
    }
}

pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Parses a hex number with or without `0x`.
pub(crate) fn hex(s: &str) -> Option<u64> {
    let s = s.trim();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

/// Parses a decimal number.
pub(crate) fn dec<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.trim().parse().ok()
}

//! Where a fact came from: the artifact and line, with the line's text, so every
//! finding can quote its source.

use serde::Serialize;

/// One source line backing a fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Artifact path inside the snapshot (e.g. `xen/dmesg.txt`).
    pub artifact: String,
    /// 1-based line number in that artifact; 0 for binary artifacts, whose
    /// text then names the byte offset.
    pub line: u32,
    /// The Xen console text of the line, without host prefixes or timestamps.
    pub text: String,
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.artifact, self.text)
        } else {
            write!(f, "{}:{}: {}", self.artifact, self.line, self.text)
        }
    }
}

/// A problem with one input line: it looked like a known line but did not parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Artifact path inside the snapshot (e.g. `xen/dmesg.txt`).
    pub artifact: String,
    /// 1-based line number, 0 when the warning concerns the whole artifact.
    pub line: u32,
    /// What was wrong with it, and what was done instead.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.artifact, self.message)
        } else {
            write!(f, "{}:{}: {}", self.artifact, self.line, self.message)
        }
    }
}

/// Serde helpers: addresses as `0x…` hex strings, so JSON and golden files read
/// like the logs they came from.
pub use dom0scope_ranges::hex;

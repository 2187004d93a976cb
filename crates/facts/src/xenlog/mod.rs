//! The Xen console log parser: `xl dmesg` output, serial captures, or a mix with
//! dom0's console, for every line family dom0scope needs (see
//! `shared/reference/xen-dom0-surface.md` §11 for the formats and their Xen sources).
//! Unknown lines are skipped; a line that looks like a known family but does not
//! parse becomes a warning with its line number.

pub mod arch;
mod builder;
mod copies;
mod dom0;
mod header;
mod iommu;
pub mod irqdump;
pub mod lines;
mod memmap;
pub mod model;
mod patches;
mod pcidump;
mod platform;
mod rangesets;
pub mod startup;
mod summary;

pub use irqdump::{GuestPirq, IrqBinding, IrqDumps, MsiEntry};
pub use model::*;

use crate::evidence::Warning;

/// Why nothing at all could be read from a log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{artifact}: {message}")]
pub struct LogError {
    /// Artifact path inside the snapshot.
    pub artifact: String,
    /// Why: binary data or no `(XEN)` line, with the number of lines looked at.
    pub message: String,
}

/// Parses one log artifact. Fails only when the bytes hold no Xen console line.
pub fn parse(artifact: &str, bytes: &[u8]) -> Result<XenLog, LogError> {
    let text = String::from_utf8_lossy(bytes);
    let scan = lines::scan(&text);
    let mut warnings: Vec<Warning> = scan
        .overlong
        .iter()
        .map(|&line| Warning {
            artifact: artifact.into(),
            line,
            message: format!(
                "line longer than {} bytes skipped (not a Xen console line)",
                lines::MAX_LINE
            ),
        })
        .collect();
    if scan.lines.is_empty() {
        let what = if bytes.contains(&0) || text.contains('\u{fffd}') {
            "binary data, not a Xen log"
        } else {
            "no Xen console line (\"(XEN)\" prefix) found"
        };
        let mut extra = String::new();
        if let Some(first) = scan.overlong.first() {
            extra += &format!(
                "; {} over-long line(s) skipped, first at line {first}",
                scan.overlong.len()
            );
        }
        if let Some(first) = scan.quoted.first() {
            extra += &format!(
                "; {} line(s) quote \"(XEN)\" in other text (first at line {first}): a document \
                 about a Xen log, not a log",
                scan.quoted.len()
            );
        }
        return Err(LogError {
            artifact: artifact.into(),
            message: format!("{what} in {} line(s){extra}", scan.total_lines),
        });
    }
    let mut log = copies::parse_copies(artifact, &scan.lines);
    warnings.append(&mut log.warnings);
    log.warnings = warnings;
    log.stats = Stats {
        total_lines: scan.total_lines,
        xen_lines: u32::try_from(scan.lines.len()).unwrap_or(u32::MAX),
        overlong_lines_skipped: u32::try_from(scan.overlong.len()).unwrap_or(u32::MAX),
    };
    log.startup = startup::scan(bytes);
    log.arch = arch::detect(&scan.lines);
    Ok(log)
}

//! The verdict that opens every human-facing view: map, predict, verify, hypercalls and
//! explain start with the host, the level, the counts and the answer, as `audit` does, so
//! nobody has to run a second command to learn where the host stands.

use dom0scope_engine::Analysis;
use dom0scope_fleet::snapshot_info;
use dom0scope_report::{Audit, render_header};
use dom0scope_snapshot::Snapshot;
use dom0scope_verdict::Severity;

/// The header of `view` (e.g. "map") for this analysis, fitted to `width` columns.
pub fn header(snapshot: &Snapshot, analysis: &Analysis, view: &str, width: usize) -> String {
    let audit = Audit::new(
        snapshot_info(snapshot),
        analysis.facts(),
        analysis.inventory(),
        analysis.surface().clone(),
        analysis.verdict().clone(),
        Severity::High,
    );
    render_header(&audit, view, width)
}

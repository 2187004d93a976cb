//! The verdict that opens every human-facing view: map, predict, verify, hypercalls and
//! explain start with the host, the level, the counts and the answer, as `audit` does, so
//! nobody has to run a second command to learn where the host stands.

use dom0scope_engine::Analysis;
use dom0scope_report::{Audit, SnapshotInfo, render_header};
use dom0scope_snapshot::Snapshot;
use dom0scope_verdict::Severity;

/// What the report says of the snapshot: its label, whether it is a bare log, and what was
/// damaged or unreadable in it.
pub fn snapshot_info(snapshot: &Snapshot) -> SnapshotInfo {
    SnapshotInfo {
        label: snapshot.origin.label(),
        bare_log: snapshot.is_bare_log(),
        problems: snapshot
            .issues
            .iter()
            .map(|i| match &i.artifact {
                Some(a) => format!("{a}: {}", i.message),
                None => i.message.clone(),
            })
            .collect(),
    }
}

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

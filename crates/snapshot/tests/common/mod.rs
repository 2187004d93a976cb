//! What the hostile-input tests share.

use dom0scope_snapshot::Snapshot;

/// Each snapshot issue as `ARTIFACT: MESSAGE` (`-` when it names no artifact).
pub fn messages(s: &Snapshot) -> Vec<String> {
    s.issues
        .iter()
        .map(|i| format!("{}: {}", i.artifact.as_deref().unwrap_or("-"), i.message))
        .collect()
}

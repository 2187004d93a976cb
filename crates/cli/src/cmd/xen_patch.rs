//! `harden --xen-patch DIR`: writes the Xen patch series for the snapshot's release and says
//! on stderr what it wrote, what it did not need, and what it assumed.

use std::path::Path;

use anyhow::Context as _;
use dom0scope_engine::Analysis;
use dom0scope_harden::xen_patch::{self, series};

/// Writes the series into `dir`; an error when the snapshot's release has no patches.
pub fn write(analysis: &Analysis, snapshot: &str, dir: &Path) -> anyhow::Result<()> {
    let s = series(analysis, snapshot)?;
    xen_patch::write(&s, dir)
        .with_context(|| format!("writing the Xen patch series into {}", dir.display()))?;
    let names: Vec<&str> = s.patches.iter().map(|p| p.file_name.as_str()).collect();
    anstream::eprintln!(
        "dom0scope: wrote {} Xen patch(es) for Xen {} into {}: {}",
        s.patches.len(),
        s.release,
        dir.display(),
        if names.is_empty() {
            "none (no finding here needs one)".to_owned()
        } else {
            names.join(", ")
        }
    );
    for id in &s.not_needed {
        anstream::eprintln!("dom0scope: no patch for {id}: it did not fire on this snapshot");
    }
    for n in &s.notes {
        anstream::eprintln!("dom0scope: note: {n}");
    }
    Ok(())
}

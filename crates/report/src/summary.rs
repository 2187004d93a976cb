//! `audit --summary`: the banner, one line per finding, the level and the result, for a
//! terminal or a ticket; the full report (text, JSON, SARIF) keeps every detail.

use std::fmt::Write;

use crate::Audit;
use crate::text::{HEAD, header, result, sev_style, styled, verdict};

/// The short view (`audit --summary`): the banner, one line per finding, the level and the
/// result; every detail (evidence, fixes, the owner map) is in the full report.
pub fn render_summary(a: &Audit) -> String {
    let mut o = String::new();
    header(&mut o, a);
    if let Some(obs) = a.surface.reach().observed() {
        let ports = obs
            .ioports
            .as_ref()
            .map_or("an unknown number of".to_owned(), |p| p.count().to_string());
        let _ = writeln!(
            o,
            "  dom0 reaches {} I/O memory frames in {} ranges and {ports} I/O ports (Xen's rangesets)",
            obs.iomem.count(),
            obs.iomem.range_count(),
        );
    }
    if let Some(b) = a.unclaimed_reachable_bytes {
        let _ = writeln!(
            o,
            "  of which {} no artifact claims",
            dom0scope_inventory::human_size(b)
        );
    }
    o.push('\n');
    let v = &a.verdict;
    let _ = writeln!(o, "{}", styled(HEAD, "Findings"));
    if v.findings.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for f in &v.findings {
        let sev = format!("{:<8}", f.severity.label().to_uppercase());
        let _ = writeln!(
            o,
            "  {} {:<32} {}",
            styled(sev_style(f.severity), &sev),
            f.id,
            f.title
        );
    }
    for n in &v.not_evaluated {
        let needs: String = if n.needs.chars().count() > 72 {
            n.needs
                .chars()
                .take(71)
                .chain(std::iter::once('…'))
                .collect()
        } else {
            n.needs.clone()
        };
        let _ = writeln!(o, "  {:<8} {:<32} needs {needs}", "NOT EVAL", n.id);
    }
    o.push('\n');
    verdict(&mut o, a);
    result(&mut o, a);
    o
}

//! The default text view of `audit`: the answer, dom0's reach in one line, one line per
//! finding, and the rules not evaluated, passed and waived named in collapsed lists. It
//! fits a screen; `audit --details` has the evidence, fixes, sources and the owner map.

use std::fmt::Write;

use dom0scope_verdict::Severity;

use crate::Audit;
use crate::answer::{banner, bare_log, incomplete_block};
use crate::style::{BOLD, DIM, HEAD, sev_style, styled};
use crate::wrap::{collapsed, fold, truncate, wrap};

/// Snapshot problems listed before the rest is counted (`--details` lists them all).
const MAX_PROBLEMS: usize = 5;

/// The short view (the default `audit` text), fitted to `width` columns: each finding's
/// title is cut to keep it on one line, every other line is filled.
pub fn render_summary(a: &Audit, width: usize) -> String {
    let mut o = String::new();
    banner(&mut o, a, width);
    bare_log(&mut o, a);
    reach(&mut o, a, width);
    o.push('\n');
    findings(&mut o, a, width);
    problems(&mut o, a, width);
    incomplete_block(&mut o, a, width, "audit --details says what each needs");
    o.push('\n');
    let _ = writeln!(
        o,
        "{}",
        styled(
            DIM,
            &wrap(
                "Evidence, fixes, sources and the owner of every range and port: `audit --details`.",
                0,
                width
            )
        )
    );
    fold(&o, width)
}

/// dom0's reach as Xen recorded it, in one line.
fn reach(o: &mut String, a: &Audit, width: usize) {
    let Some(obs) = a.surface.reach().observed() else {
        let _ = writeln!(
            o,
            "{}",
            wrap(
                "dom0's reach: not in the snapshot (no debug key 'q' dump)",
                2,
                width
            )
        );
        return;
    };
    let ports = obs
        .ioports
        .as_ref()
        .map_or("an unknown number of I/O ports".to_owned(), |p| {
            format!("{} of 65536 I/O ports", p.count())
        });
    let unclaimed = a.unclaimed_reachable_bytes.map_or(String::new(), |b| {
        format!(" ({} of it unclaimed)", dom0scope_inventory::human_size(b))
    });
    let line = format!(
        "dom0 reaches {} of I/O memory{unclaimed} and {ports}",
        dom0scope_inventory::human_size(
            u64::try_from(obs.iomem.count().saturating_mul(4096)).unwrap_or(u64::MAX)
        ),
    );
    let _ = writeln!(o, "{}", wrap(&line, 2, width));
}

/// One line per finding, then the other rules by name.
fn findings(o: &mut String, a: &Audit, width: usize) {
    let v = &a.verdict;
    let id_width = v.findings.iter().map(|f| f.id.len()).max().unwrap_or(0);
    // "  SEVERITY ID  title": the title gets what is left of the line.
    let room = width.saturating_sub(2 + 8 + 1 + id_width + 2).max(20);
    let _ = writeln!(o, "{}", styled(HEAD, "Findings"));
    if v.findings.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for f in &v.findings {
        let sev = format!("{:<8}", f.severity.label().to_uppercase());
        let runtime = if f.runtime { " (runtime)" } else { "" };
        let _ = writeln!(
            o,
            "  {} {}  {}",
            styled(sev_style(f.severity), &sev),
            styled(BOLD, &format!("{:<id_width$}", f.id)),
            truncate(&format!("{}{runtime}", f.title), room)
        );
    }
    collapsed(
        o,
        &styled(sev_style(Severity::Medium), "Not evaluated"),
        &v.not_evaluated
            .iter()
            .map(|n| n.id.clone())
            .collect::<Vec<_>>(),
        width,
    );
    collapsed(o, "Passed", &v.passed, width);
    collapsed(
        o,
        "Waived",
        &v.waived
            .iter()
            .map(|w| format!("{} (until {})", w.id, w.expires))
            .collect::<Vec<_>>(),
        width,
    );
    collapsed(
        o,
        "Expired waivers (ignored)",
        &v.expired_waivers
            .iter()
            .map(|w| format!("{} (expired {})", w.rule, w.expired))
            .collect::<Vec<_>>(),
        width,
    );
}

/// A degraded snapshot says so here too: the answer rests on less than it should.
fn problems(o: &mut String, a: &Audit, width: usize) {
    let p = &a.snapshot.problems;
    if !p.is_empty() {
        o.push('\n');
        let _ = writeln!(
            o,
            "{}",
            styled(HEAD, "Snapshot problems (the audit is degraded)")
        );
        for p in p.iter().take(MAX_PROBLEMS) {
            let _ = writeln!(o, "{}", wrap(p, 2, width));
        }
        if p.len() > MAX_PROBLEMS {
            let _ = writeln!(o, "  … and {} more", p.len() - MAX_PROBLEMS);
        }
    }
    if !a.warnings.is_empty() {
        let _ = writeln!(
            o,
            "{}",
            wrap(
                &format!(
                    "{} parse warning(s): lines that looked known but did not parse (`audit --details` lists them).",
                    a.warnings.len()
                ),
                2,
                width
            )
        );
    }
}

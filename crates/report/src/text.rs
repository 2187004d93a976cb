//! The full text view (`audit --details`): the answer, then dom0's reach as Xen recorded
//! it with the owner of every range and port, each finding with its evidence, fixes and
//! sources, the rules not evaluated, waivers and problems, and the level explained.

use std::fmt::Write;

use dom0scope_verdict::Severity;

use crate::Audit;
use crate::answer::{banner, bare_log, host, result, verdict};
use crate::reach::reach;
use crate::style::{BOLD, DIM, HEAD, sev_style, styled};
use crate::wrap::{collapsed, fold, wrap};

/// The full report as text (with ANSI styles) fitted to `width` columns (prose filled,
/// table rows and quoted lines folded): every range, port, finding, piece of evidence, fix
/// and source (`audit --details`).
pub fn render_details(a: &Audit, width: usize) -> String {
    let mut o = String::new();
    banner(&mut o, a, width);
    host(&mut o, a);
    bare_log(&mut o, a);
    o.push('\n');
    reach(&mut o, a, width);
    findings(&mut o, a, width);
    waivers(&mut o, a, width);
    problems(&mut o, a, width);
    verdict(&mut o, a, width);
    result(
        &mut o,
        a,
        width,
        "each NOT EVALUATED line above says what it needs",
    );
    fold(&o, width)
}

fn findings(o: &mut String, a: &Audit, width: usize) {
    let v = &a.verdict;
    let _ = writeln!(o, "{}", styled(HEAD, "Findings"));
    if v.findings.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for f in &v.findings {
        let sev = format!("{:<8}", f.severity.label().to_uppercase());
        let runtime = if f.runtime { " (runtime)" } else { "" };
        let _ = writeln!(
            o,
            "  {} {}  {}{runtime}",
            styled(sev_style(f.severity), &sev),
            styled(BOLD, &f.id),
            f.title
        );
        let frames = f
            .frames
            .iter()
            .map(|r| {
                format!(
                    "{:#x}-{:#x} (bytes {:#x}-{:#x})",
                    r.first_frame, r.last_frame, r.start, r.end
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        if !frames.is_empty() {
            let _ = writeln!(o, "    frames {frames}");
        }
        let _ = writeln!(o, "{}", wrap(&f.summary, 4, width));
        if !f.evidence.is_empty() {
            let _ = writeln!(o, "    evidence:");
        }
        for e in &f.evidence {
            let _ = writeln!(o, "      {}", styled(DIM, &e.to_string()));
        }
        for r in &f.remedies {
            let channel = r.channel.label();
            let _ = writeln!(
                o,
                "{}",
                wrap(&format!("fix ({channel}): {}", r.text), 4, width)
            );
        }
        let _ = writeln!(
            o,
            "{}",
            styled(DIM, &wrap(&format!("why: {}", f.rationale), 4, width))
        );
        for r in &f.references {
            let _ = writeln!(o, "    {}", styled(DIM, &format!("see: {r}")));
        }
        if !f.covers.is_empty() {
            let _ = writeln!(
                o,
                "{}",
                styled(
                    DIM,
                    &wrap(&format!("covers: {}", f.covers.join(", ")), 4, width)
                )
            );
        }
    }
    for n in &v.not_evaluated {
        let _ = writeln!(
            o,
            "  {} {}  {} — needs {}",
            styled(sev_style(Severity::Medium), "NOT EVALUATED"),
            n.id,
            n.title,
            n.needs
        );
    }
    collapsed(o, "Passed", &v.passed, width);
    o.push('\n');
}

fn waivers(o: &mut String, a: &Audit, width: usize) {
    let v = &a.verdict;
    if !v.waived.is_empty() {
        let _ = writeln!(o, "{}", styled(HEAD, "Waived by policy"));
        for w in &v.waived {
            let what = if w.fired { "fires" } else { "not evaluated" };
            let line = format!(
                "{} {} ({}, {what}) until {}: {} ({})",
                w.severity.label().to_uppercase(),
                w.id,
                w.title,
                w.expires,
                w.reason,
                w.source
            );
            let _ = writeln!(o, "{}", wrap(&line, 2, width));
        }
        o.push('\n');
    }
    if !v.expired_waivers.is_empty() {
        let _ = writeln!(o, "{}", styled(HEAD, "Expired waivers (ignored)"));
        for w in &v.expired_waivers {
            let line = format!(
                "{} expired on {}: {} ({})",
                w.rule, w.expired, w.reason, w.source
            );
            let _ = writeln!(o, "{}", wrap(&line, 2, width));
        }
        o.push('\n');
    }
}

fn problems(o: &mut String, a: &Audit, width: usize) {
    if !a.snapshot.problems.is_empty() {
        let _ = writeln!(
            o,
            "{}",
            styled(HEAD, "Snapshot problems (the audit is degraded)")
        );
        for p in &a.snapshot.problems {
            let _ = writeln!(o, "{}", wrap(p, 2, width));
        }
        o.push('\n');
    }
    if !a.warnings.is_empty() {
        let _ = writeln!(o, "{}", styled(HEAD, "Parse warnings"));
        for w in &a.warnings {
            let _ = writeln!(o, "{}", wrap(w, 2, width));
        }
        o.push('\n');
    }
}

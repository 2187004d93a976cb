//! The full text view (`audit --details`): the answer, then dom0's reach as Xen recorded
//! it with the owner of every range and port, each finding with its evidence, fixes and
//! sources, the rules not evaluated, waivers and problems, and the level explained.

use std::fmt::Write;

use dom0scope_ranges::Radix;
use dom0scope_verdict::Severity;

use crate::Audit;
use crate::answer::{banner, bare_log, host, result, verdict};
use crate::style::{BOLD, DIM, HEAD, sev_style, styled};
use crate::wrap::{collapsed, wrap};

/// The full report as text (with ANSI styles), prose filled to `width` columns: every
/// range, port, finding, piece of evidence, fix and source (`audit --details`).
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
    o
}

fn reach(o: &mut String, a: &Audit, width: usize) {
    let s = &a.surface;
    let Some(obs) = s.reach().observed() else {
        let _ = writeln!(o, "{}", styled(HEAD, "dom0's reach"));
        for n in s.reach().notes() {
            let _ = writeln!(o, "{}", wrap(n, 2, width));
        }
        o.push('\n');
        return;
    };
    let _ = writeln!(
        o,
        "{} {}",
        styled(HEAD, "dom0's reach, as Xen recorded it"),
        styled(
            DIM,
            &format!(
                "(debug key 'q', {}:{})",
                obs.header.artifact, obs.header.line
            )
        )
    );
    let _ = writeln!(
        o,
        "  I/O memory: {} frames in {} ranges  {}",
        obs.iomem.count(),
        obs.iomem.range_count(),
        obs.iomem.to_xen(Radix::Hex)
    );
    let _ = writeln!(
        o,
        "    {:<22} {:<36} {:<28} source",
        "frames", "bytes", "what lies there"
    );
    for m in s.memory() {
        let frames = format!("{:#x}-{:#x}", m.frames.first_frame, m.frames.last_frame);
        let bytes = format!("{:#012x}-{:#012x}", m.frames.start, m.frames.end);
        let src = m.owner_source.as_ref().map_or(String::new(), |e| {
            if e.line == 0 {
                e.artifact.clone()
            } else {
                format!("{}:{}", e.artifact, e.line)
            }
        });
        let _ = writeln!(
            o,
            "    {frames:<22} {bytes:<36} {:<28} {}",
            m.owner.label(),
            styled(DIM, &src)
        );
    }
    if let Some(u) = a.unclaimed_reachable_bytes {
        let _ = writeln!(
            o,
            "    {}",
            if u == 0 {
                "every reachable frame is named above".to_owned()
            } else {
                format!(
                    "and {} of reachable address space no artifact claims (holes between the owners above)",
                    dom0scope_inventory::human_size(u)
                )
            }
        );
    }
    match (&obs.ioports, &obs.ioports_source) {
        (Some(p), Some(src)) => {
            let _ = writeln!(
                o,
                "  I/O ports: {} of 65536  {} {}",
                p.count(),
                p.to_xen(Radix::Hex),
                styled(DIM, &format!("({}:{})", src.artifact, src.line))
            );
        }
        _ => {
            let _ = writeln!(o, "  I/O ports: not in the dump");
        }
    }
    let unclaimed: u32 = s
        .port_entries()
        .iter()
        .filter(|p| p.owner == dom0scope_inventory::PortOwner::Unclaimed)
        .map(|p| u32::from(p.end - p.start) + 1)
        .sum();
    for p in s
        .port_entries()
        .iter()
        .filter(|p| p.owner != dom0scope_inventory::PortOwner::Unclaimed)
    {
        let range = if p.start == p.end {
            format!("{:#x}", p.start)
        } else {
            format!("{:#x}-{:#x}", p.start, p.end)
        };
        let src = p.owner_source.as_ref().map_or_else(
            || match p.owner {
                dom0scope_inventory::PortOwner::Legacy { .. } => "PC/AT convention".to_owned(),
                _ => String::new(),
            },
            |e| {
                if e.line == 0 {
                    e.artifact.clone()
                } else {
                    format!("{}:{}", e.artifact, e.line)
                }
            },
        );
        let _ = writeln!(
            o,
            "    {range:<22} {:<48} {}",
            p.owner.label(),
            styled(DIM, &src)
        );
    }
    if unclaimed > 0 {
        let _ = writeln!(o, "    and {unclaimed} reachable ports no artifact claims");
    }
    if let (Some(i), Some(src)) = (&obs.irqs, &obs.irqs_source) {
        let _ = writeln!(
            o,
            "  Interrupts: {} {}",
            i.to_xen(Radix::Decimal),
            styled(DIM, &format!("({}:{})", src.artifact, src.line))
        );
    }
    if let Some(m) = &a.model {
        let line = if m.agrees {
            format!(
                "  The Xen model predicts exactly these rangesets{}.",
                if m.assumptions.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (with {} assumption(s); `dom0scope verify` lists them)",
                        m.assumptions.len()
                    )
                }
            )
        } else if m.differences.iter().all(|d| d.follows_from_assumption) {
            format!(
                "  The Xen model differs from Xen's rangesets in {} range(s), all where it had to assume a fact this snapshot lacks: the assumption is in question, not the model or the host (`dom0scope verify` explains; a snapshot collected in dom0 settles it). The observed rangesets are what is judged.",
                m.differences.len()
            )
        } else {
            format!(
                "  The Xen model DIFFERS from Xen's rangesets in {} range(s): a model gap or a surprise on this host (`dom0scope verify` explains). The observed rangesets are what is judged.",
                m.differences.len()
            )
        };
        let _ = writeln!(o, "{}", wrap(&line, 2, width));
    }
    for n in s.reach().notes().iter().chain(s.inventory_notes()) {
        let _ = writeln!(o, "{}", styled(DIM, &wrap(&format!("note: {n}"), 2, width)));
    }
    o.push('\n');
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

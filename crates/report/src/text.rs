//! The terminal report. Styles are ANSI; the caller's stream decides whether
//! they reach the terminal (anstream strips them for pipes, files and NO_COLOR).

use std::fmt::Write;

use anstyle::{AnsiColor, Effects, Style};
use dom0scope_ranges::Radix;
use dom0scope_verdict::Severity;

use crate::{Audit, Outcome};

const BOLD: Style = Style::new().effects(Effects::BOLD);
const DIM: Style = Style::new().effects(Effects::DIMMED);
pub(crate) const HEAD: Style = Style::new().effects(Effects::BOLD.insert(Effects::UNDERLINE));

pub(crate) fn sev_style(s: Severity) -> Style {
    let c = match s {
        Severity::Critical => AnsiColor::BrightRed,
        Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low => AnsiColor::Cyan,
        Severity::Info => AnsiColor::White,
    };
    Style::new().fg_color(Some(c.into())).effects(Effects::BOLD)
}

pub(crate) fn styled(s: Style, text: &str) -> String {
    format!("{}{text}{}", s.render(), s.render_reset())
}

/// Wraps `text` at `width` columns with `indent` spaces on every line.
fn wrap(text: &str, indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut col = 0;
    for word in text.split_whitespace() {
        if col > indent && col + 1 + word.len() > width {
            out.push('\n');
            col = 0;
        }
        if col == 0 {
            out.push_str(&" ".repeat(indent));
            col = indent;
        } else {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += word.len();
    }
    out
}

/// Renders the audit as text (with ANSI styles).
pub fn render_text(a: &Audit) -> String {
    let mut o = String::new();
    header(&mut o, a);
    o.push('\n');
    reach(&mut o, a);
    findings(&mut o, a);
    waivers(&mut o, a);
    problems(&mut o, a);
    verdict(&mut o, a);
    result(&mut o, a);
    o
}

fn reach(o: &mut String, a: &Audit) {
    let s = &a.surface;
    let Some(obs) = s.reach().observed() else {
        let _ = writeln!(o, "{}", styled(HEAD, "dom0's reach"));
        for n in s.reach().notes() {
            let _ = writeln!(o, "{}", wrap(n, 2, 100));
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
        let _ = writeln!(o, "{}", wrap(&line, 2, 100));
    }
    for n in s.reach().notes().iter().chain(s.inventory_notes()) {
        let _ = writeln!(o, "{}", styled(DIM, &wrap(&format!("note: {n}"), 2, 100)));
    }
    o.push('\n');
}

fn findings(o: &mut String, a: &Audit) {
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
        let _ = writeln!(o, "{}", wrap(&f.summary, 4, 100));
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
                wrap(&format!("fix ({channel}): {}", r.text), 4, 100)
            );
        }
        let _ = writeln!(
            o,
            "{}",
            styled(DIM, &wrap(&format!("why: {}", f.rationale), 4, 100))
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
                    &wrap(&format!("covers: {}", f.covers.join(", ")), 4, 100)
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
    o.push('\n');
}

fn waivers(o: &mut String, a: &Audit) {
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
            let _ = writeln!(o, "{}", wrap(&line, 2, 100));
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
            let _ = writeln!(o, "{}", wrap(&line, 2, 100));
        }
        o.push('\n');
    }
}

/// The level and the few-line answer to "can dom0 be left outside the Secure
/// Boot boundary?".
pub(crate) fn verdict(o: &mut String, a: &Audit) {
    let l = &a.verdict.level;
    let style = match l.level {
        0 => sev_style(Severity::Critical),
        1 => sev_style(Severity::High),
        2 => sev_style(Severity::Medium),
        _ => Style::new()
            .fg_color(Some(AnsiColor::Green.into()))
            .effects(Effects::BOLD),
    };
    let _ = writeln!(
        o,
        "{} {}",
        styled(
            HEAD,
            "Can this host's dom0 be left outside the Secure Boot boundary?"
        ),
        styled(style, &l.label)
    );
    let _ = writeln!(o, "{}", wrap(&l.answer, 2, 100));
    for s in &l.summary {
        let _ = writeln!(o, "{}", wrap(s, 2, 100));
    }
    let _ = writeln!(
        o,
        "{}",
        styled(
            DIM,
            &wrap(
                &format!(
                    "Levels: DOM0:0 dom0 can run code as Xen or beneath it; DOM0:1 no critical finding; DOM0:2 no high; DOM0:3 no medium; ! a runtime state is off. {} rules from {}.",
                    a.verdict.rules,
                    a.verdict.policy_sources.join(", ")
                ),
                2,
                100
            )
        )
    );
    o.push('\n');
}

fn problems(o: &mut String, a: &Audit) {
    if !a.snapshot.problems.is_empty() {
        let _ = writeln!(
            o,
            "{}",
            styled(HEAD, "Snapshot problems (the audit is degraded)")
        );
        for p in &a.snapshot.problems {
            let _ = writeln!(o, "{}", wrap(p, 2, 100));
        }
        o.push('\n');
    }
    if !a.warnings.is_empty() {
        let _ = writeln!(o, "{}", styled(HEAD, "Parse warnings"));
        for w in &a.warnings {
            let _ = writeln!(o, "{}", wrap(w, 2, 100));
        }
        o.push('\n');
    }
}

pub(crate) fn result(o: &mut String, a: &Audit) {
    let v = &a.verdict;
    let n = v.findings.len();
    let mut by = Vec::new();
    for s in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let k = v.findings.iter().filter(|f| f.severity == s).count();
        if k > 0 {
            by.push(format!("{k} {}", s.label()));
        }
    }
    let counts = if by.is_empty() {
        String::new()
    } else {
        format!(" ({})", by.join(", "))
    };
    let at = a.fail_on.label();
    let verdict = match a.result {
        Outcome::Fail => styled(
            sev_style(Severity::Critical),
            &format!("FAIL at --fail-on {at}"),
        ),
        Outcome::Pass => styled(
            Style::new()
                .fg_color(Some(AnsiColor::Green.into()))
                .effects(Effects::BOLD),
            &format!("PASS at --fail-on {at}"),
        ),
        Outcome::Incomplete => styled(
            sev_style(Severity::Medium),
            &format!("INCOMPLETE at --fail-on {at}"),
        ),
    };
    let mut extra = String::new();
    if !v.not_evaluated.is_empty() {
        extra.push_str(&format!(
            ", {} rule(s) not evaluated",
            v.not_evaluated.len()
        ));
    }
    if !v.waived.is_empty() {
        extra.push_str(&format!(", {} waived", v.waived.len()));
    }
    if !a.snapshot.problems.is_empty() {
        extra.push_str(", snapshot degraded");
    }
    let _ = writeln!(
        o,
        "{} {n} finding(s){counts}{extra}. Level {}. {verdict}",
        styled(BOLD, "Result:"),
        v.level.label
    );
    if a.result == Outcome::Incomplete {
        incomplete(o, a);
    }
}

/// Why a non-failing audit is not a pass, and what would settle it.
fn incomplete(o: &mut String, a: &Audit) {
    let at = a.fail_on.label();
    let _ = writeln!(
        o,
        "{}",
        wrap(
            &format!(
                "Not a pass: {} rule(s) at or above {at} could not be evaluated ({}), so nothing \
                 says this host is clear of them (exit status 3).",
                a.incomplete.len(),
                a.incomplete.join(", ")
            ),
            2,
            100
        )
    );
    let mut needs: Vec<&str> = Vec::new();
    for n in a
        .verdict
        .not_evaluated
        .iter()
        .filter(|n| a.incomplete.contains(&n.id))
    {
        // A rule may need several facts ("a; b"): each fact once.
        for need in n.needs.split("; ") {
            if !needs.contains(&need) {
                needs.push(need);
            }
        }
    }
    let _ = writeln!(o, "  Would settle it:");
    for need in needs.iter().take(MAX_NEEDS) {
        let _ = writeln!(o, "{}", wrap(&format!("- {need}"), 4, 100));
    }
    if needs.len() > MAX_NEEDS {
        let _ = writeln!(
            o,
            "    - … and {} more (each NOT EVALUATED line above says what it needs)",
            needs.len() - MAX_NEEDS
        );
    }
    let how = if a.snapshot.bare_log {
        "A bare Xen log cannot hold most of these: run `dom0scope collect -o DIR` as root in dom0 \
         and audit DIR."
    } else {
        "Collect the missing artifacts (`dom0scope collect` in dom0 as root), or, for a fact no \
         snapshot can hold, check it by other means and waive the rule with a reason and an \
         expiry (docs/policy.md)."
    };
    let _ = writeln!(o, "{}", wrap(&format!("  {how}"), 2, 100));
}

/// Distinct needs listed under an incomplete result before the rest is summarised.
const MAX_NEEDS: usize = 6;

/// The banner: tool, snapshot, Xen, dom0 mode, CPU, command line, IOMMU.
pub(crate) fn header(o: &mut String, a: &Audit) {
    let _ = writeln!(
        o,
        "{} — audit of {}",
        styled(BOLD, &a.tool),
        a.snapshot.label
    );
    let h = &a.host;
    let xen = match (&h.xen_version, &h.xen_package) {
        (Some(v), Some(p)) => format!("Xen {v} ({p})"),
        (Some(v), None) => format!("Xen {v}"),
        _ => "Xen version unknown".to_owned(),
    };
    let mode = h
        .dom0_mode
        .as_deref()
        .map_or("dom0 mode unknown".to_owned(), |m| format!("{m} dom0"));
    let _ = writeln!(o, "  {xen}, {mode}");
    if let Some(c) = &h.cpu {
        let _ = writeln!(o, "  CPU: {c}");
    }
    if let Some(c) = &h.xen_cmdline {
        let _ = writeln!(o, "  Xen command line: {c}");
    }
    if let Some(i) = &h.iommu {
        let _ = writeln!(o, "  IOMMU: {i}");
    }
    if a.snapshot.bare_log {
        let _ = writeln!(
            o,
            "{}",
            styled(
                DIM,
                "  (a bare Xen log: no ACPI tables, PCI config or dom0 view; `dom0scope collect` gives the full picture)"
            )
        );
    }
}

//! The diff as text: the answer on the first line, then who A and B are, the level, the
//! findings, the rangesets and the hypercalls, wrapped at 100 columns.

use std::fmt::Write;

use dom0scope_hypercalls::Availability;
use dom0scope_inventory::human_size;
use dom0scope_ranges::FrameRange;
use dom0scope_reach::verify::Set;

use crate::{Changed, Diff, Identity, Moved, RangeChange, Side, Which};

/// Text lines are wrapped here.
const WIDTH: usize = 100;
/// Owners named per range; more are counted.
const MAX_OWNERS: usize = 6;

/// Renders the diff as text.
pub fn render_text(d: &Diff) -> String {
    let mut o = String::new();
    line(&mut o, "", "  ", &d.outcome.answer);
    for (w, s) in [(Which::A, &d.a), (Which::B, &d.b)] {
        line(&mut o, &format!("  {} ", w.label()), "      ", &side(s));
    }
    if let Some(c) = what_changed(&d.a.host, &d.b.host) {
        line(&mut o, "  ", "    ", &c);
    }
    o.push_str("\nLevel\n");
    if d.a.answer == d.b.answer {
        line(&mut o, "  A and B: ", "    ", &d.a.answer);
    } else {
        for (w, s) in [(Which::A, &d.a), (Which::B, &d.b)] {
            line(&mut o, &format!("  {}: ", w.label()), "    ", &s.answer);
        }
    }
    findings(&mut o, d);
    rangesets(&mut o, d);
    hypercalls(&mut o, d);
    o.push('\n');
    let result = if d.outcome.fails {
        format!("Result: WORSE (exit 1): {}.", d.outcome.reasons.join("; "))
    } else {
        format!(
            "Result: no new finding at or above {} and no lower level (exit 0).",
            d.outcome.fail_on.label()
        )
    };
    line(&mut o, "", "  ", &result);
    o
}

/// Writes `text` wrapped at [`WIDTH`]: the first line after `first`, the rest after `rest`.
fn line(o: &mut String, first: &str, rest: &str, text: &str) {
    let mut col = 0;
    for word in text.split_whitespace() {
        if col == 0 {
            o.push_str(first);
            col = first.chars().count();
        } else if col + 1 + word.chars().count() > WIDTH {
            o.push('\n');
            o.push_str(rest);
            col = rest.chars().count();
        } else {
            o.push(' ');
            col += 1;
        }
        o.push_str(word);
        col += word.chars().count();
    }
    o.push('\n');
}

fn side(s: &Side) -> String {
    let h = &s.host;
    let mut parts = vec![s.label.clone()];
    parts.push(format!(
        "Xen {}, {} dom0",
        h.xen.as_deref().unwrap_or("unknown"),
        h.dom0_mode.unwrap_or("unknown-mode")
    ));
    if let Some(m) = machine(h) {
        parts.push(m);
    }
    if let Some(c) = &h.collected {
        parts.push(format!("collected {c}"));
    }
    format!(
        "{}; {}: {} findings, {} not evaluated",
        parts.join(", "),
        s.level_label,
        s.counts.findings,
        s.counts.not_evaluated
    )
}

/// `vendor product (serial …)`, from DMI.
fn machine(h: &Identity) -> Option<String> {
    let get = |k: &str| h.dmi.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let name: Vec<&str> = [get("sys_vendor"), get("product_name")]
        .into_iter()
        .flatten()
        .collect();
    if name.is_empty() {
        return None;
    }
    Some(match get("product_serial") {
        Some(s) => format!("{} (serial {s})", name.join(" ")),
        None => name.join(" "),
    })
}

/// What differs between the two hosts (DMI identity, Xen release, dom0 mode), or that nothing
/// does, when DMI shows it is one machine (two boots, before and after `enforce`).
fn what_changed(a: &Identity, b: &Identity) -> Option<String> {
    let mut c = Vec::new();
    if !a.dmi.is_empty() && !b.dmi.is_empty() && a.dmi != b.dmi {
        let keys: Vec<&str> = a
            .dmi
            .keys()
            .chain(b.dmi.keys())
            .filter(|k| a.dmi.get(*k) != b.dmi.get(*k))
            .map(String::as_str)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        c.push(format!("host (DMI {})", keys.join(", ")));
    }
    let show = |v: Option<&str>| v.unwrap_or("unknown").to_owned();
    if a.xen != b.xen {
        c.push(format!(
            "Xen {} → {}",
            show(a.xen.as_deref()),
            show(b.xen.as_deref())
        ));
    }
    if a.dom0_mode != b.dom0_mode {
        c.push(format!(
            "dom0 mode {} → {}",
            show(a.dom0_mode),
            show(b.dom0_mode)
        ));
    }
    if c.is_empty() {
        let same_host = !a.dmi.is_empty() && a.dmi == b.dmi;
        return same_host.then(|| "same host (DMI identity), Xen release and dom0 mode".into());
    }
    Some(format!("changed: {}", c.join("; ")))
}

fn findings(o: &mut String, d: &Diff) {
    let f = &d.findings;
    for (title, list, other) in [
        ("closed", &f.closed, Which::B),
        ("opened", &f.opened, Which::A),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(o, "\nFindings {title} ({})", list.len());
        for m in list {
            moved(o, m, other);
        }
    }
    if !f.changed.is_empty() {
        let _ = writeln!(o, "\nFindings changed ({})", f.changed.len());
        changed(o, &f.changed);
    }
    if !f.unchanged.is_empty() {
        let ids: Vec<&str> = f.unchanged.iter().map(|b| b.id.as_str()).collect();
        o.push('\n');
        line(
            o,
            "",
            "  ",
            &format!(
                "Findings in both, unchanged ({}): {}",
                ids.len(),
                ids.join(", ")
            ),
        );
    }
}

fn moved(o: &mut String, m: &Moved, other: Which) {
    let mut text = format!(
        "{} {}: {} (in {}: {}",
        m.brief.severity.label().to_uppercase(),
        m.brief.id,
        m.brief.title,
        other.label(),
        m.other.label()
    );
    if let Some(d) = &m.other_detail {
        let _ = write!(text, ", {d}");
    }
    text.push(')');
    line(o, "  ", "    ", &text);
}

/// Changes listed under a finding: frames and evidence (severity is on its line).
fn details(c: &Changed) -> Vec<String> {
    let frames = |fs: &[FrameRange]| {
        fs.iter()
            .map(|r| match r.first_frame == r.last_frame {
                true => format!("{:x}", r.first_frame),
                false => format!("{:x}-{:x}", r.first_frame, r.last_frame),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::new();
    if !c.frames_removed.is_empty() {
        out.push(format!("- frames {}", frames(&c.frames_removed)));
    }
    if !c.frames_added.is_empty() {
        out.push(format!("+ frames {}", frames(&c.frames_added)));
    }
    for (sign, list) in [("-", &c.evidence_removed), ("+", &c.evidence_added)] {
        for e in list {
            out.push(format!("{sign} {}:{}: {}", e.artifact, e.line, e.text));
        }
    }
    out
}

/// A log line is data: one line each, cut at the width (JSON has it whole).
fn clipped(o: &mut String, indent: &str, text: &str) {
    let max = WIDTH - indent.len();
    let text: String = match text.chars().count() > max {
        true => text.chars().take(max - 1).chain(['…']).collect(),
        false => text.to_owned(),
    };
    let _ = writeln!(o, "{indent}{text}");
}

/// Findings whose frames and evidence changed the same way (another Xen's banner cited by
/// every Xen rule) are listed together under one copy of the change.
fn changed(o: &mut String, list: &[Changed]) {
    let mut groups: Vec<(Vec<String>, Vec<&Changed>)> = Vec::new();
    for c in list {
        let d = details(c);
        match groups.iter_mut().find(|(k, _)| *k == d) {
            Some((_, g)) => g.push(c),
            None => groups.push((d, vec![c])),
        }
    }
    for (d, g) in &groups {
        if g.len() > 2 {
            let ids: Vec<String> = g.iter().map(|c| severity(c) + " " + &c.brief.id).collect();
            let t = format!("{} findings, the same change: {}", g.len(), ids.join(", "));
            line(o, "  ", "    ", &t);
        } else {
            for c in g {
                let t = format!("{} {}: {}", severity(c), c.brief.id, c.brief.title);
                line(o, "  ", "    ", &t);
            }
        }
        for l in d {
            clipped(o, "      ", l);
        }
    }
}

fn severity(c: &Changed) -> String {
    let (a, b) = (c.severity_before, c.brief.severity);
    match a == b {
        true => b.label().to_uppercase(),
        false => format!("{}→{}", a.label().to_uppercase(), b.label().to_uppercase()),
    }
}

fn rangesets(o: &mut String, d: &Diff) {
    let r = &d.rangesets;
    o.push_str("\nRangesets (dom0's reach, from Xen's debug-key 'q' dumps)\n");
    for n in &r.notes {
        line(o, "  ", "    ", n);
    }
    for t in &r.totals {
        if t.only_a == 0 && t.only_b == 0 {
            let _ = writeln!(o, "  {}: the same", t.set.label());
            continue;
        }
        let _ = writeln!(
            o,
            "  {}: {} only A reaches, {} only B reaches",
            t.set.label(),
            count(t.only_a, t.set),
            count(t.only_b, t.set)
        );
        for c in r.changes.iter().filter(|c| c.set == t.set) {
            line(o, "    ", "        ", &change(c));
        }
    }
}

/// `1 frame`, `3 frames`, `1 IRQ`.
fn count(n: u64, s: Set) -> String {
    let unit = match s {
        Set::IoMemory => "frame",
        Set::IoPorts => "port",
        Set::Interrupts => "IRQ",
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn change(c: &RangeChange) -> String {
    let (holder, other) = match c.held_by {
        Which::A => ("A", "B"),
        Which::B => ("B", "A"),
    };
    let size = match c.set {
        Set::IoMemory => format!(", {}", human_size(c.count.saturating_mul(4096))),
        _ => String::new(),
    };
    let mut s = format!(
        "{holder} only {} ({}{size})",
        c.range,
        count(c.count, c.set)
    );
    match c.given_up_after_boot {
        Some(true) => {
            let _ = write!(s, ", given up after boot in {other}");
        }
        Some(false) => {
            let _ = write!(s, ", {other}'s Xen does not grant it");
        }
        None => {}
    }
    if !c.owners.is_empty() {
        let named: Vec<String> = c
            .owners
            .iter()
            .take(MAX_OWNERS)
            .map(|p| match c.owners.len() {
                1 => p.owner.clone(),
                _ if c.set == Set::IoMemory => format!("{} {:#x}-{:#x}", p.owner, p.start, p.end),
                _ => format!("{} {:x}-{:x}", p.owner, p.start, p.end),
            })
            .collect();
        let _ = write!(s, ": {}", named.join("; "));
        if c.owners.len() > MAX_OWNERS {
            let _ = write!(s, "; and {} more owners", c.owners.len() - MAX_OWNERS);
        }
    }
    if !c.findings.is_empty() {
        let _ = write!(s, " [{}]", c.findings.join(", "));
    }
    s
}

fn availability(a: &Availability) -> String {
    match a {
        Availability::Available => "available".into(),
        Availability::NotAvailable { why } => format!("not available ({})", why.join("; ")),
        Availability::Unknown { .. } => "unknown".into(),
    }
}

fn hypercalls(o: &mut String, d: &Diff) {
    let h = &d.hypercalls;
    let _ = writeln!(
        o,
        "\nHypercalls: A {} of {} available, B {} of {}; {} changed availability",
        h.summary_a.available,
        h.summary_a.total,
        h.summary_b.available,
        h.summary_b.total,
        h.changes.len()
    );
    for c in &h.changes {
        let t = format!(
            "{} ({}): {} → {}",
            c.name,
            c.id,
            availability(&c.a),
            availability(&c.b)
        );
        line(o, "  ", "      ", &t);
    }
}

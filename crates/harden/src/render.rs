//! The plan as text.

use std::fmt::Write as _;

use crate::{ChannelChanges, Plan, Status};

/// Renders the plan for a terminal (no colour).
pub fn render_text(p: &Plan) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "dom0scope hardening plan ({})", p.schema);
    let _ = writeln!(o, "Snapshot: {}", p.snapshot);
    let host = if p.host.is_empty() {
        "unknown (no manifest host identity)".to_owned()
    } else {
        p.host
            .iter()
            .filter(|(k, _)| {
                ["sys_vendor", "product_name", "bios_vendor", "bios_version"].contains(&k.as_str())
            })
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(o, "Host: {host}");
    let _ = writeln!(
        o,
        "Xen: {}   dom0: {}",
        p.xen_version.as_deref().unwrap_or("unknown"),
        p.dom0_mode.map_or("unknown", |m| m.label())
    );
    answer(&mut o, p);
    if !p.dom0_use_checked {
        let _ = writeln!(
            o,
            "WARNING: dom0's own use could not be checked; every range below is UNCHECKED, not safe."
        );
    }
    let absent: Vec<String> = p
        .ranges
        .iter()
        .filter(|r| !r.already_absent.is_empty())
        .map(|r| r.span())
        .collect();
    if !absent.is_empty() {
        let _ = writeln!(
            o,
            "WARNING: this snapshot was taken after dom0 gave up ranges; they are absent from Xen's rangesets here but Xen grants them again at the next boot, so the plan still names them: {}",
            absent.join(", ")
        );
    }
    for n in &p.notes {
        let _ = writeln!(o, "note: {n}");
    }

    let _ = writeln!(
        o,
        "\n== Self-revocation: what dom0 gives up (XEN_DOMCTL_iomem/ioport_permission, early in boot)"
    );
    if p.ranges.is_empty() {
        let _ = writeln!(o, "  (nothing)");
    }
    for status in [Status::Planned, Status::Unchecked, Status::Refused] {
        let items: Vec<_> = p.with_status(status).collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(
            o,
            "\n-- {} ({})",
            status.label().to_uppercase(),
            items.len()
        );
        for r in items {
            let _ = writeln!(o, "  {}  {}", r.span(), r.what);
            if !r.closes.is_empty() {
                let _ = writeln!(o, "      closes: {}", r.closes.join(", "));
            }
            if !r.narrows.is_empty() {
                let _ = writeln!(o, "      also bears on: {}", r.narrows.join(", "));
            }
            let _ = writeln!(o, "      dom0 loses: {}", r.loses);
            let _ = writeln!(o, "      {}", r.reason);
            if !r.already_absent.is_empty() {
                let parts: Vec<String> = r.already_absent.iter().map(|a| a.to_string()).collect();
                let _ = writeln!(
                    o,
                    "      already absent in this snapshot: {}",
                    parts.join(", ")
                );
            }
            for c in &r.caveats {
                let _ = writeln!(o, "      caveat: {c}");
            }
        }
    }

    if let Some(r) = &p.residual {
        let _ = writeln!(
            o,
            "\n== Residual surface (what-if: observed reach minus the planned ranges)"
        );
        let _ = writeln!(
            o,
            "  level: {} -> {}   ({} frame(s), {} port(s) removed)",
            r.level_before, r.level_after, r.frames_removed, r.ports_removed
        );
        for (tag, list) in [
            ("closed   ", &r.closed),
            ("remaining", &r.remaining),
            ("OPENED   ", &r.opened),
        ] {
            for f in list {
                let _ = writeln!(
                    o,
                    "  {tag}  {:<8} {}  {}",
                    f.severity.label(),
                    f.id,
                    f.title
                );
            }
        }
    }

    groups(&mut o, "Changes only Xen can make", &p.xen_changes);
    groups(
        &mut o,
        "Changes for the firmware or dom0's kernel",
        &p.other_changes,
    );
    o
}

/// The answer before the plan it rests on: the level now and once dom0 has given up the
/// planned ranges, and what that closes and leaves.
fn answer(o: &mut String, p: &Plan) {
    let planned = p.planned().count();
    let Some(r) = &p.residual else {
        let _ = writeln!(
            o,
            "Level: not predicted (no observed rangesets to take the {planned} planned range(s) from)"
        );
        return;
    };
    let _ = writeln!(
        o,
        "Level: {} now, {} once dom0 gives up the {planned} planned range(s)",
        r.level_before, r.level_after
    );
    let ids = |l: &[crate::FindingRef]| {
        l.iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut line = format!("  closes {} finding(s)", r.closed.len());
    if !r.closed.is_empty() {
        line.push_str(&format!(" ({})", ids(&r.closed)));
    }
    line.push_str(&format!("; {} remain", r.remaining.len()));
    if !r.opened.is_empty() {
        line.push_str(&format!("; OPENS {} ({})", r.opened.len(), ids(&r.opened)));
    }
    let xen: usize = p.xen_changes.iter().map(|g| g.changes.len()).sum();
    line.push_str(&format!("; {xen} change(s) only Xen can make (below)"));
    let _ = writeln!(o, "{line}");
}

fn groups(o: &mut String, title: &str, gs: &[ChannelChanges]) {
    let _ = writeln!(o, "\n== {title}");
    if gs.is_empty() {
        let _ = writeln!(o, "  (none)");
    }
    for g in gs {
        let _ = writeln!(o, "\n-- {}", g.label);
        for c in &g.changes {
            let done = if c.closed_by_plan {
                " [self-revocation already closes it]"
            } else {
                ""
            };
            let _ = writeln!(o, "  {}{done}: {}", c.rule, c.text);
        }
    }
}

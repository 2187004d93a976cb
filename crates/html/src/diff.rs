//! `diff A B` as HTML: both sides' levels and answers, findings closed, opened and changed
//! (a closed finding whose rule was not evaluated in B is said so, not shown as passed),
//! what only one side's dom0 reaches with its owners, and hypercalls whose availability
//! changed. The same [`Diff`] the text and JSON renderers read.

use dom0scope_diff::{Diff, Moved, Side, Which};
use dom0scope_hypercalls::Availability;
use maud::{Markup, html};

use crate::page;

fn side(w: Which, s: &Side) -> Markup {
    html! {
        tr {
            th { (w.label()) }
            td class="mono" { (s.label) }
            td { strong { (s.level_label) } }
            td { (s.host.xen.as_deref().unwrap_or("?")) " " (s.host.dom0_mode.unwrap_or("")) }
            td { (s.counts.findings) " findings, " (s.counts.passed) " passed, " (s.counts.not_evaluated) " not evaluated, " (s.counts.waived) " waived" }
            td { (s.answer) }
        }
    }
}

fn moved(list: &[Moved], class: &str, other: Which) -> Markup {
    html! {
        @if list.is_empty() { p { "None." } } @else {
            table {
                tr { th { "severity" } th { "rule" } th { "title" } th { "in " (other.label()) } th { "summary" } }
                @for m in list {
                    tr class=(class) id={(class) "-" (m.brief.id)} {
                        td { (m.brief.severity.label()) } td { code { (m.brief.id) } } td { (m.brief.title) }
                        td { (m.other.label()) @if let Some(d) = &m.other_detail { ": " (d) } }
                        td { (m.summary) }
                    }
                }
            }
        }
    }
}

fn availability(a: &Availability) -> String {
    match a {
        Availability::Available => "available".into(),
        Availability::NotAvailable { why } => format!("not available ({})", why.join("; ")),
        Availability::Unknown { needs } => format!("unknown (needs {})", needs.join("; ")),
    }
}

/// The comparison as one HTML document.
pub fn render_diff(d: &Diff) -> String {
    let f = &d.findings;
    let r = &d.rangesets;
    let body = html! {
        h1 { "dom0scope diff" }
        div class={"answer " (if d.outcome.fails { "fail" } else { "pass" })} id="answer" {
            p { strong { (d.outcome.answer) } }
            @if !d.outcome.reasons.is_empty() { ul { @for x in &d.outcome.reasons { li { (x) } } } }
            p { "Fails at --fail-on " (d.outcome.fail_on.label()) ": " (if d.outcome.fails { "yes" } else { "no" }) }
        }
        table { (side(Which::A, &d.a)) (side(Which::B, &d.b)) }
        section id="findings" {
            h2 { "Findings" }
            h3 class="closed" { "Closed in B (" (f.closed.len()) ")" }
            (moved(&f.closed, "closed", Which::B))
            h3 class="opened" { "Opened in B (" (f.opened.len()) ")" }
            (moved(&f.opened, "opened", Which::A))
            h3 { "Changed (" (f.changed.len()) ")" }
            @if f.changed.is_empty() { p { "None." } } @else {
                table {
                    tr { th { "rule" } th { "severity" } th { "frames" } th { "evidence" } }
                    @for c in &f.changed {
                        tr id={"changed-" (c.brief.id)} {
                            td { code { (c.brief.id) } " " (c.brief.title) }
                            td { @if c.severity_before != c.brief.severity { (c.severity_before.label()) " → " } (c.brief.severity.label()) }
                            td class="mono" {
                                @for x in &c.frames_removed { div class="closed" { "− " (format!("{:#x}-{:#x}", x.first_frame, x.last_frame)) } }
                                @for x in &c.frames_added { div class="opened" { "+ " (format!("{:#x}-{:#x}", x.first_frame, x.last_frame)) } }
                            }
                            td class="mono" {
                                @for e in &c.evidence_removed { div class="closed" { "− " (e.artifact) ":" (e.line) ": " (e.text) } }
                                @for e in &c.evidence_added { div class="opened" { "+ " (e.artifact) ":" (e.line) ": " (e.text) } }
                            }
                        }
                    }
                }
            }
            h3 { "Unchanged (" (f.unchanged.len()) ")" }
            p { @for (i, b) in f.unchanged.iter().enumerate() { @if i > 0 { ", " } code { (b.id) } } }
        }
        section id="rangesets" {
            h2 { "What only one side's dom0 reaches" }
            @if !r.compared { p { "Not compared: a side has no Xen rangeset dump." } }
            @if !r.totals.is_empty() {
                table {
                    tr { th { "rangeset" } th { "only A" } th { "only B" } }
                    @for t in &r.totals { tr { td { (t.set.label()) } td { (t.only_a) } td { (t.only_b) } } }
                }
            }
            @if !r.changes.is_empty() {
                table {
                    tr { th { "rangeset" } th { "range" } th { "count" } th { "held by" } th { "owners" } th { "findings" } }
                    @for c in &r.changes {
                        tr class=(if c.held_by == Which::A { "closed" } else { "opened" }) {
                            td { (c.set.label()) } td class="mono" { (c.range) } td { (c.count) }
                            td { "only " (c.held_by.label())
                                @match c.given_up_after_boot { Some(true) => { " (the other dom0 gave it up after boot)" }, Some(false) => { " (the other Xen never granted it)" }, None => {} } }
                            td { @for o in &c.owners { div data-owner=(o.class) { span class="mono" { (format!("{:#x}-{:#x}", o.start, o.end)) } " " (o.owner) } } }
                            td { (c.findings.join(", ")) }
                        }
                    }
                }
            }
            @for n in &r.notes { p class="note" { (n) } }
        }
        section id="hypercalls" {
            h2 { "Hypercalls whose availability changed (" (d.hypercalls.changes.len()) ")" }
            @if !d.hypercalls.changes.is_empty() {
                table {
                    tr { th { "operation" } th { "A" } th { "B" } }
                    @for h in &d.hypercalls.changes { tr { td { code { (h.id) } " " (h.name) } td { (availability(&h.a)) } td { (availability(&h.b)) } } }
                }
            }
        }
        footer { p class="note" { "dom0scope " (d.schema) " model. Self-contained: no script, no fetch." } }
    };
    page(
        &format!("dom0scope diff: {} → {}", d.a.label, d.b.label),
        body,
    )
}

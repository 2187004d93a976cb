//! `harden` as HTML: the plan's before and after (the level and findings on the observed
//! reach, and once the planned ranges are given up), each range dom0 could give up with its
//! status and reason, and what only Xen, the firmware or dom0's kernel can change.

use dom0scope_harden::{FindingRef, Plan};
use maud::{Markup, html};

use crate::page;

fn refs(list: &[FindingRef], class: &str) -> Markup {
    html! {
        @if list.is_empty() { p { "None." } } @else {
            ul { @for f in list { li class=(class) id={(class) "-" (f.id)} { (f.severity.label()) " " code { (f.id) } " " (f.title) } } }
        }
    }
}

/// The hardening plan as one HTML document.
pub fn render_plan(p: &Plan) -> String {
    let body = html! {
        h1 { "dom0scope harden" }
        p class="mono" { (p.snapshot) }
        p { "Xen " (p.xen_version.as_deref().unwrap_or("?"))
            @if let Some(m) = p.dom0_mode { ", " (m.label()) " dom0" }
            @if !p.dom0_use_checked { ". dom0's own use of the ranges could not be checked (no /proc view in the snapshot)" } "." }
        section id="before-after" {
            h2 { "Before and after the plan" }
            @match &p.residual {
                Some(r) => {
                    table {
                        tr { th { "" } th { "before" } th { "after giving up the planned ranges" } }
                        tr { th { "level" } td { strong { (r.level_before) } } td { strong { (r.level_after) } } }
                        tr { th { "reach removed" } td { "" } td { (r.frames_removed) " frames, " (r.ports_removed) " ports" } }
                    }
                    h3 class="closed" { "Closed by the plan (" (r.closed.len()) ")" }
                    (refs(&r.closed, "closed"))
                    h3 { "Remaining (" (r.remaining.len()) ")" }
                    (refs(&r.remaining, "remaining"))
                    @if !r.opened.is_empty() {
                        h3 class="opened" { "Opened by the plan (should not happen)" }
                        (refs(&r.opened, "opened"))
                    }
                },
                None => p { strong { "Not judged: dom0's observed reach is unknown, so no what-if was run." } },
            }
        }
        section id="ranges" {
            h2 { "Ranges dom0 could give up (" (p.ranges.len()) ")" }
            table {
                tr { th { "status" } th { "range" } th { "what lies there" } th { "closes" } th { "dom0 loses" } th { "why" } }
                @for r in &p.ranges {
                    tr class={"status-" (r.status.label())} {
                        td { strong { (r.status.label()) } }
                        td class="mono" { (r.span()) }
                        td { (r.what) }
                        td { (r.closes.join(", ")) @if !r.narrows.is_empty() { " (narrows " (r.narrows.join(", ")) ")" } }
                        td { (r.loses) }
                        td { (r.reason) @for c in &r.caveats { br; span class="note" { (c) } } }
                    }
                }
            }
        }
        section id="changes" {
            h2 { "What only others can change" }
            @for c in p.xen_changes.iter().chain(&p.other_changes) {
                h3 { (c.label) }
                ul { @for ch in &c.changes {
                    li { code { (ch.rule) } " " (ch.title) ": " (ch.text) @if ch.closed_by_plan { span class="note" { " (the plan already closes it)" } } }
                } }
            }
        }
        @if !p.notes.is_empty() {
            section id="notes" { h2 { "Notes" } ul class="note" { @for n in &p.notes { li { (n) } } } }
        }
        footer { p class="note" { (p.schema) " plan. Self-contained: no script, no fetch." } }
    };
    page(&format!("dom0scope harden: {}", p.snapshot), body)
}

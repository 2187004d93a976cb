//! The findings with their evidence, fixes and sources, then every other rule by outcome:
//! not evaluated (with what would settle it), passed, waived, and expired waivers. A rule
//! that was not judged is never shown as passed.

use dom0scope_report::Audit;
use dom0scope_verdict::{Finding, Verdict};
use maud::{Markup, html};

fn cite(e: &dom0scope_facts::Evidence) -> String {
    if e.line == 0 {
        e.artifact.clone()
    } else {
        format!("{}:{}", e.artifact, e.line)
    }
}

/// One finding: its anchor is `finding-ID`, which the pictures link to.
fn finding(f: &Finding) -> Markup {
    let sev = f.severity.label();
    html! {
        section class={"finding sev-" (sev)} id={"finding-" (f.id)} data-finding=(f.id) {
            h3 { span class="sev" { (sev) } " " code { (f.id) } " " (f.title) @if f.runtime { " (runtime state)" } }
            p { (f.summary) }
            @if !f.frames.is_empty() {
                p { span class="label" { "Frames: " }
                    @for (i, r) in f.frames.iter().enumerate() {
                        @if i > 0 { ", " }
                        code { (format!("{:#x}-{:#x}", r.first_frame, r.last_frame)) } " (bytes " code { (format!("{:#x}-{:#x}", r.start, r.end)) } ")"
                    }
                }
            }
            @if !f.evidence.is_empty() {
                div { span class="label" { "Evidence" }
                    @for e in &f.evidence { pre { (cite(e)) ": " (e.text) } }
                }
            }
            @if !f.remedies.is_empty() {
                div { span class="label" { "Fixes" }
                    ul { @for r in &f.remedies { li { strong { (r.channel.label()) } ": " (r.text) } } }
                }
            }
            p { span class="label" { "Why: " } (f.rationale) }
            @if !f.references.is_empty() {
                div { span class="label" { "Sources" }
                    ul { @for r in &f.references { li { (r) } } }
                }
            }
            @if !f.covers.is_empty() {
                p { span class="label" { "Also known as: " } (f.covers.join(", ")) }
            }
        }
    }
}

/// Every finding, most severe first (the verdict's order).
pub(crate) fn findings(v: &Verdict) -> Markup {
    html! {
        section id="findings" {
            h2 { "Findings (" (v.findings.len()) ")" }
            @if v.findings.is_empty() { p { "None fired." } }
            @for f in &v.findings { (finding(f)) }
        }
    }
}

/// The rules that did not fire: not evaluated, passed, waived; and expired waivers.
pub(crate) fn others(v: &Verdict) -> Markup {
    html! {
        section id="rules" {
            h2 { "Other rules" }
            h3 id="not-evaluated" { "Not evaluated (" (v.not_evaluated.len()) "): neither passed nor failed" }
            @if v.not_evaluated.is_empty() { p { "None." } } @else {
                table {
                    tr { th { "severity" } th { "rule" } th { "title" } th { "needs" } }
                    @for n in &v.not_evaluated {
                        tr id={"rule-" (n.id)} { td { (n.severity.label()) } td { code { (n.id) } } td { (n.title) } td { (n.needs) } }
                    }
                }
            }
            h3 id="passed" { "Passed (" (v.passed.len()) ")" }
            @if v.passed.is_empty() { p { "None." } } @else {
                p { @for (i, id) in v.passed.iter().enumerate() { @if i > 0 { ", " } code id={"rule-" (id)} { (id) } } }
            }
            h3 id="waived" { "Waived (" (v.waived.len()) ")" }
            @if v.waived.is_empty() { p { "None." } } @else {
                table {
                    tr { th { "severity" } th { "rule" } th { "state" } th { "reason" } th { "until" } th { "waiver" } }
                    @for w in &v.waived {
                        tr id={"rule-" (w.id)} {
                            td { (w.severity.label()) } td { code { (w.id) } }
                            td { @if w.fired { "fired" } @else { "not evaluated" } }
                            td { (w.reason) } td { (w.expires.to_string()) } td { (w.source) }
                        }
                    }
                }
            }
            @if !v.expired_waivers.is_empty() {
                h3 { "Expired waivers (not applied)" }
                table {
                    tr { th { "rule" } th { "reason" } th { "expired" } th { "waiver" } }
                    @for w in &v.expired_waivers {
                        tr { td { code { (w.rule) } } td { (w.reason) } td { (w.expired.to_string()) } td { (w.source) } }
                    }
                }
            }
        }
    }
}

/// The model's agreement with Xen's rangesets, the snapshot's problems and parse warnings.
pub(crate) fn model_and_notes(a: &Audit) -> Markup {
    html! {
        @if let Some(m) = &a.model {
            section id="model" {
                h2 { "The Xen model" }
                @if m.agrees {
                    p { "The model predicts exactly Xen's rangesets" @if !m.assumptions.is_empty() { ", with " (m.assumptions.len()) " assumption(s) (dom0scope verify lists them)" } "." }
                } @else {
                    p { "The model differs from Xen's rangesets in " (m.differences.len()) " range(s)"
                        @if m.differences.iter().all(|d| d.follows_from_assumption) { ", all where it assumed a fact this snapshot lacks" }
                        ". The observed rangesets are what is judged; " code { "dom0scope verify" } " explains." }
                }
            }
        }
        @if !a.snapshot.problems.is_empty() {
            section id="problems" {
                h2 { "Snapshot problems (the audit is degraded)" }
                ul { @for p in &a.snapshot.problems { li { (p) } } }
            }
        }
        @if !a.warnings.is_empty() {
            section id="warnings" {
                h2 { "Parse warnings" }
                ul { @for w in &a.warnings { li { (w) } } }
            }
        }
        @let notes: Vec<&String> = a.surface.reach().notes().iter().chain(a.surface.inventory_notes()).collect();
        @if !notes.is_empty() {
            section id="notes" {
                h2 { "Notes" }
                ul class="note" { @for n in notes { li { (n) } } }
            }
        }
    }
}

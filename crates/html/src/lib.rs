//! The HTML report: one self-contained file (inline CSS and SVG, no script, no fetch; a
//! Content-Security-Policy that forbids any) from the same models the text and JSON
//! renderers read: [`render_audit`] for an [`Audit`] (with the inventory, for the pictures of
//! the whole address space and the 64 Ki ports), [`render_diff`] for a `Diff`, [`render_plan`]
//! for `harden`'s plan (before and after), [`render_fleet`] for a fleet of audits.
//!
//! Everything from a snapshot is hostile text: every value goes through maud's escaping, and
//! nothing is emitted unescaped but this crate's own constants.

mod diff;
mod fleet;
mod picture;
mod plan;
mod rules;

use dom0scope_inventory::Inventory;
use dom0scope_report::Audit;
use maud::{DOCTYPE, Markup, PreEscaped, html};

pub use diff::render_diff;
pub use fleet::{host_section, render_fleet};
pub use plan::render_plan;

/// The page's policy: nothing may be fetched, no script runs; only the inline style applies.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'";

const STYLE: &str = include_str!("style.css");

/// The document around a body: charset, CSP, title, inline style.
fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

/// The audit as one HTML document: the answer, the pictures of dom0's I/O memory and I/O
/// ports, every finding with its evidence, fixes and sources, and the rules not evaluated,
/// passed and waived. `inventory` is the one the audit was built from.
pub fn render_audit(a: &Audit, inventory: &Inventory) -> String {
    let v = &a.verdict;
    let reach = a.surface.reach();
    let memory = picture::memory(inventory, reach, &v.findings);
    let ports = picture::ports(inventory, reach, &v.findings);
    let result = a.result.label();
    let body = html! {
        h1 { "dom0scope audit" }
        p class="mono" { (a.snapshot.label) }
        div class={"answer " (result.to_lowercase())} id="answer" {
            span class="level" { (v.level.label) }
            span class="result" { (result) " at --fail-on " (a.fail_on.label()) }
            p { (v.level.answer) }
            p {
                (v.findings.len()) " findings, " (v.passed.len()) " passed, "
                (v.not_evaluated.len()) " not evaluated, " (v.waived.len()) " waived, of "
                (v.rules) " rules (" (v.policy_sources.join(", ")) ")."
            }
            @if !a.incomplete.is_empty() {
                p { "Not evaluated at or above " (a.fail_on.label()) ", so not a pass: " (a.incomplete.join(", ")) }
            }
            @if !v.level.summary.is_empty() {
                ul { @for l in &v.level.summary { li { (l) } } }
            }
            @if !a.snapshot.problems.is_empty() {
                p { strong { "The audit is degraded: the snapshot has problems (below)." } }
            }
        }
        (host(a))
        nav {
            a href="#memory" { "I/O memory" } a href="#ports" { "I/O ports" }
            a href="#findings" { "Findings" } a href="#rules" { "Other rules" }
        }
        section id="memory" {
            h2 { "dom0's I/O memory: the whole physical address space" }
            @match reach.observed() {
                Some(o) => p {
                    "Xen's " code { "I/O Memory" } " rangeset (" (o.header.artifact) ":" (o.header.line) "): "
                    (o.iomem.count()) " frames in " (o.iomem.range_count()) " ranges. "
                    @if let Some(u) = a.unclaimed_reachable_bytes {
                        (dom0scope_inventory::human_size(u)) " of it no artifact claims. "
                    }
                },
                None => p { strong { "No rangeset in the snapshot: dom0's access is unknown, drawn faded and dashed." } },
            }
            p class="note" {
                "One segment per owner, left to right by address, wrapped into rows; the width grows with the logarithm of the size, so a 4 KiB page is as visible as a terabyte hole. Hover for the range, owner and source; a segment with a finding links to it."
            }
            div class="picture-box" { (picture::svg(picture::Space::Memory, &memory)) }
            (picture::legend())
        }
        section id="ports" {
            h2 { "dom0's I/O ports: 0x0000-0xffff" }
            @match reach.observed().and_then(|o| o.ioports.as_ref()) {
                Some(p) => p { "Xen's " code { "I/O Ports" } " rangeset: " (p.count()) " of 65536 ports." },
                None => p { strong { "No I/O Ports rangeset in the snapshot: dom0's access is unknown." } },
            }
            p class="note" { "A segment holding ports a finding names (its port ranges) links to it." }
            div class="picture-box" { (picture::svg(picture::Space::Ports, &ports)) }
        }
        (rules::findings(v))
        (rules::others(v))
        (rules::model_and_notes(a))
        footer { p class="note" { "Written by " (a.tool) " (" code { (a.schema) } " model). Self-contained: no script, no fetch." } }
    };
    page(&format!("dom0scope audit: {}", a.snapshot.label), body)
}

fn host(a: &Audit) -> Markup {
    let h = &a.host;
    let row = |k: &str, v: &Option<String>| {
        html! { @if let Some(v) = v { dt { (k) } dd { (v) } } }
    };
    html! {
        dl class="host" {
            (row("Xen", &h.xen_version))
            (row("package", &h.xen_package))
            (row("dom0", &h.dom0_mode))
            (row("CPU", &h.cpu))
            (row("IOMMU", &h.iommu))
            @if let Some(c) = &h.xen_cmdline { dt { "Xen command line" } dd { code { (c) } } }
            @if a.snapshot.bare_log { dt { "input" } dd { "a bare Xen log (no ACPI tables, PCI config, EFI variables)" } }
        }
    }
}

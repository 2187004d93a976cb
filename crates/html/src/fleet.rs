//! The fleet page: one table with a row per host (linking to its section), the level
//! distribution, then per host a compact section: its answer, who it is, its findings and the
//! rules not evaluated. The pictures stay in each host's own report (`audit SNAPSHOT --format
//! html`): at 10,000 hosts they would make a page nobody can open.

use dom0scope_fleet::{Fleet, Skipped};
use dom0scope_report::Audit;
use maud::{Markup, PreEscaped, html};

use crate::page;

/// One host's section body, made in the fleet's worker from the whole audit (so the fleet
/// never holds 10,000 audits): the answer, the host, the findings, the rules not evaluated.
pub fn host_section(a: &Audit) -> String {
    let v = &a.verdict;
    let result = a.result.label();
    let id = &a.identity.host;
    html! {
        div class={"answer " (result.to_lowercase())} {
            span class="level" { (v.level.label) }
            span class="result" { (result) " at --fail-on " (a.fail_on.label()) }
            p { (v.level.answer) }
            p { (v.findings.len()) " findings, " (v.passed.len()) " passed, "
                (v.not_evaluated.len()) " not evaluated, " (v.waived.len()) " waived." }
        }
        dl class="host" {
            dt { "snapshot" } dd { code { (a.snapshot.label) } }
            @if let Some(x) = &a.host.xen_version { dt { "Xen" } dd { (x) } }
            @if let Some(m) = &a.host.dom0_mode { dt { "dom0" } dd { (m) } }
            @if let Some(x) = &id.sys_vendor { dt { "vendor" } dd { (x) } }
            @if let Some(x) = &id.product_name { dt { "product" } dd { (x) } }
            @if let Some(x) = &id.product_serial { dt { "serial" } dd { (x) } }
            @if let Some(x) = &id.collected { dt { "collected" } dd { (x) } }
            @if !a.snapshot.problems.is_empty() {
                dt { "degraded" } dd { (a.snapshot.problems.join("; ")) }
            }
        }
        @if !v.findings.is_empty() {
            table class="findings" {
                tr { th { "severity" } th { "rule" } th { "what is wrong here" } }
                @for f in &v.findings {
                    tr class={"sev-" (f.severity.label())} data-finding=(f.id) {
                        td { span class="sev" { (f.severity.label()) } }
                        td { code { (f.id) } }
                        td { strong { (f.title) } br; (f.summary) }
                    }
                }
            }
        }
        @if !v.not_evaluated.is_empty() {
            p { span class="label" { "Not evaluated (not a pass): " }
                @for (i, n) in v.not_evaluated.iter().enumerate() {
                    @if i > 0 { ", " } code { (n.id) }
                }
            }
        }
    }
    .into_string()
}

/// The whole fleet as one document: the table, then each host's section (made by
/// [`host_section`]); hosts that could not be audited keep their row and say why.
pub fn render_fleet(fleet: &Fleet<String>, skipped: &[Skipped]) -> String {
    let audited = fleet.hosts.iter().filter(|h| h.outcome.is_ok()).count();
    let mut levels = [0usize; 4];
    for h in &fleet.hosts {
        if let Ok(a) = &h.outcome {
            levels[usize::from(a.row.level.min(3))] += 1;
        }
    }
    let body = html! {
        h1 { "dom0scope fleet audit" }
        div class="answer" {
            p { strong { (fleet.hosts.len()) " hosts" } ", " (audited) " audited, "
                (fleet.hosts.len() - audited) " could not be audited. Levels: "
                @for (l, n) in levels.iter().enumerate() {
                    @if l > 0 { ", " } "DOM0:" (l) " " (n)
                }
                ". Exit status " (fleet.exit_code()) " (the worst host's)." }
        }
        table class="fleet" id="fleet" {
            tr { th { "host" } th { "Xen" } th { "dom0" } th { "level" } th { "critical" }
                 th { "high" } th { "top finding" } th { "result" } }
            @for (i, h) in fleet.hosts.iter().enumerate() {
                (row(i, &h.name(), h))
            }
        }
        @if !skipped.is_empty() {
            details class="note" {
                summary { (skipped.len()) " paths skipped: not snapshots" }
                ul { @for s in skipped { li { code { (s.path.display()) } ": " (s.reason) } } }
            }
        }
        @for (i, h) in fleet.hosts.iter().enumerate() {
            section class="host-section" id={"host-" (i)} {
                h2 { (h.name()) " " span class="note mono" { (h.path.display()) } }
                @match &h.outcome {
                    Ok(a) => (PreEscaped(a.rendered.as_str())),
                    Err(f) => p class="opened" { strong { "Not audited: " } (f.error) },
                }
                p class="note" { a href="#fleet" { "back to the table" } }
            }
        }
        footer { p class="note" { "Written by dom0scope " (env!("CARGO_PKG_VERSION"))
            ". Self-contained: no script, no fetch. Each host's own report, with the pictures of "
            "dom0's reach: " code { "dom0scope audit SNAPSHOT --format html" } "." } }
    };
    page("dom0scope fleet audit", body)
}

fn row(i: usize, name: &str, h: &dom0scope_fleet::Host<String>) -> Markup {
    html! {
        tr {
            td { a href={"#host-" (i)} { (name) } }
            @match &h.outcome {
                Ok(a) => {
                    @let r = &a.row;
                    td { (r.identity.xen_version.as_deref().unwrap_or("?")) }
                    td { (r.dom0_mode.as_deref().unwrap_or("?")) }
                    td { strong { (r.level_label) } }
                    td { (r.critical) } td { (r.high) }
                    td { @if let Some(t) = &r.top { code { (t.id) } } }
                    td { (r.result.label()) @if r.degraded { " (degraded)" } }
                }
                Err(f) => { td colspan="7" class="opened" { "not audited: " (f.error) } }
            }
        }
    }
}

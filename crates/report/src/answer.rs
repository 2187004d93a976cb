//! What both text views open and close with: the banner with the answer (level, the
//! one-sentence answer, the counts and the result), the level's explanation and the
//! result line. The answer comes first so that nobody scrolls for it.

use std::fmt::Write;

use dom0scope_verdict::Severity;

use crate::style::{BOLD, DIM, GOOD, HEAD, level_style, sev_style, styled};
use crate::wrap::{hang, wrap};
use crate::{Audit, Outcome};

/// The opening lines of every text view: tool and snapshot, Xen and dom0's mode, the level
/// with the answer, and the counts with the result.
pub(crate) fn banner(o: &mut String, a: &Audit, width: usize) {
    let _ = writeln!(
        o,
        "{} — audit of {}",
        styled(BOLD, &a.tool),
        a.snapshot.label
    );
    let _ = writeln!(o, "  {}", xen_and_mode(a));
    let line = format!("Level {}, {}: {}", level(a), outcome(a), counts(a));
    let _ = writeln!(o, "{}", wrap(&line, 2, width));
    let _ = writeln!(o, "{}", wrap(&answer(a), 2, width));
    if !a.snapshot.problems.is_empty() {
        let line = format!(
            "The snapshot is degraded ({} problem(s), listed below): the answer rests on less \
             than it should.",
            a.snapshot.problems.len()
        );
        let _ = writeln!(o, "{}", wrap(&line, 2, width));
    }
}

/// The level, styled.
fn level(a: &Audit) -> String {
    let l = &a.verdict.level;
    styled(level_style(l.level), &l.label)
}

/// `22 failed, 12 passed, 7 not evaluated, 0 waived`.
fn counts(a: &Audit) -> String {
    let v = &a.verdict;
    format!(
        "{} failed, {} passed, {} not evaluated, {} waived",
        v.findings.len(),
        v.passed.len(),
        v.not_evaluated.len(),
        v.waived.len()
    )
}

/// The one-sentence answer without its "(level …)": the level line has just said it.
fn answer(a: &Audit) -> String {
    let l = &a.verdict.level;
    l.answer.replacen(&format!(" (level {})", l.label), "", 1)
}

/// `Xen 4.17.7 (Debian …), PV dom0`: the host line under every view's title.
fn xen_and_mode(a: &Audit) -> String {
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
    format!("{xen}, {mode}")
}

/// What the banner says of the host beyond Xen and dom0's mode (the full view only).
pub(crate) fn host(o: &mut String, a: &Audit) {
    let h = &a.host;
    if let Some(c) = &h.cpu {
        let _ = writeln!(o, "  CPU: {c}");
    }
    if let Some(c) = &h.xen_cmdline {
        let _ = writeln!(o, "  Xen command line: {c}");
    }
    if let Some(i) = &h.iommu {
        let _ = writeln!(o, "  IOMMU: {i}");
    }
}

/// Says that a bare log holds a fraction of what a snapshot does.
pub(crate) fn bare_log(o: &mut String, a: &Audit) {
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

/// `FAIL at --fail-on high`, coloured.
fn outcome(a: &Audit) -> String {
    let at = a.fail_on.label();
    match a.result {
        Outcome::Fail => styled(
            sev_style(Severity::Critical),
            &format!("FAIL at --fail-on {at}"),
        ),
        Outcome::Pass => styled(GOOD, &format!("PASS at --fail-on {at}")),
        Outcome::Incomplete => styled(
            sev_style(Severity::Medium),
            &format!("INCOMPLETE at --fail-on {at}"),
        ),
    }
}

/// The level and the few-line answer to "can dom0 be left outside the Secure
/// Boot boundary?", with what stands in the way level by level.
pub(crate) fn verdict(o: &mut String, a: &Audit, width: usize) {
    let l = &a.verdict.level;
    let _ = writeln!(
        o,
        "{} {}",
        styled(
            HEAD,
            "Can this host's dom0 be left outside the Secure Boot boundary?"
        ),
        styled(level_style(l.level), &l.label)
    );
    let _ = writeln!(o, "{}", wrap(&l.answer, 2, width));
    for s in &l.summary {
        let _ = writeln!(o, "{}", wrap(s, 2, width));
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
                width
            )
        )
    );
    o.push('\n');
}

/// The closing line: findings by severity, the level and the result; then, for an
/// incomplete audit, why it is not a pass.
/// `more` says where each unevaluated rule's needs are spelt out.
pub(crate) fn result(o: &mut String, a: &Audit, width: usize, more: &str) {
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
        "{} {n} finding(s){counts}{extra}. Level {}. {}",
        styled(BOLD, "Result:"),
        v.level.label,
        outcome(a)
    );
    if a.result == Outcome::Incomplete {
        incomplete(o, a, width, more);
    }
}

/// For an incomplete audit, why it is not a pass; nothing otherwise.
pub(crate) fn incomplete_block(o: &mut String, a: &Audit, width: usize, more: &str) {
    if a.result == Outcome::Incomplete {
        incomplete(o, a, width, more);
    }
}

/// Why a non-failing audit is not a pass, and what would settle it.
fn incomplete(o: &mut String, a: &Audit, width: usize, more: &str) {
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
            width
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
        let _ = writeln!(o, "{}", wrap(&format!("- {need}"), 4, width));
    }
    if needs.len() > MAX_NEEDS {
        let _ = writeln!(o, "    - … and {} more ({more})", needs.len() - MAX_NEEDS);
    }
    let how = if a.snapshot.bare_log {
        "A bare Xen log cannot hold most of these: run `dom0scope collect -o DIR` as root in dom0 \
         and audit DIR."
    } else {
        "Collect the missing artifacts (`dom0scope collect` in dom0 as root), or, for a fact no \
         snapshot can hold, check it by other means and waive the rule with a reason and an \
         expiry (docs/policy.md)."
    };
    let _ = writeln!(o, "{}", wrap(&format!("  {how}"), 2, width));
}

/// Distinct needs listed under an incomplete result before the rest is summarised.
const MAX_NEEDS: usize = 6;

/// The verdict that opens a view other than `audit` (map, predict, verify, hypercalls,
/// explain): the same host line, level, counts and answer as the audit's banner, under the
/// built-in policy, and where the findings are.
pub fn render_header(a: &Audit, view: &str, width: usize) -> String {
    let mut o = String::new();
    let title = hang(
        &format!("{} — {view} of {}", a.tool, a.snapshot.label),
        0,
        2,
        width,
    );
    let _ = writeln!(o, "{}", styled(BOLD, &title));
    let _ = writeln!(o, "  {}", xen_and_mode(a));
    let line = format!(
        "Level {}: {} (built-in policy; the findings: `dom0scope audit`)",
        level(a),
        counts(a)
    );
    let _ = writeln!(o, "{}", wrap(&line, 2, width));
    let _ = writeln!(o, "{}", wrap(&answer(a), 2, width));
    if !a.snapshot.problems.is_empty() {
        let line = format!(
            "The snapshot is degraded ({} problem(s), `dom0scope audit` lists them).",
            a.snapshot.problems.len()
        );
        let _ = writeln!(o, "{}", wrap(&line, 2, width));
    }
    o.push('\n');
    o
}

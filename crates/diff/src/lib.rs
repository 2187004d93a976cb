//! Two snapshots compared — before and after `enforce`, two hosts, two Xen releases: which
//! findings closed, opened or changed, how the level moved, which frames, ports and IRQs only
//! one side's dom0 reaches (with their owners), and which hypercalls changed availability.
//!
//! Each side is an [`Analysis`], so both are judged by the same engine, policy and date. The
//! findings and the level are compared by [`Delta`], the comparison harden's residual uses, so
//! a diff of the snapshots taken before and after applying a plan closes what the plan's
//! what-if said it would. The [`Diff`] is plain data: the text renderer here, the JSON
//! document ([`SCHEMA`]) and an HTML renderer all read the same fields.

mod findings;
mod hypercalls;
mod rangesets;
mod render;

use std::collections::BTreeMap;

use dom0scope_engine::Analysis;
use dom0scope_verdict::{Delta, Severity};
use serde::Serialize;

pub use findings::{Brief, Changed, Findings, Moved, OtherState};
pub use hypercalls::{HypercallChange, Hypercalls};
pub use rangesets::{OwnerPart, RangeChange, Rangesets, SetTotal};
pub use render::render_text;

/// The JSON document's `schema`.
pub const SCHEMA: &str = "dom0scope-diff/1";

/// One snapshot as the caller loaded it.
#[derive(Debug)]
pub struct Input<'a> {
    /// How the user named it (its path, or the manifest's config name).
    pub label: String,
    /// Its DMI identity (as `enforce` and `verify --plan` read it); empty for a bare log.
    pub dmi: BTreeMap<String, String>,
    /// When it was collected (the manifest's `created`), if known.
    pub collected: Option<String>,
    /// The whole pipeline's output for it.
    pub analysis: &'a Analysis,
}

/// Which snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    /// The first (`A`, the baseline).
    A,
    /// The second (`B`, judged against `A`).
    B,
}

impl Which {
    /// `A` or `B`.
    pub fn label(self) -> &'static str {
        match self {
            Which::A => "A",
            Which::B => "B",
        }
    }
}

/// Who a snapshot's host is: enough to tell two hosts, or two boots of one, apart.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// DMI attributes (`sys_vendor`, `product_name`, `product_serial` …).
    pub dmi: BTreeMap<String, String>,
    /// When the snapshot was collected (RFC 3339), if known.
    pub collected: Option<String>,
    /// The Xen release its log states (`4.17.7`).
    pub xen: Option<String>,
    /// `PV` or `PVH`.
    pub dom0_mode: Option<&'static str>,
}

/// How many rules ended which way on one side.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Counts {
    /// Findings (unwaived rules that fired).
    pub findings: usize,
    /// Rules whose input the snapshot lacks.
    pub not_evaluated: usize,
    /// Rules that ran and did not fire.
    pub passed: usize,
    /// Rules a waiver set aside.
    pub waived: usize,
}

/// One snapshot, briefly: who it is and where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// How the user named it.
    pub label: String,
    /// Its host.
    pub host: Identity,
    /// Its level, 0-3.
    pub level: u8,
    /// Its level's label (`DOM0:1!`).
    pub level_label: String,
    /// The one-sentence answer for it.
    pub answer: String,
    /// Its rules by outcome.
    pub counts: Counts,
}

/// Whether B is better or worse than A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Only improvements: the level rose, or findings closed or lost severity.
    Better,
    /// A regression: the level fell, or findings opened or gained severity.
    Worse,
    /// Improvements and regressions both (neither at or above `--fail-on`).
    Mixed,
    /// No finding (above info) and no level changed.
    Same,
}

/// The answer: which way B moved, and whether that fails a CI gate.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Which way B moved from A.
    pub direction: Direction,
    /// The severity at which a new finding fails (`--fail-on`).
    pub fail_on: Severity,
    /// B is worse in a way CI should stop for (exit 1): its level is lower, or a finding at
    /// or above `fail_on` opened or was raised to it.
    pub fails: bool,
    /// Why it fails, one sentence each.
    pub reasons: Vec<String>,
    /// The one-line answer, as the text starts.
    pub answer: String,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The baseline.
    pub a: Side,
    /// The snapshot judged against it.
    pub b: Side,
    /// The answer.
    pub outcome: Outcome,
    /// Findings closed, opened, changed and unchanged.
    pub findings: Findings,
    /// What only one side's dom0 reaches, by Xen's rangesets.
    pub rangesets: Rangesets,
    /// Operations whose availability differs.
    pub hypercalls: Hypercalls,
}

impl Diff {
    /// Compares `b` against `a`; `fail_on` decides which opened findings fail.
    pub fn between(a: &Input<'_>, b: &Input<'_>, fail_on: Severity) -> Diff {
        let (va, vb) = (a.analysis.verdict(), b.analysis.verdict());
        let delta = Delta::between(va, vb);
        let findings = Findings::of(&delta, va, vb);
        let outcome = outcome(&delta, &findings, fail_on);
        Diff {
            schema: SCHEMA,
            a: side(a),
            b: side(b),
            outcome,
            findings,
            rangesets: Rangesets::between(a.analysis, b.analysis),
            hypercalls: Hypercalls::between(a.analysis.hypercalls(), b.analysis.hypercalls()),
        }
    }

    /// The JSON document, pretty-printed with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

fn side(i: &Input<'_>) -> Side {
    let v = i.analysis.verdict();
    Side {
        label: i.label.clone(),
        host: Identity {
            dmi: i.dmi.clone(),
            collected: i.collected.clone(),
            xen: i
                .analysis
                .facts()
                .xen
                .as_ref()
                .and_then(|x| x.version.as_ref())
                .map(|v| v.full()),
            dom0_mode: i.analysis.reach().dom0_mode().map(|m| m.label()),
        },
        level: v.level.level,
        level_label: v.level.label.clone(),
        answer: v.level.answer.clone(),
        counts: Counts {
            findings: v.findings.len(),
            not_evaluated: v.not_evaluated.len(),
            passed: v.passed.len(),
            waived: v.waived.len(),
        },
    }
}

/// Info findings are context ("blocks no level, reported only"): they are listed, but do not
/// make B better or worse.
fn counts(s: Severity) -> bool {
    s > Severity::Info
}

fn outcome(d: &Delta<'_>, f: &Findings, fail_on: Severity) -> Outcome {
    let level = d.level_change();
    let mut reasons = Vec::new();
    if level.is_lt() {
        reasons.push(format!(
            "the level fell from {} to {}",
            d.before.label, d.after.label
        ));
    }
    let at_least = |s: Severity| s >= fail_on;
    for o in f.opened.iter().filter(|o| at_least(o.brief.severity)) {
        reasons.push(format!(
            "{} ({}) opened",
            o.brief.id,
            o.brief.severity.label()
        ));
    }
    for c in f
        .changed
        .iter()
        .filter(|c| c.brief.severity > c.severity_before && at_least(c.brief.severity))
    {
        reasons.push(format!(
            "{} rose from {} to {}",
            c.brief.id,
            c.severity_before.label(),
            c.brief.severity.label()
        ));
    }
    let raised = |up: bool| {
        f.changed.iter().any(|c| {
            let s = (c.severity_before, c.brief.severity);
            (if up { s.1 > s.0 } else { s.1 < s.0 }) && counts(s.0.max(s.1))
        })
    };
    let better =
        level.is_gt() || f.closed.iter().any(|m| counts(m.brief.severity)) || raised(false);
    let worse = level.is_lt() || f.opened.iter().any(|m| counts(m.brief.severity)) || raised(true);
    let fails = !reasons.is_empty();
    let direction = match (better, worse) {
        _ if fails => Direction::Worse,
        (true, false) => Direction::Better,
        (false, true) => Direction::Worse,
        (true, true) => Direction::Mixed,
        (false, false) => Direction::Same,
    };
    let verb = match direction {
        Direction::Better => "B is better than A",
        Direction::Worse => "B is worse than A",
        Direction::Mixed => "B is neither better nor worse than A",
        Direction::Same => "B is the same as A",
    };
    let mut answer = format!(
        "{verb}: level {} → {}; {} finding{} closed, {} opened",
        d.before.label,
        d.after.label,
        f.closed.len(),
        if f.closed.len() == 1 { "" } else { "s" },
        f.opened.len()
    );
    if !f.changed.is_empty() {
        answer.push_str(&format!(", {} changed", f.changed.len()));
    }
    if direction == Direction::Worse && !fails {
        answer.push_str(&format!(
            " (nothing at or above {}: not a failure)",
            fail_on.label()
        ));
    }
    Outcome {
        direction,
        fail_on,
        fails,
        reasons,
        answer,
    }
}

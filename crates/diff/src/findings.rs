//! Findings closed, opened and changed, from the [`Delta`] of the two verdicts. A finding in
//! both "changed" when its severity, its frames or its evidence did. Evidence is matched by
//! its text, not its line: two boots of one host log the same lines at other line numbers, and
//! a line that moved is not news, while a rangeset line that lost ranges is.

use dom0scope_facts::Evidence;
use dom0scope_ranges::{FrameRange, FrameSet};
use dom0scope_verdict::{Delta, Finding, RuleState, Severity, Verdict};
use serde::Serialize;

/// A finding, briefly.
#[derive(Debug, Clone, Serialize)]
pub struct Brief {
    /// The rule's stable identifier.
    pub id: String,
    /// The rule's title.
    pub title: String,
    /// Its severity (in B for a finding in both).
    pub severity: Severity,
}

impl From<&Finding> for Brief {
    fn from(f: &Finding) -> Brief {
        Brief {
            id: f.id.clone(),
            title: f.title.clone(),
            severity: f.severity,
        }
    }
}

/// What the rule of a closed (opened) finding is in B (A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OtherState {
    /// It ran and did not fire: closed for real.
    Passed,
    /// Its input is missing there: not shown closed, only not shown open.
    NotEvaluated,
    /// A waiver sets it aside there.
    Waived,
    /// The policy has no such rule there.
    NotInPolicy,
}

impl OtherState {
    /// How the text words it.
    pub fn label(self) -> &'static str {
        match self {
            OtherState::Passed => "passes",
            OtherState::NotEvaluated => "not evaluated",
            OtherState::Waived => "waived",
            OtherState::NotInPolicy => "not in the policy",
        }
    }
}

/// A finding on one side only.
#[derive(Debug, Clone, Serialize)]
pub struct Moved {
    /// The finding.
    #[serde(flatten)]
    pub brief: Brief,
    /// What is wrong, on the side where it fires.
    pub summary: String,
    /// The frames it concerns there.
    pub frames: Vec<FrameRange>,
    /// What its rule is on the other side.
    pub other: OtherState,
    /// Why, when the rule is not evaluated (what it needs) or waived (the waiver's reason).
    pub other_detail: Option<String>,
}

/// A finding in both whose severity, frames or evidence differ.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    /// The finding as B has it.
    #[serde(flatten)]
    pub brief: Brief,
    /// Its severity in A.
    pub severity_before: Severity,
    /// Frames it concerned in A only.
    pub frames_removed: Vec<FrameRange>,
    /// Frames it concerns in B only.
    pub frames_added: Vec<FrameRange>,
    /// A's evidence whose text B's lacks.
    pub evidence_removed: Vec<Evidence>,
    /// B's evidence whose text A's lacks.
    pub evidence_added: Vec<Evidence>,
}

/// The findings compared.
#[derive(Debug, Clone, Serialize)]
pub struct Findings {
    /// In A, not in B, in A's order (most severe first).
    pub closed: Vec<Moved>,
    /// In B, not in A, in B's order.
    pub opened: Vec<Moved>,
    /// In both, with a different severity, frames or evidence, in B's order.
    pub changed: Vec<Changed>,
    /// In both, unchanged, in B's order.
    pub unchanged: Vec<Brief>,
}

impl Findings {
    /// Sorts the delta's findings, looking up what each moved one is on the other side.
    pub(crate) fn of(d: &Delta<'_>, a: &Verdict, b: &Verdict) -> Findings {
        let (mut changed, mut unchanged) = (Vec::new(), Vec::new());
        for (fa, fb) in &d.remaining {
            match change(fa, fb) {
                Some(c) => changed.push(c),
                None => unchanged.push(Brief::from(*fb)),
            }
        }
        Findings {
            closed: d.closed.iter().map(|f| moved(f, b)).collect(),
            opened: d.opened.iter().map(|f| moved(f, a)).collect(),
            changed,
            unchanged,
        }
    }
}

fn moved(f: &Finding, other: &Verdict) -> Moved {
    let (other, other_detail) = match other.rule_state(&f.id) {
        RuleState::NotEvaluated(n) => (OtherState::NotEvaluated, Some(n.needs.clone())),
        RuleState::Waived(w) => (OtherState::Waived, Some(w.reason.clone())),
        RuleState::Unknown => (OtherState::NotInPolicy, None),
        // Fired cannot happen for a finding on one side only.
        RuleState::Passed | RuleState::Fired(_) => (OtherState::Passed, None),
    };
    Moved {
        brief: Brief::from(f),
        summary: f.summary.clone(),
        frames: f.frames.clone(),
        other,
        other_detail,
    }
}

fn frame_set(f: &Finding) -> FrameSet {
    f.frames
        .iter()
        .map(|r| r.first_frame..=r.last_frame)
        .collect()
}

fn frame_ranges(s: &FrameSet) -> Vec<FrameRange> {
    s.ranges()
        .map(|r| FrameRange::frames(*r.start(), *r.end()))
        .collect()
}

/// Evidence of `x` whose text `y` lacks.
fn evidence_only(x: &Finding, y: &Finding) -> Vec<Evidence> {
    x.evidence
        .iter()
        .filter(|e| !y.evidence.iter().any(|o| o.text == e.text))
        .cloned()
        .collect()
}

fn change(a: &Finding, b: &Finding) -> Option<Changed> {
    let (fa, fb) = (frame_set(a), frame_set(b));
    let c = Changed {
        brief: Brief::from(b),
        severity_before: a.severity,
        frames_removed: frame_ranges(&fa.difference(&fb)),
        frames_added: frame_ranges(&fb.difference(&fa)),
        evidence_removed: evidence_only(a, b),
        evidence_added: evidence_only(b, a),
    };
    let same = c.severity_before == c.brief.severity
        && c.frames_removed.is_empty()
        && c.frames_added.is_empty()
        && c.evidence_removed.is_empty()
        && c.evidence_added.is_empty();
    (!same).then_some(c)
}

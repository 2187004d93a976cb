//! Two verdicts compared rule by rule: what a change (a what-if revocation, an `enforce`, another
//! host or Xen release) closed, kept and opened, and how the level moved. It is the one
//! comparison harden's residual and `dom0scope diff` both use, so "closed" means the same thing
//! in a plan and in a diff of the snapshots taken before and after applying it.

use std::cmp::Ordering;

use crate::{Finding, Level, NotEvaluated, Verdict, Waived};

/// The findings of two verdicts matched by rule id, and their levels.
#[derive(Debug, Clone)]
pub struct Delta<'a> {
    /// The level before.
    pub before: &'a Level,
    /// The level after.
    pub after: &'a Level,
    /// Findings before whose rule does not fire after, in the earlier verdict's order. The
    /// rule may pass, be waived or lack its input after: [`Verdict::rule_state`] tells which.
    pub closed: Vec<&'a Finding>,
    /// Rules that fire in both, as `(before, after)`, in the later verdict's order.
    pub remaining: Vec<(&'a Finding, &'a Finding)>,
    /// Findings after whose rule did not fire before, in the later verdict's order.
    pub opened: Vec<&'a Finding>,
}

impl<'a> Delta<'a> {
    /// Compares `before` with `after`.
    pub fn between(before: &'a Verdict, after: &'a Verdict) -> Delta<'a> {
        let find = |v: &'a Verdict, id: &str| v.findings.iter().find(|f| f.id == id);
        Delta {
            before: &before.level,
            after: &after.level,
            closed: before
                .findings
                .iter()
                .filter(|f| find(after, &f.id).is_none())
                .collect(),
            remaining: after
                .findings
                .iter()
                .filter_map(|a| find(before, &a.id).map(|b| (b, a)))
                .collect(),
            opened: after
                .findings
                .iter()
                .filter(|f| find(before, &f.id).is_none())
                .collect(),
        }
    }

    /// `Greater` when the level rose (better), `Less` when it fell (worse). The runtime `!`
    /// suffix is not a level: a runtime finding shows among the opened or closed ones.
    pub fn level_change(&self) -> Ordering {
        self.after.level.cmp(&self.before.level)
    }
}

/// What became of one rule in a verdict.
#[derive(Debug, Clone, Copy)]
pub enum RuleState<'a> {
    /// It fired, unwaived.
    Fired(&'a Finding),
    /// It ran and did not fire.
    Passed,
    /// Its input is missing.
    NotEvaluated(&'a NotEvaluated),
    /// A waiver set it aside.
    Waived(&'a Waived),
    /// The policy in force has no such rule.
    Unknown,
}

impl Verdict {
    /// The state of rule `id` in this verdict.
    pub fn rule_state(&self, id: &str) -> RuleState<'_> {
        if let Some(f) = self.findings.iter().find(|f| f.id == id) {
            RuleState::Fired(f)
        } else if self.passed.iter().any(|p| p == id) {
            RuleState::Passed
        } else if let Some(n) = self.not_evaluated.iter().find(|n| n.id == id) {
            RuleState::NotEvaluated(n)
        } else if let Some(w) = self.waived.iter().find(|w| w.id == id) {
            RuleState::Waived(w)
        } else {
            RuleState::Unknown
        }
    }
}

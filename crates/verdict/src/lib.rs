//! The verdict stage: the Secure Boot policy evaluated over the surface. Each
//! rule either fires (a finding with the exact ranges and the lines they came
//! from), passes, or says it could not be evaluated and what it needs — a rule
//! never passes silently for lack of input.

mod rules;

use dom0scope_facts::Evidence;
use dom0scope_facts::evidence::hex;
use dom0scope_surface::Surface;
use serde::Serialize;

/// How bad a finding is. Ordered: `Critical` is the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// What a finding threatens, after Linux lockdown's two levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// dom0 can change code or data that runs with more privilege than dom0.
    Integrity,
    /// dom0 can read secrets it should not.
    Confidentiality,
}

/// How a fix is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// dom0 gives up the access itself through the permission domctls, early in boot.
    Dom0SelfRevocation,
    /// A change to Xen's source.
    XenPatch,
    /// A Xen command-line option.
    XenCommandLine,
}

impl Channel {
    pub fn label(self) -> &'static str {
        match self {
            Channel::Dom0SelfRevocation => "dom0 self-revocation",
            Channel::XenPatch => "Xen patch",
            Channel::XenCommandLine => "Xen command line",
        }
    }
}

/// One way to close a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remedy {
    pub channel: Channel,
    pub text: String,
}

/// An inclusive range of machine frames with its byte span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameRange {
    #[serde(serialize_with = "hex::u64")]
    pub first_frame: u64,
    #[serde(serialize_with = "hex::u64")]
    pub last_frame: u64,
    #[serde(serialize_with = "hex::u64")]
    pub start: u64,
    #[serde(serialize_with = "hex::u64")]
    pub end: u64,
}

/// A rule that fired.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable identifier, in the style of Linux lockdown reasons.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub impact: Impact,
    /// What is wrong on this host, worded for its dom0 mode.
    pub summary: String,
    /// The exact frames concerned.
    pub frames: Vec<FrameRange>,
    /// The log lines / table bytes the finding rests on.
    pub evidence: Vec<Evidence>,
    pub rationale: &'static str,
    pub references: Vec<&'static str>,
    pub remedies: Vec<Remedy>,
}

/// A rule whose inputs were missing.
#[derive(Debug, Clone, Serialize)]
pub struct NotEvaluated {
    pub id: &'static str,
    pub title: &'static str,
    pub needs: String,
}

/// The policy's answer for one snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
    /// Rules that ran and did not fire.
    pub passed: Vec<&'static str>,
}

impl Verdict {
    /// Evaluates every built-in rule over the surface.
    pub fn evaluate(surface: &Surface) -> Verdict {
        let mut v = Verdict {
            findings: Vec::new(),
            not_evaluated: Vec::new(),
            passed: Vec::new(),
        };
        for rule in rules::ALL {
            match (rule.eval)(surface) {
                rules::Outcome::Fires(f) => v.findings.push(*f),
                rules::Outcome::Passes => v.passed.push(rule.id),
                rules::Outcome::NeedsInput(needs) => v.not_evaluated.push(NotEvaluated {
                    id: rule.id,
                    title: rule.title,
                    needs,
                }),
            }
        }
        v.findings
            .sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(b.id)));
        v
    }

    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

//! The verdict stage: the Secure Boot policy evaluated over the surface.
//!
//! The policy is data: a built-in catalog (`catalog/*.toml`, compiled in) plus
//! optional user policy files that add rules, change severities or waive a rule
//! until a date. Each rule's condition is built from a small, documented set of
//! predicates ([`predicates`]) over the surface and the other readings of the
//! snapshot ([`Inputs`]). A rule fires (a finding with the exact ranges and the
//! lines they came from), passes, or says what it needs — a rule never passes
//! silently for lack of input. The findings then place the host on a level in
//! the style of fwupd's HSI ([`level`]).

pub mod catalog;
mod condition;
pub mod date;
pub mod inputs;
pub mod level;
pub mod policy;
pub mod predicates;
mod template;

use dom0scope_facts::Evidence;
use dom0scope_facts::evidence::hex;
use dom0scope_ranges::{frame_end, frame_start};
use dom0scope_surface::Surface;
use serde::{Deserialize, Serialize};

pub use catalog::Rule;
pub use date::Date;
pub use inputs::{HypercallOp, HypercallView, Inputs, OpState, Readings};
pub use level::Level;
pub use policy::{Policy, PolicyError};

/// How bad a finding is. Ordered: `Critical` is the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// dom0 can change code or data that runs with more privilege than dom0.
    Integrity,
    /// dom0 can read secrets it should not.
    Confidentiality,
}

/// How a fix is delivered: whether it survives a root user in dom0 decides
/// whether it holds under Secure Boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// dom0 gives up the access itself through the permission domctls, early in boot.
    Dom0SelfRevocation,
    /// A change to Xen's source.
    XenPatch,
    /// A Xen command-line option given by the boot loader (editable by root in dom0).
    XenCommandLine,
    /// An option in Xen's signed built-in command line (`CONFIG_CMDLINE`, or the
    /// `.config` section of a signed unified image).
    SignedBuiltinCommandLine,
    /// A Xen build option (Kconfig).
    Kconfig,
    /// An XSM FLASK policy change (e.g. `dom0.te`).
    FlaskPolicy,
    /// dom0's own kernel: its command line, Kconfig or a driver.
    Dom0Kernel,
    /// A firmware setting or update.
    Firmware,
}

impl Channel {
    pub fn label(self) -> &'static str {
        match self {
            Channel::Dom0SelfRevocation => "dom0 self-revocation",
            Channel::XenPatch => "Xen patch",
            Channel::XenCommandLine => "Xen command line",
            Channel::SignedBuiltinCommandLine => "signed built-in command line",
            Channel::Kconfig => "Kconfig",
            Channel::FlaskPolicy => "FLASK policy",
            Channel::Dom0Kernel => "dom0 kernel",
            Channel::Firmware => "firmware",
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

impl FrameRange {
    /// The range covering frames `first..=last`, with their whole bytes.
    pub fn frames(first: u64, last: u64) -> FrameRange {
        FrameRange {
            first_frame: first,
            last_frame: last,
            start: frame_start(first),
            end: frame_end(last),
        }
    }
}

/// A rule that fired.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable identifier, in the style of Linux lockdown reasons.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub impact: Impact,
    /// A runtime state (dom0's lockdown, the firmware's Secure Boot switch) rather
    /// than a hole in the boundary: it sets the level's `!` suffix.
    pub runtime: bool,
    /// What is wrong on this host, worded for its dom0 mode.
    pub summary: String,
    /// The exact frames concerned.
    pub frames: Vec<FrameRange>,
    /// The log lines / table bytes the finding rests on.
    pub evidence: Vec<Evidence>,
    pub rationale: String,
    pub references: Vec<String>,
    /// What the rule stands for elsewhere: `xen-dom0-surface` findings (F1 …),
    /// Linux lockdown reasons, CHIPSEC modules, fwupd HSI attributes.
    pub covers: Vec<String>,
    pub remedies: Vec<Remedy>,
}

/// A rule whose inputs were missing.
#[derive(Debug, Clone, Serialize)]
pub struct NotEvaluated {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub runtime: bool,
    pub needs: String,
}

/// A finding (or an unevaluated rule) set aside by a user's waiver.
#[derive(Debug, Clone, Serialize)]
pub struct Waived {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// True when the rule fired; false when it could not be evaluated.
    pub fired: bool,
    pub reason: String,
    pub expires: Date,
    /// The policy file and line of the waiver.
    pub source: String,
}

/// A waiver whose date has passed: reported, and ignored.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiredWaiver {
    pub rule: String,
    pub reason: String,
    pub expired: Date,
    pub source: String,
}

/// The policy's answer for one snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
    /// Rules that ran and did not fire.
    pub passed: Vec<String>,
    /// Findings and unevaluated rules set aside by a valid waiver.
    pub waived: Vec<Waived>,
    pub expired_waivers: Vec<ExpiredWaiver>,
    /// The HSI-style level and the few-line answer.
    pub level: Level,
    /// Number of rules evaluated (the catalog plus any policy's rules).
    pub rules: usize,
    /// Where the rules came from: `built-in catalog`, then each policy file.
    pub policy_sources: Vec<String>,
    /// Every rule evaluated, for renderers that list rules (SARIF).
    #[serde(skip)]
    pub catalog: Vec<RuleInfo>,
}

/// A rule's descriptive fields, without its condition.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub impact: Impact,
    pub runtime: bool,
    pub rationale: String,
    pub references: Vec<String>,
    pub covers: Vec<String>,
    /// The remedies' channels and texts as written (templates unfilled).
    pub remedies: Vec<Remedy>,
    /// `built-in catalog` or `FILE:LINE`.
    pub source: String,
    pub predicates: Vec<&'static str>,
}

impl From<&Rule> for RuleInfo {
    fn from(r: &Rule) -> RuleInfo {
        RuleInfo {
            id: r.id.clone(),
            title: r.title.clone(),
            severity: r.severity,
            impact: r.impact,
            runtime: r.runtime,
            rationale: r.rationale.clone(),
            references: r.references.clone(),
            covers: r.covers.clone(),
            remedies: r
                .remedies
                .iter()
                .map(|m| Remedy {
                    channel: m.channel,
                    text: m.text.clone(),
                })
                .collect(),
            source: r.source.clone(),
            predicates: r.predicates.clone(),
        }
    }
}

impl Verdict {
    /// Evaluates the built-in catalog over the surface alone (no dom0 kernel,
    /// PCI-register or hypercall readings, so those rules are not evaluated).
    pub fn evaluate(surface: &Surface) -> Verdict {
        let readings = Readings::default();
        Verdict::evaluate_with(
            &Inputs::new(surface, &readings),
            &Policy::builtin(),
            Date::today(),
        )
    }

    /// Evaluates `policy` over the inputs; `today` decides which waivers hold.
    pub fn evaluate_with(inputs: &Inputs<'_>, policy: &Policy, today: Date) -> Verdict {
        let mut v = Verdict {
            findings: Vec::new(),
            not_evaluated: Vec::new(),
            passed: Vec::new(),
            waived: Vec::new(),
            expired_waivers: Vec::new(),
            level: Level::default(),
            rules: policy.rules.len(),
            policy_sources: policy.sources.clone(),
            catalog: policy.rules.iter().map(RuleInfo::from).collect(),
        };
        for w in &policy.waivers {
            if w.expires < today {
                v.expired_waivers.push(ExpiredWaiver {
                    rule: w.rule.clone(),
                    reason: w.reason.clone(),
                    expired: w.expires,
                    source: w.source.clone(),
                });
            }
        }
        let waiver = |id: &str| {
            policy
                .waivers
                .iter()
                .find(|w| w.rule == id && w.expires >= today)
        };
        for rule in &policy.rules {
            match rule.evaluate(inputs, policy) {
                catalog::Outcome::Fires(f) => match waiver(&f.id) {
                    Some(w) => v.waived.push(w.waive(rule, true)),
                    None => v.findings.push(*f),
                },
                catalog::Outcome::Passes => v.passed.push(rule.id.clone()),
                catalog::Outcome::NeedsInput(needs) => match waiver(&rule.id) {
                    Some(w) => v.waived.push(w.waive(rule, false)),
                    None => v.not_evaluated.push(NotEvaluated {
                        id: rule.id.clone(),
                        title: rule.title.clone(),
                        severity: rule.severity,
                        runtime: rule.runtime,
                        needs,
                    }),
                },
            }
        }
        v.findings
            .sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
        v.level = Level::assess(&v);
        v
    }

    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

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
mod delta;
mod diagnostics;
pub mod inputs;
pub mod level;
pub mod policy;
pub mod predicates;
mod template;

use dom0scope_facts::Evidence;
use serde::{Deserialize, Serialize};

pub use catalog::Rule;
pub use date::Date;
pub use delta::{Delta, RuleState};
pub use dom0scope_ranges::FrameRange;

/// An inclusive range of I/O ports a finding concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PortRange {
    /// First port.
    #[serde(serialize_with = "dom0scope_ranges::hex::u16")]
    pub first: u16,
    /// Last port (inclusive).
    #[serde(serialize_with = "dom0scope_ranges::hex::u16")]
    pub last: u16,
}
pub use inputs::{HypercallOp, HypercallView, Inputs, OpState, Readings};
pub use level::Level;
pub use policy::{Policy, PolicyError};

/// How bad a finding is. Ordered: `Critical` is the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Context only: reported, blocks no level.
    Info,
    /// Reported; blocks no level.
    Low,
    /// Blocks DOM0:3, the hardened level.
    Medium,
    /// Blocks DOM0:2: an indirect path into Xen (root-complex or firmware lock state, S3 resume,
    /// hypercalls that make Xen act for dom0).
    High,
    /// Blocks DOM0:1: a direct path from dom0 into Xen, its trampoline, EFI runtime code or heap.
    Critical,
}

impl Severity {
    /// The name policy files and reports use (`info` … `critical`).
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
    /// The channel as reports word it, e.g. `Xen command line`.
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
    /// How the fix is delivered, which decides whether it holds under Secure Boot.
    pub channel: Channel,
    /// What to do; in a finding, filled with what the condition found on this host.
    pub text: String,
}

/// A rule that fired.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable identifier, in the style of Linux lockdown reasons.
    pub id: String,
    /// The rule's one-line title.
    pub title: String,
    /// The rule's severity under the policy in force.
    pub severity: Severity,
    /// What the finding threatens.
    pub impact: Impact,
    /// A runtime state (dom0's lockdown, the firmware's Secure Boot switch) rather
    /// than a hole in the boundary: it sets the level's `!` suffix.
    pub runtime: bool,
    /// What is wrong on this host, worded for its dom0 mode.
    pub summary: String,
    /// The exact frames concerned.
    pub frames: Vec<FrameRange>,
    /// The I/O ports concerned (a port finding's own ranges; empty for the others).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortRange>,
    /// The log lines / table bytes the finding rests on.
    pub evidence: Vec<Evidence>,
    /// Why the rule matters.
    pub rationale: String,
    /// Specifications, advisories and source code the rule rests on.
    pub references: Vec<String>,
    /// What the rule stands for elsewhere: `xen-dom0-surface` findings (F1 …),
    /// Linux lockdown reasons, CHIPSEC modules, fwupd HSI attributes.
    pub covers: Vec<String>,
    /// The ways to close it that apply on this host (each remedy's `when` condition holds),
    /// filled in.
    pub remedies: Vec<Remedy>,
}

/// A rule whose inputs were missing.
#[derive(Debug, Clone, Serialize)]
pub struct NotEvaluated {
    /// The rule's stable identifier.
    pub id: String,
    /// The rule's title.
    pub title: String,
    /// The rule's severity: like a finding, it blocks that severity's level (unless runtime).
    pub severity: Severity,
    /// A runtime-state rule (blocks no level).
    pub runtime: bool,
    /// What input would decide the rule, e.g. the Xen log's 'q' dump.
    pub needs: String,
}

/// A finding (or an unevaluated rule) set aside by a user's waiver.
#[derive(Debug, Clone, Serialize)]
pub struct Waived {
    /// The rule's stable identifier.
    pub id: String,
    /// The rule's title.
    pub title: String,
    /// The rule's severity under the policy in force.
    pub severity: Severity,
    /// True when the rule fired; false when it could not be evaluated.
    pub fired: bool,
    /// Why, as the waiver states it.
    pub reason: String,
    /// The last day the waiver holds (inclusive, UTC).
    pub expires: Date,
    /// The policy file and line of the waiver.
    pub source: String,
}

/// A waiver whose date has passed: reported, and ignored.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiredWaiver {
    /// The rule id the waiver names.
    pub rule: String,
    /// Why, as the waiver states it.
    pub reason: String,
    /// The waiver's `expires` date, now past.
    pub expired: Date,
    /// `FILE:LINE` of the waiver.
    pub source: String,
}

/// The policy's answer for one snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Rules that fired and no waiver covers, most severe first, then by id.
    pub findings: Vec<Finding>,
    /// Rules whose input the snapshot lacks and no waiver covers, in policy order.
    pub not_evaluated: Vec<NotEvaluated>,
    /// Rules that ran and did not fire.
    pub passed: Vec<String>,
    /// Findings and unevaluated rules set aside by a valid waiver.
    pub waived: Vec<Waived>,
    /// Waivers past their date: reported so they are renewed or removed, and not applied.
    pub expired_waivers: Vec<ExpiredWaiver>,
    /// The HSI-style level and the few-line answer.
    pub level: Level,
    /// Number of rules evaluated (the catalog plus any policy's rules).
    pub rules: usize,
    /// Where the rules came from: `built-in catalog`, then each policy file.
    pub policy_sources: Vec<String>,
    /// Every rule evaluated, for renderers that list rules (SARIF).
    #[serde(skip)]
    pub catalog: Vec<Rule>,
}

impl Verdict {
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
            catalog: policy.rules.clone(),
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
        // The first waiver in force for each rule, found once rather than per rule.
        let mut in_force: std::collections::HashMap<&str, &policy::Waiver> =
            std::collections::HashMap::new();
        for w in policy.waivers.iter().filter(|w| w.expires >= today) {
            in_force.entry(w.rule.as_str()).or_insert(w);
        }
        let waiver = |id: &str| in_force.get(id).copied();
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

//! Levels in the style of fwupd's Host Security ID: a host is at level N when
//! every rule of level N and below passes (or is waived); runtime states set a
//! `!` suffix instead, as HSI does for "kernel not locked down".
//!
//! A rule's level follows its severity (so a policy that changes a severity
//! moves the rule): critical → 1, high → 2, medium → 3; low and info findings
//! are reported but block no level. A rule that could not be evaluated blocks
//! its level like a finding — an unknown is not a pass — until the snapshot
//! holds its input or a waiver records out-of-band evidence.
//!
//! - **DOM0:0** — dom0 can run code as Xen or beneath it: it is inside the
//!   Secure Boot boundary, whatever else holds.
//! - **DOM0:1** — no direct path from dom0 into Xen, its trampoline, EFI
//!   runtime code or Xen's heap (no critical rule fires).
//! - **DOM0:2** — no indirect path either (no high rule: root-complex and
//!   firmware lock state, S3 resume, hypercalls that make Xen act for dom0).
//! - **DOM0:3** — hardened (no medium rule): dom0 can be left outside the
//!   Secure Boot boundary as far as this snapshot shows.

use serde::Serialize;

use crate::{Severity, Verdict};

/// The highest level.
pub const TOP: u8 = 3;

/// The level a rule of this severity belongs to (None: blocks no level).
pub fn of_severity(s: Severity) -> Option<u8> {
    match s {
        Severity::Critical => Some(1),
        Severity::High => Some(2),
        Severity::Medium => Some(3),
        Severity::Low | Severity::Info => None,
    }
}

/// The host's level and the short answer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Level {
    /// 0-3.
    pub level: u8,
    /// `DOM0:1!`: the level, and `!` when a runtime state is off.
    pub label: String,
    /// True when runtime rules fired (dom0 lockdown off, Secure Boot off …).
    pub runtime_suffix: bool,
    /// Rules that fired and keep the host from the next level.
    pub blocking: Vec<String>,
    /// Rules not evaluated that keep the host from the next level.
    pub blocking_unknown: Vec<String>,
    /// Runtime rules that fired.
    pub runtime: Vec<String>,
    /// "Can this host's dom0 be left outside the Secure Boot boundary?"
    pub answer: String,
    /// A few lines: what stands in the way, level by level.
    pub summary: Vec<String>,
}

impl Level {
    /// Places the verdict on a level.
    pub fn assess(v: &Verdict) -> Level {
        // The lowest level any unwaived, non-runtime finding or unknown blocks.
        let fired = |l: u8| -> Vec<String> {
            v.findings
                .iter()
                .filter(|f| !f.runtime && of_severity(f.severity) == Some(l))
                .map(|f| f.id.clone())
                .collect()
        };
        let unknown = |l: u8| -> Vec<String> {
            v.not_evaluated
                .iter()
                .filter(|n| !n.runtime && of_severity(n.severity) == Some(l))
                .map(|n| n.id.clone())
                .collect()
        };
        let level = (1..=TOP)
            .find(|l| !fired(*l).is_empty() || !unknown(*l).is_empty())
            .map_or(TOP, |l| l - 1);
        let runtime: Vec<String> = v
            .findings
            .iter()
            .filter(|f| f.runtime)
            .map(|f| f.id.clone())
            .collect();
        let suffix = !runtime.is_empty();
        let label = format!("DOM0:{level}{}", if suffix { "!" } else { "" });
        let (blocking, blocking_unknown) = if level < TOP {
            (fired(level + 1), unknown(level + 1))
        } else {
            (Vec::new(), Vec::new())
        };
        let answer = match level {
            0 if blocking.is_empty() => format!(
                "Cannot tell (level {label}): {} critical rule(s) could not be evaluated on this snapshot.",
                blocking_unknown.len()
            ),
            0 => format!(
                "No (level {label}): dom0 can run code as Xen or beneath it, so it must stay inside the Secure Boot boundary."
            ),
            1 if blocking.is_empty() => format!(
                "Not shown (level {label}): no direct path into Xen was found, but rules of the next level could not be evaluated."
            ),
            1 => format!(
                "No (level {label}): no direct path into Xen was found, but dom0 still has indirect ones."
            ),
            2 => format!(
                "Not yet (level {label}): only hardening gaps remain (medium findings or unevaluated rules)."
            ),
            _ => format!(
                "Yes, as far as this snapshot shows (level {label}): no critical, high or medium rule fires."
            ),
        };
        let mut summary = Vec::new();
        for (l, sev) in [(1, "critical"), (2, "high"), (3, "medium")] {
            let f = fired(l);
            if !f.is_empty() {
                summary.push(format!(
                    "In the way at level {l} ({sev}): {}.",
                    f.join(", ")
                ));
            }
            let u = unknown(l);
            if !u.is_empty() {
                summary.push(format!(
                    "Not evaluated at level {l} ({sev}, blocks the level until evaluated or waived): {}.",
                    u.join(", ")
                ));
            }
        }
        if suffix {
            summary.push(format!(
                "Runtime (!): {} — the state of this boot, not a hole in Xen's boundary.",
                runtime.join(", ")
            ));
        }
        if !v.waived.is_empty() {
            summary.push(format!(
                "Waived by policy: {}.",
                v.waived
                    .iter()
                    .map(|w| w.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Level {
            level,
            label,
            runtime_suffix: suffix,
            blocking,
            blocking_unknown,
            runtime,
            answer,
            summary,
        }
    }
}

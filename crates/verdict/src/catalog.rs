//! Rules as data: the TOML form of a rule (shared by the built-in catalog and
//! user policy files), its compiled form, and its evaluation into a finding.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::condition::{Condition, ConditionDef, SpanError};
use crate::inputs::Inputs;
use crate::predicates::Truth;
use crate::predicates::firmware::{Register, Registers};
use crate::{Channel, Finding, Impact, Policy, Remedy, Severity, template};

/// The built-in catalog, compiled in: (file name, text).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "catalog/registers.toml",
        include_str!("../catalog/registers.toml"),
    ),
    (
        "catalog/memory.toml",
        include_str!("../catalog/memory.toml"),
    ),
    ("catalog/pci.toml", include_str!("../catalog/pci.toml")),
    (
        "catalog/firmware.toml",
        include_str!("../catalog/firmware.toml"),
    ),
    ("catalog/dom0.toml", include_str!("../catalog/dom0.toml")),
    (
        "catalog/hypercalls.toml",
        include_str!("../catalog/hypercalls.toml"),
    ),
    ("catalog/boot.toml", include_str!("../catalog/boot.toml")),
];

/// One catalog or policy file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileDef {
    #[serde(default)]
    pub register: Vec<Register>,
    #[serde(default)]
    pub rule: Vec<RuleDef>,
    /// Severity overrides by rule id (policy files).
    #[serde(default)]
    pub severity: BTreeMap<Spanned<String>, Spanned<Severity>>,
    #[serde(default)]
    pub waiver: Vec<WaiverDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleDef {
    pub id: Spanned<String>,
    title: String,
    severity: Severity,
    impact: Impact,
    #[serde(default)]
    runtime: bool,
    rationale: String,
    #[serde(default)]
    summary: Option<Spanned<String>>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    covers: Vec<String>,
    condition: Spanned<ConditionDef>,
    #[serde(default)]
    remedy: Vec<RemedyDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RemedyDef {
    channel: Channel,
    text: Spanned<String>,
    #[serde(default)]
    when: Option<Spanned<ConditionDef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WaiverDef {
    pub rule: Spanned<String>,
    pub reason: Spanned<String>,
    pub expires: Spanned<toml::value::Datetime>,
}

/// A remedy, offered when its `when` condition holds (always, without one).
#[derive(Debug, Clone)]
pub struct RemedyRule {
    /// How the fix is delivered.
    pub channel: Channel,
    /// What to do: a template over the condition's variables, filled per finding.
    pub text: String,
    pub(crate) when: Option<Condition>,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable identifier, e.g. `DOM0_DMA_XEN_HEAP`; what waivers and severity overrides name.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Severity under the policy in force (a policy file may change it, and so the rule's level).
    pub severity: Severity,
    /// What a finding would threaten.
    pub impact: Impact,
    /// A runtime state rather than a hole in the boundary: a finding sets the level's `!` suffix
    /// instead of blocking a level.
    pub runtime: bool,
    /// Why the rule matters.
    pub rationale: String,
    /// Template for the finding's summary; without one, the predicates' own words.
    pub summary: Option<String>,
    /// Specifications, advisories and source code the rule rests on.
    pub references: Vec<String>,
    /// What the rule stands for elsewhere: `xen-dom0-surface` findings, Linux lockdown reasons,
    /// CHIPSEC modules, fwupd HSI attributes.
    pub covers: Vec<String>,
    /// The ways to close a finding, each offered when its `when` condition holds.
    pub remedies: Vec<RemedyRule>,
    pub(crate) condition: Condition,
    /// `built-in catalog` or `FILE:LINE`.
    pub source: String,
    /// The predicate names of the condition, for documentation and reports.
    pub predicates: Vec<&'static str>,
}

/// A rule's result on one host.
#[derive(Debug)]
pub enum Outcome {
    /// The condition holds: the finding, its summary and remedies filled for this host.
    Fires(Box<Finding>),
    /// The condition does not hold.
    Passes,
    /// What input is missing.
    NeedsInput(String),
}

impl RuleDef {
    /// Checks templates against the variables the condition can set.
    pub(crate) fn compile(
        self,
        registers: &Registers,
        source: String,
    ) -> Result<Rule, Vec<SpanError>> {
        let mut errors = Vec::new();
        let cond_span = self.condition.span();
        let condition = match self.condition.into_inner().compile(registers) {
            Ok(c) if c.is_empty() => {
                errors.push(SpanError {
                    span: cond_span,
                    message: "a condition needs at least one predicate".into(),
                });
                Condition::default()
            }
            Ok(c) => c,
            Err(e) => {
                errors.extend(e);
                Condition::default()
            }
        };
        let vars = condition.vars();
        let check = |t: &Spanned<String>, errors: &mut Vec<SpanError>| {
            for (name, _) in template::placeholders(t.get_ref()) {
                if !vars.contains(&name) {
                    errors.push(SpanError {
                        span: t.span(),
                        message: format!(
                            "no predicate of this rule's condition sets {{{name}}} (it may use: {})",
                            if vars.is_empty() { "none".to_owned() } else { vars.join(", ") }
                        ),
                    });
                }
            }
        };
        if let Some(s) = &self.summary {
            check(s, &mut errors);
        }
        let mut remedies = Vec::new();
        for r in self.remedy {
            check(&r.text, &mut errors);
            let when = match r.when {
                None => None,
                Some(w) => match w.into_inner().compile(registers) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        errors.extend(e);
                        None
                    }
                },
            };
            remedies.push(RemedyRule {
                channel: r.channel,
                text: r.text.into_inner(),
                when,
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let predicates = condition.terms.iter().map(|t| t.name).collect();
        Ok(Rule {
            id: self.id.into_inner(),
            title: self.title,
            severity: self.severity,
            impact: self.impact,
            runtime: self.runtime,
            rationale: self.rationale,
            summary: self.summary.map(Spanned::into_inner),
            references: self.references,
            covers: self.covers,
            remedies,
            condition,
            source,
            predicates,
        })
    }
}

/// Stable ids: upper case, digits and underscores, starting with a letter
/// (the style of Linux's lockdown reasons).
pub(crate) fn valid_id(id: &str) -> bool {
    id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_uppercase())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

pub(crate) fn id_error(span: Range<usize>) -> SpanError {
    SpanError {
        span,
        message: "a rule id is upper case letters, digits and underscores (e.g. SITE_NO_HPET)"
            .into(),
    }
}

impl Rule {
    /// Evaluates the condition; when it holds, builds the finding.
    pub fn evaluate(&self, inputs: &Inputs<'_>, policy: &Policy) -> Outcome {
        let mut detail = match self.condition.eval(inputs, &policy.registers) {
            Truth::Holds(d) => d,
            Truth::Fails(_) => return Outcome::Passes,
            Truth::Unknown(n) => return Outcome::NeedsInput(n),
        };
        detail.normalize_frames();
        let summary = match &self.summary {
            Some(t) => template::render(t, &detail.vars),
            None => detail.summary.join(" "),
        };
        let remedies = self
            .remedies
            .iter()
            .filter(|r| {
                r.when
                    .as_ref()
                    .is_none_or(|c| c.eval(inputs, &policy.registers).holds())
            })
            .map(|r| Remedy {
                channel: r.channel,
                text: template::render(&r.text, &detail.vars),
            })
            .collect();
        Outcome::Fires(Box::new(Finding {
            id: self.id.clone(),
            title: self.title.clone(),
            severity: self.severity,
            impact: self.impact,
            runtime: self.runtime,
            summary,
            frames: detail.frames,
            ports: detail.ports,
            evidence: detail.evidence,
            rationale: self.rationale.clone(),
            references: self.references.clone(),
            covers: self.covers.clone(),
            remedies,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_lockdown_style() {
        assert!(valid_id("DOM0_LOWMEM_TRAMPOLINE"));
        assert!(valid_id("FW_SMRAM_UNLOCKED"));
        assert!(!valid_id("dom0_lower"));
        assert!(!valid_id("_X"));
        assert!(!valid_id("A-B"));
    }
}

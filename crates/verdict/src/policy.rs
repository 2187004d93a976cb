//! The policy in force: the built-in catalog plus user policy files, which may
//! add rules and registers, change a rule's severity, and waive a rule with a
//! reason until a date. Every error in a file points at its line and column,
//! rendered as rustc does (annotate-snippets).

use std::ops::Range;

use annotate_snippets::{AnnotationKind, Level as SnippetLevel, Renderer, Snippet};
use serde::Serialize;

use crate::catalog::{self, BUILTIN, FileDef, Rule};
use crate::condition::SpanError;
use crate::predicates::firmware::Register;
use crate::{Date, Waived};

/// A waiver: the rule's finding (or its "not evaluated") is set aside until
/// `expires` (inclusive), with a reason reports repeat.
#[derive(Debug, Clone, Serialize)]
pub struct Waiver {
    /// The id of the rule waived.
    pub rule: String,
    /// Why, repeated wherever the waived rule is reported.
    pub reason: String,
    /// The last day the waiver holds (inclusive, UTC); from the next day it is reported as
    /// expired and ignored.
    pub expires: Date,
    /// `FILE:LINE` of the waiver.
    pub source: String,
}

impl Waiver {
    pub(crate) fn waive(&self, rule: &Rule, fired: bool) -> Waived {
        Waived {
            id: rule.id.clone(),
            title: rule.title.clone(),
            severity: rule.severity,
            fired,
            reason: self.reason.clone(),
            expires: self.expires,
            source: self.source.clone(),
        }
    }
}

/// The rules, registers and waivers in force.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Every rule: the catalog's, then each policy file's, in load order.
    pub rules: Vec<Rule>,
    /// Chipset registers `register_bits` may read: the catalog's, then any a policy file defines.
    pub registers: Vec<Register>,
    /// Waivers from policy files, expired ones included (the verdict reports those).
    pub waivers: Vec<Waiver>,
    /// `built-in catalog`, then each policy file loaded.
    pub sources: Vec<String>,
}

/// A policy file that could not be used. `Display` gives the rendered,
/// located diagnostics (no colour).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{rendered_plain}")]
pub struct PolicyError {
    /// The name the file was loaded under, as the diagnostics cite it.
    pub file: String,
    /// (byte span, message), in file order.
    pub errors: Vec<(Range<usize>, String)>,
    rendered_plain: String,
    rendered_styled: String,
}

impl PolicyError {
    fn new(file: &str, text: &str, mut errors: Vec<SpanError>) -> PolicyError {
        errors.sort_by_key(|e| e.span.start);
        let render = |r: Renderer| {
            errors
                .iter()
                .map(|e| {
                    let span = clamp(&e.span, text);
                    let report = &[SnippetLevel::ERROR.primary_title(&e.message).element(
                        Snippet::source(text)
                            .path(file)
                            .annotation(AnnotationKind::Primary.span(span)),
                    )];
                    r.render(report)
                })
                .collect::<Vec<_>>()
                .join("\n\n")
        };
        PolicyError {
            file: file.to_owned(),
            rendered_plain: render(Renderer::plain()),
            rendered_styled: render(Renderer::styled()),
            errors: errors.into_iter().map(|e| (e.span, e.message)).collect(),
        }
    }

    /// With ANSI styles (for a terminal; anstream strips them elsewhere).
    pub fn styled(&self) -> &str {
        &self.rendered_styled
    }

    /// 1-based (line, column) of the first error.
    pub fn line_col(&self, text: &str) -> Option<(usize, usize)> {
        let at = self.errors.first()?.0.start.min(text.len());
        let before = text.get(..at)?;
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }
}

/// A span inside `text`, on char boundaries, never empty when text is not.
fn clamp(span: &Range<usize>, text: &str) -> Range<usize> {
    let mut s = span.start.min(text.len());
    let mut e = span.end.min(text.len()).max(s);
    while !text.is_char_boundary(s) {
        s -= 1;
    }
    while !text.is_char_boundary(e) {
        e += 1;
    }
    s..e
}

fn line_of(text: &str, at: usize) -> usize {
    text.get(..at.min(text.len()))
        .map_or(1, |b| b.matches('\n').count() + 1)
}

impl Policy {
    /// The built-in catalog (checked by the crate's tests, so it always loads);
    /// parsed once per process.
    pub fn builtin() -> Policy {
        static BUILTIN_POLICY: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
        BUILTIN_POLICY.get_or_init(Policy::parse_builtin).clone()
    }

    fn parse_builtin() -> Policy {
        let mut p = Policy {
            rules: Vec::new(),
            registers: Vec::new(),
            waivers: Vec::new(),
            sources: vec!["built-in catalog".into()],
        };
        for (name, text) in BUILTIN {
            if let Err(e) = p.add(name, text, true) {
                panic!("the built-in catalog does not load:\n{e}");
            }
        }
        p
    }

    /// Adds a user policy file (`file` names it in errors and reports).
    pub fn load(&mut self, file: &str, text: &str) -> Result<(), PolicyError> {
        self.add(file, text, false)?;
        self.sources.push(file.to_owned());
        Ok(())
    }

    fn add(&mut self, file: &str, text: &str, builtin: bool) -> Result<(), PolicyError> {
        let def: FileDef = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            PolicyError::new(
                file,
                text,
                vec![SpanError {
                    span,
                    message: e.message().to_owned(),
                }],
            )
        })?;
        let mut errors = Vec::new();
        let mut registers = self.registers.clone();
        for r in def.register {
            if registers.iter().any(|x| x.name == r.name) {
                errors.push(SpanError {
                    span: 0..0,
                    message: format!("register {} is already defined", r.name),
                });
            }
            registers.push(r);
        }
        let mut rules = Vec::new();
        for r in def.rule {
            let id = r.id.get_ref().clone();
            let id_span = r.id.span();
            if !catalog::valid_id(&id) {
                errors.push(catalog::id_error(id_span.clone()));
            }
            if self.rules.iter().chain(&rules).any(|x: &Rule| x.id == id) {
                errors.push(SpanError {
                    span: id_span.clone(),
                    message: format!("rule {id} is already defined"),
                });
            }
            let source = if builtin {
                "built-in catalog".to_owned()
            } else {
                format!("{file}:{}", line_of(text, id_span.start))
            };
            match r.compile(&registers, source) {
                Ok(rule) => rules.push(rule),
                Err(e) => errors.extend(e),
            }
        }
        let known = |id: &str, rules: &[Rule]| self.rules.iter().chain(rules).any(|r| r.id == id);
        let mut overrides = Vec::new();
        for (id, sev) in def.severity {
            if known(id.get_ref(), &rules) {
                overrides.push((id.into_inner(), *sev.get_ref()));
            } else {
                errors.push(SpanError {
                    span: id.span(),
                    message: format!("no rule {} to change the severity of", id.get_ref()),
                });
            }
        }
        let mut waivers = Vec::new();
        for w in def.waiver {
            if !known(w.rule.get_ref(), &rules) {
                errors.push(SpanError {
                    span: w.rule.span(),
                    message: format!("no rule {} to waive", w.rule.get_ref()),
                });
            }
            if w.reason.get_ref().trim().is_empty() {
                errors.push(SpanError {
                    span: w.reason.span(),
                    message: "a waiver needs a reason".into(),
                });
            }
            let dt = w.expires.get_ref();
            let date = match (dt.date, dt.time) {
                (Some(d), None) => Date::new(i32::from(d.year), d.month, d.day),
                _ => None,
            };
            match date {
                Some(expires) => waivers.push(Waiver {
                    rule: w.rule.get_ref().clone(),
                    reason: w.reason.into_inner(),
                    expires,
                    source: format!("{file}:{}", line_of(text, w.rule.span().start)),
                }),
                None => errors.push(SpanError {
                    span: w.expires.span(),
                    message: "`expires` is a date without a time (e.g. 2026-12-31)".into(),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(PolicyError::new(file, text, errors));
        }
        self.registers = registers;
        self.rules.extend(rules);
        for (id, sev) in overrides {
            if let Some(r) = self.rules.iter_mut().find(|r| r.id == id) {
                r.severity = sev;
            }
        }
        self.waivers.extend(waivers);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    #[test]
    fn the_builtin_catalog_loads_with_unique_ids() {
        let p = Policy::builtin();
        assert!(p.rules.len() >= 30, "{}", p.rules.len());
        let mut ids: Vec<_> = p.rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), p.rules.len());
        for r in &p.rules {
            assert!(!r.references.is_empty(), "{} cites nothing", r.id);
            assert!(
                !r.remedies.is_empty() || r.severity <= Severity::Low,
                "{} has no remedy",
                r.id
            );
        }
    }

    #[test]
    fn a_policy_adds_rules_changes_severities_and_waives() {
        let mut p = Policy::builtin();
        let n = p.rules.len();
        p.load(
            "site.toml",
            r#"
[severity]
DOM0_PLATFORM_CONTROL_PORTS = "high"

[[waiver]]
rule = "DOM0_DMA_XEN_HEAP"
reason = "IOMMU strict mode rolls out in Q3"
expires = 2026-09-30

[[rule]]
id = "SITE_HPET_REACHABLE"
title = "dom0 reaches the HPET"
severity = "low"
impact = "integrity"
rationale = "Site policy."
references = ["site wiki"]
summary = "HPET frames: {frames_count}."
condition = { reaches_owner = "hpet" }
"#,
        )
        .unwrap();
        assert_eq!(p.rules.len(), n + 1);
        let r = p
            .rules
            .iter()
            .find(|r| r.id == "DOM0_PLATFORM_CONTROL_PORTS")
            .unwrap();
        assert_eq!(r.severity, Severity::High);
        assert_eq!(p.waivers[0].expires.to_string(), "2026-09-30");
        assert_eq!(p.waivers[0].source, "site.toml:6");
        assert_eq!(p.rules.last().unwrap().source, "site.toml:11");
    }

    fn err_of(text: &str) -> (PolicyError, (usize, usize)) {
        let e = Policy::builtin().load("p.toml", text).unwrap_err();
        let lc = e.line_col(text).unwrap();
        (e, lc)
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let (e, lc) = err_of("[severity]\nNO_SUCH_RULE = \"high\"\n");
        assert_eq!(lc, (2, 1));
        assert!(e.to_string().contains("p.toml:2:1"), "{e}");
        assert!(e.to_string().contains("no rule NO_SUCH_RULE"), "{e}");

        let (e, lc) = err_of("[severity]\nDOM0_DMA_XEN_HEAP = \"severe\"\n");
        assert_eq!(lc.0, 2, "{e}");

        let (e, lc) = err_of(
            "[[waiver]]\nrule = \"DOM0_DMA_XEN_HEAP\"\nreason = \"x\"\nexpires = 2026-02-30\n",
        );
        assert_eq!(lc.0, 4, "{e}");

        let text = "[[rule]]\nid = \"X_Y\"\ntitle = \"t\"\nseverity = \"low\"\nimpact = \"integrity\"\nrationale = \"r\"\nsummary = \"{ports}\"\ncondition = { reaches_ownr = \"facs\" }\n";
        let (e, lc) = err_of(text);
        assert_eq!(lc.0, 8, "{e}");
        assert!(e.to_string().contains("reaches_ownr"), "{e}");

        let text = "[[rule]]\nid = \"X_Y\"\ntitle = \"t\"\nseverity = \"low\"\nimpact = \"integrity\"\nrationale = \"r\"\nsummary = \"{ports}\"\ncondition = { reaches_owner = \"facs\" }\n";
        let (e, lc) = err_of(text);
        assert_eq!(lc, (7, 11), "{e}");
        assert!(e.to_string().contains("sets {ports}"), "{e}");

        let (e, lc) = err_of("[[rule]]\nid = \"DOM0_DMA_XEN_HEAP\"\n");
        assert_eq!(lc.0, 1, "{e}");
        let (_, lc) = err_of("this is not = = toml");
        assert_eq!(lc.0, 1);
    }
}

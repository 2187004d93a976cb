//! The policy in force: the built-in catalog plus user policy files, which may
//! add rules and registers, change a rule's severity, and waive a rule with a
//! reason until a date. Every error in a file points at its line and column,
//! rendered as rustc does (annotate-snippets). Loading is linear in the file: rule ids and
//! register names are checked and looked up through sets and maps, lines through an index.

use std::collections::btree_map::Entry;
use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::catalog::{self, BUILTIN, FileDef, Rule};
use crate::condition::SpanError;
use crate::diagnostics::Lines;
pub use crate::diagnostics::{MAX_RENDERED_ERRORS, PolicyError};
use crate::predicates::firmware::Registers;
use crate::{Date, Severity, Waived};

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
    /// Chipset registers `register_bits` may read, by name: the catalog's and any a policy
    /// file defines.
    pub registers: Registers,
    /// Waivers from policy files, expired ones included (the verdict reports those).
    pub waivers: Vec<Waiver>,
    /// `built-in catalog`, then each policy file loaded.
    pub sources: Vec<String>,
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
            registers: Registers::new(),
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
        let lines = Lines::new(text);
        let mut errors = Vec::new();
        let mut registers = self.registers.clone();
        for r in def.register {
            match registers.entry(r.name.clone()) {
                // The first definition stays, as the remaining checks of this file see it.
                Entry::Occupied(_) => errors.push(SpanError {
                    span: 0..0,
                    message: format!("register {} is already defined", r.name),
                }),
                Entry::Vacant(v) => {
                    v.insert(r);
                }
            }
        }
        // The ids of the rules in force and of this file's rules that compiled.
        let mut ids: HashSet<String> = self.rules.iter().map(|r| r.id.clone()).collect();
        let mut rules = Vec::new();
        for r in def.rule {
            let id = r.id.get_ref().clone();
            let id_span = r.id.span();
            if !catalog::valid_id(&id) {
                errors.push(catalog::id_error(id_span.clone()));
            }
            if ids.contains(&id) {
                errors.push(SpanError {
                    span: id_span.clone(),
                    message: format!("rule {id} is already defined"),
                });
            }
            let source = if builtin {
                "built-in catalog".to_owned()
            } else {
                format!("{file}:{}", lines.line(id_span.start))
            };
            match r.compile(&registers, source) {
                Ok(rule) => {
                    ids.insert(id);
                    rules.push(rule);
                }
                Err(e) => errors.extend(e),
            }
        }
        let mut overrides = Vec::new();
        for (id, sev) in def.severity {
            if ids.contains(id.get_ref()) {
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
            if !ids.contains(w.rule.get_ref()) {
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
                    source: format!("{file}:{}", lines.line(w.rule.span().start)),
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
        if !overrides.is_empty() {
            let overrides: HashMap<String, Severity> = overrides.into_iter().collect();
            for r in &mut self.rules {
                if let Some(sev) = overrides.get(&r.id) {
                    r.severity = *sev;
                }
            }
        }
        self.waivers.extend(waivers);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// `n` rules, each with a severity override and a waiver (issue 14: loading was quadratic
    /// in the rules; the bench `growth` measures the time, this checks the result).
    fn many_rules(n: usize) -> String {
        let mut p = String::from("[severity]\n");
        for i in 0..n {
            p.push_str(&format!("SITE_{i} = \"high\"\n"));
        }
        for i in 0..n {
            p.push_str(&format!(
                "[[rule]]\nid = \"SITE_{i}\"\ntitle = \"t\"\nseverity = \"low\"\nimpact = \"integrity\"\n\
                 rationale = \"r\"\nreferences = [\"w\"]\ncondition = {{ reaches_owner = \"hpet\" }}\n\
                 [[waiver]]\nrule = \"SITE_{i}\"\nreason = \"q3\"\nexpires = 2099-01-01\n"
            ));
        }
        p
    }

    #[test]
    fn thousands_of_rules_load_with_their_lines_severities_and_waivers() {
        let n = 3000;
        let mut p = Policy::builtin();
        let builtin = p.rules.len();
        p.load("big.toml", &many_rules(n)).unwrap();
        assert_eq!(p.rules.len(), builtin + n);
        // Each rule takes 12 lines after the n + 1 severity lines; its id is its second.
        let last = &p.rules[builtin + n - 1];
        assert_eq!(last.source, format!("big.toml:{}", n + 3 + 12 * (n - 1)));
        assert_eq!(last.severity, Severity::High);
        assert_eq!(p.waivers.len(), n);
        assert_eq!(
            p.waivers[n - 1].source,
            format!("big.toml:{}", n + 2 + 12 * (n - 1) + 9)
        );
        // Loading them again: every id is now a duplicate.
        let e = p.load("again.toml", &many_rules(n)).unwrap_err();
        let dup = e
            .errors
            .iter()
            .filter(|(_, m)| m.ends_with("is already defined"));
        assert_eq!(dup.count(), n);
    }

    #[test]
    fn thousands_of_errors_are_all_kept_and_the_first_hundred_rendered() {
        let n = 5000;
        let text: String = std::iter::once("[severity]\n".to_owned())
            .chain((0..n).map(|i| format!("NO_SUCH_{i} = \"high\"\n")))
            .collect();
        let (e, lc) = err_of(&text);
        assert_eq!(lc, (2, 1));
        assert_eq!(e.errors.len(), n);
        let plain = e.to_string();
        assert_eq!(plain.matches("\nerror: ").count() + 1, MAX_RENDERED_ERRORS);
        assert!(plain.starts_with("error: no rule NO_SUCH_0 to change the severity of"));
        assert!(plain.contains("p.toml:101:1"), "{plain}");
        assert!(!plain.contains("p.toml:102:1"));
        let more = n - MAX_RENDERED_ERRORS;
        assert!(plain.ends_with(&format!("note: {more} more errors in p.toml not shown")));
    }

    #[test]
    fn a_rule_that_did_not_compile_is_not_a_duplicate_of_a_later_one() {
        // As before the id set: only rules that compiled count as defined.
        let bad = "[[rule]]\nid = \"X_Y\"\ntitle = \"t\"\nseverity = \"low\"\nimpact = \"integrity\"\nrationale = \"r\"\ncondition = { reaches_ownr = \"facs\" }\n";
        let good = "[[rule]]\nid = \"X_Y\"\ntitle = \"t\"\nseverity = \"low\"\nimpact = \"integrity\"\nrationale = \"r\"\ncondition = { reaches_owner = \"facs\" }\n";
        let (e, _) = err_of(&format!("{bad}{good}"));
        assert!(!e.to_string().contains("already defined"), "{e}");
        let (e, _) = err_of(&format!("{good}{good}"));
        assert_eq!(e.errors.len(), 1, "{e}");
        assert!(e.to_string().contains("p.toml:9:6"), "{e}");
        assert!(e.to_string().contains("rule X_Y is already defined"), "{e}");
    }
}

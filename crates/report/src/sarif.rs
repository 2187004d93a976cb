//! SARIF 2.1.0 output, for code-scanning dashboards and CI gates. Hand-written
//! with `serde_json` (a few dozen fields) rather than a generated crate.
//!
//! Mapping: every rule of the policy is a `reportingDescriptor`; a finding is a
//! result of kind `fail` (level `error` for critical/high, `warning` for
//! medium, `note` below); a rule that could not be evaluated is kind `open`
//! (SARIF's "could not determine"); a passed rule is kind `pass`; a waived one
//! carries an external suppression with the waiver's reason. Evidence lines are
//! locations relative to the snapshot (`uriBaseId` `SNAPSHOT`). The level and
//! the short answer are run properties.

use dom0scope_facts::Evidence;
use dom0scope_verdict::{Finding, Rule, Severity};
use serde_json::{Value, json};

use crate::Audit;

/// The SARIF 2.1.0 JSON schema (OASIS errata 01) the SARIF output names as `$schema`.
pub const SARIF_SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` scale (0-10) for its severity buckets.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn descriptor(r: &Rule) -> Value {
    let help = r
        .remedies
        .iter()
        .map(|m| format!("fix ({}): {}", m.channel.label(), m.text))
        .collect::<Vec<_>>()
        .join("\n");
    let mut tags = vec![
        "security".to_owned(),
        format!("{:?}", r.impact).to_lowercase(),
    ];
    tags.extend(r.covers.iter().cloned());
    json!({
        "id": r.id,
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": r.rationale },
        "help": { "text": if help.is_empty() { r.rationale.clone() } else { help } },
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": {
            "tags": tags,
            "security-severity": security_severity(r.severity),
            "severity": r.severity.label(),
            "runtime": r.runtime,
            "references": r.references,
            "predicates": r.predicates,
            "source": r.source,
        }
    })
}

fn location(e: &Evidence) -> Value {
    // An artifact named with a scheme (`dom0scope:…`, a default the tool
    // carries) is not a file of the snapshot.
    let artifact = if e.artifact.contains(':') {
        json!({ "uri": e.artifact })
    } else {
        json!({ "uri": e.artifact, "uriBaseId": "SNAPSHOT" })
    };
    let mut physical = json!({ "artifactLocation": artifact });
    if e.line > 0 {
        physical["region"] = json!({ "startLine": e.line, "snippet": { "text": e.text } });
    }
    json!({ "physicalLocation": physical, "message": { "text": e.text } })
}

fn finding_result(f: &Finding, index: Option<usize>) -> Value {
    let mut r = json!({
        "ruleId": f.id,
        "kind": "fail",
        "level": level(f.severity),
        "message": { "text": format!("{}: {}", f.title, f.summary) },
        "locations": f.evidence.iter().map(location).collect::<Vec<_>>(),
        "properties": {
            "severity": f.severity.label(),
            "impact": format!("{:?}", f.impact).to_lowercase(),
            "frames": f.frames.iter().map(|r| format!("{:#x}-{:#x}", r.first_frame, r.last_frame)).collect::<Vec<_>>(),
            "remedies": f.remedies.iter().map(|m| json!({ "channel": m.channel, "text": m.text })).collect::<Vec<_>>(),
        }
    });
    if let Some(i) = index {
        r["ruleIndex"] = json!(i);
    }
    r
}

/// The SARIF log for one audit.
pub fn render_sarif(a: &Audit) -> String {
    let v = &a.verdict;
    let rules: Vec<Value> = v.catalog.iter().map(descriptor).collect();
    // Built once: a position search per result was quadratic in a large policy's rules.
    let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (k, r) in v.catalog.iter().enumerate() {
        at.entry(r.id.as_str()).or_insert(k);
    }
    let index = |id: &str| at.get(id).copied();
    let mut results: Vec<Value> = v
        .findings
        .iter()
        .map(|f| finding_result(f, index(&f.id)))
        .collect();
    for w in &v.waived {
        let mut r = json!({
            "ruleId": w.id,
            "kind": if w.fired { "fail" } else { "open" },
            "level": if w.fired { level(w.severity) } else { "none" },
            "message": { "text": format!("{} (waived until {}: {})", w.title, w.expires, w.reason) },
            "suppressions": [{
                "kind": "external",
                "justification": w.reason,
                "properties": { "expires": w.expires, "source": w.source },
            }],
        });
        if let Some(i) = index(&w.id) {
            r["ruleIndex"] = json!(i);
        }
        results.push(r);
    }
    for n in &v.not_evaluated {
        let mut r = json!({
            "ruleId": n.id,
            "kind": "open",
            "level": "none",
            "message": { "text": format!("Not evaluated: {} — needs {}", n.title, n.needs) },
        });
        if let Some(i) = index(&n.id) {
            r["ruleIndex"] = json!(i);
        }
        results.push(r);
    }
    for id in &v.passed {
        let mut r = json!({
            "ruleId": id,
            "kind": "pass",
            "level": "none",
            "message": { "text": "Passed." },
        });
        if let Some(i) = index(id) {
            r["ruleIndex"] = json!(i);
        }
        results.push(r);
    }
    let notifications: Vec<Value> = a
        .snapshot
        .problems
        .iter()
        .map(|p| json!({ "level": "warning", "message": { "text": format!("snapshot degraded: {p}") } }))
        .chain(
            v.expired_waivers.iter().map(|w| {
                json!({ "level": "warning", "message": { "text": format!("waiver for {} expired on {} and is ignored ({})", w.rule, w.expired, w.source) } })
            }),
        )
        .chain(a.warnings.iter().map(|w| json!({ "level": "note", "message": { "text": w } })))
        .collect();
    let doc = json!({
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "dom0scope",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "originalUriBaseIds": {
                "SNAPSHOT": { "description": { "text": format!("the audited snapshot: {}", a.snapshot.label) } }
            },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {
                "schema": a.schema,
                "level": v.level.label,
                "answer": v.level.answer,
                "summary": v.level.summary,
                "failOn": a.fail_on.label(),
                "fails": a.fails,
            },
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

//! The JSON report validates against our own versioned schema
//! (docs/json-schema/dom0scope-audit-1.json) and the SARIF output against the
//! vendored SARIF 2.1.0 schema, on every real snapshot and with a policy that
//! waives, expires and adds rules.

use std::path::{Path, PathBuf};

use dom0scope_engine::Analysis;
use dom0scope_report::{Audit, SnapshotInfo, render_sarif};
use dom0scope_snapshot::Snapshot;
use dom0scope_verdict::{Date, Policy, Severity};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn schema(rel: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{rel} is not a usable schema: {e}"))
}

/// The audit as the CLI assembles it, through the engine (hypercall view included).
fn audit(rel: &str, policy: &Policy) -> Audit {
    let snap = Snapshot::open(&root().join("testdata").join(rel)).unwrap();
    let today = Date::new(2026, 11, 26).unwrap();
    let parts = Analysis::of(&snap, policy.clone(), today)
        .unwrap()
        .into_parts();
    let info = SnapshotInfo {
        label: rel.to_owned(),
        bare_log: snap.is_bare_log(),
        problems: vec![],
    };
    Audit::new(
        info,
        &parts.facts,
        &parts.inventory,
        parts.surface,
        parts.verdict,
        Severity::High,
    )
}

const INPUTS: &[&str] = &[
    "snapshots/x417-pv-q35-uefi",
    "snapshots/x417-pv-q35-vtd-bios",
    "snapshots/x420-pv-pc-bios",
    "snapshots/x420-pvh-q35-vtd-bios",
    "logs/qemu-xen-4.20/pv-q35-qemu64.log",
    "logs/xen-dmesg/intel-thinkpad-t480s-coreboot_xen-4.17.5_qubes_legacy.txt",
];

fn policy() -> Policy {
    let mut p = Policy::builtin();
    p.load(
        "site.toml",
        r#"
[[waiver]]
rule = "DOM0_DMA_XEN_HEAP"
reason = "dom0-iommu=strict rolls out next quarter"
expires = 2027-01-31

[[waiver]]
rule = "FW_SPI_CONTROLLER_UNLOCKED"
reason = "CHIPSEC common.spi_lock passed on 2026-10-01"
expires = 2027-10-01

[[waiver]]
rule = "DOM0_PLATFORM_CONTROL_PORTS"
reason = "expired on purpose"
expires = 2026-01-01

[[rule]]
id = "SITE_HPET_REACHABLE"
title = "dom0 reaches the HPET"
severity = "low"
impact = "integrity"
rationale = "Site policy."
references = ["site wiki"]
condition = { reaches_owner = "hpet" }
"#,
    )
    .unwrap();
    p
}

fn check(v: &jsonschema::Validator, doc: &str, what: &str) {
    let value: Value = serde_json::from_str(doc).unwrap();
    let errors: Vec<String> = v
        .iter_errors(&value)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

#[test]
fn json_reports_validate_against_dom0scope_audit_1() {
    let v = schema("docs/json-schema/dom0scope-audit-1.json");
    for p in [Policy::builtin(), policy()] {
        for rel in INPUTS {
            let a = audit(rel, &p);
            let doc = a.to_json();
            check(&v, &doc, rel);
            // The unclaimed total is present exactly when Xen's rangesets are.
            let value: Value = serde_json::from_str(&doc).unwrap();
            assert_eq!(
                value["unclaimed_reachable_bytes"].is_u64(),
                a.surface.reach().observed().is_some(),
                "{rel}"
            );
        }
    }
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let v = schema("docs/json-schema/vendor/sarif-schema-2.1.0.json");
    for p in [Policy::builtin(), policy()] {
        for rel in INPUTS {
            check(&v, &render_sarif(&audit(rel, &p)), rel);
        }
    }
}

#[test]
fn sarif_maps_findings_unknowns_passes_and_waivers() {
    let a = audit("snapshots/x417-pv-q35-uefi", &policy());
    let doc: Value = serde_json::from_str(&render_sarif(&a)).unwrap();
    let run = &doc["runs"][0];
    assert_eq!(doc["version"], "2.1.0");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), a.verdict.catalog.len());
    let results = run["results"].as_array().unwrap();
    let by = |id: &str| results.iter().find(|r| r["ruleId"] == id).unwrap();
    let t = by("DOM0_LOWMEM_TRAMPOLINE");
    assert_eq!(t["kind"], "fail");
    assert_eq!(t["level"], "error");
    assert_eq!(
        t["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "xen/dmesg.txt"
    );
    let w = by("DOM0_DMA_XEN_HEAP");
    assert_eq!(w["suppressions"][0]["kind"], "external");
    assert_eq!(by("FW_VTD_BAR_UNLOCKED")["kind"], "open");
    assert_eq!(
        by("FW_SPI_CONTROLLER_UNLOCKED")["suppressions"][0]["kind"],
        "external"
    );
    assert_eq!(by("DOM0_IOMMU_REGISTERS_REACHABLE")["kind"], "pass");
    // The expired waiver is ignored: the finding stands, and it is reported.
    assert_eq!(by("DOM0_PLATFORM_CONTROL_PORTS")["kind"], "fail");
    let notes = run["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(
        notes.contains("DOM0_PLATFORM_CONTROL_PORTS expired on 2026-01-01"),
        "{notes}"
    );
    assert_eq!(run["properties"]["level"], "DOM0:0!");
    // Every result's ruleIndex points at its own rule.
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
}

#[test]
fn the_validators_do_reject_broken_documents() {
    let a = audit("snapshots/x420-pv-pc-bios", &Policy::builtin());
    let mut json: Value = serde_json::from_str(&a.to_json()).unwrap();
    json["verdict"]["findings"][0]["severity"] = "severe".into();
    assert!(!schema("docs/json-schema/dom0scope-audit-1.json").is_valid(&json));
    let mut sarif: Value = serde_json::from_str(&render_sarif(&a)).unwrap();
    sarif["runs"][0]["results"][0]["kind"] = "broken".into();
    assert!(!schema("docs/json-schema/vendor/sarif-schema-2.1.0.json").is_valid(&sarif));
}

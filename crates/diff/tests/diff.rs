//! The diff on real snapshots: the before/after pair of a real `enforce` closes exactly what
//! harden's what-if said the plan would (one comparison, [`dom0scope_verdict::Delta`], behind
//! both), and the outcome's direction and failure follow the level and `--fail-on`.

use std::path::Path;

use dom0scope_diff::{Diff, Direction, Input, OtherState, Which};
use dom0scope_engine::Analysis;
use dom0scope_harden::{Context, Plan};
use dom0scope_snapshot::Snapshot;
use dom0scope_verdict::{Policy, Severity};

fn analysis(name: &str) -> Analysis {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/snapshots")
        .join(name);
    let snap = Snapshot::open(&path).expect("snapshot opens");
    Analysis::of(&snap, Policy::builtin(), "2026-12-01".parse().unwrap()).expect("analysis")
}

fn input<'a>(label: &str, analysis: &'a Analysis) -> Input<'a> {
    Input {
        label: label.into(),
        dmi: Default::default(),
        collected: None,
        analysis,
    }
}

fn diff(a: &Analysis, b: &Analysis, fail_on: Severity) -> Diff {
    Diff::between(&input("a", a), &input("b", b), fail_on)
}

fn ids(list: &[dom0scope_diff::Moved]) -> Vec<&str> {
    list.iter().map(|m| m.brief.id.as_str()).collect()
}

#[test]
fn a_real_enforce_closes_what_the_plan_said_it_would() {
    let before = analysis("e417-pv-q35-bios-before.tar.gz");
    let after = analysis("e417-pv-q35-bios-after.tar.gz");
    let plan = Plan::build(&Context {
        analysis: &before,
        host: Default::default(),
        snapshot: "before".into(),
        dom0_dmesg: None,
    });
    let residual = plan.residual.expect("a residual");
    let predicted: Vec<&str> = residual.closed.iter().map(|f| f.id.as_str()).collect();
    let d = diff(&before, &after, Severity::High);
    assert_eq!(ids(&d.findings.closed), predicted);
    assert_eq!(
        predicted,
        ["DOM0_LOWMEM_TRAMPOLINE", "DOM0_S3_WAKING_VECTOR"]
    );
    assert!(
        d.findings
            .closed
            .iter()
            .all(|m| m.other == OtherState::Passed)
    );
    assert_eq!(d.outcome.direction, Direction::Better);
    assert!(!d.outcome.fails);
    // The frames and port the plan revoked, and only those, are what A alone reaches, each
    // given up after boot in B.
    let gone: Vec<(&str, Which, Option<bool>)> = d
        .rangesets
        .changes
        .iter()
        .map(|c| (c.range.as_str(), c.held_by, c.given_up_after_boot))
        .collect();
    assert_eq!(
        gone,
        [
            ("8f-90", Which::A, Some(true)),
            ("7ffe0", Which::A, Some(true)),
            ("b2", Which::A, Some(true)),
        ]
    );
}

#[test]
fn the_other_way_round_is_worse_and_fails_on_the_reopened_trampoline() {
    let before = analysis("e417-pv-q35-bios-before.tar.gz");
    let after = analysis("e417-pv-q35-bios-after.tar.gz");
    let d = diff(&after, &before, Severity::Critical);
    assert_eq!(d.outcome.direction, Direction::Worse);
    assert!(d.outcome.fails);
    assert_eq!(
        d.outcome.reasons,
        ["DOM0_LOWMEM_TRAMPOLINE (critical) opened"]
    );
    assert!(
        d.rangesets
            .changes
            .iter()
            .all(|c| c.held_by == Which::B && c.given_up_after_boot == Some(true))
    );
}

#[test]
fn fail_on_decides_whether_a_new_medium_finding_fails() {
    let a = analysis("x417-pv-q35-vtd-bios");
    let b = analysis("x420-pvh-q35-vtd-bios");
    let high = diff(&a, &b, Severity::High);
    assert_eq!(ids(&high.findings.opened), ["DOM0_MICROCODE_DOWNGRADE"]);
    assert_eq!(high.outcome.direction, Direction::Mixed);
    assert!(!high.outcome.fails);
    let medium = diff(&a, &b, Severity::Medium);
    assert_eq!(medium.outcome.direction, Direction::Worse);
    assert_eq!(
        medium.outcome.reasons,
        ["DOM0_MICROCODE_DOWNGRADE (medium) opened"]
    );
}

#[test]
fn a_snapshot_against_itself_is_the_same() {
    let a = analysis("x420-pv-pc-bios");
    let d = diff(&a, &a, Severity::Info);
    assert_eq!(d.outcome.direction, Direction::Same);
    assert!(!d.outcome.fails);
    assert!(d.findings.closed.is_empty() && d.findings.opened.is_empty());
    assert!(d.findings.changed.is_empty());
    assert_eq!(d.findings.unchanged.len(), a.verdict().findings.len());
    assert!(d.rangesets.compared && d.rangesets.changes.is_empty());
    assert!(d.hypercalls.changes.is_empty());
}

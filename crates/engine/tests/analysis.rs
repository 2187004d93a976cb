//! The engine on real snapshots: the stages it composes agree with each other, a what-if is
//! judged by the same path as the real reach, and the hypercall view carries every row.

use std::path::Path;

use dom0scope_engine::{Analysis, hypercall_view};
use dom0scope_hypercalls::Availability;
use dom0scope_ranges::{FrameSet, PortSet};
use dom0scope_snapshot::Snapshot;
use dom0scope_verdict::{Date, OpState, Policy};

fn analyse(name: &str) -> Analysis {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/snapshots")
        .join(name);
    let snap = Snapshot::open(&dir).expect("snapshot opens");
    let today = Date::new(2026, 11, 26).unwrap();
    Analysis::of(&snap, Policy::builtin(), today).expect("facts")
}

fn ids(a: &Analysis) -> Vec<String> {
    a.verdict().findings.iter().map(|f| f.id.clone()).collect()
}

#[test]
fn the_same_reach_judged_again_gives_the_same_verdict() {
    for name in [
        "x417-pv-q35-vtd-bios",
        "x417-pv-q35-uefi",
        "x420-pvh-q35-vtd-bios",
    ] {
        let a = analyse(name);
        let again = a.with_reach(a.reach().clone());
        assert_eq!(ids(&again), ids(&a), "{name}");
        assert_eq!(
            again.verdict().level.label,
            a.verdict().level.label,
            "{name}"
        );
        assert_eq!(again.verdict().passed, a.verdict().passed, "{name}");
    }
}

#[test]
fn giving_up_the_trampoline_closes_its_finding_and_keeps_the_model_in_step() {
    let a = analyse("x417-pv-q35-vtd-bios");
    assert!(ids(&a).iter().any(|i| i == "DOM0_LOWMEM_TRAMPOLINE"));
    assert!(a.reach().comparison().expect("both sides").agrees);
    let t = a
        .reach()
        .predicted()
        .and_then(|p| p.trampoline.as_ref())
        .expect("the model locates the trampoline");
    let frames = FrameSet::from(t.first_frame..=t.last_frame);
    let after = a.with_reach(a.reach().without(&frames, &PortSet::new()));
    assert!(!ids(&after).iter().any(|i| i == "DOM0_LOWMEM_TRAMPOLINE"));
    // The prediction got the same edit, so the model still agrees with the what-if.
    assert!(after.reach().comparison().unwrap().agrees);
    // Only the reach changed: the inventory and the hypercall surface are the same.
    assert_eq!(after.inventory().regions.len(), a.inventory().regions.len());
    assert_eq!(
        after.hypercalls().operations.len(),
        a.hypercalls().operations.len()
    );
}

#[test]
fn granting_what_the_model_denies_shows_as_a_difference() {
    let a = analyse("x417-pv-q35-vtd-bios");
    let extra = FrameSet::from(0xfee00..=0xfee00);
    assert!(!a.reach().observed().unwrap().iomem.contains(0xfee00));
    let more = a.reach().granting(&extra, &PortSet::new());
    let c = more.comparison().expect("both sides");
    assert!(!c.agrees);
    assert!(c.differences.iter().any(|d| d.observed_only), "{c:#?}");
    // The original reach is untouched.
    assert!(a.reach().comparison().unwrap().agrees);
}

#[test]
fn the_hypercall_view_carries_every_row_and_cites_every_fact() {
    let a = analyse("x420-pvh-q35-vtd-bios");
    let view = a
        .readings()
        .hypercalls
        .as_ref()
        .expect("the engine fills it");
    assert_eq!(view, &hypercall_view(a.hypercalls()));
    assert_eq!(view.ops.len(), a.hypercalls().operations.len());
    for (op, row) in view.ops.iter().zip(&a.hypercalls().operations) {
        assert_eq!(op.id, row.op.id);
        assert_eq!(
            op.state == OpState::Available,
            matches!(row.availability, Availability::Available)
        );
        // A fact without a log line's text is cited by the fact itself, never by "".
        assert!(op.evidence.iter().all(|e| !e.text.is_empty()), "{op:#?}");
    }
    // A fact with no line text (a whole-artifact fact) is cited by what it says.
    let mut surface = a.hypercalls().clone();
    let row = surface
        .operations
        .iter_mut()
        .find(|o| !o.evidence.is_empty())
        .expect("a row with evidence");
    row.evidence[0].text.clear();
    let fact = row.evidence[0].fact.clone();
    let id = row.op.id.clone();
    let view = hypercall_view(&surface);
    let op = view.ops.iter().find(|o| o.id == id).unwrap();
    assert_eq!(op.evidence[0].text, fact);
}

//! The hardening plan on the real snapshots in testdata/, and on hostile edits
//! of them (no /proc views, a driver claiming a planned range, unknown dom0
//! mode, no observed reach).

use dom0scope_ranges::{frame_end, frame_start};
use std::path::{Path, PathBuf};

use dom0scope_engine::Analysis;
use dom0scope_facts::Facts;
use dom0scope_facts::linux::resources::ResourceEntry;
use dom0scope_harden::{Context, Plan, Resource, Revocation, SCHEMA, Status, UseKind};
use dom0scope_snapshot::Snapshot;
use dom0scope_verdict::{Date, Policy};

fn snapshot_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/snapshots")
        .join(name)
}

fn load(name: &str) -> (Snapshot, Facts) {
    let snap = Snapshot::open(&snapshot_dir(name)).expect("snapshot opens");
    let facts = Facts::extract(&snap).expect("facts");
    (snap, facts)
}

/// The pipeline as `dom0scope harden` runs it, on `facts` (which a test may have edited).
fn plan_with(snap: &Snapshot, facts: &Facts) -> Plan {
    let today: Date = "2026-11-26".parse().unwrap();
    let analysis = Analysis::from_facts(facts.clone(), Policy::builtin(), today);
    Plan::build(&Context {
        analysis: &analysis,
        host: snap
            .manifest
            .as_ref()
            .map(|m| m.host.clone())
            .unwrap_or_default(),
        snapshot: "test".into(),
        dom0_dmesg: snap
            .artifacts
            .get("linux/dmesg")
            .map(|a| a.bytes.as_slice()),
    })
}

fn plan(name: &str) -> Plan {
    let (s, f) = load(name);
    plan_with(&s, &f)
}

fn find(p: &Plan, res: Resource, first: u64, last: u64) -> &Revocation {
    p.ranges
        .iter()
        .find(|r| r.resource == res && r.first == first && r.last == last)
        .unwrap_or_else(|| {
            panic!(
                "no {res:?} {first:#x}-{last:#x} in the plan: {:#?}",
                p.ranges.iter().map(Revocation::span).collect::<Vec<_>>()
            )
        })
}

const ALL: &[&str] = &[
    "h417-pv-q35-vtd-bios",
    "x417-pv-q35-uefi",
    "x417-pv-q35-vtd-bios",
    "x420-pv-pc-bios",
    "x420-pvh-q35-vtd-bios",
];

#[test]
fn uefi_plan_gives_up_the_trampoline_and_runtime_code_only() {
    let p = plan("x417-pv-q35-uefi");
    let t = find(&p, Resource::Iomem, 0x9e, 0x9f);
    assert_eq!(t.status, Status::Planned, "{t:#?}");
    assert_eq!(t.closes, ["DOM0_LOWMEM_TRAMPOLINE"]);
    assert!(t.reason.contains("pseudo-physical"), "{}", t.reason);
    let code = find(&p, Resource::Iomem, 0x7f5ec, 0x7f6eb);
    assert_eq!(code.status, Status::Planned, "{code:#?}");
    assert!(code.what.contains("runtime services code"));
    // Runtime data is kept, with the reason.
    let data: Vec<_> = p
        .ranges
        .iter()
        .filter(|r| r.what.starts_with("EFI runtime data"))
        .collect();
    assert!(!data.is_empty());
    for d in data {
        assert_eq!(d.status, Status::Refused);
        assert!(d.reason.contains("Linux in dom0 reads it"));
    }
    // The what-if: the trampoline closes; runtime data keeps the EFI rule open.
    let r = p.residual.as_ref().unwrap();
    assert!(r.closed.iter().any(|f| f.id == "DOM0_LOWMEM_TRAMPOLINE"));
    assert!(r.remaining.iter().any(|f| f.id == "DOM0_EFI_RUNTIME_WRITE"));
    assert!(code.narrows.contains(&"DOM0_EFI_RUNTIME_WRITE".to_owned()));
    assert!(r.opened.is_empty(), "{:?}", r.opened);
    assert!(r.frames_removed >= 2 + 0x100);
}

#[test]
fn seabios_plan_and_refusals_of_what_dom0_claims() {
    let p = plan("h417-pv-q35-vtd-bios");
    assert_eq!(p.schema, SCHEMA);
    assert_eq!(p.xen_version.as_deref(), Some("4.17.7"));
    assert_eq!(
        p.host.get("bios_vendor").map(String::as_str),
        Some("SeaBIOS")
    );
    assert!(p.dom0_use_checked);
    assert_eq!(
        find(&p, Resource::Iomem, 0x8f, 0x90).status,
        Status::Planned
    );
    // PM1a control: dom0's ACPI driver claims it.
    let pm1 = find(&p, Resource::Ioport, 0x604, 0x605);
    assert_eq!(pm1.status, Status::Refused);
    assert!(pm1.reason.contains("ACPI PM1a_CNT_BLK"), "{}", pm1.reason);
    assert!(pm1.closes.is_empty());
    // 0xcf9 sits inside the kernel's PCI conf1 claim.
    let cf9 = find(&p, Resource::Ioport, 0xcf9, 0xcf9);
    assert_eq!(cf9.status, Status::Refused);
    assert!(cf9.reason.contains("PCI conf1"), "{}", cf9.reason);
    // SMI_CMD is not claimed: planned.
    assert_eq!(
        find(&p, Resource::Ioport, 0xb2, 0xb2).status,
        Status::Planned
    );
    let r = p.residual.as_ref().unwrap();
    assert!(r.closed.iter().any(|f| f.id == "DOM0_LOWMEM_TRAMPOLINE"));
    assert!(r.remaining.iter().any(|f| f.id == "DOM0_DMA_XEN_HEAP"));
    assert!(r.ports_removed >= 1);
    // Xen-only changes are grouped by channel, and include the trampoline patch.
    let patch = p
        .xen_changes
        .iter()
        .find(|g| g.label == "Xen patch")
        .expect("a Xen patch group");
    assert!(
        patch
            .changes
            .iter()
            .any(|c| c.rule == "DOM0_LOWMEM_TRAMPOLINE" && c.closed_by_plan)
    );
    assert!(
        p.xen_changes
            .iter()
            .all(|g| !matches!(g.label.as_str(), "firmware" | "dom0 kernel"))
    );
}

#[test]
fn no_planned_range_overlaps_anything_dom0_claims_on_any_snapshot() {
    for name in ALL {
        let (s, f) = load(name);
        let p = plan_with(&s, &f);
        let view = f.dom0.as_ref().expect("real snapshots carry /proc views");
        for r in p.with_status(Status::Planned) {
            assert!(r.reason.starts_with("safe: "), "{name}: {r:#?}");
            assert!(
                r.dom0_use.iter().all(|u| u.kind != UseKind::Claim),
                "{name}: {r:#?}"
            );
            // Independently of the classification: no planned range touches a
            // /proc entry outside the known firmware-map and RAM names.
            let (tree, a, b) = match r.resource {
                Resource::Iomem => (&view.iomem, frame_start(r.first), frame_end(r.last)),
                Resource::Ioport => (&view.ioports, r.first, r.last),
            };
            for e in tree.iter().filter(|e| e.start <= b && e.end >= a) {
                assert!(
                    [
                        "System RAM",
                        "Reserved",
                        "ACPI Non-volatile Storage",
                        "ACPI Tables",
                        "System ROM",
                        "Video ROM",
                        "Adapter ROM",
                    ]
                    .contains(&e.name.as_str())
                        || e.name.starts_with("PCI Bus "),
                    "{name}: planned {} overlaps {:?}",
                    r.span(),
                    e
                );
            }
        }
        let res = p.residual.as_ref().expect("residual");
        assert!(res.opened.is_empty(), "{name}: {:?}", res.opened);
        let json: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(json["schema"], SCHEMA);
        assert!(json["revoke"].is_array());
    }
}

#[test]
fn without_proc_views_every_range_is_unchecked_never_safe() {
    let (s, mut f) = load("x417-pv-q35-uefi");
    f.dom0 = None;
    let p = plan_with(&s, &f);
    assert!(!p.dom0_use_checked);
    assert!(p.notes.iter().any(|n| n.contains("cannot be checked")));
    assert_eq!(p.with_status(Status::Planned).count(), 0);
    let t = find(&p, Resource::Iomem, 0x9e, 0x9f);
    assert_eq!(t.status, Status::Unchecked);
    assert!(t.reason.contains("cannot be checked"));
    // Refusals that do not depend on dom0's use stay refusals.
    assert!(
        p.ranges
            .iter()
            .filter(|r| r.what.starts_with("EFI runtime data"))
            .all(|r| r.status == Status::Refused)
    );
    // Nothing planned, so the what-if closes nothing.
    let r = p.residual.as_ref().unwrap();
    assert!(r.closed.is_empty());
    assert_eq!(r.level_before, r.level_after);
    assert!(dom0scope_harden::render_text(&p).contains("UNCHECKED"));
}

#[test]
fn an_empty_iomem_view_leaves_frames_unchecked_but_ports_checked() {
    let (s, mut f) = load("h417-pv-q35-vtd-bios");
    f.dom0.as_mut().unwrap().iomem.clear();
    let p = plan_with(&s, &f);
    assert_eq!(
        find(&p, Resource::Iomem, 0x8f, 0x90).status,
        Status::Unchecked
    );
    assert_eq!(
        find(&p, Resource::Ioport, 0xb2, 0xb2).status,
        Status::Planned
    );
    assert_eq!(
        find(&p, Resource::Ioport, 0xcf9, 0xcf9).status,
        Status::Refused
    );
}

#[test]
fn a_driver_claiming_a_planned_range_is_refused_by_name() {
    let (s, mut f) = load("x417-pv-q35-uefi");
    f.dom0.as_mut().unwrap().iomem.push(ResourceEntry {
        start: 0x7f600000,
        end: 0x7f600fff,
        name: "evil-driver".into(),
        depth: 1,
        line: 999,
    });
    let p = plan_with(&s, &f);
    let code = find(&p, Resource::Iomem, 0x7f5ec, 0x7f6eb);
    assert_eq!(code.status, Status::Refused);
    assert!(code.reason.contains("evil-driver"), "{}", code.reason);
    assert!(code.reason.contains("linux/iomem:999"), "{}", code.reason);
    // The trampoline is unaffected.
    assert_eq!(
        find(&p, Resource::Iomem, 0x9e, 0x9f).status,
        Status::Planned
    );
}

#[test]
fn unknown_dom0_mode_leaves_ram_overlaps_unchecked() {
    let (s, mut f) = load("h417-pv-q35-vtd-bios");
    // A log without Xen's `*** Building a PV Dom0 ***` line.
    f.xen.as_mut().unwrap().dom0 = None;
    let p = plan_with(&s, &f);
    let t = find(&p, Resource::Iomem, 0x8f, 0x90);
    assert_eq!(t.status, Status::Unchecked, "{t:#?}");
    assert!(t.reason.contains("mode"), "{}", t.reason);
}

#[test]
fn no_observed_reach_plans_nothing_and_says_why() {
    let (s, mut f) = load("h417-pv-q35-vtd-bios");
    // A log without the debug-key 'q' dump.
    f.xen.as_mut().unwrap().rangesets.clear();
    let p = plan_with(&s, &f);
    assert!(p.ranges.is_empty());
    assert!(p.residual.is_none());
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("observed reach is unknown"))
    );
    // The remedies other parties must deliver are still listed.
    assert!(!p.xen_changes.is_empty());
}

#[test]
fn the_vga_window_is_refused_when_dom0_drives_a_vga_console() {
    let p = plan("h417-pv-q35-vtd-bios");
    let vga = find(&p, Resource::Iomem, 0xa0, 0xbf);
    assert_eq!(vga.status, Status::Refused, "{vga:#?}");
    assert!(
        vga.reason.contains("Console: colour VGA+"),
        "{}",
        vga.reason
    );
    assert!(vga.closes.is_empty());
    assert!(
        p.residual
            .as_ref()
            .unwrap()
            .remaining
            .iter()
            .any(|f| f.id == "FW_SMRAM_UNLOCKED")
    );
}

#[test]
fn without_dom0_dmesg_the_vga_window_is_unchecked() {
    let (mut s, f) = load("h417-pv-q35-vtd-bios");
    s.artifacts.remove("linux/dmesg");
    let p = plan_with(&s, &f);
    let vga = find(&p, Resource::Iomem, 0xa0, 0xbf);
    assert_eq!(vga.status, Status::Unchecked, "{vga:#?}");
    assert!(vga.reason.contains("linux/dmesg"), "{}", vga.reason);
    // Other ranges are still checked against /proc.
    assert_eq!(
        find(&p, Resource::Iomem, 0x8f, 0x90).status,
        Status::Planned
    );
}

#[test]
fn a_trampoline_only_bounded_is_not_called_safe() {
    let (s, mut f) = load("x417-pv-q35-uefi");
    f.xen.as_mut().unwrap().efi_memory_map = None;
    let p = plan_with(&s, &f);
    let t: Vec<_> = p
        .ranges
        .iter()
        .filter(|r| r.what == "Xen AP trampoline")
        .collect();
    assert!(!t.is_empty(), "{:#?}", p.ranges);
    for r in t {
        assert_eq!(r.status, Status::Unchecked, "{r:#?}");
        assert!(r.reason.contains("only bounded"), "{}", r.reason);
    }
}

/// The plan `dom0scope harden` wrote in a real dom0 (Xen 4.17 PV, the harness's enforce run)
/// reads back into the one plan model and is written again byte for byte: the model is the
/// format.
#[test]
fn a_real_plan_file_round_trips_byte_for_byte() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/snapshots/e417-pv-q35-bios-plan.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let p = dom0scope_harden::plan::load(&path).unwrap();
    assert_eq!(p.schema, SCHEMA);
    assert_eq!(p.planned().count(), 3);
    assert_eq!(p.ranges.len(), 6);
    assert_eq!(p.to_json(), text);
}

/// Every plan built from a real snapshot parses back to the same plan.
#[test]
fn built_plans_parse_back_to_themselves() {
    for name in [
        "x417-pv-q35-uefi",
        "x417-pv-q35-vtd-bios",
        "x420-pv-pc-bios",
        "x420-pvh-q35-vtd-bios",
        "h417-pv-q35-vtd-bios",
    ] {
        let (snap, facts) = load(name);
        let p = plan_with(&snap, &facts);
        let json = p.to_json();
        let back = dom0scope_harden::plan::parse(name, json.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, p, "{name}");
        assert_eq!(back.to_json(), json, "{name}");
    }
}

/// Issue 14 item 1: when the AML scan's cap dropped OperationRegions, one of them may name
/// ACPI NVS, so giving NVS up is left unchecked instead of planned on missing evidence.
#[test]
fn nvs_is_unchecked_when_aml_regions_were_not_kept() {
    let (s, facts) = load("x417-pv-q35-uefi");
    let nvs = |p: &Plan| -> Vec<(Status, String)> {
        p.ranges
            .iter()
            .filter(|r| r.what == "ACPI NVS")
            .map(|r| (r.status, r.reason.clone()))
            .collect()
    };
    let before = nvs(&plan_with(&s, &facts));
    assert!(!before.is_empty());
    assert!(
        before.iter().all(|(_, why)| !why.contains("not kept")),
        "{before:?}"
    );
    let mut capped = facts.clone();
    capped
        .acpi
        .as_mut()
        .expect("acpi tables")
        .op_regions_not_kept = 7;
    let after = nvs(&plan_with(&s, &capped));
    assert_eq!(after.len(), before.len());
    for ((was, _), (now, why)) in before.iter().zip(&after) {
        if *was == Status::Planned {
            assert_eq!(*now, Status::Unchecked, "{why}");
            assert!(
                why.starts_with("7 AML OperationRegions were over the scan's cap"),
                "{why}"
            );
        }
    }
    assert!(
        before.iter().any(|(st, _)| *st == Status::Planned),
        "{before:?}"
    );
}

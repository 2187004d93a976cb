//! The series chosen for the real snapshots in testdata/: by release and finding.

use std::path::Path;

use dom0scope_engine::Analysis;
use dom0scope_facts::Facts;
use dom0scope_verdict::{Date, Policy};

use super::{RELEASES, TEMPLATES, XenPatchError, release_key, series};

fn analysis(name: &str) -> Analysis {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/snapshots")
        .join(name);
    let snap = dom0scope_snapshot::Snapshot::open(&dir).expect("snapshot opens");
    let facts = Facts::extract(&snap).expect("facts");
    let today: Date = "2026-11-26".parse().unwrap();
    Analysis::from_facts(facts, Policy::builtin(), today)
}

#[test]
fn uefi_422_gets_both_patches_for_422() {
    let s = series(&analysis("x422-pv-pc-uefi"), "x422-pv-pc-uefi").unwrap();
    assert_eq!(s.release, "4.22");
    let names: Vec<_> = s.patches.iter().map(|p| p.file_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "0001-dom0-deny-trampoline.patch",
            "0002-dom0-protect-efi-rt.patch"
        ]
    );
    assert!(s.not_needed.is_empty());
    let p = &s.patches[1].text;
    assert!(p.contains("Subject: [PATCH 2/2] x86/dom0: deny EFI runtime code"));
    assert!(p.contains("Closes DOM0_EFI_RUNTIME_WRITE (critical): "));
    assert!(p.contains("Seen on x422-pv-pc-uefi: Xen 4.22.0, PV dom0."));
    assert!(
        p.contains("\n---\n"),
        "notes are after the --- line git am drops"
    );
    assert!(
        !p.contains("{finding") && !p.contains("{snapshot"),
        "every placeholder filled"
    );
    assert!(
        !p.lines().any(|l| l.starts_with("Signed-off-by:")),
        "signing off is the user's"
    );
    // No host address in any patch: the diff is the release's, whatever the host.
    assert!(p.ends_with(TEMPLATES[1].diffs[5]));
}

#[test]
fn seabios_417_gets_the_trampoline_patch_only() {
    let s = series(&analysis("x417-pv-q35-vtd-bios"), "x417").unwrap();
    assert_eq!(s.release, "4.17");
    assert_eq!(s.patches.len(), 1);
    assert_eq!(s.patches[0].closes, "DOM0_LOWMEM_TRAMPOLINE");
    assert!(
        s.patches[0].text.contains(
            "Subject: [PATCH 1/1] x86/dom0: deny the hardware domain Xen's AP trampoline"
        )
    );
    assert_eq!(s.not_needed, ["DOM0_EFI_RUNTIME_WRITE"]);
    assert!(s.patches[0].text.ends_with(TEMPLATES[0].diffs[0]));
    assert!(
        s.notes.iter().any(|n| n.contains("distribution build")),
        "{:?}",
        s.notes
    );
}

#[test]
fn master_snapshot_maps_to_the_pinned_master() {
    let s = series(&analysis("xmaster-pv-pc-uefi"), "xmaster").unwrap();
    assert_eq!(s.release, "master");
    assert!(
        s.notes.iter().any(|n| n.contains("development tree")),
        "{:?}",
        s.notes
    );
    assert!(s.patches[0].text.ends_with(TEMPLATES[0].diffs[6]));
}

#[test]
fn versions_map_to_release_keys_or_refuse() {
    let mut notes = Vec::new();
    assert_eq!(
        release_key(4, 20, ".4", &mut notes).as_deref(),
        Some("4.20")
    );
    assert!(notes.is_empty());
    assert_eq!(
        release_key(4, 23, "-unstable", &mut notes).as_deref(),
        Some("master")
    );
    assert_eq!(release_key(4, 23, ".0", &mut notes), None);
    assert_eq!(release_key(4, 16, ".5", &mut notes), None);
    assert_eq!(
        release_key(4, 22, "-rc", &mut notes).as_deref(),
        Some("4.22")
    );
    assert!(notes.iter().any(|n| n.contains("not a release")));
    let e = XenPatchError::Unsupported("4.16.5".into(), RELEASES.map(|(k, _)| k).join(", "));
    assert_eq!(
        e.to_string(),
        "no Xen patches for Xen 4.16.5: they exist for 4.17, 4.18, 4.19, 4.20, 4.21, 4.22, master"
    );
}

#[test]
fn every_template_diff_is_well_formed() {
    // Each hunk's header counts match its lines (a hand edit that breaks them is caught here,
    // before `git apply` in tests/xen_patch.rs).
    for t in &TEMPLATES {
        for (d, (rel, _)) in t.diffs.iter().zip(RELEASES) {
            let mut lines = d.lines().peekable();
            let mut hunks = 0;
            while let Some(l) = lines.next() {
                let Some(h) = l.strip_prefix("@@ -") else {
                    continue;
                };
                let (old, rest) = h.split_once(" +").unwrap();
                let new = rest.split_once(" @@").unwrap().0;
                let count = |s: &str| {
                    s.split_once(',')
                        .map_or(1, |(_, n)| n.parse::<usize>().unwrap())
                };
                let (mut o, mut n) = (count(old), count(new));
                while o > 0 || n > 0 {
                    let l = lines
                        .next()
                        .unwrap_or_else(|| panic!("{} {rel}: hunk cut short", t.name));
                    match l.chars().next() {
                        Some(' ') | None => {
                            o -= 1;
                            n -= 1;
                        }
                        Some('-') => o -= 1,
                        Some('+') => n -= 1,
                        _ => panic!("{} {rel}: bad hunk line {l:?}", t.name),
                    }
                }
                hunks += 1;
            }
            assert!(hunks > 0, "{} {rel}: no hunk", t.name);
            assert!(
                d.contains(&format!("[{}]", t.tag)),
                "{} {rel}: no console tag",
                t.name
            );
        }
    }
}

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
fn uefi_422_gets_all_three_patches_for_422() {
    let s = series(&analysis("x422-pv-pc-uefi"), "x422-pv-pc-uefi").unwrap();
    assert_eq!(s.release, "4.22");
    let names: Vec<_> = s.patches.iter().map(|p| p.file_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "0001-dom0-ro-trampoline.patch",
            "0002-dom0-protect-efi-rt.patch",
            "0003-dom0-protect-s3.patch"
        ]
    );
    assert!(s.not_needed.is_empty());
    let s3 = &s.patches[2].text;
    assert!(s3.contains("Subject: [PATCH 3/3] x86/dom0: keep S3 entry and the waking vector"));
    assert!(s3.contains("Closes dom0scope finding DOM0_S3_WAKING_VECTOR (high):\n"));
    assert!(s3.ends_with(TEMPLATES[2].diffs[5]));
    let p = &s.patches[1].text;
    assert!(p.contains("Subject: [PATCH 2/3] x86/dom0: deny EFI runtime code"));
    assert!(p.contains("Closes dom0scope finding DOM0_EFI_RUNTIME_WRITE (critical):\n"));
    assert!(p.contains("seen on x422-pv-pc-uefi (Xen 4.22.0, PV dom0).\n---\n"));
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
fn seabios_417_gets_no_efi_patch() {
    let s = series(&analysis("x417-pv-q35-vtd-bios"), "x417").unwrap();
    assert_eq!(s.release, "4.17");
    let closes: Vec<_> = s.patches.iter().map(|p| p.closes.as_str()).collect();
    assert_eq!(closes, ["DOM0_LOWMEM_TRAMPOLINE", "DOM0_S3_WAKING_VECTOR"]);
    assert!(s.patches[0].text.contains(
        "Subject: [PATCH 1/2] x86/dom0: make Xen's AP trampoline read-only to the hardware domain"
    ));
    // Numbered in the series, named by the patch: 0003 is the second of two here.
    assert_eq!(s.patches[1].file_name, "0003-dom0-protect-s3.patch");
    assert!(s.patches[1].text.contains("Subject: [PATCH 2/2] "));
    assert_eq!(s.not_needed, ["DOM0_EFI_RUNTIME_WRITE"]);
    assert!(s.patches[0].text.ends_with(TEMPLATES[0].diffs[0]));
    assert!(
        s.notes.iter().any(|n| n.contains("distribution build")
            && n.contains("Debian 12's source package xen 4.17.5+72-g01140da4e8-1")),
        "{:?}",
        s.notes
    );
}

#[test]
fn debian_420_note_claims_no_check_against_its_source() {
    // Debian's 4.20 source package could not be downloaded: the note must not say it was checked.
    let s = series(&analysis("x420-pv-pc-bios"), "x420").unwrap();
    assert_eq!(s.release, "4.20");
    let note = s.notes.iter().find(|n| n.contains("distribution build"));
    assert!(
        note.is_some_and(|n| n.contains("not checked") && !n.contains("apply to Debian")),
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

/// The archives in testdata/xen-src (PROVENANCE.md): the releases whose diffs can be applied
/// to the real source here. 4.17's diffs are applied to Debian 12's source package by the
/// harness (build-xen-debian.sh, harness/patched.sh), not this test; 4.20's source package
/// could not be downloaded.
const ARCHIVES: [(&str, &str); 5] = [
    ("4.18", "xen-4.18.6.tar.xz"),
    ("4.19", "xen-4.19.6.tar.xz"),
    ("4.21", "xen-4.21.2.tar.xz"),
    ("4.22", "xen-4.22.0.tar.xz"),
    ("master", "xen-master-c447b7308b.tar.xz"),
];

/// Unpacks the files the templates touch from `archive` into a fresh git-less directory.
fn unpack(archive: &str) -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/xen-src")
        .join(archive);
    let dir = tempfile::tempdir().unwrap();
    let prefix = archive.trim_end_matches(".tar.xz");
    let files = [
        "xen/arch/x86/dom0_build.c",
        "xen/include/xen/efi.h",
        "xen/arch/x86/efi/stub.c",
        "xen/arch/x86/efi/efi-boot.h",
        "xen/arch/x86/acpi/power.c",
        "xen/arch/x86/include/asm/acpi.h",
    ];
    let out = std::process::Command::new("tar")
        .arg("-xJf")
        .arg(&src)
        .arg("-C")
        .arg(dir.path())
        .arg("--strip-components=1")
        .args(files.map(|f| format!("{prefix}/{f}")))
        .output()
        .expect("tar runs (tar and xz-utils are needed)");
    assert!(
        out.status.success(),
        "tar {archive}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// `git apply` (with `--check` only checking) of `patch` in `dir`.
fn git_apply(dir: &Path, patch: &str, check: bool) -> Result<(), String> {
    use std::io::Write as _;
    let mut cmd = std::process::Command::new("git");
    cmd.arg("apply").arg("--verbose");
    if check {
        cmd.arg("--check");
    }
    let mut child = cmd
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(dir))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("git runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(patch.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn every_patch_applies_alone_and_the_series_in_order_to_the_archived_source() {
    for (rel, archive) in ARCHIVES {
        let i = RELEASES.iter().position(|(k, _)| *k == rel).unwrap();
        let dir = unpack(archive);
        for t in &TEMPLATES {
            git_apply(dir.path(), t.diffs[i], true)
                .unwrap_or_else(|e| panic!("{} does not apply alone to {archive}: {e}", t.name));
        }
        for t in &TEMPLATES {
            git_apply(dir.path(), t.diffs[i], false).unwrap_or_else(|e| {
                panic!("{} does not apply in series to {archive}: {e}", t.name)
            });
        }
        // Applied: the source holds the change, and applying again fails (not a no-op).
        let dom0 = std::fs::read_to_string(dir.path().join("xen/arch/x86/dom0_build.c")).unwrap();
        assert!(
            dom0.contains("[dom0-ro-trampoline]")
                && dom0.contains("efi_hwdom_protect_runtime(d)")
                && dom0.contains("rc |= hwdom_protect_s3(d);")
        );
        let power = std::fs::read_to_string(dir.path().join("xen/arch/x86/acpi/power.c")).unwrap();
        assert!(power.contains("facs->xfirmware_waking_vector = 0;"));
        assert!(power.contains("register_portio_handler(d, port, size, hwdom_sleep_reg_io);"));
        assert!(
            git_apply(dir.path(), TEMPLATES[0].diffs[i], true).is_err(),
            "{rel}: applies twice"
        );
    }
}

#[test]
fn a_written_series_is_what_git_applies() {
    // The .patch files as written (mail headers, message, notes), not just the diffs.
    let s = series(&analysis("x422-pv-pc-uefi"), "x422-pv-pc-uefi").unwrap();
    let out = tempfile::tempdir().unwrap();
    let written = super::write(&s, out.path()).unwrap();
    assert_eq!(written.len(), 4);
    let list = std::fs::read_to_string(out.path().join("series")).unwrap();
    assert_eq!(
        list,
        "0001-dom0-ro-trampoline.patch\n0002-dom0-protect-efi-rt.patch\n0003-dom0-protect-s3.patch\n"
    );
    let dir = unpack("xen-4.22.0.tar.xz");
    for name in list.lines() {
        let text = std::fs::read_to_string(out.path().join(name)).unwrap();
        git_apply(dir.path(), &text, false).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

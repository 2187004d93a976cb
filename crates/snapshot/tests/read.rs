//! Reading snapshots: real ones verify; hostile archives are bounded and reported.

use std::path::{Path, PathBuf};

use dom0scope_snapshot::{Integrity, Origin, Snapshot, SnapshotError};

fn real(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/snapshots")
        .join(name)
}

#[test]
fn real_snapshots_verify_against_their_manifests() {
    for name in [
        "x417-pv-q35-vtd-bios",
        "x417-pv-q35-uefi",
        "x420-pv-pc-bios",
        "x420-pvh-q35-vtd-bios",
    ] {
        let s = Snapshot::open(&real(name)).unwrap();
        assert!(s.issues.is_empty(), "{name}: {:?}", s.issues);
        assert!(matches!(s.origin, Origin::Directory { .. }));
        let m = s.manifest.as_ref().unwrap();
        assert_eq!(m.files.len(), s.artifacts.len(), "{name}");
        assert!(
            s.artifacts
                .values()
                .all(|a| a.integrity == Integrity::Verified)
        );
        assert!(s.get("xen/dmesg.txt").is_some());
        assert!(!s.is_bare_log());
    }
}

fn header(path: &str, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    // Write the name bytes directly so unsafe names are not refused by the builder.
    let name = &mut h.as_old_mut().name;
    name[..path.len()].copy_from_slice(path.as_bytes());
    h.set_cksum();
    h
}

fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let h = header(path, data.len() as u64);
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

#[test]
fn unsafe_member_paths_are_skipped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.tar");
    let log: &[u8] = b"(XEN) Xen version 4.17.7 (a@b) (gcc) debug=n\n";
    std::fs::write(
        &path,
        archive(&[
            ("../../etc/passwd", b"root"),
            ("/abs/file", b"x"),
            ("xen/dmesg.txt", log),
        ]),
    )
    .unwrap();
    let s = Snapshot::open(&path).unwrap();
    assert_eq!(
        s.artifacts.keys().collect::<Vec<_>>(),
        vec!["xen/dmesg.txt"]
    );
    let unsafe_issues = s
        .issues
        .iter()
        .filter(|i| i.message.contains("unsafe"))
        .count();
    assert_eq!(unsafe_issues, 2, "{:?}", s.issues);
    assert!(
        s.issues
            .iter()
            .any(|i| i.message.contains("no manifest.json"))
    );
}

#[test]
fn a_header_claiming_a_terabyte_does_not_allocate_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.tar");
    let mut bytes = header("xen/dmesg.txt", 1 << 40).as_bytes().to_vec();
    bytes.extend_from_slice(&[b'x'; 4096]);
    std::fs::write(&path, bytes).unwrap();
    match Snapshot::open(&path) {
        Err(SnapshotError::Archive { offset, .. }) => assert_eq!(offset, 0),
        Ok(s) => assert!(
            s.artifacts
                .values()
                .all(|a| a.bytes.len() <= dom0scope_snapshot::MAX_ARTIFACT_BYTES as usize)
        ),
        Err(e) => panic!("unexpected: {e}"),
    }
}

#[test]
fn damage_after_the_first_member_keeps_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.tar");
    let full = archive(&[("a.txt", &[b'a'; 600]), ("xen/dmesg.txt", &[b'b'; 3000])]);
    std::fs::write(&path, &full[..2048]).unwrap();
    let s = Snapshot::open(&path).unwrap();
    assert!(s.get("a.txt").is_some());
    assert!(s.cut_short);
    assert_eq!(
        s.get("xen/dmesg.txt").unwrap().integrity,
        Integrity::Incomplete {
            expected_size: 3000,
            actual_size: 0
        }
    );
    assert!(
        s.issues
            .iter()
            .any(|i| i.artifact.as_deref() == Some("xen/dmesg.txt")
                && i.message.contains("archive truncated inside this member")),
        "{:?}",
        s.issues
    );
}

#[test]
fn unlisted_and_mismatched_files_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("a.txt"), b"hello").unwrap();
    std::fs::write(root.join("extra.txt"), b"x").unwrap();
    std::fs::write(
        root.join("manifest.json"),
        br#"{"format":"dom0scope-snapshot/1","files":{"a.txt":{"sha256":"00","size":5}}}"#,
    )
    .unwrap();
    let s = Snapshot::open(root).unwrap();
    assert!(matches!(
        s.get("a.txt").unwrap().integrity,
        Integrity::Mismatch { .. }
    ));
    assert_eq!(s.get("extra.txt").unwrap().integrity, Integrity::Unlisted);
    assert_eq!(s.issues.len(), 2, "{:?}", s.issues);
}

#[test]
fn a_bare_log_is_one_artifact_named_after_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serial.txt");
    std::fs::write(&path, b"(XEN) Bootloader: GRUB\n").unwrap();
    let s = Snapshot::open(&path).unwrap();
    assert!(s.is_bare_log());
    assert_eq!(s.bare_log().unwrap().path, "serial.txt");
}

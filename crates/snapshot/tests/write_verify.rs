//! The writer, the reader and the strict check agree: what `Manifest::to_json` writes reads
//! back and verifies, and any damage to the files or the manifest is reported.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use dom0scope_snapshot::{
    FORMAT, Integrity, MANIFEST_PATH, Manifest, ManifestDefect, ManifestEntry, Snapshot,
    VerifyError, verify_snapshot,
};

const FILES: &[(&str, &[u8])] = &[
    ("xen/dmesg.txt", b"(XEN) Rangesets belonging to domain 0:\n"),
    ("acpi/DSDT", b"DSDT\x00\x01\x02"),
    ("linux/version", b"Linux version 6.1.0\n"),
    ("empty", b""),
];

/// A snapshot directory whose manifest the snapshot crate wrote.
fn written() -> (tempfile::TempDir, Manifest) {
    let dir = tempfile::tempdir().unwrap();
    let mut files = BTreeMap::new();
    for (rel, bytes) in FILES {
        let p = dir.path().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, bytes).unwrap();
        files.insert(rel.to_string(), ManifestEntry::of(bytes));
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        tool: Some("dom0scope test".into()),
        created: Some("2026-01-01T00:00:00Z".into()),
        config: Some("round-trip".into()),
        host: BTreeMap::from([("sys_vendor".into(), "QEMU".into())]),
        files,
    };
    fs::write(dir.path().join(MANIFEST_PATH), manifest.to_json()).unwrap();
    (dir, manifest)
}

#[test]
fn a_manifest_collect_wrote_in_a_real_dom0_is_rewritten_byte_for_byte() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/snapshots/h417-pv-q35-vtd-bios")
        .join(MANIFEST_PATH);
    let text = fs::read_to_string(path).unwrap();
    let manifest: Manifest = serde_json::from_str(&text).unwrap();
    assert_eq!(manifest.format, FORMAT);
    assert_eq!(manifest.to_json(), text);
}

fn problems(dir: &Path) -> Vec<String> {
    verify_snapshot(dir).unwrap().problems
}

#[test]
fn a_written_manifest_reads_back_and_verifies() {
    let (dir, manifest) = written();
    let s = Snapshot::open(dir.path()).unwrap();
    assert!(s.issues.is_empty(), "{:?}", s.issues);
    assert_eq!(s.manifest.as_ref(), Some(&manifest));
    assert_eq!(s.artifacts.len(), FILES.len());
    assert!(
        s.artifacts
            .values()
            .all(|a| a.integrity == Integrity::Verified)
    );

    let r = verify_snapshot(dir.path()).unwrap();
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!(r.format, FORMAT);
    assert_eq!(r.config.as_deref(), Some("round-trip"));
    assert_eq!(r.files, FILES.len());
    let total: usize = FILES.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(r.bytes, total as u64);
}

#[test]
fn tampered_files_are_reported_by_both_reader_and_check() {
    let (dir, _) = written();
    let root = dir.path();
    let mut dsdt = fs::read(root.join("acpi/DSDT")).unwrap();
    dsdt[0] ^= 1;
    fs::write(root.join("acpi/DSDT"), dsdt).unwrap();
    fs::write(root.join("linux/version"), b"Linux").unwrap();
    fs::remove_file(root.join("xen/dmesg.txt")).unwrap();
    fs::write(root.join("planted"), b"x").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("empty.link")).unwrap();

    let mut found = problems(root);
    // Listed files come in manifest order; what the directory walk finds, in its order.
    found[4..].sort();
    assert_eq!(
        found,
        [
            "acpi/DSDT: sha256 differs",
            "linux/version: size 5, manifest says 20",
            "linux/version: sha256 differs",
            "xen/dmesg.txt: missing",
            "empty.link: neither a file nor a directory",
            "planted: not in the manifest",
        ]
    );
    let s = Snapshot::open(root).unwrap();
    assert!(s.get("acpi/DSDT").unwrap().is_damaged());
    assert!(s.get("linux/version").unwrap().is_damaged());
    assert_eq!(s.get("planted").unwrap().integrity, Integrity::Unlisted);
    assert!(
        s.issues
            .iter()
            .any(|i| i.artifact.as_deref() == Some("xen/dmesg.txt"))
    );
}

#[test]
fn a_truncated_manifest_is_refused_with_its_position() {
    let (dir, _) = written();
    let path = dir.path().join(MANIFEST_PATH);
    let text = fs::read(&path).unwrap();
    fs::write(&path, &text[..text.len() / 2]).unwrap();
    match verify_snapshot(dir.path()) {
        Err(
            e @ VerifyError::Manifest {
                defect: ManifestDefect::Json(_),
                ..
            },
        ) => {
            let msg = e.to_string();
            assert!(
                msg.contains("not a snapshot manifest: EOF while parsing"),
                "{msg}"
            );
        }
        other => panic!("truncated manifest accepted: {other:?}"),
    }
    let s = Snapshot::open(dir.path()).unwrap();
    assert!(s.manifest.is_none());
    assert!(
        s.issues
            .iter()
            .any(|i| i.message.starts_with("manifest unreadable at line"))
    );
}

fn verify_manifest(text: &str) -> Result<Vec<String>, String> {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(MANIFEST_PATH), text).unwrap();
    fs::write(dir.path().join("a"), b"").unwrap();
    verify_snapshot(dir.path())
        .map(|r| r.problems)
        .map_err(|e| {
            let msg = e.to_string();
            let (_, defect) = msg.split_once("not a snapshot manifest: ").unwrap();
            defect.to_owned()
        })
}

#[test]
fn malformed_manifests_fail_the_check() {
    let a = r#""a": {"sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "size": 0}"#;
    assert_eq!(verify_manifest("[]"), Err("no \"format\"".into()));
    // An array in the place of the object is not read field by field.
    assert_eq!(
        verify_manifest(r#"["dom0scope-snapshot/1", null, {}]"#),
        Err("no \"format\"".into())
    );
    assert_eq!(
        verify_manifest(r#"{"format": 1, "files": {}}"#),
        Err("no \"format\"".into())
    );
    assert_eq!(
        verify_manifest(r#"{"format": "other", "files": {}}"#),
        Err("unknown format \"other\"".into())
    );
    assert_eq!(
        verify_manifest(r#"{"format": "dom0scope-snapshot/1", "files": []}"#),
        Err("no \"files\" object".into())
    );
    let dup = verify_manifest(&format!(
        r#"{{"format": "dom0scope-snapshot/1", "format": "x", "files": {{{a}}}}}"#
    ));
    assert!(dup.unwrap_err().starts_with("duplicate field `format`"));
    // Fields the check does not need may be anything.
    assert_eq!(
        verify_manifest(&format!(
            r#"{{"format": "dom0-snapshot-sample", "host": 5, "tool": [], "files": {{{a}}}}}"#
        )),
        Ok(vec![])
    );
}

#[test]
fn a_malformed_entry_is_that_files_problem_only() {
    let text = r#"{"format": "dom0scope-snapshot/1", "files": {
        "a": {"sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "size": 0},
        "b": ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0],
        "c": {"sha256": "00", "size": -1},
        "d": {"sha256": "00", "size": 18446744073709551615},
        "e": {"sha256": "00", "size": 18446744073709551615},
        "../f": {"sha256": "00", "size": 1}
    }}"#;
    assert_eq!(
        verify_manifest(text),
        Ok(vec![
            "../f: path escapes the snapshot".to_string(),
            "b: entry lacks sha256 or size".to_string(),
            "c: entry lacks sha256 or size".to_string(),
            "d: missing".to_string(),
            "e: missing".to_string(),
        ])
    );
}

//! Hostile directories, pipes and manifests (issue 14): an unreadable file or directory
//! degrades the snapshot instead of aborting it; a pipe is read as a stream; over-long
//! manifest strings are cut.

mod common;

use common::messages;

use std::path::Path;
use std::process::Command;

use dom0scope_snapshot::{MAX_MANIFEST_FIELD_BYTES, Origin, Snapshot, SnapshotError};

const LOG: &[u8] = b"(XEN) Xen version 4.17.7 (a@b) (gcc) debug=n\n";

/// Under `root`: a directory whose path is just under `PATH_MAX` (4096) holding a file whose
/// path is over it, then directories whose paths are over it. Built with relative `mkdir` and
/// `cd`, since no single path that long can be created. Readable as root too.
fn too_deep(root: &Path) {
    let script = r#"cd "$1" || exit 1
d=$(printf '%050d' 0 | tr 0 d)
while [ ${#PWD} -lt 3850 ]; do mkdir $d && cd -P $d || exit 1; done
: > "$(printf '%0255d' 0)"
while [ ${#PWD} -lt 4300 ]; do mkdir $d && cd -P $d || exit 1; done
: > leaf"#;
    let ok = Command::new("sh")
        .args(["-c", script, "sh"])
        .arg(root)
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn a_path_beyond_path_max_degrades_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("xen")).unwrap();
    std::fs::write(root.join("xen/dmesg.txt"), LOG).unwrap();
    too_deep(root);
    let s = Snapshot::open(root).unwrap();
    assert!(s.get("xen/dmesg.txt").is_some());
    let m = messages(&s);
    let file = m
        .iter()
        .any(|x| x.contains("/00000") && x.contains(": unreadable (File name too long"));
    let directory = m.iter().any(|x| {
        x.ends_with(
            "dd: directory unreadable (File name too long (os error 36)); its files were skipped",
        )
    });
    assert!(file && directory, "{m:#?}");
}

#[test]
fn nothing_readable_at_all_is_the_error() {
    let dir = tempfile::tempdir().unwrap();
    too_deep(dir.path());
    match Snapshot::open(dir.path()) {
        Err(e @ SnapshotError::NothingReadable { .. }) => {
            assert!(e.to_string().contains("File name too long"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

/// chmod 000 stops only a user without CAP_DAC_OVERRIDE; as root the file stays readable and
/// the case is covered by the PATH_MAX test above.
#[test]
fn a_file_without_read_permission_degrades_the_snapshot() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("xen")).unwrap();
    std::fs::create_dir_all(root.join("acpi")).unwrap();
    std::fs::write(root.join("xen/dmesg.txt"), LOG).unwrap();
    std::fs::write(root.join("acpi/HPET"), b"HPET").unwrap();
    std::fs::set_permissions(
        root.join("acpi/HPET"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    if std::fs::read(root.join("acpi/HPET")).is_ok() {
        eprintln!("skipped: running with CAP_DAC_OVERRIDE, mode 000 does not stop a read");
        return;
    }
    let s = Snapshot::open(root).unwrap();
    assert!(s.get("xen/dmesg.txt").is_some() && s.get("acpi/HPET").is_none());
    assert!(
        messages(&s)
            .iter()
            .any(|m| m.starts_with("acpi/HPET: unreadable (Permission denied")),
        "{:?}",
        s.issues
    );
}

#[test]
fn a_fifo_snapshot_argument_is_read_as_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("console");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, LOG.repeat(100)))
    };
    let s = Snapshot::open(&fifo).unwrap();
    writer.join().unwrap().unwrap();
    assert!(s.is_bare_log());
    assert_eq!(s.bare_log().unwrap().path, "console");
    assert_eq!(s.bare_log().unwrap().bytes.len(), LOG.len() * 100);
    assert!(matches!(s.origin, Origin::BareLog { .. }));
}

#[test]
fn a_device_as_snapshot_argument_is_refused() {
    let e = Snapshot::open(Path::new("/dev/zero")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/dev/zero: is a character device, not a regular file"
    );
}

/// A 60 MB `config` would be copied into every report and plan; it is cut when read.
#[test]
fn over_long_manifest_strings_are_cut_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("xen")).unwrap();
    std::fs::write(root.join("xen/dmesg.txt"), LOG).unwrap();
    let big = "é".repeat(100_000);
    let manifest = serde_json::json!({
        "format": "dom0scope-snapshot/1",
        "config": big,
        "host": { "sys_vendor": big, "product_name": "QEMU" },
        "files": { big.clone(): { "sha256": "00", "size": 1 } },
    });
    std::fs::write(root.join("manifest.json"), manifest.to_string()).unwrap();
    let s = Snapshot::open(root).unwrap();
    let m = s.manifest.as_ref().unwrap();
    let config = m.config.as_deref().unwrap();
    assert!(config.len() <= MAX_MANIFEST_FIELD_BYTES && config.len() > 4000);
    assert!(m.host["sys_vendor"].len() <= MAX_MANIFEST_FIELD_BYTES);
    assert_eq!(m.host["product_name"], "QEMU");
    assert!(m.files.is_empty());
    let notes = messages(&s);
    for want in [
        "manifest.json: field \"config\" is 200000 bytes; only its first 4096 are kept",
        "manifest.json: 1 \"host\" entries longer than 4096 bytes were cut to their first 4096",
        "manifest.json: 1 listed paths longer than 4096 bytes (longer than any path can be) were ignored",
    ] {
        assert!(notes.iter().any(|n| n == want), "{want}\n{notes:#?}");
    }
    assert!(notes.iter().all(|n| n.len() < 300), "{notes:#?}");
}

/// The strict check reads manifest.json through the same reader: a FIFO there is refused,
/// not waited on.
#[test]
fn verify_refuses_a_fifo_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("manifest.json");
    assert!(
        Command::new("mkfifo")
            .arg(&manifest)
            .status()
            .unwrap()
            .success()
    );
    let e = dom0scope_snapshot::verify_snapshot(dir.path()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: is a FIFO (named pipe), not a regular file",
            manifest.display()
        )
    );
}

//! Hostile archives (issue 14): extension headers that claim huge sizes, members that are not
//! files, duplicates, archives cut short, gzip-compressed logs. Each archive is built here.

mod common;

use common::messages;

use std::io::Write;
use std::time::{Duration, Instant};

use dom0scope_snapshot::{Integrity, Snapshot, SnapshotError};
use tar::EntryType;

const LOG: &[u8] = b"(XEN) Xen version 4.17.7 (a@b) (gcc) debug=n\n";

/// A raw GNU header; the name bytes are written directly so no builder checks them.
fn header(path: &str, size: u64, ty: EntryType) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(ty);
    h.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
    h.set_cksum();
    h
}

/// Appends a member (header and data padded to 512 bytes).
fn member(out: &mut Vec<u8>, path: &str, ty: EntryType, data: &[u8]) {
    out.extend_from_slice(header(path, data.len() as u64, ty).as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn end(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0; 1024]);
}

fn open(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.tar");
    std::fs::write(&path, bytes).unwrap();
    Snapshot::open(&path)
}

/// The header claims 1 GiB; only the header and a few blocks are there. Before the bounded
/// reading, the `tar` crate took the whole rest of the archive as the name (a real 1 GiB name
/// cost 3.2 GB of RSS) and the member after it vanished.
#[test]
fn an_extension_header_claiming_a_gibibyte_is_not_read() {
    for (ty, kind) in [
        (EntryType::GNULongName, "GNU long-name"),
        (EntryType::GNULongLink, "GNU long-link"),
        (EntryType::XHeader, "PAX"),
        (EntryType::XGlobalHeader, "PAX global"),
    ] {
        let mut tar = Vec::new();
        member(&mut tar, "xen/dmesg.txt", EntryType::Regular, LOG);
        let at = tar.len();
        tar.extend_from_slice(header("././@LongLink", 1 << 30, ty).as_bytes());
        tar.extend_from_slice(&[b'a'; 4096]);
        member(&mut tar, "acpi/HPET", EntryType::Regular, b"hpet");
        end(&mut tar);
        let start = Instant::now();
        let s = open(&tar).unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(s.get("xen/dmesg.txt").is_some());
        assert!(s.cut_short);
        let want = format!(
            "archive header at byte {at}: a {kind} header of 1073741824 bytes (more than 65536)"
        );
        assert!(
            messages(&s).iter().any(|m| m.contains(&want)),
            "{:?}",
            s.issues
        );

        // First in the archive: nothing was read, so it is the error, at its offset.
        let mut first = header("././@LongLink", 1 << 30, ty).as_bytes().to_vec();
        first.extend_from_slice(&[b'a'; 4096]);
        match open(&first) {
            Err(e @ SnapshotError::Archive { offset: 0, .. }) => {
                assert!(
                    e.to_string()
                        .contains(&format!("a {kind} header of 1073741824 bytes"))
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

/// Long names within bounds still name their member, GNU- and PAX-style alike.
#[test]
fn long_names_that_fit_still_name_their_member() {
    let long = format!("xen/hypfs/cat/{}/leaf", "d".repeat(150));
    let mut gnu = Vec::new();
    {
        let mut b = tar::Builder::new(&mut gnu);
        let mut h = tar::Header::new_gnu();
        h.set_size(LOG.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, "xen/dmesg.txt", LOG).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        b.append_data(&mut h, &long, b"ok".as_slice()).unwrap();
        b.finish().unwrap();
    }
    let mut pax = Vec::new();
    member(&mut pax, "xen/dmesg.txt", EntryType::Regular, LOG);
    let record = format!("path={long}\n");
    let len = record.len() + 4; // "NNN " with a three-digit length
    member(
        &mut pax,
        "PaxHeaders/x",
        EntryType::XHeader,
        format!("{len} {record}").as_bytes(),
    );
    member(&mut pax, "short-name", EntryType::Regular, b"ok");
    end(&mut pax);
    for tar in [gnu, pax] {
        let s = open(&tar).unwrap();
        assert_eq!(s.get(&long).map(|a| a.bytes.as_slice()), Some(&b"ok"[..]));
        assert!(!s.cut_short, "{:?}", s.issues);
    }
}

#[test]
fn links_devices_and_fifos_are_reported_not_dropped_silently() {
    let mut tar = Vec::new();
    member(&mut tar, "xen/dmesg.txt", EntryType::Regular, LOG);
    let mut link = header("acpi/DSDT", 0, EntryType::Symlink);
    link.set_link_name("/etc/shadow").unwrap();
    link.set_cksum();
    tar.extend_from_slice(link.as_bytes());
    let mut hard = header("acpi/HPET", 0, EntryType::Link);
    hard.set_link_name("xen/dmesg.txt").unwrap();
    hard.set_cksum();
    tar.extend_from_slice(hard.as_bytes());
    member(&mut tar, "dev/mem", EntryType::Char, b"");
    member(&mut tar, "dev/sda", EntryType::Block, b"");
    member(&mut tar, "pipe", EntryType::Fifo, b"");
    end(&mut tar);
    let s = open(&tar).unwrap();
    assert_eq!(s.artifacts.len(), 1);
    let m = messages(&s);
    for want in [
        "acpi/DSDT: archive member at byte 1024 is a symbolic link to \"/etc/shadow\"; skipped",
        "acpi/HPET: archive member at byte 1536 is a hard link to \"xen/dmesg.txt\"; skipped",
        "dev/mem: archive member at byte 2048 is a character device; skipped",
        "dev/sda: archive member at byte 2560 is a block device; skipped",
        "pipe: archive member at byte 3072 is a FIFO; skipped",
    ] {
        assert!(m.iter().any(|x| x.starts_with(want)), "{want}\n{m:#?}");
    }
}

/// A later copy of a path (the manifest, the Xen log) does not replace the first: the first
/// is kept, and the second is reported.
#[test]
fn a_duplicate_member_keeps_the_first_and_says_so() {
    let manifest = br#"{"format":"dom0scope-snapshot/1","files":{}}"#;
    let mut tar = Vec::new();
    member(&mut tar, "manifest.json", EntryType::Regular, manifest);
    member(&mut tar, "xen/dmesg.txt", EntryType::Regular, LOG);
    member(
        &mut tar,
        "xen/dmesg.txt",
        EntryType::Regular,
        b"(XEN) forged\n",
    );
    member(&mut tar, "manifest.json", EntryType::Regular, b"{}");
    end(&mut tar);
    let s = open(&tar).unwrap();
    assert_eq!(s.get("xen/dmesg.txt").unwrap().bytes, LOG);
    assert_eq!(s.manifest.as_ref().unwrap().format, "dom0scope-snapshot/1");
    let m = messages(&s);
    for want in [
        "xen/dmesg.txt: appears again in the archive at byte 2048; that later copy was ignored and the first (at byte 1024) kept",
        "manifest.json: appears again in the archive at byte 3072; that later copy was ignored and the first (at byte 0) kept",
    ] {
        assert!(m.iter().any(|x| x == want), "{want}\n{m:#?}");
    }
}

#[test]
fn an_archive_cut_between_members_or_inside_one_says_truncated() {
    let mut tar = Vec::new();
    member(&mut tar, "xen/dmesg.txt", EntryType::Regular, LOG);
    let boundary = tar.len();
    member(&mut tar, "acpi/DSDT", EntryType::Regular, &[7; 2000]);
    end(&mut tar);
    let s = open(&tar[..boundary]).unwrap();
    assert!(s.cut_short);
    assert!(
        messages(&s)
            .iter()
            .any(|m| m
                .contains("archive truncated: it ends at byte 1024 without its end-of-archive")),
        "{:?}",
        s.issues
    );
    let s = open(&tar[..boundary + 512 + 700]).unwrap();
    assert_eq!(
        s.get("acpi/DSDT").unwrap().integrity,
        Integrity::Incomplete {
            expected_size: 2000,
            actual_size: 700
        }
    );
    assert!(s.cut_short);
    let whole = open(&tar).unwrap();
    assert!(
        !whole.cut_short
            && whole
                .issues
                .iter()
                .all(|i| !i.message.contains("truncated"))
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A gzipped bare log is a bare log (its name less `.gz`), not a tar with a bad checksum; one
/// cut short keeps its lines before the cut and says so.
#[test]
fn a_gzipped_bare_log_is_read_as_a_log() {
    let log: Vec<u8> = LOG.repeat(2000);
    let gz = gzip(&log);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serial.txt.gz");
    std::fs::write(&path, &gz).unwrap();
    let s = Snapshot::open(&path).unwrap();
    assert!(s.is_bare_log());
    assert_eq!(s.bare_log().unwrap().path, "serial.txt");
    assert_eq!(s.bare_log().unwrap().bytes, log);
    assert!(s.issues.is_empty());

    std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
    let s = Snapshot::open(&path).unwrap();
    assert!(s.bare_log().unwrap().bytes.starts_with(LOG));
    assert!(
        s.issues[0]
            .message
            .contains("the gzip stream is truncated or damaged")
    );

    std::fs::write(&path, gzip(&[0u8; 4096])).unwrap();
    let e = Snapshot::open(&path).unwrap_err().to_string();
    assert!(
        e.contains("gzip-compressed data that is neither a tar archive nor text"),
        "{e}"
    );
}

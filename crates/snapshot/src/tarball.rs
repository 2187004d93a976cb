//! Reading a snapshot from a `.tar` stream (already decompressed, when it was a `.tar.gz`).
//! Headers are taken raw from the `tar` crate and their extensions read here, bounded
//! ([`crate::tar_ext`]). Only regular files become artifacts; every other member (a link, a
//! device, a sparse file) and every later duplicate of a path is reported and skipped, as in
//! a directory. A truncated or corrupt archive keeps the members read before the fault
//! (reported, [`Snapshot::cut_short`]); if none were, it is an error.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};
use std::rc::Rc;

use tar::EntryType;

use crate::manifest::{MANIFEST_PATH, Shortfall, assemble_with_shortfalls};
use crate::tar_ext::{Member, Pending, Step};
use crate::{
    Issue, MAX_ARTIFACT_BYTES, MAX_FILES, MAX_TOTAL_BYTES, Origin, Snapshot, SnapshotError,
};

/// The POSIX/GNU tar magic at offset 257 of the first header.
pub(crate) fn is_tar(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar".as_slice())
}

/// Reads an archive already in memory (the bundled example); `name` labels it.
pub(crate) fn from_bytes(name: &str, bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    let reader: Box<dyn Read + '_> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    };
    let mut snap = read(Path::new(name), reader)?;
    snap.origin = Origin::Bundled {
        name: name.to_owned(),
    };
    Ok(snap)
}

/// Counts the bytes the tar reader consumed, to tell an archive that ends with its
/// end-of-archive blocks from one cut off exactly between two members.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// What has been read so far.
#[derive(Default)]
struct Members {
    files: BTreeMap<String, Vec<u8>>,
    /// Where each kept file's header is, to name the first copy of a duplicate.
    offsets: BTreeMap<String, u64>,
    short: BTreeMap<String, Shortfall>,
    issues: Vec<Issue>,
    total: u64,
    cut_short: bool,
}

impl Members {
    fn note(&mut self, artifact: Option<&str>, message: String) {
        self.issues.push(Issue {
            artifact: artifact.map(str::to_owned),
            message,
        });
    }

    /// A fault that ends the read: fatal if nothing was read yet, otherwise reported.
    fn stop(&mut self, path: &Path, offset: u64, message: String) -> Result<(), SnapshotError> {
        if self.files.is_empty() {
            return Err(SnapshotError::Archive {
                path: crate::shown(path).to_owned(),
                offset,
                message,
            });
        }
        self.cut_short = true;
        self.note(None, message);
        Ok(())
    }
}

/// Reads the tar stream `reader`; `path` is the archive as given (for the origin and errors).
pub(crate) fn read(path: &Path, reader: impl Read) -> Result<Snapshot, SnapshotError> {
    let count = Rc::new(Cell::new(0));
    let mut archive = tar::Archive::new(Counting {
        inner: reader,
        count: Rc::clone(&count),
    });
    let mut m = Members::default();
    let mut pending = Pending::default();
    // Where the stream must go on after the last header read and its data.
    let mut end = 0u64;
    let mut entries = archive
        .entries()
        .map_err(|e| archive_err(path, 0, &e))?
        .raw(true);
    let clean_end = loop {
        let mut entry = match entries.next() {
            None => break true,
            Some(Ok(e)) => e,
            Some(Err(e)) => {
                m.stop(path, end, damaged(end, &e))?;
                break false;
            }
        };
        let at = entry.raw_header_position();
        end = at
            .saturating_add(512)
            .saturating_add(entry.size().div_ceil(512).saturating_mul(512));
        let member = match pending.step(&mut entry, at) {
            Step::Extension => continue,
            Step::Stop(why) => {
                m.stop(path, at, why)?;
                break false;
            }
            Step::Member(member) => member,
        };
        if !take_member(&mut m, path, &mut entry, at, &member)? {
            break false;
        }
    };
    if clean_end {
        if let Some(at) = pending.started_at() {
            m.stop(
                path,
                at,
                format!("archive ends after the extension header at byte {at}, before its member"),
            )?;
        } else if count.get() <= end && !m.files.is_empty() {
            m.cut_short = true;
            m.note(
                None,
                format!(
                    "archive truncated: it ends at byte {} without its end-of-archive blocks, so \
                     members after that point may be missing",
                    count.get()
                ),
            );
        }
    }
    strip_common_top_dir(&mut m.files, &mut m.short, &mut m.issues);
    let origin = Origin::Tar {
        path: path.to_owned(),
    };
    let mut snap = assemble_with_shortfalls(origin, &mut m.files, &m.short, &mut m.issues);
    snap.cut_short = m.cut_short;
    Ok(snap)
}

/// Handles one member (its header at `at`); false when the read must stop.
fn take_member<R: Read>(
    m: &mut Members,
    path: &Path,
    entry: &mut tar::Entry<'_, R>,
    at: u64,
    member: &Member,
) -> Result<bool, SnapshotError> {
    let size = entry.size();
    let ty = entry.header().entry_type();
    if ty == EntryType::Directory {
        return Ok(true);
    }
    if member.pax_size.is_some_and(|s| s != size) {
        let why = format!(
            "archive member at byte {at}: a PAX size record overrides its header's size of \
             {size} bytes; not followed, and the archive was not read past it"
        );
        m.stop(path, at, why)?;
        return Ok(false);
    }
    let Some(rel) = clean_path(&member.path) else {
        m.note(
            None,
            format!("archive member at byte {at} has an unsafe or unreadable path; skipped"),
        );
        return Ok(true);
    };
    if ty == EntryType::GNUSparse && entry.header().as_gnu().is_some_and(|g| g.is_extended()) {
        let why = format!(
            "archive member at byte {at} ({rel}) is a GNU sparse file whose map goes on in \
             further headers; the archive was not read past it"
        );
        m.stop(path, at, why)?;
        return Ok(false);
    }
    if !matches!(ty, EntryType::Regular | EntryType::Continuous) || member.pax_sparse {
        let what = other_member(ty, member);
        m.note(
            Some(&rel),
            format!("archive member at byte {at} is {what}; skipped (only regular files are read)"),
        );
        return Ok(true);
    }
    if let Some(first) = m.offsets.get(&rel) {
        let why = format!(
            "appears again in the archive at byte {at}; that later copy was ignored and the \
             first (at byte {first}) kept"
        );
        m.note(Some(&rel), why);
        return Ok(true);
    }
    if m.files.len() >= MAX_FILES || m.total > MAX_TOTAL_BYTES {
        m.note(
            None,
            "archive exceeds the file-count or size limit; the rest was skipped".into(),
        );
        return Ok(false);
    }
    let mut bytes = Vec::with_capacity(size.min(1 << 20) as usize);
    if let Err(e) = entry.take(MAX_ARTIFACT_BYTES).read_to_end(&mut bytes) {
        let why = format!(
            "archive truncated or damaged inside the member at byte {at} ({rel}: {e}); members \
             from there on are missing"
        );
        m.stop(path, at, why)?;
        return Ok(false);
    }
    let got = bytes.len() as u64;
    m.total += got;
    m.offsets.insert(rel.clone(), at);
    if got < size.min(MAX_ARTIFACT_BYTES) {
        let why = format!(
            "archive truncated inside this member (header at byte {at}): {got} of its {size} \
             bytes were read, and any later members are missing"
        );
        m.note(Some(&rel), why);
        m.cut_short = true;
        m.short.insert(
            rel.clone(),
            Shortfall::ArchiveEnded {
                expected_size: size,
            },
        );
        m.files.insert(rel, bytes);
        return Ok(false);
    }
    if size > MAX_ARTIFACT_BYTES {
        m.short.insert(
            rel.clone(),
            Shortfall::OverLimit {
                actual_size: size,
                limit: MAX_ARTIFACT_BYTES,
            },
        );
    }
    m.files.insert(rel, bytes);
    Ok(true)
}

/// A member that is not a regular file, in words (`a symbolic link to /etc/passwd`).
fn other_member(ty: EntryType, member: &Member) -> String {
    let target = || {
        let t = String::from_utf8_lossy(member.link.as_deref().unwrap_or_default());
        if t.chars().count() > 200 {
            format!("{}…", t.chars().take(200).collect::<String>())
        } else {
            t.into_owned()
        }
    };
    match ty {
        _ if member.pax_sparse => "a sparse file (PAX GNU.sparse records)".into(),
        EntryType::Symlink => format!("a symbolic link to {:?}", target()),
        EntryType::Link => format!("a hard link to {:?}", target()),
        EntryType::Char => "a character device".into(),
        EntryType::Block => "a block device".into(),
        EntryType::Fifo => "a FIFO".into(),
        EntryType::GNUSparse => "a GNU sparse file".into(),
        other => format!("of tar type {:?}", char::from(other.as_byte())),
    }
}

/// The archive breaks at the header expected at `offset`.
fn damaged(offset: u64, e: &std::io::Error) -> String {
    format!(
        "archive truncated or damaged at byte {offset} ({e}); members from there on are missing"
    )
}

fn archive_err(path: &Path, offset: u64, e: &std::io::Error) -> SnapshotError {
    SnapshotError::Archive {
        path: crate::shown(path).to_owned(),
        offset,
        message: format!("at byte {offset}: {e}"),
    }
}

/// A relative, `/`-separated path with no `..` or root; None if unsafe.
fn clean_path(bytes: &[u8]) -> Option<String> {
    let p = Path::new(std::ffi::OsStr::from_bytes(bytes));
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `tar czf x.tgz dir/` puts everything under `dir/`; the snapshot root is inside it.
fn strip_common_top_dir(
    files: &mut BTreeMap<String, Vec<u8>>,
    short: &mut BTreeMap<String, Shortfall>,
    issues: &mut [Issue],
) {
    if files.contains_key(MANIFEST_PATH) || files.is_empty() {
        return;
    }
    let first = files
        .keys()
        .next()
        .and_then(|k| k.split_once('/'))
        .map(|(t, _)| t.to_owned());
    let Some(top) = first else { return };
    let prefix = format!("{top}/");
    // Only a wrapper directory around a snapshot: it holds the manifest or `xen/`.
    let wraps_snapshot = files.contains_key(&format!("{prefix}manifest.json"))
        || files
            .keys()
            .any(|k| k.starts_with(&format!("{prefix}xen/")));
    if !wraps_snapshot || !files.keys().all(|k| k.starts_with(&prefix)) {
        return;
    }
    *files = std::mem::take(files)
        .into_iter()
        .map(|(k, v)| (k[prefix.len()..].to_owned(), v))
        .collect();
    *short = std::mem::take(short)
        .into_iter()
        .map(|(k, v)| (k[prefix.len()..].to_owned(), v))
        .collect();
    for a in issues.iter_mut().filter_map(|i| i.artifact.as_mut()) {
        if let Some(rest) = a.strip_prefix(&prefix) {
            *a = rest.to_owned();
        }
    }
}

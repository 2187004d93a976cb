//! Opening the snapshot argument. A directory is walked ([`crate::dir`]); anything else is a
//! stream (a regular file, a pipe such as `/dev/stdin` or `<(…)`, or standard input for `-`)
//! whose first bytes say what it is: gzip (decompressed, then looked at again), tar, or a
//! bare log. A pipe cannot be stat-ed for its size, so every branch bounds what it reads.

use std::io::{Cursor, IsTerminal, Read};
use std::path::Path;

use dom0scope_boundedread::{Accept, FileKind};

use crate::{
    Issue, MAX_LOG_BYTES, Origin, STDIN_PATH, Snapshot, SnapshotError, dir, kind, shown, tarball,
};

/// How much is looked at to tell an archive from a log: one tar header.
const HEAD: usize = 512;

pub(crate) fn open(path: &Path) -> Result<Snapshot, SnapshotError> {
    if path == Path::new(STDIN_PATH) {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            return Err(SnapshotError::StdinIsTerminal);
        }
        return from_stream(path, stdin.lock(), None);
    }
    if dom0scope_boundedread::kind(path)? == FileKind::Directory {
        return dir::read(path);
    }
    let file = dom0scope_boundedread::open(path, Accept::RegularFileOrPipe)?;
    let size = file.size();
    from_stream(path, file, size)
}

/// Reads up to [`HEAD`] bytes (fewer only at the end of the stream).
fn head(r: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD);
    r.take(HEAD as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Decides by content; `size` is a regular file's size (None for a pipe).
fn from_stream(
    path: &Path,
    mut r: impl Read,
    size: Option<u64>,
) -> Result<Snapshot, SnapshotError> {
    let shown = shown(path);
    let first = head(&mut r).map_err(|e| SnapshotError::io(shown, e))?;
    if first.is_empty() {
        return Err(SnapshotError::Empty {
            path: shown.to_owned(),
        });
    }
    if !first.starts_with(&[0x1f, 0x8b]) {
        return if tarball::is_tar(&first) {
            tarball::read(path, Cursor::new(first).chain(r))
        } else {
            log(path, Cursor::new(first).chain(r), size, false)
        };
    }
    let rest = Cursor::new(first).chain(r);
    let mut inflated = flate2::read::GzDecoder::new(std::io::BufReader::new(rest));
    let first = head(&mut inflated).map_err(|e| SnapshotError::Archive {
        path: shown.to_owned(),
        offset: 0,
        message: format!("the gzip stream is damaged at its start ({e})"),
    })?;
    if first.is_empty() {
        return Err(SnapshotError::Empty {
            path: shown.to_owned(),
        });
    }
    if tarball::is_tar(&first) {
        tarball::read(path, Cursor::new(first).chain(inflated))
    } else {
        log(path, Cursor::new(first).chain(inflated), None, true)
    }
}

/// A bare log, at most [`MAX_LOG_BYTES`]; `gz` when it was decompressed, in which case a
/// damaged gzip stream keeps the lines before the damage (reported).
fn log(path: &Path, r: impl Read, size: Option<u64>, gz: bool) -> Result<Snapshot, SnapshotError> {
    let shown = shown(path);
    let too_large = || SnapshotError::TooLarge {
        path: shown.to_owned(),
        limit: MAX_LOG_BYTES,
    };
    if size.is_some_and(|s| s > MAX_LOG_BYTES) {
        return Err(too_large());
    }
    let name = log_name(path, gz);
    let mut bytes = Vec::with_capacity(usize::try_from(size.unwrap_or(0)).unwrap_or(0));
    let mut issues = Vec::new();
    let mut r = r.take(MAX_LOG_BYTES + 1);
    // What the start is decides whether the rest is read at all (a gzip bomb of zeros).
    let read = (&mut r)
        .take(kind::SNIFF as u64)
        .read_to_end(&mut bytes)
        .and_then(|_| match kind::binary_kind(&bytes) {
            Some(_) => Ok(0),
            None => r.read_to_end(&mut bytes),
        });
    if let Err(e) = read {
        if !gz || bytes.is_empty() {
            return Err(SnapshotError::io(shown, e));
        }
        issues.push(Issue {
            artifact: Some(name.clone()),
            message: format!(
                "the gzip stream is truncated or damaged after {} bytes of log ({e}); the rest \
                 of the log is missing",
                bytes.len()
            ),
        });
    }
    if bytes.len() as u64 > MAX_LOG_BYTES {
        return Err(too_large());
    }
    if let Some(what) = kind::binary_kind(&bytes) {
        return Err(SnapshotError::NotALog {
            path: shown.to_owned(),
            what: if gz {
                "gzip-compressed data that is neither a tar archive nor text"
            } else {
                what
            },
        });
    }
    let origin = Origin::BareLog {
        path: path.to_owned(),
    };
    let mut snap = Snapshot::from_log(origin, &name, bytes);
    snap.issues = issues;
    Ok(snap)
}

/// The artifact name evidence cites: the file's name, less a `.gz` it was decompressed from;
/// `stdin` for standard input.
fn log_name(path: &Path, gz: bool) -> String {
    if path == Path::new(STDIN_PATH) {
        return "stdin".into();
    }
    let name = path
        .file_name()
        .map_or_else(|| "log".to_owned(), |n| n.to_string_lossy().into_owned());
    match name.strip_suffix(".gz") {
        Some(stem) if gz && !stem.is_empty() => stem.to_owned(),
        _ => name,
    }
}

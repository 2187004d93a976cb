//! Reading a snapshot from a `.tar` or `.tar.gz`. A truncated or corrupt archive
//! keeps the members read before the fault (reported); if none were, it is an error.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path};

use crate::manifest::{MANIFEST_PATH, assemble_with_truncations};
use crate::{
    Issue, MAX_ARTIFACT_BYTES, MAX_FILES, MAX_TOTAL_BYTES, Origin, Snapshot, SnapshotError,
};

/// gzip magic, or the POSIX/GNU tar magic at offset 257.
pub(crate) fn looks_like_archive(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b]) || head.get(257..262) == Some(b"ustar".as_slice())
}

pub(crate) fn read(path: &Path) -> Result<Snapshot, SnapshotError> {
    let file = std::fs::File::open(path).map_err(|e| SnapshotError::io(path, e))?;
    let mut head = [0u8; 2];
    let gz = {
        let mut f = &file;
        f.read_exact(&mut head).is_ok() && head == [0x1f, 0x8b]
    };
    let file = std::fs::File::open(path).map_err(|e| SnapshotError::io(path, e))?;
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    read_archive(path, reader)
}

/// Reads an archive already in memory (the bundled example); `name` labels it.
pub(crate) fn from_bytes(name: &str, bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    let reader: Box<dyn Read + '_> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    };
    let mut snap = read_archive(Path::new(name), reader)?;
    snap.origin = Origin::Bundled {
        name: name.to_owned(),
    };
    Ok(snap)
}

fn read_archive(path: &Path, reader: Box<dyn Read + '_>) -> Result<Snapshot, SnapshotError> {
    let mut archive = tar::Archive::new(reader);
    let mut files = BTreeMap::new();
    let mut truncated = BTreeMap::new();
    let mut issues = Vec::new();
    let mut total = 0u64;
    let entries = archive.entries().map_err(|e| archive_err(path, 0, &e))?;
    let mut last_offset = 0u64;
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                fault(path, last_offset, &e, &files, &mut issues)?;
                break;
            }
        };
        last_offset = entry.raw_header_position();
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let Some(rel) = entry.path().ok().and_then(|p| clean_path(&p)) else {
            issues.push(Issue {
                artifact: None,
                message: format!(
                    "archive member at byte {last_offset} has an unsafe or unreadable path; skipped"
                ),
            });
            continue;
        };
        if files.len() >= MAX_FILES || total > MAX_TOTAL_BYTES {
            issues.push(Issue {
                artifact: None,
                message: "archive exceeds the file-count or size limit; the rest was skipped"
                    .into(),
            });
            break;
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        let mut bytes = Vec::with_capacity(size.min(1 << 20) as usize);
        if let Err(e) = (&mut entry)
            .take(MAX_ARTIFACT_BYTES)
            .read_to_end(&mut bytes)
        {
            fault(path, last_offset, &e, &files, &mut issues)?;
            break;
        }
        if size > MAX_ARTIFACT_BYTES {
            truncated.insert(rel.clone(), (size, MAX_ARTIFACT_BYTES));
        }
        total += bytes.len() as u64;
        files.insert(rel, bytes);
    }
    strip_common_top_dir(&mut files, &mut truncated);
    let origin = Origin::Tar {
        path: path.to_owned(),
    };
    Ok(assemble_with_truncations(
        origin,
        &mut files,
        &truncated,
        &mut issues,
    ))
}

/// A fault mid-archive: fatal if nothing was read yet, otherwise reported.
fn fault(
    path: &Path,
    offset: u64,
    e: &std::io::Error,
    files: &BTreeMap<String, Vec<u8>>,
    issues: &mut Vec<Issue>,
) -> Result<(), SnapshotError> {
    if files.is_empty() {
        return Err(archive_err(path, offset, e));
    }
    issues.push(Issue {
        artifact: None,
        message: format!(
            "archive damaged after byte {offset} ({e}); members after that point are missing"
        ),
    });
    Ok(())
}

fn archive_err(path: &Path, offset: u64, e: &std::io::Error) -> SnapshotError {
    SnapshotError::Archive {
        path: path.to_owned(),
        offset,
        message: e.to_string(),
    }
}

/// A relative, `/`-separated path with no `..` or root; None if unsafe.
fn clean_path(p: &Path) -> Option<String> {
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
    truncated: &mut BTreeMap<String, (u64, u64)>,
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
    *truncated = std::mem::take(truncated)
        .into_iter()
        .map(|(k, v)| (k[prefix.len()..].to_owned(), v))
        .collect();
}

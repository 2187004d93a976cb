//! Reading a snapshot directory: every regular file below it, bounded in size and count.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use crate::manifest::assemble_with_truncations;
use crate::{
    Issue, MAX_ARTIFACT_BYTES, MAX_FILES, MAX_TOTAL_BYTES, Origin, Snapshot, SnapshotError,
};

pub(crate) fn read(root: &Path) -> Result<Snapshot, SnapshotError> {
    let mut files = BTreeMap::new();
    let mut truncated = BTreeMap::new();
    let mut issues = Vec::new();
    let mut total = 0u64;
    let mut stack = vec![(root.to_owned(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| SnapshotError::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| SnapshotError::io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let relpath = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let path = entry.path();
            let ft = entry.file_type().map_err(|e| SnapshotError::io(&path, e))?;
            if ft.is_dir() {
                stack.push((path, relpath));
                continue;
            }
            if !ft.is_file() {
                issues.push(Issue {
                    artifact: Some(relpath),
                    message: "not a regular file (symlink or special); skipped".into(),
                });
                continue;
            }
            if files.len() >= MAX_FILES {
                issues.push(Issue {
                    artifact: None,
                    message: format!("more than {MAX_FILES} files; the rest were skipped"),
                });
                return finish(root, files, truncated, issues);
            }
            let (bytes, size) = read_bounded(&path)?;
            if size > MAX_ARTIFACT_BYTES {
                truncated.insert(relpath.clone(), (size, MAX_ARTIFACT_BYTES));
            }
            total += bytes.len() as u64;
            if total > MAX_TOTAL_BYTES {
                issues.push(Issue {
                    artifact: Some(relpath),
                    message: format!(
                        "snapshot exceeds {MAX_TOTAL_BYTES} bytes in total; the rest was skipped"
                    ),
                });
                return finish(root, files, truncated, issues);
            }
            files.insert(relpath, bytes);
        }
    }
    finish(root, files, truncated, issues)
}

fn finish(
    root: &Path,
    mut files: BTreeMap<String, Vec<u8>>,
    truncated: BTreeMap<String, (u64, u64)>,
    mut issues: Vec<Issue>,
) -> Result<Snapshot, SnapshotError> {
    if files.is_empty() {
        return Err(SnapshotError::NoFiles {
            path: root.to_owned(),
        });
    }
    let origin = Origin::Directory {
        path: root.to_owned(),
    };
    Ok(assemble_with_truncations(
        origin,
        &mut files,
        &truncated,
        &mut issues,
    ))
}

/// Reads at most [`MAX_ARTIFACT_BYTES`]; returns the bytes and the file's real size.
fn read_bounded(path: &Path) -> Result<(Vec<u8>, u64), SnapshotError> {
    let f = std::fs::File::open(path).map_err(|e| SnapshotError::io(path, e))?;
    let size = f.metadata().map_err(|e| SnapshotError::io(path, e))?.len();
    let mut bytes = Vec::with_capacity(size.min(MAX_ARTIFACT_BYTES) as usize);
    f.take(MAX_ARTIFACT_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| SnapshotError::io(path, e))?;
    Ok((bytes, size))
}

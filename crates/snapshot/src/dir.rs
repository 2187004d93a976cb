//! Reading a snapshot directory: every regular file below it, bounded in size and count.
//! A file or subdirectory that cannot be read (permission denied, a path longer than
//! `PATH_MAX`, an I/O error) is an [`Issue`] and the audit degrades; only a root that cannot be
//! listed, or a tree in which nothing at all could be read, is an error.

use std::collections::BTreeMap;
use std::path::Path;

use dom0scope_boundedread::{Accept, FileKind};

use crate::manifest::{Shortfall, assemble_with_shortfalls};
use crate::{
    Issue, MAX_ARTIFACT_BYTES, MAX_FILES, MAX_TOTAL_BYTES, Origin, Snapshot, SnapshotError,
};

#[derive(Default)]
struct Walk {
    files: BTreeMap<String, Vec<u8>>,
    short: BTreeMap<String, Shortfall>,
    issues: Vec<Issue>,
    total: u64,
    /// The first file or directory that could not be read, as `path: why`.
    first_unreadable: Option<String>,
}

impl Walk {
    /// Records an unreadable file or directory (`rel` empty: the root) and carries on.
    fn skip(&mut self, rel: &str, message: String) {
        let rel = if rel.is_empty() { "." } else { rel };
        self.first_unreadable
            .get_or_insert_with(|| format!("{rel}: {message}"));
        self.issues.push(Issue {
            artifact: Some(rel.to_owned()),
            message,
        });
    }
}

pub(crate) fn read(root: &Path) -> Result<Snapshot, SnapshotError> {
    let mut w = Walk::default();
    let top = std::fs::read_dir(root).map_err(|e| SnapshotError::io(root, e))?;
    let mut stack = vec![(root.to_owned(), String::new(), Some(top))];
    while let Some((dir, rel, listing)) = stack.pop() {
        let listing = match listing.map_or_else(|| std::fs::read_dir(&dir), Ok) {
            Ok(l) => l,
            Err(e) => {
                w.skip(
                    &rel,
                    format!("directory unreadable ({e}); its files were skipped"),
                );
                continue;
            }
        };
        for entry in listing {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    w.skip(
                        &rel,
                        format!("listing failed part-way ({e}); files were missed"),
                    );
                    break;
                }
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            let relpath = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let path = entry.path();
            let ft = match entry.file_type() {
                Ok(ft) => ft,
                Err(e) => {
                    w.skip(&relpath, format!("unreadable ({e}); skipped"));
                    continue;
                }
            };
            if ft.is_dir() {
                stack.push((path, relpath, None));
                continue;
            }
            if !ft.is_file() {
                w.issues.push(Issue {
                    artifact: Some(relpath),
                    message: "not a regular file (symlink or special); skipped".into(),
                });
                continue;
            }
            if w.files.len() >= MAX_FILES {
                w.issues.push(Issue {
                    artifact: None,
                    message: format!("more than {MAX_FILES} files; the rest were skipped"),
                });
                return finish(root, w);
            }
            if !read_file(&mut w, &path, relpath) {
                return finish(root, w);
            }
        }
    }
    finish(root, w)
}

/// Reads one artifact into `w`; false when the total limit is reached (stop walking).
fn read_file(w: &mut Walk, path: &Path, relpath: String) -> bool {
    let read = dom0scope_boundedread::open(path, Accept::RegularFile).and_then(|f| {
        let size = f.size().unwrap_or(0);
        f.read_prefix(MAX_ARTIFACT_BYTES).map(|p| (p, size))
    });
    let (prefix, size) = match read {
        Ok(r) => r,
        Err(e) => {
            let message = match e.problem() {
                // Swapped for a FIFO or a device between listing and opening.
                dom0scope_boundedread::Problem::NotAccepted(k) if *k != FileKind::Regular => {
                    format!("{}; skipped", e.problem())
                }
                p => format!("unreadable ({p}); skipped"),
            };
            w.skip(&relpath, message);
            return true;
        }
    };
    if prefix.cut {
        let actual_size = size.max(MAX_ARTIFACT_BYTES + 1);
        w.short.insert(
            relpath.clone(),
            Shortfall::OverLimit {
                actual_size,
                limit: MAX_ARTIFACT_BYTES,
            },
        );
    }
    w.total += prefix.bytes.len() as u64;
    if w.total > MAX_TOTAL_BYTES {
        w.issues.push(Issue {
            artifact: Some(relpath),
            message: format!(
                "snapshot exceeds {MAX_TOTAL_BYTES} bytes in total; the rest was skipped"
            ),
        });
        return false;
    }
    w.files.insert(relpath, prefix.bytes);
    true
}

fn finish(root: &Path, mut w: Walk) -> Result<Snapshot, SnapshotError> {
    if w.files.is_empty() {
        return Err(match w.first_unreadable {
            Some(first) => SnapshotError::NothingReadable {
                path: root.to_owned(),
                first,
            },
            None => SnapshotError::NoFiles {
                path: root.to_owned(),
            },
        });
    }
    let origin = Origin::Directory {
        path: root.to_owned(),
    };
    Ok(assemble_with_shortfalls(
        origin,
        &mut w.files,
        &w.short,
        &mut w.issues,
    ))
}

//! The only code that writes: files go strictly inside the snapshot directory.
//!
//! Every relative path is checked component by component (no `..`, no absolute paths, no
//! empty parts), existing directories on the way must be real directories (never symlinks),
//! and files are opened with `O_NOFOLLOW`, so a planted symlink cannot redirect a write.
//! Files are 0600 and directories 0700: `/proc/iomem` as root reveals the kernel's KASLR base.

use std::collections::BTreeMap;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use dom0scope_snapshot::{MANIFEST_PATH, ManifestEntry, relative_path_parts};

use crate::CollectError;
use crate::manifest::{self, Meta};

pub(crate) const CAPTURE_LOG: &str = "capture-log.txt";

#[derive(Debug)]
pub(crate) struct SnapshotWriter {
    root: PathBuf,
    files: BTreeMap<String, ManifestEntry>,
    log: Vec<String>,
    failures: usize,
}

#[derive(Debug)]
pub(crate) struct Finished {
    pub files: usize,
    pub bytes: u64,
    pub failures: usize,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CollectError + '_ {
    move |source| CollectError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl SnapshotWriter {
    /// Creates `dir` (its parent must exist), or accepts an existing empty directory; a non-empty
    /// one only with `allow_nonempty`.
    pub fn create(dir: &Path, allow_nonempty: bool) -> Result<Self, CollectError> {
        match fs::symlink_metadata(dir) {
            Ok(m) if m.is_dir() => {
                let mut entries = fs::read_dir(dir).map_err(io_err(dir))?;
                if entries.next().is_some() && !allow_nonempty {
                    return Err(CollectError::OutputNotEmpty {
                        path: dir.to_path_buf(),
                    });
                }
            }
            Ok(_) => {
                return Err(CollectError::OutputNotDir {
                    path: dir.to_path_buf(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Only the snapshot directory itself is created: making missing parents
                // would write outside it.
                if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty())
                    && !parent.is_dir()
                {
                    return Err(CollectError::NoParent {
                        path: parent.to_path_buf(),
                    });
                }
                DirBuilder::new()
                    .mode(0o700)
                    .create(dir)
                    .map_err(io_err(dir))?;
            }
            Err(e) => return Err(io_err(dir)(e)),
        }
        Ok(Self {
            root: dir.to_path_buf(),
            files: BTreeMap::new(),
            log: Vec::new(),
            failures: 0,
        })
    }

    /// Adds a line to capture-log.txt.
    pub fn note(&mut self, line: String) {
        self.log.push(line);
    }

    /// Records a failed read or command in capture-log.txt.
    pub fn failed(&mut self, what: String) {
        self.failures += 1;
        self.log.push(format!("FAILED {what}"));
    }

    /// Writes `bytes` to `rel` inside the snapshot and records it for the manifest.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), CollectError> {
        if rel == MANIFEST_PATH {
            return Err(CollectError::UnsafePath { rel: rel.into() });
        }
        self.write_raw(rel, bytes)?;
        self.files.insert(rel.to_string(), ManifestEntry::of(bytes));
        Ok(())
    }

    fn write_raw(&self, rel: &str, bytes: &[u8]) -> Result<(), CollectError> {
        let parts = safe_components(rel)?;
        let (file, dirs) = parts.split_last().expect("safe_components is never empty");
        let mut path = self.root.clone();
        for d in dirs {
            path.push(d);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(CollectError::UnsafePath { rel: rel.into() }),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    DirBuilder::new()
                        .mode(0o700)
                        .create(&path)
                        .map_err(io_err(&path))?;
                }
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        path.push(file);
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&path)
            .map_err(io_err(&path))?;
        f.write_all(bytes).map_err(io_err(&path))?;
        Ok(())
    }

    /// Writes capture-log.txt, then manifest.json (last, so its presence marks a whole snapshot).
    pub fn finish(mut self, meta: &Meta) -> Result<Finished, CollectError> {
        let mut log = self.log.join("\n");
        log.push('\n');
        self.write(CAPTURE_LOG, log.as_bytes())?;
        let finished = Finished {
            files: self.files.len(),
            bytes: self.files.values().map(|e| e.size).sum(),
            failures: self.failures,
        };
        let text = manifest::build(meta, std::mem::take(&mut self.files)).to_json();
        self.write_raw(MANIFEST_PATH, text.as_bytes())?;
        Ok(finished)
    }
}

/// Splits a snapshot-relative path into plain components, or refuses it.
fn safe_components(rel: &str) -> Result<Vec<&str>, CollectError> {
    relative_path_parts(rel).ok_or_else(|| CollectError::UnsafePath { rel: rel.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_escapes() {
        for rel in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a/",
            MANIFEST_PATH,
        ] {
            let t = tempfile::tempdir().unwrap();
            let mut w = SnapshotWriter::create(t.path(), false).unwrap();
            assert!(w.write(rel, b"x").is_err(), "{rel:?} accepted");
        }
    }

    #[test]
    fn does_not_follow_planted_symlinks() {
        let outside = tempfile::tempdir().unwrap();
        let t = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), t.path().join("xen")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("f"), t.path().join("f")).unwrap();
        let mut w = SnapshotWriter::create(t.path(), true).unwrap();
        assert!(w.write("xen/dmesg.txt", b"x").is_err());
        assert!(w.write("f", b"x").is_err());
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    }

    #[test]
    fn non_empty_dir_needs_permission() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("old"), b"x").unwrap();
        let e = SnapshotWriter::create(t.path(), false).unwrap_err();
        assert!(matches!(e, CollectError::OutputNotEmpty { .. }));
        SnapshotWriter::create(t.path(), true).unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(t.path(), &link).unwrap();
        let e = SnapshotWriter::create(&link, true).unwrap_err();
        assert!(matches!(e, CollectError::OutputNotDir { .. }));
    }
}

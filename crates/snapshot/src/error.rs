//! Errors that leave nothing to audit. Everything milder is an [`crate::Issue`].

use std::path::{Path, PathBuf};

/// A snapshot that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Opening, listing or reading a file or directory failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or directory that failed (inside the snapshot, or the snapshot itself).
        path: PathBuf,
        /// The operating system's error.
        error: std::io::Error,
    },
    /// The path is a zero-byte file: neither an archive nor a log.
    #[error("{}: file is empty", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A bare log larger than [`crate::MAX_LOG_BYTES`].
    #[error("{}: {size} bytes is larger than the {limit}-byte limit", path.display())]
    TooLarge {
        /// The log file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// The limit it exceeds, in bytes.
        limit: u64,
    },
    /// A `.tar` (or `.tar.gz`) that fails before any file could be read from it; damage
    /// after the first file is an [`crate::Issue`] instead.
    #[error("{}: archive unreadable at byte {offset}: {message}", path.display())]
    Archive {
        /// The archive (for the bundled example, its name).
        path: PathBuf,
        /// Position in the (decompressed) tar stream of the last member header read; 0
        /// when none was.
        offset: u64,
        /// The tar or gzip reader's error.
        message: String,
    },
    /// A file that is neither a snapshot archive nor text a log could be.
    #[error("{}: {what}, not a Xen log or a snapshot (a directory, .tar or .tar.gz)", path.display())]
    NotALog {
        /// The file.
        path: PathBuf,
        /// What it looks like (`an ELF executable or object file`, `binary data`).
        what: &'static str,
    },
    /// A directory with no regular file anywhere below it.
    #[error("{}: directory holds no files", path.display())]
    NoFiles {
        /// The directory.
        path: PathBuf,
    },
}

impl SnapshotError {
    pub(crate) fn io(path: &Path, error: std::io::Error) -> Self {
        SnapshotError::Io {
            path: path.to_owned(),
            error,
        }
    }
}

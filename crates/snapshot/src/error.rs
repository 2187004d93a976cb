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
    /// The snapshot argument is not a directory, regular file or pipe (a device, a socket),
    /// or could not be opened; said by the shared bounded reader.
    #[error(transparent)]
    Read(#[from] dom0scope_boundedread::ReadError),
    /// `-` was given but standard input is a terminal: nothing was piped in.
    #[error(
        "standard input is a terminal: pipe a Xen log or a snapshot archive into `-`, or name a file"
    )]
    StdinIsTerminal,
    /// A bare log larger than [`crate::MAX_LOG_BYTES`] (by its size, or by reading it).
    #[error("{}: larger than the {limit}-byte limit for a bare log", path.display())]
    TooLarge {
        /// The log file.
        path: PathBuf,
        /// The limit it exceeds, in bytes.
        limit: u64,
    },
    /// A `.tar` (or `.tar.gz`) that fails before any file could be read from it; damage
    /// after the first file is an [`crate::Issue`] instead.
    #[error("{}: archive unreadable: {message}", path.display())]
    Archive {
        /// The archive (for the bundled example, its name).
        path: PathBuf,
        /// Position in the (decompressed) tar stream of the last member header read; 0
        /// when none was.
        offset: u64,
        /// What failed, and where (the message names the byte).
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
    /// A directory with files, none of which could be read (one unreadable file only
    /// degrades the snapshot; this is when nothing is left).
    #[error("{}: no file in the directory could be read (first: {first})", path.display())]
    NothingReadable {
        /// The directory.
        path: PathBuf,
        /// The first problem met, `relative/path: why`.
        first: String,
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

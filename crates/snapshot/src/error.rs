//! Errors that leave nothing to audit. Everything milder is an [`crate::Issue`].

use std::path::{Path, PathBuf};

/// A snapshot that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: file is empty", path.display())]
    Empty { path: PathBuf },
    #[error("{}: {size} bytes is larger than the {limit}-byte limit", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{}: archive unreadable at byte {offset}: {message}", path.display())]
    Archive {
        path: PathBuf,
        offset: u64,
        message: String,
    },
    #[error("{}: directory holds no files", path.display())]
    NoFiles { path: PathBuf },
}

impl SnapshotError {
    pub(crate) fn io(path: &Path, error: std::io::Error) -> Self {
        SnapshotError::Io {
            path: path.to_owned(),
            error,
        }
    }
}

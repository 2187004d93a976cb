//! The first pipeline stage: a snapshot is the raw artifacts, byte for byte, plus
//! what their manifest says about them. Nothing is parsed here (so an old snapshot
//! can be re-audited by a newer tool); this stage only finds the bytes, bounds
//! them, and checks them against the manifest so damage is reported, not hidden.
//!
//! It also owns the snapshot format itself (the manifest, its hashing, its writing and its
//! strict check), so the collector that writes snapshots and the tools that read them cannot
//! disagree about it.

mod digest;
mod dir;
mod error;
mod kind;
mod manifest;
mod open;
mod tar_ext;
mod tarball;
mod verify;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use digest::{sha256_hex, sha256_hex_reader};
pub use error::SnapshotError;
pub use manifest::{
    FORMAT, KNOWN_FORMATS, MANIFEST_PATH, MAX_MANIFEST_FIELD_BYTES, Manifest, ManifestEntry,
    SAMPLE_FORMAT, relative_path_parts,
};
pub use verify::{ManifestDefect, VerifyError, VerifyReport, verify_snapshot};

/// Largest single artifact read; real ones are below 1 MiB (a console ring is at
/// most a few MiB), so anything larger is damage or hostility.
pub const MAX_ARTIFACT_BYTES: u64 = 64 << 20;
/// Largest bare log accepted (a serial capture can be long; it is streamed by lines later).
pub const MAX_LOG_BYTES: u64 = 256 << 20;
/// Total bytes across all artifacts of one snapshot.
pub const MAX_TOTAL_BYTES: u64 = 512 << 20;
/// Most files in one snapshot (a big server has a few thousand PCI functions × 6 files).
pub const MAX_FILES: usize = 200_000;

/// Where the snapshot came from.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A snapshot directory.
    Directory {
        /// The directory, as given to [`Snapshot::open`].
        path: PathBuf,
    },
    /// A `.tar` (optionally gzip-compressed) of a snapshot directory.
    Tar {
        /// The archive file, as given to [`Snapshot::open`] ([`STDIN_PATH`] for standard
        /// input).
        path: PathBuf,
    },
    /// A bare Xen boot log or serial capture (perhaps gzip-compressed): the poorest snapshot.
    BareLog {
        /// The log file, as given to [`Snapshot::open`] ([`STDIN_PATH`] for standard input);
        /// its file name, less a `.gz`, is the artifact's.
        path: PathBuf,
    },
    /// A copy compiled into the binary (the default example).
    Bundled {
        /// The label it was compiled in under (shown in [`Origin::label`]).
        name: String,
    },
}

/// The path given for standard input.
pub const STDIN_PATH: &str = "-";

/// How a snapshot path is named in messages: `-` is "standard input".
pub(crate) fn shown(path: &Path) -> &Path {
    if path == Path::new(STDIN_PATH) {
        Path::new("standard input")
    } else {
        path
    }
}

impl Origin {
    /// A short human label, e.g. for "audited X".
    pub fn label(&self) -> String {
        match self {
            Origin::Directory { path } => format!("snapshot directory {}", path.display()),
            Origin::Tar { path } if path == Path::new(STDIN_PATH) => {
                "snapshot archive on standard input".into()
            }
            Origin::BareLog { path } if path == Path::new(STDIN_PATH) => {
                "bare Xen log on standard input".into()
            }
            Origin::Tar { path } => format!("snapshot archive {}", path.display()),
            Origin::BareLog { path } => format!("bare Xen log {}", path.display()),
            Origin::Bundled { name } => format!("bundled example snapshot {name}"),
        }
    }
}

/// How far an artifact's bytes can be trusted to be what was collected.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Integrity {
    /// Size and sha256 match the manifest.
    Verified,
    /// The manifest says otherwise: the artifact is damaged.
    Mismatch {
        /// Size in bytes the manifest lists.
        expected_size: u64,
        /// Size in bytes of what was read.
        actual_size: u64,
        /// sha256 the manifest lists, as written there (compared case-insensitively).
        expected_sha256: String,
        /// Lower-case hex sha256 of what was read.
        actual_sha256: String,
    },
    /// Present but not listed in the manifest.
    Unlisted,
    /// No (usable) manifest to check against.
    Unchecked,
    /// The archive ended inside it (cut short): only a prefix was read.
    Incomplete {
        /// Size in bytes its tar header gives.
        expected_size: u64,
        /// Bytes read before the archive ended.
        actual_size: u64,
    },
    /// Larger than the limit; only a prefix was kept.
    Truncated {
        /// Bytes kept ([`MAX_ARTIFACT_BYTES`]).
        limit: u64,
        /// The file's real size in bytes (from its metadata or tar header).
        actual_size: u64,
    },
}

/// One raw artifact.
#[derive(Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Path relative to the snapshot root, `/`-separated.
    pub path: String,
    /// The content as read: at most [`MAX_ARTIFACT_BYTES`], a prefix when `Truncated`.
    pub bytes: Vec<u8>,
    /// How the bytes compare with the manifest.
    pub integrity: Integrity,
}

impl std::fmt::Debug for Artifact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Artifact")
            .field("path", &self.path)
            .field("len", &self.bytes.len())
            .field("integrity", &self.integrity)
            .finish()
    }
}

impl Artifact {
    /// True when the bytes are known good or at least not known bad.
    pub fn is_damaged(&self) -> bool {
        matches!(
            self.integrity,
            Integrity::Mismatch { .. } | Integrity::Truncated { .. } | Integrity::Incomplete { .. }
        )
    }
}

/// Something wrong with the snapshot that does not stop the audit.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Issue {
    /// The artifact concerned (relative path), if any.
    pub artifact: Option<String>,
    /// What is wrong and what it costs, in words for the report.
    pub message: String,
}

/// A read snapshot: artifacts keyed by relative path.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// What was opened.
    pub origin: Origin,
    /// The parsed `manifest.json`; `None` when it is absent or unreadable (artifacts are
    /// then [`Integrity::Unchecked`]) and for a bare log.
    pub manifest: Option<Manifest>,
    /// Every file read except `manifest.json`, keyed by [`Artifact::path`].
    pub artifacts: BTreeMap<String, Artifact>,
    /// Damage and gaps found while reading, in the order found; any makes the snapshot
    /// degraded ([`Snapshot::is_degraded`]).
    pub issues: Vec<Issue>,
    /// True when an archive broke off before its end (cut short, or corrupt past some
    /// point), so members may be missing; the fault is among `issues`. Kept apart so that a
    /// snapshot that then lacks its Xen log can say the archive is truncated, not only that
    /// the log is missing.
    pub cut_short: bool,
}

impl Snapshot {
    /// Opens a directory, a `.tar`/`.tar.gz`, or a bare log (plain or gzip-compressed),
    /// deciding by content. A pipe (`/dev/stdin`, `<(…)`, a FIFO) is read as a stream, and `-`
    /// is standard input.
    pub fn open(path: &Path) -> Result<Snapshot, SnapshotError> {
        open::open(path)
    }

    /// Reads a `.tar`/`.tar.gz` held in memory (the example compiled into the binary).
    pub fn from_archive_bytes(name: &str, bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        tarball::from_bytes(name, bytes)
    }

    /// Wraps log bytes (bare log or bundled example) as a snapshot; `name` is the
    /// artifact name evidence will cite (the file's name).
    pub fn from_log(origin: Origin, name: &str, bytes: Vec<u8>) -> Snapshot {
        let mut artifacts = BTreeMap::new();
        artifacts.insert(
            name.to_owned(),
            Artifact {
                path: name.to_owned(),
                bytes,
                integrity: Integrity::Unchecked,
            },
        );
        Snapshot {
            origin,
            manifest: None,
            artifacts,
            issues: Vec::new(),
            cut_short: false,
        }
    }

    /// Builds a snapshot from in-memory files (used for archives and tests); checks
    /// them against `manifest.json` if present.
    pub fn from_files(origin: Origin, files: BTreeMap<String, Vec<u8>>) -> Snapshot {
        let mut issues = Vec::new();
        manifest::assemble(origin, files, &mut issues)
    }

    /// The artifact at `path`, if present.
    pub fn get(&self, path: &str) -> Option<&Artifact> {
        self.artifacts.get(path)
    }

    /// True for the poorer, log-only form (a bare log or a bundled log).
    pub fn is_bare_log(&self) -> bool {
        self.manifest.is_none()
            && self.artifacts.len() == 1
            && matches!(self.origin, Origin::BareLog { .. } | Origin::Bundled { .. })
    }

    /// The single artifact of a bare log.
    pub fn bare_log(&self) -> Option<&Artifact> {
        if self.is_bare_log() {
            self.artifacts.values().next()
        } else {
            None
        }
    }

    /// True if any artifact is damaged or the manifest could not be used.
    pub fn is_degraded(&self) -> bool {
        !self.issues.is_empty()
    }
}

//! The strict check of a snapshot directory: pass or fail, for whoever must know a snapshot
//! arrived whole (the harness, after bringing one back from a dom0). Auditing reads through
//! [`crate::Snapshot::open`] instead, which bounds what it loads and carries on past damage,
//! reporting it as issues; this check streams every file whatever its size, and any
//! difference from the manifest (or a listed path that would leave the directory) fails it.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use dom0scope_boundedread::Accept;

use serde::de::value::MapAccessDeserializer;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::manifest::{MANIFEST_PATH, ManifestEntry, relative_path_parts};
use crate::{KNOWN_FORMATS, sha256_hex_reader};

/// Why a snapshot could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// manifest.json could not be read: missing, not a regular file, or larger than
    /// [`crate::MAX_ARTIFACT_BYTES`] (the shared bounded reader's error names the path).
    #[error(transparent)]
    Read(dom0scope_boundedread::ReadError),
    /// manifest.json is not one this checker can use.
    #[error("{}: not a snapshot manifest: {defect}", path.display())]
    Manifest {
        /// The manifest.json read.
        path: PathBuf,
        /// What makes it unusable.
        defect: ManifestDefect,
    },
}

/// What makes a manifest.json unusable as a whole (a bad entry is only that file's problem).
#[derive(Debug, thiserror::Error)]
pub enum ManifestDefect {
    /// Not JSON, or an object with a repeated key.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// `format` is missing or not a string.
    #[error("no \"format\"")]
    NoFormat,
    /// A format this checker does not know, so it cannot say what the fields mean.
    #[error("unknown format {0:?}")]
    UnknownFormat(String),
    /// `files` is missing or not an object.
    #[error("no \"files\" object")]
    NoFiles,
}

/// The outcome of checking a snapshot directory against its manifest.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// The manifest's `format`.
    pub format: String,
    /// The manifest's `config`, if any.
    pub config: Option<String>,
    /// Files listed in the manifest.
    pub files: usize,
    /// Their total size according to the manifest.
    pub bytes: u64,
    /// Every mismatch: missing, extra, wrong size or hash, symlinks.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// True when nothing differs from the manifest.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A field the checker could not use: reported where it matters, never fatal on its own.
#[derive(Deserialize)]
#[serde(untagged)]
enum Lenient<T> {
    Usable(T),
    Unusable(IgnoredAny),
}

impl<T> Lenient<T> {
    fn usable(self) -> Option<T> {
        match self {
            Lenient::Usable(v) => Some(v),
            Lenient::Unusable(_) => None,
        }
    }
}

/// A JSON object read as `T`. Serde's derived structs also accept arrays, which would let
/// `["dom0scope-snapshot/1", null, {}]` pass as an empty snapshot.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
        }
        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

/// The manifest as the checker reads it. Not [`crate::Manifest`]: one malformed entry must
/// be reported against its file while every other file is still checked, and a wrongly typed
/// field the check does not need (`tool`, `host` …) must not fail it.
#[derive(Deserialize)]
struct Listing {
    format: Option<Lenient<String>>,
    config: Option<Lenient<String>>,
    files: Option<Lenient<BTreeMap<String, Lenient<Object<ManifestEntry>>>>>,
}

fn read_listing(text: &[u8]) -> Result<Listing, ManifestDefect> {
    match serde_json::from_slice::<Lenient<Object<Listing>>>(text)? {
        Lenient::Usable(Object(listing)) => Ok(listing),
        // JSON but unusable: an object can only be so by repeating a key, and the direct
        // parse says which; anything else has no "format" at all.
        Lenient::Unusable(_) => match serde_json::from_slice::<Object<Listing>>(text) {
            Err(e) if text.trim_ascii_start().starts_with(b"{") => Err(e.into()),
            _ => Err(ManifestDefect::NoFormat),
        },
    }
}

/// Checks every file of the snapshot in `dir` against its manifest.json, and that no file is
/// missing from the manifest. Accepts the [`KNOWN_FORMATS`] the reader does.
pub fn verify_snapshot(dir: &Path) -> Result<VerifyReport, VerifyError> {
    let mpath = dir.join(MANIFEST_PATH);
    let text = dom0scope_boundedread::read(&mpath, crate::MAX_ARTIFACT_BYTES)
        .map_err(VerifyError::Read)?;
    let bad = |defect: ManifestDefect| VerifyError::Manifest {
        path: mpath.clone(),
        defect,
    };
    let listing = read_listing(&text).map_err(bad)?;
    let format = listing
        .format
        .and_then(Lenient::usable)
        .ok_or_else(|| bad(ManifestDefect::NoFormat))?;
    if !KNOWN_FORMATS.contains(&format.as_str()) {
        return Err(bad(ManifestDefect::UnknownFormat(format)));
    }
    let files = listing
        .files
        .and_then(Lenient::usable)
        .ok_or_else(|| bad(ManifestDefect::NoFiles))?;
    let mut report = VerifyReport {
        format,
        config: listing.config.and_then(Lenient::usable),
        ..Default::default()
    };
    for (rel, entry) in &files {
        report.files += 1;
        let Lenient::Usable(Object(entry)) = entry else {
            report
                .problems
                .push(format!("{rel}: entry lacks sha256 or size"));
            continue;
        };
        // Saturating: a hostile manifest must not crash the check by overflowing the total.
        report.bytes = report.bytes.saturating_add(entry.size);
        check_file(dir, rel, entry, &mut report.problems);
    }
    let mut on_disk = Vec::new();
    walk(dir, "", &mut on_disk, &mut report.problems);
    for rel in on_disk {
        if rel != MANIFEST_PATH && !files.contains_key(&rel) {
            report.problems.push(format!("{rel}: not in the manifest"));
        }
    }
    Ok(report)
}

/// What is wrong with one listed file; a wrong size and a wrong hash are both told.
fn check_file(dir: &Path, rel: &str, entry: &ManifestEntry, problems: &mut Vec<String>) {
    if relative_path_parts(rel).is_none() || rel == MANIFEST_PATH {
        problems.push(format!("{rel}: path escapes the snapshot"));
        return;
    }
    let p = dir.join(rel);
    match fs::symlink_metadata(&p) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return problems.push(format!("{rel}: not a regular file")),
        Err(_) => return problems.push(format!("{rel}: missing")),
    }
    // Opened through the bounded reader only for its checks (a regular file, opened
    // non-blocking): the whole file is hashed, whatever its size.
    let opened = dom0scope_boundedread::open(&p, Accept::RegularFile);
    let hashed = opened
        .map_err(|e| e.problem().to_string())
        .and_then(|f| sha256_hex_reader(f).map_err(|e| e.to_string()));
    match hashed {
        Ok((sha, size)) => {
            if size != entry.size {
                problems.push(format!("{rel}: size {size}, manifest says {}", entry.size));
            }
            if sha != entry.sha256 {
                problems.push(format!("{rel}: sha256 differs"));
            }
        }
        Err(e) => problems.push(format!("{rel}: {e}")),
    }
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>, problems: &mut Vec<String>) {
    let Ok(rd) = fs::read_dir(dir) else {
        problems.push(format!("{prefix}: unreadable directory"));
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&e.path(), &rel, out, problems),
            Ok(t) if t.is_file() => out.push(rel),
            _ => problems.push(format!("{rel}: neither a file nor a directory")),
        }
    }
}

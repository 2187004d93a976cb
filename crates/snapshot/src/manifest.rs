//! `manifest.json`: sha256 and size of every file, so damage is detected.
//! (Hashes detect damage, not a lying host: the host wrote them too.)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Artifact, Integrity, Issue, Origin, Snapshot};

/// Formats this reader understands: ours, and the sample captures in the corpus.
pub const KNOWN_FORMATS: &[&str] = &["dom0scope-snapshot/1", "dom0-snapshot-sample"];

/// The parsed manifest. Unknown fields are ignored so newer collectors stay readable.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    #[serde(default)]
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub host: BTreeMap<String, String>,
    #[serde(default)]
    pub files: BTreeMap<String, ManifestEntry>,
}

/// One file's expected size and hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestEntry {
    pub sha256: String,
    pub size: u64,
}

pub const MANIFEST_PATH: &str = "manifest.json";

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Parses the manifest, reporting (not failing on) a bad one.
fn parse(bytes: &[u8], issues: &mut Vec<Issue>) -> Option<Manifest> {
    match serde_json::from_slice::<Manifest>(bytes) {
        Ok(m) => {
            if !KNOWN_FORMATS.contains(&m.format.as_str()) {
                issues.push(Issue {
                    artifact: Some(MANIFEST_PATH.into()),
                    message: format!(
                        "unknown manifest format {:?}; read as {}",
                        m.format, KNOWN_FORMATS[0]
                    ),
                });
            }
            Some(m)
        }
        Err(e) => {
            issues.push(Issue {
                artifact: Some(MANIFEST_PATH.into()),
                message: format!(
                    "manifest unreadable at line {} column {}: {e}; file hashes not checked",
                    e.line(),
                    e.column()
                ),
            });
            None
        }
    }
}

/// Turns raw files into a [`Snapshot`], checking each against the manifest.
/// `truncated` lists files cut at the size limit (path, real size, limit).
pub(crate) fn assemble(
    origin: Origin,
    mut files: BTreeMap<String, Vec<u8>>,
    issues: &mut Vec<Issue>,
) -> Snapshot {
    assemble_with_truncations(origin, &mut files, &BTreeMap::new(), issues)
}

pub(crate) fn assemble_with_truncations(
    origin: Origin,
    files: &mut BTreeMap<String, Vec<u8>>,
    truncated: &BTreeMap<String, (u64, u64)>,
    issues: &mut Vec<Issue>,
) -> Snapshot {
    let manifest = match files.remove(MANIFEST_PATH) {
        Some(bytes) => parse(&bytes, issues),
        None => {
            issues.push(Issue {
                artifact: None,
                message: "no manifest.json: file hashes not checked".into(),
            });
            None
        }
    };
    let mut artifacts = BTreeMap::new();
    for (path, bytes) in std::mem::take(files) {
        let integrity = if let Some(&(actual_size, limit)) = truncated.get(&path) {
            issues.push(Issue {
                artifact: Some(path.clone()),
                message: format!(
                    "{actual_size} bytes exceeds the {limit}-byte limit; only the first {limit} bytes were read"
                ),
            });
            Integrity::Truncated { limit, actual_size }
        } else {
            check(&path, &bytes, manifest.as_ref(), issues)
        };
        artifacts.insert(
            path.clone(),
            Artifact {
                path,
                bytes,
                integrity,
            },
        );
    }
    if let Some(m) = &manifest {
        for path in m.files.keys() {
            if !artifacts.contains_key(path) && path != MANIFEST_PATH {
                issues.push(Issue {
                    artifact: Some(path.clone()),
                    message: "listed in manifest.json but missing".into(),
                });
            }
        }
    }
    Snapshot {
        origin,
        manifest,
        artifacts,
        issues: std::mem::take(issues),
    }
}

fn check(path: &str, bytes: &[u8], m: Option<&Manifest>, issues: &mut Vec<Issue>) -> Integrity {
    let Some(m) = m else {
        return Integrity::Unchecked;
    };
    let Some(entry) = m.files.get(path) else {
        issues.push(Issue {
            artifact: Some(path.into()),
            message: "not listed in manifest.json".into(),
        });
        return Integrity::Unlisted;
    };
    let actual = sha256_hex(bytes);
    let actual_size = bytes.len() as u64;
    if actual_size == entry.size && actual.eq_ignore_ascii_case(&entry.sha256) {
        return Integrity::Verified;
    }
    issues.push(Issue {
        artifact: Some(path.into()),
        message: format!(
            "damaged: manifest says {} bytes sha256 {}, found {} bytes sha256 {}",
            entry.size, entry.sha256, actual_size, actual
        ),
    });
    Integrity::Mismatch {
        expected_size: entry.size,
        actual_size,
        expected_sha256: entry.sha256.clone(),
        actual_sha256: actual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_is_the_known_constant() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

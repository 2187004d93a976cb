//! `manifest.json`: sha256 and size of every file, so damage is detected.
//! (Hashes detect damage, not a lying host: the host wrote them too.)
//!
//! This module owns the format: the type, the text collect writes (`Manifest::to_json`),
//! and the reading that audits rely on. Keeping them together is what stops the writer and
//! the readers from drifting apart.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::{Artifact, Integrity, Issue, Origin, Snapshot, sha256_hex};

/// The format collect writes.
pub const FORMAT: &str = "dom0scope-snapshot/1";
/// The hand-collected samples in the corpus: same layout, older name.
pub const SAMPLE_FORMAT: &str = "dom0-snapshot-sample";
/// Formats this reader understands; the first is what an unknown one is read as.
pub const KNOWN_FORMATS: &[&str] = &[FORMAT, SAMPLE_FORMAT];

/// The parsed manifest. Unknown fields are ignored so newer collectors stay readable.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// Which layout this is, one of [`KNOWN_FORMATS`] (empty when the field is missing).
    #[serde(default)]
    pub format: String,
    /// The collector and its version, e.g. `dom0scope 0.1.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// When the snapshot was collected, RFC 3339 in UTC (`2026-01-02T03:04:05Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The configuration name the collector was given (the harness's boot configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// The host's DMI identity (`sys_vendor`, `product_name`, `bios_version` …) as read from
    /// `/sys/class/dmi/id`, non-empty values only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub host: BTreeMap<String, String>,
    /// Every file of the snapshot but `manifest.json` itself, by `/`-separated relative path.
    #[serde(default)]
    pub files: BTreeMap<String, ManifestEntry>,
}

/// One file's expected size and hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestEntry {
    /// sha256 of the file's bytes, lower-case hex ([`sha256_hex`]).
    pub sha256: String,
    /// The file's size in bytes.
    pub size: u64,
}

impl ManifestEntry {
    /// The entry for `bytes`, hashed the one way every checker expects.
    pub fn of(bytes: &[u8]) -> Self {
        ManifestEntry {
            sha256: sha256_hex(bytes),
            size: bytes.len() as u64,
        }
    }
}

/// Where the manifest sits in a snapshot; it never lists itself.
pub const MANIFEST_PATH: &str = "manifest.json";

impl Manifest {
    /// The `manifest.json` text. Laid out by hand, not by serde's pretty printer: keys in a
    /// fixed order, `host` always present, and one line per file so two snapshots diff file
    /// by file. Strings go through serde_json, so the text always reads back as this manifest.
    pub fn to_json(&self) -> String {
        let mut s = String::from("{\n");
        let _ = writeln!(s, "  \"format\": {},", quote(&self.format));
        for (key, value) in [
            ("tool", &self.tool),
            ("created", &self.created),
            ("config", &self.config),
        ] {
            if let Some(v) = value {
                let _ = writeln!(s, "  {}: {},", quote(key), quote(v));
            }
        }
        s.push_str("  \"host\": ");
        object(
            &mut s,
            self.host
                .iter()
                .map(|(k, v)| format!("{}: {}", quote(k), quote(v))),
        );
        s.push_str(",\n  \"files\": ");
        object(
            &mut s,
            self.files.iter().map(|(path, e)| {
                format!(
                    "{}: {{\"sha256\": {}, \"size\": {}}}",
                    quote(path),
                    quote(&e.sha256),
                    e.size
                )
            }),
        );
        s.push_str("\n}\n");
        s
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

/// A second-level object: `{}` when empty, else one member per line.
fn object(out: &mut String, members: impl Iterator<Item = String>) {
    let lines: Vec<String> = members.map(|m| format!("    {m}")).collect();
    if lines.is_empty() {
        out.push_str("{}");
    } else {
        let _ = write!(out, "{{\n{}\n  }}", lines.join(",\n"));
    }
}

/// The components of a snapshot-relative path, or `None` if it is empty, absolute, or has
/// an empty, `.`, `..` or NUL-bearing part. One rule for the writer and the checker, so
/// collect never writes a path that verification would call an escape.
pub fn relative_path_parts(rel: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = rel.split('/').collect();
    let bad = rel.is_empty()
        || parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\0'));
    (!bad).then_some(parts)
}

/// Longest manifest string kept (`format`, `tool`, `created`, `config`, a `host` key or
/// value) and longest listed path: reports and plans copy these strings, and real ones are a
/// few dozen bytes (a path cannot exceed Linux's 4096-byte `PATH_MAX`).
pub const MAX_MANIFEST_FIELD_BYTES: usize = 4096;
/// Most `host` entries kept (DMI has about twenty attributes).
const MAX_HOST_ENTRIES: usize = 256;

/// Parses the manifest, reporting (not failing on) a bad one.
fn parse(bytes: &[u8], issues: &mut Vec<Issue>) -> Option<Manifest> {
    match serde_json::from_slice::<Manifest>(bytes) {
        Ok(mut m) => {
            bound_fields(&mut m, issues);
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

/// Cuts over-long strings to [`MAX_MANIFEST_FIELD_BYTES`] and `host` to [`MAX_HOST_ENTRIES`],
/// and drops listed paths longer than any path can be, each noted as a snapshot issue.
fn bound_fields(m: &mut Manifest, issues: &mut Vec<Issue>) {
    let mut note = |message: String| {
        issues.push(Issue {
            artifact: Some(MANIFEST_PATH.into()),
            message,
        });
    };
    let max = MAX_MANIFEST_FIELD_BYTES;
    let fields = [
        ("format", Some(&mut m.format)),
        ("tool", m.tool.as_mut()),
        ("created", m.created.as_mut()),
        ("config", m.config.as_mut()),
    ];
    for (name, value) in fields {
        if let Some(v) = value
            && v.len() > max
        {
            note(format!(
                "field {name:?} is {} bytes; only its first {max} are kept",
                v.len()
            ));
            cut(v, max);
        }
    }
    let entries = m.host.len();
    let long = m
        .host
        .iter()
        .filter(|(k, v)| k.len() > max || v.len() > max)
        .count();
    if entries > MAX_HOST_ENTRIES || long > 0 {
        m.host = std::mem::take(&mut m.host)
            .into_iter()
            .take(MAX_HOST_ENTRIES)
            .map(|(mut k, mut v)| {
                cut(&mut k, max);
                cut(&mut v, max);
                (k, v)
            })
            .collect();
        if entries > MAX_HOST_ENTRIES {
            note(format!(
                "\"host\" has {entries} entries; only the first {MAX_HOST_ENTRIES} are kept"
            ));
        }
        if long > 0 {
            note(format!(
                "{long} \"host\" entries longer than {max} bytes were cut to their first {max}"
            ));
        }
    }
    let before = m.files.len();
    m.files.retain(|path, _| path.len() <= max);
    if m.files.len() < before {
        note(format!(
            "{} listed paths longer than {max} bytes (longer than any path can be) were ignored",
            before - m.files.len()
        ));
    }
}

/// Truncates `s` to at most `max` bytes, at a character boundary.
fn cut(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// Why an artifact holds only a prefix of its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shortfall {
    /// Larger than the per-artifact limit: its real size, and the limit kept.
    OverLimit { actual_size: u64, limit: u64 },
    /// The archive ended inside it (already reported): the size its header gives.
    ArchiveEnded { expected_size: u64 },
}

/// Turns raw files into a [`Snapshot`], checking each against the manifest.
pub(crate) fn assemble(
    origin: Origin,
    mut files: BTreeMap<String, Vec<u8>>,
    issues: &mut Vec<Issue>,
) -> Snapshot {
    assemble_with_shortfalls(origin, &mut files, &BTreeMap::new(), issues)
}

/// [`assemble`], where `short` lists the files read only in part, and why.
pub(crate) fn assemble_with_shortfalls(
    origin: Origin,
    files: &mut BTreeMap<String, Vec<u8>>,
    short: &BTreeMap<String, Shortfall>,
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
        let integrity = match short.get(&path) {
            Some(&Shortfall::OverLimit { actual_size, limit }) => {
                issues.push(Issue {
                    artifact: Some(path.clone()),
                    message: format!(
                        "{actual_size} bytes exceeds the {limit}-byte limit; only the first {limit} bytes were read"
                    ),
                });
                Integrity::Truncated { limit, actual_size }
            }
            Some(&Shortfall::ArchiveEnded { expected_size }) => Integrity::Incomplete {
                expected_size,
                actual_size: bytes.len() as u64,
            },
            None => check(&path, &bytes, manifest.as_ref(), issues),
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
        cut_short: false,
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

    fn sample() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            tool: Some("dom0scope 0.1.0".into()),
            created: Some("2026-01-02T03:04:05Z".into()),
            config: Some("x420 \"pvh\"".into()),
            host: BTreeMap::from([
                ("sys_vendor".into(), "QEMU".into()),
                ("bios_vendor".into(), "SeaBIOS".into()),
            ]),
            files: BTreeMap::from([
                ("xen/dmesg.txt".into(), ManifestEntry::of(b"(XEN) hi\n")),
                ("acpi/DSDT".into(), ManifestEntry::of(b"")),
            ]),
        }
    }

    #[test]
    fn writes_the_layout_collect_has_always_written() {
        let want = r#"{
  "format": "dom0scope-snapshot/1",
  "tool": "dom0scope 0.1.0",
  "created": "2026-01-02T03:04:05Z",
  "config": "x420 \"pvh\"",
  "host": {
    "bios_vendor": "SeaBIOS",
    "sys_vendor": "QEMU"
  },
  "files": {
    "acpi/DSDT": {"sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "size": 0},
    "xen/dmesg.txt": {"sha256": "ad25d2dbe7f9a9d4268fc6af9c0bad23a7d6e4401c12a9ff736d8f9955318e86", "size": 9}
  }
}
"#;
        assert_eq!(sample().to_json(), want);
    }

    #[test]
    fn empty_host_and_files_stay_present_and_optional_fields_drop_out() {
        let m = Manifest {
            format: FORMAT.into(),
            ..Manifest::default()
        };
        assert_eq!(
            m.to_json(),
            "{\n  \"format\": \"dom0scope-snapshot/1\",\n  \"host\": {},\n  \"files\": {}\n}\n"
        );
    }

    #[test]
    fn what_is_written_reads_back_as_the_same_manifest() {
        let mut m = sample();
        m.files.insert(
            "odd/\"name\"\n\u{1}é".into(),
            ManifestEntry {
                sha256: "00".into(),
                size: u64::MAX,
            },
        );
        let back: Manifest = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn path_rule_refuses_what_could_leave_the_snapshot() {
        assert_eq!(relative_path_parts("a/b"), Some(vec!["a", "b"]));
        for bad in ["", "/a", "a/", "a//b", "./a", "a/..", "a\0b"] {
            assert_eq!(relative_path_parts(bad), None, "{bad:?}");
        }
    }
}

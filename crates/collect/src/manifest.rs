//! manifest.json: written last by collect, and checked by [`verify_snapshot`].
//!
//! ```text
//! {"format": "dom0scope-snapshot/1", "tool": "dom0scope 0.1.0", "created": "<RFC 3339 UTC>",
//!  "config": "<name>" (optional), "host": {<DMI identity>},
//!  "files": {"<relpath>": {"sha256": "<hex>", "size": N}, ...}}
//! ```
//! `files` lists every file but manifest.json, sorted, one per line so snapshots diff well.
//! Hashes detect damage in transit, not a lying host.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::Sources;
use crate::writer::{Entry, MANIFEST, hex};

/// The format string collect writes.
pub const FORMAT: &str = "dom0scope-snapshot/1";
/// The format string of the hand-collected samples in the corpus (same layout).
pub const SAMPLE_FORMAT: &str = "dom0-snapshot-sample";

/// DMI attributes that identify the machine, in the order they are looked up.
const DMI_IDENTITY: &[&str] = &[
    "sys_vendor",
    "product_name",
    "product_version",
    "product_family",
    "product_sku",
    "product_serial",
    "product_uuid",
    "board_vendor",
    "board_name",
    "board_version",
    "board_serial",
    "chassis_vendor",
    "chassis_type",
    "bios_vendor",
    "bios_version",
    "bios_date",
    "bios_release",
];

#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub created: SystemTime,
    pub config: Option<String>,
    pub host: BTreeMap<String, String>,
}

/// The non-empty DMI identity attributes of the host.
pub(crate) fn host_identity(src: &Sources) -> BTreeMap<String, String> {
    let dir = src.sys.join("class/dmi/id");
    DMI_IDENTITY
        .iter()
        .filter_map(|k| {
            let v = fs::read(dir.join(k)).ok()?;
            let v = String::from_utf8_lossy(&v).trim().to_string();
            (!v.is_empty()).then(|| (k.to_string(), v))
        })
        .collect()
}

fn q(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

pub(crate) fn render(meta: &Meta, files: &BTreeMap<String, Entry>) -> String {
    let mut s = String::from("{\n");
    s += &format!("  \"format\": {},\n", q(FORMAT));
    s += &format!(
        "  \"tool\": {},\n",
        q(&format!("dom0scope {}", env!("CARGO_PKG_VERSION")))
    );
    s += &format!("  \"created\": {},\n", q(&crate::rfc3339_utc(meta.created)));
    if let Some(c) = &meta.config {
        s += &format!("  \"config\": {},\n", q(c));
    }
    let host: Vec<String> = meta
        .host
        .iter()
        .map(|(k, v)| format!("    {}: {}", q(k), q(v)))
        .collect();
    if host.is_empty() {
        s += "  \"host\": {},\n";
    } else {
        s += &format!("  \"host\": {{\n{}\n  }},\n", host.join(",\n"));
    }
    let lines: Vec<String> = files
        .iter()
        .map(|(p, e)| {
            format!(
                "    {}: {{\"sha256\": {}, \"size\": {}}}",
                q(p),
                q(&e.sha256),
                e.size
            )
        })
        .collect();
    if lines.is_empty() {
        s += "  \"files\": {}\n}\n";
    } else {
        s += &format!("  \"files\": {{\n{}\n  }}\n}}\n", lines.join(",\n"));
    }
    s
}

/// Why a snapshot could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a snapshot manifest: {reason}", path.display())]
    Manifest { path: PathBuf, reason: String },
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
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks every file of the snapshot in `dir` against its manifest.json, and that no file is
/// missing from the manifest. Accepts [`FORMAT`] and [`SAMPLE_FORMAT`].
pub fn verify_snapshot(dir: &Path) -> Result<VerifyReport, VerifyError> {
    let mpath = dir.join(MANIFEST);
    let text = fs::read(&mpath).map_err(|source| VerifyError::Io {
        path: mpath.clone(),
        source,
    })?;
    let bad = |reason: &str| VerifyError::Manifest {
        path: mpath.clone(),
        reason: reason.into(),
    };
    let v: serde_json::Value = serde_json::from_slice(&text).map_err(|e| bad(&e.to_string()))?;
    let format = v
        .get("format")
        .and_then(|f| f.as_str())
        .ok_or_else(|| bad("no \"format\""))?;
    if format != FORMAT && format != SAMPLE_FORMAT {
        return Err(bad(&format!("unknown format {format:?}")));
    }
    let files = v
        .get("files")
        .and_then(|f| f.as_object())
        .ok_or_else(|| bad("no \"files\" object"))?;
    let mut report = VerifyReport {
        format: format.to_string(),
        config: v.get("config").and_then(|c| c.as_str()).map(String::from),
        ..Default::default()
    };
    for (rel, e) in files {
        report.files += 1;
        let (Some(sha), Some(size)) = (
            e.get("sha256").and_then(|s| s.as_str()),
            e.get("size").and_then(|s| s.as_u64()),
        ) else {
            report
                .problems
                .push(format!("{rel}: entry lacks sha256 or size"));
            continue;
        };
        report.bytes += size;
        if crate::writer::safe_components(rel).is_err() || rel == MANIFEST {
            report
                .problems
                .push(format!("{rel}: path escapes the snapshot"));
            continue;
        }
        let p = dir.join(rel);
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                report.problems.push(format!("{rel}: not a regular file"));
                continue;
            }
            Err(_) => {
                report.problems.push(format!("{rel}: missing"));
                continue;
            }
        }
        match hash_file(&p) {
            Ok((h, n)) => {
                if n != size {
                    report
                        .problems
                        .push(format!("{rel}: size {n}, manifest says {size}"));
                }
                if h != sha {
                    report.problems.push(format!("{rel}: sha256 differs"));
                }
            }
            Err(e) => report.problems.push(format!("{rel}: {e}")),
        }
    }
    let mut on_disk = Vec::new();
    walk(dir, "", &mut on_disk, &mut report.problems);
    for rel in on_disk {
        if rel != MANIFEST && !files.contains_key(&rel) {
            report.problems.push(format!("{rel}: not in the manifest"));
        }
    }
    Ok(report)
}

fn hash_file(p: &Path) -> std::io::Result<(String, u64)> {
    let mut f = fs::File::open(p)?;
    let mut h = Sha256::new();
    let mut buf = [0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex(&h.finalize()), n))
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

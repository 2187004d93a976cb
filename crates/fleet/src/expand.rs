//! Which of the paths given are snapshots. A directory holding `manifest.json` is one; any
//! other directory is opened one level deep and its entries, in name order, are looked at
//! like the paths given: subdirectories with a `manifest.json`, `.tar`/`.tar.gz`/`.tgz` files
//! and files that are gzip or tar by their first bytes, and text files that read as a Xen log.
//! Everything else (a README, a plan, a provenance note) is skipped with the reason, so
//! `audit testdata/snapshots/*` audits exactly the snapshots. A file that looks like a
//! snapshot but is damaged is kept: it becomes an error row, never a silent skip.

use std::io::Read;
use std::path::{Path, PathBuf};

/// How much of a file is read to tell a log from other text.
const SNIFF: u64 = 64 << 10;
/// Lines naming `(XEN)` that make a text file a Xen log: a console log has hundreds; prose
/// quoting a log line (a README) has a few, and quotes it in backticks, which do not count.
const MIN_XEN_LINES: usize = 8;

/// A path passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The path as given or found.
    pub path: PathBuf,
    /// Why it is not audited.
    pub reason: String,
}

/// The snapshots among `paths`, in order (a directory's entries by name), and what was skipped.
pub fn expand(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Skipped>) {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        if path.is_dir() && !path.join("manifest.json").is_file() {
            match std::fs::read_dir(path) {
                Ok(rd) => {
                    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
                    entries.sort();
                    for e in entries {
                        classify(e, &mut found, &mut skipped);
                    }
                }
                Err(e) => skipped.push(Skipped {
                    path: path.clone(),
                    reason: format!("cannot list the directory: {e}"),
                }),
            }
        } else {
            classify(path.clone(), &mut found, &mut skipped);
        }
    }
    (found, skipped)
}

/// True when `path` is a directory that is not itself a snapshot: `audit DIR` then audits
/// the snapshots it holds.
pub fn is_fleet_directory(path: &Path) -> bool {
    path.is_dir() && !path.join("manifest.json").is_file()
}

fn classify(path: PathBuf, found: &mut Vec<PathBuf>, skipped: &mut Vec<Skipped>) {
    match kind(&path) {
        Ok(()) => found.push(path),
        Err(reason) => skipped.push(Skipped { path, reason }),
    }
}

/// Ok when `path` is, by name or content, a snapshot to audit; else why not. A path that
/// cannot be read is kept: opening it fails again and its row says why.
fn kind(path: &Path) -> Result<(), String> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    if meta.is_dir() {
        return match path.join("manifest.json").is_file() {
            true => Ok(()),
            false => Err("a directory without manifest.json (not opened further)".into()),
        };
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if [".tar", ".tar.gz", ".tgz"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        return Ok(());
    }
    let mut head = Vec::new();
    if std::fs::File::open(path)
        .and_then(|f| f.take(SNIFF).read_to_end(&mut head))
        .is_err()
    {
        return Ok(());
    }
    // gzip (a .tar.gz or a log.gz under another name), or a tar by its header's magic.
    if head.starts_with(&[0x1f, 0x8b]) || head.get(257..262) == Some(b"ustar") {
        return Ok(());
    }
    let xen_lines = String::from_utf8_lossy(&head)
        .lines()
        .filter(|l| l.find("(XEN)").is_some_and(|at| !l[..at].contains('`')))
        .count();
    match xen_lines >= MIN_XEN_LINES {
        true => Ok(()),
        false => Err(format!(
            "not a snapshot: no manifest.json, not a .tar/.tar.gz, and {xen_lines} Xen log \
             lines in its first {} KiB",
            SNIFF >> 10
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata")
            .join(rel)
    }

    #[test]
    fn the_snapshots_directory_holds_its_snapshots_and_nothing_else() {
        let (found, skipped) = expand(&[testdata("snapshots")]);
        let names: Vec<String> = found
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.contains(&"x417-pv-q35-msi-bios".to_owned()),
            "{names:?}"
        );
        assert!(names.contains(&"e417-pv-q35-bios-after.tar.gz".to_owned()));
        assert!(names.windows(2).all(|w| w[0] < w[1]), "in name order");
        let skipped: Vec<String> = skipped
            .iter()
            .map(|s| s.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(skipped.contains(&"README.md".to_owned()), "{skipped:?}");
        assert!(skipped.contains(&"e417-pv-q35-bios-plan.json".to_owned()));
        assert!(skipped.iter().all(|s| !names.contains(s)));
    }

    #[test]
    fn a_log_is_kept_and_prose_quoting_one_is_not() {
        assert_eq!(
            kind(&testdata("logs/qemu-xen-4.17/pv-q35-qemu64.log")),
            Ok(())
        );
        let readme = kind(&testdata("snapshots/README.md")).unwrap_err();
        assert!(readme.contains("0 Xen log lines"), "{readme}");
        // A named file that is missing is kept: its audit fails and says why.
        assert_eq!(kind(&testdata("snapshots/no-such")), Ok(()));
    }
}

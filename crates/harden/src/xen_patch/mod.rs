//! The Xen patches `harden --xen-patch DIR` writes: one per hole that only Xen can close, for
//! the snapshot's Xen release.
//!
//! A patch is chosen by the finding that fired and the release the snapshot names, never by
//! the host's addresses: the patched Xen computes the ranges itself at boot (the trampoline
//! from `trampoline_phys`, EFI runtime regions from the EFI memory map, the sleep ports and
//! the FACS waking vectors from the parsed FADT), so one build serves every host. The diffs
//! are data (`templates/<release>/*.diff`, regenerated from Xen's source by
//! `scripts/xen-patch-templates.py`); each applies alone and the series applies in order
//! (`tests.rs` proves it against `testdata/xen-src`). Each patched range is logged by Xen with
//! a `[tag]`, which `verify` reads as evidence that the patch ran.

use std::fmt::Write as _;
use std::path::Path;

use dom0scope_engine::Analysis;
use dom0scope_verdict::Finding;

/// One patch the generator knows: the rule it closes and its text for each release.
struct Template {
    /// File name stem, also the quilt series entry.
    name: &'static str,
    /// The rule whose finding selects it.
    closes: &'static str,
    /// The tag the patched Xen prints on its console (`[dom0-ro-trampoline]`).
    tag: &'static str,
    /// Commit message: subject line, blank line, body with `{placeholders}`.
    message: &'static str,
    /// The diff for each release, in the order of [`RELEASES`].
    diffs: [&'static str; 7],
}

/// The releases a diff exists for: the key a snapshot's version maps to, and the upstream
/// revision the diff was made against (4.17's also apply to Debian 12's source package).
pub const RELEASES: [(&str, &str); 7] = [
    ("4.17", "RELEASE-4.17.7"),
    ("4.18", "RELEASE-4.18.6"),
    ("4.19", "RELEASE-4.19.6"),
    ("4.20", "RELEASE-4.20.4"),
    ("4.21", "RELEASE-4.21.2"),
    ("4.22", "RELEASE-4.22.0"),
    ("master", "c447b7308b (4.23-unstable)"),
];

macro_rules! diffs {
    ($name:literal) => {
        [
            include_str!(concat!("templates/4.17/", $name, ".diff")),
            include_str!(concat!("templates/4.18/", $name, ".diff")),
            include_str!(concat!("templates/4.19/", $name, ".diff")),
            include_str!(concat!("templates/4.20/", $name, ".diff")),
            include_str!(concat!("templates/4.21/", $name, ".diff")),
            include_str!(concat!("templates/4.22/", $name, ".diff")),
            include_str!(concat!("templates/master/", $name, ".diff")),
        ]
    };
}

const TEMPLATES: [Template; 3] = [
    Template {
        name: "0001-dom0-ro-trampoline",
        closes: "DOM0_LOWMEM_TRAMPOLINE",
        tag: "dom0-ro-trampoline",
        message: include_str!("messages/0001-dom0-ro-trampoline.txt"),
        diffs: diffs!("0001-dom0-ro-trampoline"),
    },
    Template {
        name: "0002-dom0-protect-efi-rt",
        closes: "DOM0_EFI_RUNTIME_WRITE",
        tag: "dom0-protect-efi-rt",
        message: include_str!("messages/0002-dom0-protect-efi-rt.txt"),
        diffs: diffs!("0002-dom0-protect-efi-rt"),
    },
    Template {
        name: "0003-dom0-protect-s3",
        closes: "DOM0_S3_WAKING_VECTOR",
        tag: "dom0-protect-s3",
        message: include_str!("messages/0003-dom0-protect-s3.txt"),
        diffs: diffs!("0003-dom0-protect-s3"),
    },
];

/// The console tag of each patch and the rule it closes: what `verify` and the harness look
/// for in Xen's log.
pub fn tags() -> impl Iterator<Item = (&'static str, &'static str)> {
    TEMPLATES.iter().map(|t| (t.tag, t.closes))
}

/// A patch of the series, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XenPatch {
    /// `0001-dom0-ro-trampoline.patch`.
    pub file_name: String,
    /// The rule it closes.
    pub closes: String,
    /// The whole file: mail headers, commit message, notes, diff.
    pub text: String,
}

/// The series for one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// The release key the diffs are for (`4.22`, `master`).
    pub release: String,
    /// The patches, in the order to apply them.
    pub patches: Vec<XenPatch>,
    /// Rules with a Xen patch that did not fire here, hence no patch (said, not hidden).
    pub not_needed: Vec<String>,
    /// Assumptions the choice rests on.
    pub notes: Vec<String>,
}

/// Why no series can be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XenPatchError {
    /// The snapshot does not say which Xen it ran.
    #[error(
        "the snapshot does not name its Xen version (no banner in Xen's log): cannot choose the patches' release"
    )]
    NoVersion,
    /// A release no template exists for.
    #[error("no Xen patches for Xen {0}: they exist for {1}")]
    Unsupported(String, String),
}

/// The release key of a Xen version: `4.22` for 4.22.x, `master` for the 4.23 development
/// tree (the pinned master commit), with a note when that is an assumption.
fn release_key(major: u32, minor: u32, extra: &str, notes: &mut Vec<String>) -> Option<String> {
    let key = format!("{major}.{minor}");
    if RELEASES.iter().any(|(k, _)| *k == key) {
        if extra.contains("unstable") || extra.contains("-pre") || extra.contains("rc") {
            notes.push(format!(
                "Xen {key}{extra} is not a release: the patches are the {key} release's ({}); check that they apply",
                revision(&key)
            ));
        }
        return Some(key);
    }
    if (major, minor) == (4, 23) && extra.contains("unstable") {
        notes.push(format!(
            "Xen {key}{extra} is a development tree: the patches are made against master at {}; a later master may need them rebased",
            revision("master")
        ));
        return Some("master".into());
    }
    None
}

fn revision(key: &str) -> &'static str {
    RELEASES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("?", |(_, r)| r)
}

/// The series for the snapshot `analysis` judged, named `snapshot` in the commit messages.
pub fn series(analysis: &Analysis, snapshot: &str) -> Result<Series, XenPatchError> {
    let facts = analysis.facts();
    let v = facts
        .xen
        .as_ref()
        .and_then(|x| x.version.as_ref())
        .ok_or(XenPatchError::NoVersion)?;
    let mut notes = Vec::new();
    let version = format!("{}.{}{}", v.major, v.minor, v.extra);
    let release = release_key(v.major, v.minor, &v.extra, &mut notes).ok_or_else(|| {
        XenPatchError::Unsupported(version.clone(), RELEASES.map(|(k, _)| k).join(", "))
    })?;
    let index = RELEASES
        .iter()
        .position(|(k, _)| *k == release)
        .unwrap_or_default();
    if let Some(p) = v.package.as_deref() {
        // Only 4.17's Debian source package could be fetched and built (harness/patched.sh);
        // Debian's 4.20 source files were not downloadable, so that claim is not made for it.
        let checked = if release == "4.17" {
            "they apply to Debian 12's source package xen 4.17.5+72-g01140da4e8-1 (built and booted by harness/patched.sh)"
        } else {
            "they were not checked against a distribution's source package of this release"
        };
        notes.push(format!(
            "this Xen is a distribution build ({p}): the diffs are upstream {}'s; {checked}; a distribution's patch queue may shift them",
            revision(&release)
        ));
    }
    let mode = analysis
        .surface()
        .reach()
        .dom0_mode()
        .map_or("unknown-mode", |m| m.label());
    let fired: Vec<&Finding> = TEMPLATES
        .iter()
        .filter_map(|t| {
            analysis
                .verdict()
                .findings
                .iter()
                .find(|f| f.id == t.closes)
        })
        .collect();
    let chosen: Vec<(&Template, &Finding)> = TEMPLATES
        .iter()
        .filter_map(|t| fired.iter().find(|f| f.id == t.closes).map(|f| (t, *f)))
        .collect();
    let not_needed = TEMPLATES
        .iter()
        .filter(|t| !chosen.iter().any(|(c, _)| c.name == t.name))
        .map(|t| t.closes.to_owned())
        .collect();
    let total = chosen.len();
    let patches = chosen
        .into_iter()
        .enumerate()
        .map(|(i, (t, f))| XenPatch {
            file_name: format!("{}.patch", t.name),
            closes: t.closes.to_owned(),
            text: render(
                t,
                f,
                &Fill {
                    n: i + 1,
                    total,
                    snapshot,
                    version: &version,
                    mode,
                    release: &release,
                },
                t.diffs[index],
            ),
        })
        .collect();
    Ok(Series {
        release,
        patches,
        not_needed,
        notes,
    })
}

/// What a commit message is filled with.
struct Fill<'a> {
    n: usize,
    total: usize,
    snapshot: &'a str,
    version: &'a str,
    mode: &'a str,
    release: &'a str,
}

/// One patch file in `git format-patch` form (so `git am`, `patch -p1` and quilt all take it).
fn render(t: &Template, f: &Finding, fill: &Fill<'_>, diff: &str) -> String {
    let message = t
        .message
        .replace("{finding_id}", &f.id)
        .replace("{finding_severity}", f.severity.label())
        .replace("{finding_title}", &f.title)
        .replace("{snapshot}", fill.snapshot)
        .replace("{xen_version}", fill.version)
        .replace("{dom0_mode}", fill.mode);
    let (subject, body) = message.split_once('\n').unwrap_or((&message, ""));
    let mut s = String::new();
    let _ = writeln!(s, "From: dom0scope harden <noreply@invalid>");
    let _ = writeln!(s, "Subject: [PATCH {}/{}] {subject}", fill.n, fill.total);
    let _ = writeln!(s, "{}", body.trim_end_matches('\n'));
    let _ = writeln!(s, "---");
    let _ = writeln!(
        s,
        "Generated by `dom0scope harden --xen-patch` for Xen {} ({}); Xen logs\n\"[{}]\" when it applies. Not signed off: replace From: with the\nauthor and add your Signed-off-by: (Xen requires the DCO) before sending.\n",
        fill.release,
        revision(fill.release),
        t.tag
    );
    s.push_str(diff);
    s
}

/// Writes the series into `dir` (created if missing): each patch and a quilt `series` file.
/// Returns the paths written. An existing patch of the same name is replaced.
pub fn write(series: &Series, dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut list = String::new();
    for p in &series.patches {
        let path = dir.join(&p.file_name);
        std::fs::write(&path, &p.text)?;
        list.push_str(&p.file_name);
        list.push('\n');
        written.push(path);
    }
    let path = dir.join("series");
    std::fs::write(&path, list)?;
    written.push(path);
    Ok(written)
}

#[cfg(test)]
mod tests;

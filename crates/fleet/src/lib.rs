//! The fleet stage: many snapshots audited in parallel, one entry per host, in input order.
//!
//! Each host goes through the same pipeline as a single `audit` ([`Analysis::of`], then the
//! report's [`Audit`]). One damaged or unreadable snapshot does not stop the fleet: its entry
//! holds the error that stopped it. The fleet's exit status is its worst host's, worst first:
//! an input error (2: that host was not judged at all, as a single audit exits 2), then a
//! finding at or above `--fail-on` (1), then a rule there not evaluated (3), then a pass (0).
//!
//! Work is spread over `std::thread::available_parallelism()` scoped threads that take the
//! next path from a shared counter; results are put back in input order, so the output does
//! not depend on scheduling.

mod expand;
mod render;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use dom0scope_engine::Analysis;
use dom0scope_report::{Audit, HostIdentity, Outcome, SnapshotInfo};
use dom0scope_snapshot::{Origin, Snapshot};
use dom0scope_verdict::{Date, Policy, Severity};
use serde::Serialize;

pub use expand::{Skipped, expand, is_fleet_directory};
pub use render::{render_jsonl, render_text, summary_json};

/// The `schema` of the fleet's own JSON Lines (error rows and the summary).
pub const SCHEMA: &str = "dom0scope-fleet/1";

/// How every host is judged: one policy, one date, one threshold for all.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The rules (built-in catalog plus policy files).
    pub policy: Policy,
    /// The date waivers are judged against.
    pub today: Date,
    /// The severity at or above which a finding fails a host.
    pub fail_on: Severity,
    /// Worker threads; 0 means `available_parallelism()`.
    pub workers: usize,
}

/// The fleet: one entry per snapshot path, in the order given.
#[derive(Debug)]
pub struct Fleet<T> {
    /// One per host, in input order.
    pub hosts: Vec<Host<T>>,
}

/// One host's entry.
#[derive(Debug)]
pub struct Host<T> {
    /// The snapshot's path, as given or found in a directory.
    pub path: PathBuf,
    /// Its row, or the error that stopped its audit.
    pub outcome: Result<Audited<T>, Failed>,
}

/// A host that was audited.
#[derive(Debug)]
pub struct Audited<T> {
    /// What the fleet table shows of it.
    pub row: Row,
    /// What the caller made of its whole audit (its JSON document, or nothing).
    pub rendered: T,
}

/// A host whose audit could not run.
#[derive(Debug, Clone, Serialize)]
pub struct Failed {
    /// Why: the file and what is wrong with it.
    pub error: String,
    /// Who the host is, when the snapshot opened far enough to say.
    pub identity: Option<Box<dom0scope_facts::Identity>>,
}

/// The fleet table's row for one audited host.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Who the host is (DMI, hostname, collection time, Xen release).
    pub identity: HostIdentity,
    /// `PV` or `PVH`, from Xen's log.
    pub dom0_mode: Option<String>,
    /// The level, 0-3.
    pub level: u8,
    /// The level as the audit header shows it (`DOM0:1!`).
    pub level_label: String,
    /// Critical findings.
    pub critical: usize,
    /// High findings.
    pub high: usize,
    /// The most severe finding (findings are most severe first, then by id).
    pub top: Option<Top>,
    /// PASS, FAIL or INCOMPLETE at `--fail-on`.
    pub result: Outcome,
    /// True when the snapshot was read with damage (the audit is degraded).
    pub degraded: bool,
}

/// A finding, briefly.
#[derive(Debug, Clone, Serialize)]
pub struct Top {
    /// Its severity.
    pub severity: Severity,
    /// The rule's id.
    pub id: String,
    /// The rule's title.
    pub title: String,
}

impl Row {
    /// The row for one audit.
    pub fn of(audit: &Audit) -> Row {
        let count = |s: Severity| {
            audit
                .verdict
                .findings
                .iter()
                .filter(|f| f.severity == s)
                .count()
        };
        Row {
            identity: audit.identity.clone(),
            dom0_mode: audit.host.dom0_mode.clone(),
            level: audit.verdict.level.level,
            level_label: audit.verdict.level.label.clone(),
            critical: count(Severity::Critical),
            high: count(Severity::High),
            top: audit.verdict.findings.first().map(|f| Top {
                severity: f.severity,
                id: f.id.clone(),
                title: f.title.clone(),
            }),
            result: audit.result,
            degraded: !audit.snapshot.problems.is_empty(),
        }
    }
}

impl<T> Host<T> {
    /// This host's exit status: 2 for an input error, else its audit's (0, 1 or 3).
    pub fn exit_code(&self) -> u8 {
        match &self.outcome {
            Ok(a) => a.row.result.exit_code(),
            Err(_) => 2,
        }
    }

    /// The name the table shows: the hostname when collected, else the path's last part.
    pub fn name(&self) -> String {
        let hostname = match &self.outcome {
            Ok(a) => a.row.identity.host.hostname.clone(),
            Err(f) => f.identity.as_ref().and_then(|i| i.hostname.clone()),
        };
        hostname.unwrap_or_else(|| {
            self.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.path.display().to_string())
        })
    }
}

/// How bad an exit status is, for "the worst host's": error, fail, incomplete, pass.
fn badness(code: u8) -> u8 {
    match code {
        2 => 3,
        1 => 2,
        3 => 1,
        _ => 0,
    }
}

impl<T> Fleet<T> {
    /// The worst host's exit status (0 for an empty fleet).
    pub fn exit_code(&self) -> u8 {
        self.hosts
            .iter()
            .map(Host::exit_code)
            .max_by_key(|c| badness(*c))
            .unwrap_or(0)
    }
}

/// Audits every path in parallel; `render` turns each whole audit into what the caller keeps
/// of it (its JSON document for JSON Lines, `()` for the table), in the worker, so that a
/// fleet never holds 10,000 audits at once.
pub fn audit<T, F>(paths: &[PathBuf], settings: &Settings, render: F) -> Fleet<T>
where
    T: Send,
    F: Fn(&Audit) -> T + Sync,
{
    let workers = match settings.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(paths.len())
    .max(1);
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Host<T>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = paths.get(i) else { break };
                        mine.push((i, audit_one(path, settings, &render)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                // A panic is a bug; re-raise it rather than drop hosts silently.
                Err(p) => std::panic::resume_unwind(p),
            })
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    Fleet {
        hosts: done.into_iter().map(|(_, h)| h).collect(),
    }
}

/// One host through the whole pipeline.
fn audit_one<T>(path: &Path, settings: &Settings, render: &impl Fn(&Audit) -> T) -> Host<T> {
    let outcome =
        Snapshot::open(path)
            .map_err(|e| Failed {
                error: e.to_string(),
                identity: None,
            })
            .and_then(|snapshot| {
                let analysis = analyse(&snapshot, settings.policy.clone(), settings.today)
                    .map_err(|error| Failed {
                        error,
                        identity: Some(Box::new(dom0scope_facts::Identity::of(&snapshot))),
                    })?;
                let parts = analysis.into_parts();
                let audit = Audit::new(
                    snapshot_info(&snapshot),
                    &parts.facts,
                    &parts.inventory,
                    parts.surface,
                    parts.verdict,
                    settings.fail_on,
                );
                Ok(Audited {
                    row: Row::of(&audit),
                    rendered: render(&audit),
                })
            });
    Host {
        path: path.to_path_buf(),
        outcome,
    }
}

/// What the audit says it audited: the snapshot's label, whether it is a bare log, and the
/// damage found reading it.
pub fn snapshot_info(snapshot: &Snapshot) -> SnapshotInfo {
    SnapshotInfo {
        label: snapshot.origin.label(),
        bare_log: snapshot.is_bare_log(),
        problems: problems(snapshot),
    }
}

fn problems(snapshot: &Snapshot) -> Vec<String> {
    snapshot
        .issues
        .iter()
        .map(|i| match &i.artifact {
            Some(a) => format!("{a}: {}", i.message),
            None => i.message.clone(),
        })
        .collect()
}

/// Runs the pipeline; when there is nothing to audit, says why naming the file, and leads
/// with the damage found reading the snapshot (usually why there is no Xen log).
pub fn analyse(snapshot: &Snapshot, policy: Policy, today: Date) -> Result<Analysis, String> {
    Analysis::of(snapshot, policy, today).map_err(|e| {
        let damage = problems(snapshot);
        let damage = if damage.is_empty() {
            String::new()
        } else {
            format!(" ({})", damage.join("; "))
        };
        let label = snapshot.origin.label();
        match &snapshot.origin {
            Origin::BareLog { path } if e.errors.len() == 1 => {
                format!("{}: {}{damage}", path.display(), e.errors[0].message)
            }
            // Lead with the truncation: it is why the log is missing.
            _ if snapshot.cut_short => {
                format!("{label}: truncated or damaged archive: {e}{damage}")
            }
            _ => format!("{label}: {e}{damage}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_host_is_an_error_then_a_failure_then_incomplete() {
        let fleet = |codes: &[u8]| {
            codes
                .iter()
                .copied()
                .max_by_key(|c| badness(*c))
                .unwrap_or(0)
        };
        assert_eq!(fleet(&[0, 3, 1, 2]), 2);
        assert_eq!(fleet(&[0, 3, 1]), 1);
        assert_eq!(fleet(&[0, 3, 0]), 3);
        assert_eq!(fleet(&[0]), 0);
    }
}

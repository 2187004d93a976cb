//! The last check before any change: does dom0, as it runs now, use a planned range?
//!
//! `dom0scope harden` checked each range against the `/proc/iomem` and `/proc/ioports` of
//! the snapshot the plan was made from. enforce may run in another boot, under another kernel
//! with other drivers, so it reads dom0's live tables and runs the very same check
//! ([`dom0scope_harden::check_range`]): a planned range that a driver or the kernel claims now
//! (or that can no longer be judged safe) refuses the whole run, naming the range and the
//! `/proc` line (`file:line`) that claims it. There is no override: the plan is regenerated.
//!
//! RAM entries (`System RAM`, the kernel image) are a PV dom0's pseudo-physical or a PVH
//! dom0's guest-physical addresses, not machine frames; as in harden they do not make a frame
//! unsafe when the dom0 mode is known, and leave it unchecked (refused here) when it is not.
//!
//! Read without `CAP_SYS_ADMIN`, Linux shows every address in both tables as zero; such a
//! table, an empty or unreadable one, or one with a line that is not `start-end : name`
//! cannot show that a range is unused, and is reported as a [`ProcProblem`].

use std::path::Path;

use dom0scope_facts::linux::Dom0View;
use dom0scope_facts::linux::resources;
use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_harden::{ViewSource, check_range};

use crate::plan::{Plan, Range, Status};

/// Largest `/proc/iomem` or `/proc/ioports` read (a real one is a few KiB).
pub const MAX_PROC_BYTES: u64 = 4 << 20;

/// dom0's live `/proc/iomem` and `/proc/ioports`, parsed.
#[derive(Debug, Clone)]
pub struct LiveProc {
    /// Both tables, as harden's check reads a snapshot's.
    pub view: Dom0View,
    /// The paths read, as cited (`/proc/iomem`).
    pub iomem_path: String,
    /// As `iomem_path`, for `/proc/ioports`.
    pub ioports_path: String,
}

/// Why dom0's live `/proc` tables cannot be used for the check. `path` is the table's path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)] // the fields are named by the messages
pub enum ProcProblem {
    /// Opening or reading failed (`detail`: the I/O error).
    #[error("cannot read {path}: {detail}")]
    Unreadable { path: String, detail: String },
    /// Larger than [`MAX_PROC_BYTES`].
    #[error("{path} is larger than {MAX_PROC_BYTES} bytes: not a kernel resource table")]
    TooLarge { path: String },
    /// No entries.
    #[error("{path} is empty")]
    Empty { path: String },
    /// Every address zero: read without `CAP_SYS_ADMIN`.
    #[error(
        "{path} shows every address as zero: it was read without CAP_SYS_ADMIN (not root), \
         so it cannot show which ranges dom0 uses"
    )]
    Zeros { path: String },
    /// Line `line` (`text`, shortened) is not `start-end : name`.
    #[error("{path}:{line}: not a resource line (\"start-end : name\"): {text:?}")]
    Malformed {
        path: String,
        line: u32,
        text: String,
    },
}

fn read_table(path: &Path) -> Result<(String, Vec<resources::ResourceEntry>), ProcProblem> {
    let shown = path.display().to_string();
    let bytes =
        dom0scope_boundedread::read(path, MAX_PROC_BYTES).map_err(|e| match e.problem() {
            dom0scope_boundedread::Problem::TooLarge { .. } => ProcProblem::TooLarge {
                path: shown.clone(),
            },
            p => ProcProblem::Unreadable {
                path: shown.clone(),
                detail: p.to_string(),
            },
        })?;
    let mut warnings = Vec::new();
    let entries = resources::parse(&shown, &bytes, &mut warnings);
    if let Some(w) = warnings.first() {
        let text = String::from_utf8_lossy(&bytes)
            .lines()
            .nth(usize::try_from(w.line.saturating_sub(1)).unwrap_or(usize::MAX))
            .unwrap_or_default()
            .chars()
            .take(80)
            .collect();
        return Err(ProcProblem::Malformed {
            path: shown,
            line: w.line,
            text,
        });
    }
    if entries.is_empty() {
        return Err(ProcProblem::Empty { path: shown });
    }
    if entries.iter().all(|e| e.start == 0 && e.end == 0) {
        return Err(ProcProblem::Zeros { path: shown });
    }
    Ok((shown, entries))
}

/// Reads `proc/iomem` and `proc/ioports` under `proc` (the live `/proc`, or a test root's).
pub fn read(proc: &Path) -> Result<LiveProc, ProcProblem> {
    let (iomem_path, iomem) = read_table(&proc.join("iomem"))?;
    let (ioports_path, ioports) = read_table(&proc.join("ioports"))?;
    Ok(LiveProc {
        view: Dom0View {
            iomem,
            ioports,
            ..Dom0View::default()
        },
        iomem_path,
        ioports_path,
    })
}

/// A planned range dom0's live `/proc` does not allow giving up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The planned range.
    pub range: Range,
    /// harden's check's reason, citing the live `/proc` lines (`/proc/iomem:14: … : driver`).
    pub reason: String,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.range.describe(), self.reason)
    }
}

/// Checks every planned range against dom0's live `/proc`. `mode` is the running dom0's (from
/// `/sys/hypervisor/guest_type`), else the plan's. `Ok` carries the line to log.
pub fn check(
    plan: &Plan,
    live: &LiveProc,
    mode: Option<Dom0Mode>,
) -> Result<String, Vec<Conflict>> {
    let source = ViewSource {
        iomem: &live.iomem_path,
        ioports: &live.ioports_path,
    };
    let conflicts: Vec<Conflict> = plan
        .planned()
        .filter_map(|r| {
            let j = check_range(r, &live.view, mode, source);
            (j.status != Status::Planned).then(|| Conflict {
                range: r.clone(),
                reason: j.reason,
            })
        })
        .collect();
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    Ok(format!(
        "dom0's live {} ({} entries) and {} ({} entries): no planned range is in use{}",
        live.iomem_path,
        live.view.iomem.len(),
        live.ioports_path,
        live.view.ioports.len(),
        match mode {
            Some(m) => format!(
                " (RAM entries are a {} dom0's, not machine frames)",
                m.label()
            ),
            None => String::new(),
        }
    ))
}

/// The running dom0's mode from `/sys/hypervisor/guest_type` (`PV`, `PVH`).
pub fn mode_of(guest_type: Option<&str>) -> Option<Dom0Mode> {
    match guest_type?.trim().to_ascii_lowercase().as_str() {
        "pv" => Some(Dom0Mode::Pv),
        "pvh" => Some(Dom0Mode::Pvh),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

    fn snapshot() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/snapshots/h417-pv-q35-vtd-bios")
    }

    /// A proc dir with the real snapshot's iomem and ioports, `extra` appended to ioports.
    fn proc_dir(extra_ports: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let s = snapshot();
        fs::copy(s.join("linux/iomem"), d.path().join("iomem")).unwrap();
        let mut ports = fs::read_to_string(s.join("linux/ioports")).unwrap();
        ports.push_str(extra_ports);
        fs::write(d.path().join("ioports"), ports).unwrap();
        d
    }

    fn plan() -> Plan {
        crate::plan::parse(
            "p",
            br#"{"schema":"dom0scope-plan/1","host":{"sys_vendor":"QEMU"},"xen_version":"4.17.7","dom0_mode":"pv","revoke":[
              {"resource":"iomem","first":"0x8f","last":"0x90","what":"tramp","status":"planned"},
              {"resource":"ioport","first":"0x604","last":"0x605","what":"pm1","status":"refused"},
              {"resource":"ioport","first":"0xb2","last":"0xb2","what":"smi","status":"planned"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn the_real_snapshot_allows_the_plan() {
        let d = proc_dir("");
        let live = read(d.path()).unwrap();
        let ok = check(&plan(), &live, Some(Dom0Mode::Pv)).unwrap();
        assert!(ok.contains("no planned range is in use"), "{ok}");
        assert!(ok.contains(&format!("({} entries)", live.view.iomem.len())));
        // A refused range dom0 uses (PM1a) is not a conflict: it is not planned.
        // With the mode unknown, the trampoline's RAM entry cannot be judged.
        let e = check(&plan(), &live, None).unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].to_string().contains("System RAM"), "{}", e[0]);
    }

    #[test]
    fn a_driver_on_a_planned_port_is_a_conflict_naming_the_line() {
        let d = proc_dir("00b2-00b2 : some driver\n");
        let live = read(d.path()).unwrap();
        let e = check(&plan(), &live, Some(Dom0Mode::Pv)).unwrap_err();
        assert_eq!(e.len(), 1);
        let n = fs::read_to_string(d.path().join("ioports"))
            .unwrap()
            .lines()
            .count();
        let want = format!(
            "{}:{n}: b2-b2 : some driver",
            d.path().join("ioports").display()
        );
        let m = e[0].to_string();
        assert!(
            m.starts_with("ioport 0xb2-0xb2 (smi): dom0 uses it: ") && m.contains(&want),
            "{m}"
        );
    }

    #[test]
    fn unusable_tables_are_problems() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        assert!(matches!(read(p), Err(ProcProblem::Unreadable { .. })));
        fs::write(p.join("iomem"), "").unwrap();
        assert!(matches!(read(p), Err(ProcProblem::Empty { .. })));
        fs::write(
            p.join("iomem"),
            "00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n",
        )
        .unwrap();
        let e = read(p).unwrap_err().to_string();
        assert!(
            e.contains("every address as zero") && e.contains("not root"),
            "{e}"
        );
        fs::write(
            p.join("iomem"),
            "00000000-00000fff : Reserved\n\u{0}\u{ff}garbage\n",
        )
        .unwrap();
        let e = read(p).unwrap_err().to_string();
        assert!(e.contains("iomem:2: not a resource line"), "{e}");
        fs::write(p.join("iomem"), "00000000-00000fff : Reserved\n").unwrap();
        let e = read(p).unwrap_err().to_string();
        assert!(e.contains("cannot read") && e.contains("ioports"), "{e}");
        fs::write(p.join("ioports"), "0000-0cf7 : PCI Bus 0000:00\n").unwrap();
        assert!(read(p).is_ok());
    }

    #[test]
    fn modes() {
        assert_eq!(mode_of(Some("PV\n")), Some(Dom0Mode::Pv));
        assert_eq!(mode_of(Some("pvh")), Some(Dom0Mode::Pvh));
        assert_eq!(mode_of(Some("HVM")), None);
        assert_eq!(mode_of(None), None);
    }
}

//! Loading a `dom0scope-plan/1` document and checking it against the running host, before
//! anything is changed.
//!
//! The document model (its types, its strict reading and its size cap) is
//! `dom0scope_harden::plan`, the one `dom0scope harden` writes; this module adds what only
//! enforce knows: whether it can issue domctls for the plan's Xen release, and whether the
//! plan fits the running host.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::Path;

use dom0scope_privcmd::abi;

pub use dom0scope_harden::plan::{MAX_PLAN_BYTES, Range, Resource, SCHEMA, Status};

/// The document as `dom0scope harden` wrote it.
pub type Document = dom0scope_harden::plan::Plan;
/// Why the document itself is refused (unreadable, too large, malformed, bad range).
pub type DocumentError = dom0scope_harden::plan::PlanError;

/// The Xen release a plan was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XenRelease {
    /// `4` of `4.17.7`.
    pub major: u32,
    /// `17` of `4.17.7`.
    pub minor: u32,
    /// As written (`4.17.7`).
    pub text: String,
}

impl XenRelease {
    /// Parses `4.17.7`, `4.20.5-pre`, `4.17`.
    pub fn parse(s: &str) -> Option<XenRelease> {
        let mut it = s.trim().splitn(3, '.');
        let major = it.next()?.parse().ok()?;
        let minor_part = it.next()?;
        let digits: String = minor_part
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let minor = digits.parse().ok()?;
        Some(XenRelease {
            major,
            minor,
            text: s.trim().to_string(),
        })
    }

    /// `XEN_DOMCTL_INTERFACE_VERSION` of this release, if enforce knows it.
    pub fn domctl_version(&self) -> Option<u32> {
        abi::domctl_version(self.major, self.minor)
    }
}

/// A plan document whose structure has been checked and whose Xen release enforce knows (not
/// yet checked against the host). It reads as the document (`plan.ranges`, `plan.host`,
/// `plan.snapshot`, `plan.dom0_mode`, `plan.planned()`), plus the parsed release in `xen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The document, as read.
    pub doc: Document,
    /// The release of `doc.xen_version`.
    pub xen: XenRelease,
}

impl Plan {
    /// The ranges enforce would apply (status `planned`).
    pub fn planned(&self) -> impl Iterator<Item = &Range> {
        self.doc.planned()
    }
}

impl Deref for Plan {
    type Target = Document;
    fn deref(&self) -> &Document {
        &self.doc
    }
}

/// Why a plan is refused. Every refusal happens before any change to Xen. `path` names the
/// plan; `running` and `planned` are Xen releases or dom0 modes as written.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // the fields are named by the messages
pub enum PlanError {
    /// The file is not a well-formed plan document.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// The plan has no `xen_version`.
    #[error("plan {path} names no Xen version; enforce knows {}", known_versions())]
    NoXenVersion { path: String },
    /// The plan's Xen release is not in [`abi::KNOWN_XEN`].
    #[error(
        "plan {path} was made for Xen {version}, which enforce does not know (it knows {}); \
         regenerate it with a dom0scope that does",
        known_versions()
    )]
    UnknownXen { path: String, version: String },
    /// The running Xen is another release than the plan's.
    #[error(
        "the running Xen is {running}, but the plan was made for Xen {planned}; \
         collect and plan again on this Xen"
    )]
    XenMismatch { running: String, planned: String },
    /// The running Xen's release is not in [`abi::KNOWN_XEN`].
    #[error(
        "the running Xen's version is {running}, which enforce does not know (it knows {})",
        known_versions()
    )]
    UnknownRunningXen { running: String },
    /// The running Xen's release cannot be found (a live run needs it).
    #[error("cannot tell the running Xen's version ({detail}); refusing to issue domctls blind")]
    NoRunningXen { detail: String },
    /// A bare-log plan without `--force-host`.
    #[error(
        "plan {path} has no host identity (a bare-log plan); pass --force-host to apply it to this host anyway"
    )]
    NoHostIdentity { path: String },
    /// The plan's DMI identity differs from this host's.
    #[error(
        "plan {path} is for another host: {detail}. Make this host's own plan from a snapshot \
         of it (`dom0scope collect -o SNAP`, then `dom0scope harden SNAP -o plan.json`); if this \
         is the same machine and only its firmware identity changed, check the plan and pass \
         --force-host"
    )]
    OtherHost { path: String, detail: String },
    /// The plan's dom0 mode differs from this dom0's.
    #[error("plan {path} is for a {planned} dom0, but this dom0 is {running}")]
    Dom0Mode {
        path: String,
        planned: String,
        running: String,
    },
}

fn known_versions() -> String {
    abi::KNOWN_XEN
        .iter()
        .map(|((a, b), _)| format!("{a}.{b}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads and parses a plan file (at most [`MAX_PLAN_BYTES`]).
pub fn load(path: &Path) -> Result<Plan, PlanError> {
    let doc = dom0scope_harden::plan::load(path)?;
    check_release(&path.display().to_string(), doc)
}

/// Parses a plan document; `path` only names it in errors.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Plan, PlanError> {
    let doc = dom0scope_harden::plan::parse(path, bytes)?;
    check_release(path, doc)
}

/// The plan names a Xen release enforce can issue domctls for.
fn check_release(path: &str, doc: Document) -> Result<Plan, PlanError> {
    let text = doc
        .xen_version
        .clone()
        .ok_or_else(|| PlanError::NoXenVersion { path: path.into() })?;
    let xen = XenRelease::parse(&text)
        .filter(|x| x.domctl_version().is_some())
        .ok_or_else(|| PlanError::UnknownXen {
            path: path.into(),
            version: text.clone(),
        })?;
    Ok(Plan { doc, xen })
}

/// Largest sysfs attribute read (Linux's are at most a page).
const MAX_SYSFS_BYTES: u64 = 64 << 10;

/// What is known about the running host, read before anything changes.
#[derive(Debug, Clone, Default)]
pub struct HostView {
    /// `/sys/class/dmi/id/<attribute>`, trimmed, for every attribute present.
    pub dmi: BTreeMap<String, String>,
    /// The running Xen (`/sys/hypervisor/version`, else Xen's banner).
    pub xen: Option<XenRelease>,
    /// `/sys/hypervisor/guest_type`, lower-cased (`pv`, `pvh`).
    pub guest_type: Option<String>,
}

impl HostView {
    /// Reads DMI identity, Xen's version and dom0's guest type under a sysfs root.
    pub fn read(sys: &Path) -> HostView {
        // A sysfs attribute is at most a page; anything that is not a small regular file is
        // treated as absent.
        let read = |p: &Path| {
            dom0scope_boundedread::read(p, MAX_SYSFS_BYTES)
                .ok()
                .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        };
        let mut dmi = BTreeMap::new();
        if let Ok(rd) = std::fs::read_dir(sys.join("class/dmi/id")) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_file()
                    && let Some(v) = read(&p)
                {
                    dmi.insert(e.file_name().to_string_lossy().into_owned(), v);
                }
            }
        }
        let v = sys.join("hypervisor/version");
        let xen = match (read(&v.join("major")), read(&v.join("minor"))) {
            (Some(a), Some(b)) => {
                let extra = read(&v.join("extra")).unwrap_or_default();
                XenRelease::parse(&format!("{a}.{b}{extra}"))
            }
            _ => None,
        };
        HostView {
            dmi,
            xen,
            guest_type: read(&sys.join("hypervisor/guest_type")).map(|s| s.to_lowercase()),
        }
    }
}

/// Checks the plan against the host. `force_host` accepts a plan without host identity (never
/// one whose identity differs). `need_xen` refuses when the running Xen's version is unknown
/// (a live run); a dry run off Xen only notes it. Returns notes for the log.
pub fn check_host(
    plan: &Plan,
    path: &str,
    host: &HostView,
    force_host: bool,
    need_xen: bool,
) -> Result<Vec<String>, PlanError> {
    let mut notes = Vec::new();
    if plan.host.is_empty() {
        if !force_host {
            return Err(PlanError::NoHostIdentity { path: path.into() });
        }
        notes.push("plan has no host identity; applying it anyway (--force-host)".into());
    } else if host.dmi.is_empty() {
        return Err(PlanError::OtherHost {
            path: path.into(),
            detail: "this host has no DMI identity (/sys/class/dmi/id is missing or empty), \
                     the plan names one"
                .into(),
        });
    } else {
        let mut diffs = Vec::new();
        for (k, want) in &plan.host {
            match host.dmi.get(k) {
                Some(have) if have == want => {}
                Some(have) => diffs.push(format!("{k} is {have:?} here, {want:?} in the plan")),
                None => diffs.push(format!(
                    "{k} is {want:?} in the plan but /sys/class/dmi/id/{k} is missing here"
                )),
            }
        }
        if !diffs.is_empty() {
            return Err(PlanError::OtherHost {
                path: path.into(),
                detail: diffs.join("; "),
            });
        }
        notes.push(format!(
            "host identity matches the plan ({} DMI attributes)",
            plan.host.len()
        ));
    }
    match &host.xen {
        Some(x) => {
            if x.domctl_version().is_none() {
                return Err(PlanError::UnknownRunningXen {
                    running: x.text.clone(),
                });
            }
            if (x.major, x.minor) != (plan.xen.major, plan.xen.minor) {
                return Err(PlanError::XenMismatch {
                    running: x.text.clone(),
                    planned: plan.xen.text.clone(),
                });
            }
            notes.push(format!(
                "running Xen {} matches the plan's Xen {} (domctl interface {:#x})",
                x.text,
                plan.xen.text,
                x.domctl_version().unwrap_or_default()
            ));
        }
        None if need_xen => {
            return Err(PlanError::NoRunningXen {
                detail: "no /sys/hypervisor/version and no Xen banner in the console ring".into(),
            });
        }
        None => notes.push("running Xen's version not checked (dry run, not on Xen)".into()),
    }
    if let (Some(p), Some(r)) = (plan.dom0_mode, &host.guest_type)
        && !p.label().eq_ignore_ascii_case(r)
    {
        return Err(PlanError::Dom0Mode {
            path: path.into(),
            planned: p.label().to_lowercase(),
            running: r.clone(),
        });
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"{"schema":"dom0scope-plan/1","host":{"sys_vendor":"QEMU"},
      "xen_version":"4.17.7","dom0_mode":"pv","revoke":[
      {"resource":"iomem","first":"0x8f","last":"0x90","what":"tramp","status":"planned"},
      {"resource":"ioport","first":"0x604","last":"0x605","what":"pm1","status":"refused","reason":"used"}]}"#;

    fn host() -> HostView {
        HostView {
            dmi: [("sys_vendor".to_string(), "QEMU".to_string())].into(),
            xen: XenRelease::parse("4.17.7"),
            guest_type: Some("pv".into()),
        }
    }

    #[test]
    fn parses_a_plan() {
        let p = parse("p", PLAN.as_bytes()).unwrap();
        assert_eq!(p.ranges.len(), 2);
        assert_eq!(p.planned().count(), 1);
        assert_eq!(p.ranges[0].first, 0x8f);
        assert_eq!(p.xen.domctl_version(), Some(0x15));
        assert!(check_host(&p, "p", &host(), false, true).is_ok());
    }

    #[test]
    fn refusals_enforce_adds_to_the_documents_own() {
        let e = |s: &str| parse("p", s.as_bytes()).unwrap_err().to_string();
        assert!(e("not json").contains("malformed"));
        assert!(e(r#"{"schema":"dom0scope-audit/1","revoke":[]}"#).contains("schema"));
        assert!(e(r#"{"schema":"dom0scope-plan/1","revoke":[]}"#).contains("no Xen version"));
        assert!(
            e(r#"{"schema":"dom0scope-plan/1","xen_version":"4.9.0","revoke":[]}"#)
                .contains("does not know")
        );
        // The document's own checks (ranges, resources, statuses) are harden's, tested there
        // (crates/harden/src/plan/tests.rs); here only that they reach enforce's caller.
        assert!(
            e(r#"{"schema":"dom0scope-plan/1","xen_version":"4.20.4","revoke":[{"resource":"iomem","first":"0x90","last":"0x8f","status":"planned"}]}"#)
                .contains("above last")
        );
    }

    #[test]
    fn host_checks() {
        let p = parse("p", PLAN.as_bytes()).unwrap();
        let mut h = host();
        h.dmi.insert("sys_vendor".into(), "Dell Inc.".into());
        let e = check_host(&p, "p", &h, true, true).unwrap_err().to_string();
        assert!(e.contains("another host") && e.contains("Dell"), "{e}");
        let mut h = host();
        h.xen = XenRelease::parse("4.20.4");
        assert!(matches!(
            check_host(&p, "p", &h, false, true),
            Err(PlanError::XenMismatch { .. })
        ));
        h.xen = None;
        assert!(matches!(
            check_host(&p, "p", &h, false, true),
            Err(PlanError::NoRunningXen { .. })
        ));
        assert!(check_host(&p, "p", &h, false, false).is_ok());
        let mut h = host();
        h.guest_type = Some("pvh".into());
        assert!(matches!(
            check_host(&p, "p", &h, false, true),
            Err(PlanError::Dom0Mode { .. })
        ));
        let mut anon = p.clone();
        anon.doc.host.clear();
        assert!(matches!(
            check_host(&anon, "p", &host(), false, true),
            Err(PlanError::NoHostIdentity { .. })
        ));
        assert!(check_host(&anon, "p", &host(), true, true).is_ok());
    }
}

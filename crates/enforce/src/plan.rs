//! Loading a `dom0scope-plan/1` document and checking it against the running host, before
//! anything is changed.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::abi;

/// The plan schema enforce understands (written by `dom0scope harden -o`).
pub const SCHEMA: &str = "dom0scope-plan/1";
/// Largest plan file read (a real plan is a few tens of KiB).
pub const MAX_PLAN_BYTES: u64 = 16 << 20;
/// Highest machine frame number x86-64 can address (52-bit physical addresses).
const MAX_MFN: u64 = (1 << 40) - 1;

/// Which permission a range is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Machine frames (`XEN_DOMCTL_iomem_permission`).
    Iomem,
    /// I/O ports (`XEN_DOMCTL_ioport_permission`).
    Ioport,
}

impl Resource {
    pub fn label(self) -> &'static str {
        match self {
            Resource::Iomem => "iomem",
            Resource::Ioport => "ioport",
        }
    }
}

/// A range's status in the plan; only `Planned` ranges are ever applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Planned,
    Refused,
    Unchecked,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::Refused => "refused",
            Status::Unchecked => "unchecked",
        }
    }
}

/// One range of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub resource: Resource,
    /// First frame or port, inclusive.
    pub first: u64,
    /// Last frame or port, inclusive.
    pub last: u64,
    pub what: String,
    pub status: Status,
    /// The plan's reason (why safe, refused or unchecked).
    pub reason: String,
}

impl Range {
    /// `iomem 0x8f-0x90 (Xen AP trampoline)`.
    pub fn describe(&self) -> String {
        format!(
            "{} {:#x}-{:#x} ({})",
            self.resource.label(),
            self.first,
            self.last,
            self.what
        )
    }
}

/// The Xen release a plan was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XenRelease {
    pub major: u32,
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

/// A parsed plan whose structure has been checked (not yet against the host).
#[derive(Debug, Clone)]
pub struct Plan {
    pub host: BTreeMap<String, String>,
    pub snapshot: String,
    pub xen: XenRelease,
    pub dom0_mode: Option<String>,
    pub ranges: Vec<Range>,
}

impl Plan {
    /// The ranges enforce would apply.
    pub fn planned(&self) -> impl Iterator<Item = &Range> {
        self.ranges.iter().filter(|r| r.status == Status::Planned)
    }
}

/// Why a plan is refused. Every refusal happens before any change to Xen.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot read plan {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("plan {path} is larger than {MAX_PLAN_BYTES} bytes: not a dom0scope plan")]
    TooLarge { path: String },
    #[error("plan {path} is malformed: {detail}")]
    Malformed { path: String, detail: String },
    #[error("plan {path} has schema {found:?}; enforce understands only {SCHEMA:?}")]
    Schema { path: String, found: String },
    #[error("plan {path}, range #{index}: {detail}; refusing the whole plan before any change")]
    BadRange {
        path: String,
        index: usize,
        detail: String,
    },
    #[error("plan {path} names no Xen version; enforce knows {}", known_versions())]
    NoXenVersion { path: String },
    #[error(
        "plan {path} was made for Xen {version}, which enforce does not know (it knows {}); \
         regenerate it with a dom0scope that does",
        known_versions()
    )]
    UnknownXen { path: String, version: String },
    #[error(
        "the running Xen is {running}, but the plan was made for Xen {planned}; \
         collect and plan again on this Xen"
    )]
    XenMismatch { running: String, planned: String },
    #[error(
        "the running Xen's version is {running}, which enforce does not know (it knows {})",
        known_versions()
    )]
    UnknownRunningXen { running: String },
    #[error("cannot tell the running Xen's version ({detail}); refusing to issue domctls blind")]
    NoRunningXen { detail: String },
    #[error(
        "plan {path} has no host identity (a bare-log plan); pass --force-host to apply it to this host anyway"
    )]
    NoHostIdentity { path: String },
    #[error("plan {path} is for another host: {detail}")]
    OtherHost { path: String, detail: String },
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

#[derive(Deserialize)]
struct RawPlan {
    schema: Option<serde_json::Value>,
    #[serde(default)]
    host: BTreeMap<String, String>,
    #[serde(default)]
    snapshot: Option<String>,
    #[serde(default)]
    xen_version: Option<String>,
    #[serde(default)]
    dom0_mode: Option<String>,
    revoke: Option<Vec<RawRange>>,
}

#[derive(Deserialize)]
struct RawRange {
    resource: String,
    first: serde_json::Value,
    last: serde_json::Value,
    #[serde(default)]
    what: String,
    status: String,
    #[serde(default)]
    reason: String,
}

fn number(v: &serde_json::Value) -> Result<u64, String> {
    match v {
        serde_json::Value::Number(n) => n.as_u64().ok_or_else(|| format!("{n} is not a u64")),
        serde_json::Value::String(s) => {
            let t = s.trim();
            let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(h, 16),
                None => t.parse(),
            };
            r.map_err(|_| format!("{s:?} is not a number"))
        }
        other => Err(format!("{other} is not a number")),
    }
}

/// Reads and parses a plan file (at most [`MAX_PLAN_BYTES`]).
pub fn load(path: &Path) -> Result<Plan, PlanError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let read = |e| PlanError::Read {
        path: shown.clone(),
        source: e,
    };
    let f = std::fs::File::open(path).map_err(read)?;
    let mut bytes = Vec::new();
    f.take(MAX_PLAN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read)?;
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(PlanError::TooLarge { path: shown });
    }
    parse(&shown, &bytes)
}

/// Parses a plan document; `path` only names it in errors.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Plan, PlanError> {
    let malformed = |detail: String| PlanError::Malformed {
        path: path.into(),
        detail,
    };
    let raw: RawPlan = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    match &raw.schema {
        Some(serde_json::Value::String(s)) if s == SCHEMA => {}
        Some(v) => {
            return Err(PlanError::Schema {
                path: path.into(),
                found: v.as_str().map_or_else(|| v.to_string(), str::to_string),
            });
        }
        None => return Err(malformed("no \"schema\" field".into())),
    }
    let revoke = raw
        .revoke
        .ok_or_else(|| malformed("no \"revoke\" list".into()))?;
    let xen_text = raw
        .xen_version
        .ok_or_else(|| PlanError::NoXenVersion { path: path.into() })?;
    let xen = XenRelease::parse(&xen_text)
        .filter(|x| x.domctl_version().is_some())
        .ok_or_else(|| PlanError::UnknownXen {
            path: path.into(),
            version: xen_text.clone(),
        })?;
    let mut ranges = Vec::with_capacity(revoke.len());
    for (i, r) in revoke.into_iter().enumerate() {
        let index = i + 1;
        let bad = |detail: String| PlanError::BadRange {
            path: path.into(),
            index,
            detail,
        };
        let resource = match r.resource.as_str() {
            "iomem" => Resource::Iomem,
            "ioport" => Resource::Ioport,
            other => return Err(bad(format!("unknown resource {other:?}"))),
        };
        let status = match r.status.as_str() {
            "planned" => Status::Planned,
            "refused" => Status::Refused,
            "unchecked" => Status::Unchecked,
            other => return Err(bad(format!("unknown status {other:?}"))),
        };
        let first = number(&r.first).map_err(|e| bad(format!("first: {e}")))?;
        let last = number(&r.last).map_err(|e| bad(format!("last: {e}")))?;
        if first > last {
            return Err(bad(format!("first {first:#x} is above last {last:#x}")));
        }
        let max = match resource {
            Resource::Iomem => MAX_MFN,
            Resource::Ioport => 0xffff,
        };
        if last > max {
            return Err(bad(format!(
                "last {last:#x} is beyond the largest {} ({max:#x})",
                if resource == Resource::Iomem {
                    "machine frame"
                } else {
                    "I/O port"
                }
            )));
        }
        ranges.push(Range {
            resource,
            first,
            last,
            what: r.what,
            status,
            reason: r.reason,
        });
    }
    Ok(Plan {
        host: raw.host,
        snapshot: raw.snapshot.unwrap_or_default(),
        xen,
        dom0_mode: raw.dom0_mode,
        ranges,
    })
}

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
        let read = |p: &Path| {
            std::fs::read(p)
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
    if let (Some(p), Some(r)) = (&plan.dom0_mode, &host.guest_type)
        && !p.eq_ignore_ascii_case(r)
    {
        return Err(PlanError::Dom0Mode {
            path: path.into(),
            planned: p.clone(),
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
    fn refusals() {
        let e = |s: &str| parse("p", s.as_bytes()).unwrap_err().to_string();
        assert!(e("not json").contains("malformed"));
        assert!(e(r#"{"schema":"dom0scope-audit/1","revoke":[]}"#).contains("schema"));
        assert!(e(r#"{"schema":"dom0scope-plan/1","revoke":[]}"#).contains("no Xen version"));
        assert!(
            e(r#"{"schema":"dom0scope-plan/1","xen_version":"4.9.0","revoke":[]}"#)
                .contains("does not know")
        );
        let r = |x: &str| {
            e(&format!(
                r#"{{"schema":"dom0scope-plan/1","xen_version":"4.20.4","revoke":[{x}]}}"#
            ))
        };
        assert!(
            r(r#"{"resource":"iomem","first":"0x90","last":"0x8f","status":"planned"}"#)
                .contains("above last")
        );
        assert!(
            r(r#"{"resource":"ioport","first":"0","last":"0x10000","status":"planned"}"#)
                .contains("largest I/O port")
        );
        assert!(
            r(r#"{"resource":"irq","first":"0","last":"1","status":"planned"}"#)
                .contains("unknown resource")
        );
        assert!(
            r(r#"{"resource":"iomem","first":"0","last":"1","status":"maybe"}"#)
                .contains("unknown status")
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
        anon.host.clear();
        assert!(matches!(
            check_host(&anon, "p", &host(), false, true),
            Err(PlanError::NoHostIdentity { .. })
        ));
        assert!(check_host(&anon, "p", &host(), true, true).is_ok());
    }
}

//! The plan document, `dom0scope-plan/1`: the one model `dom0scope harden` writes and
//! `dom0scope enforce` and `dom0scope verify --plan` read.
//!
//! Reading is strict, because a plan decides what dom0 gives up for good: the file is at most
//! [`MAX_PLAN_BYTES`], names the schema [`SCHEMA`], has no field this model does not know (at
//! any level), every field has its type, and every range has `first <= last` within what x86
//! can address. Every error names the file (and, from the JSON parser, the line and column).
//! Fields other than `schema`, `revoke` and a range's `resource`, `first`, `last` and `status`
//! may be left out (a hand-written plan); `dom0scope harden` always writes them all.

use std::collections::BTreeMap;
use std::path::Path;

use dom0scope_facts::evidence::hex;
use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_verdict::{Channel, Finding, Severity};
use serde::{Deserialize, Deserializer, Serialize};

use crate::check::Dom0Use;

/// The plan document's schema name.
pub const SCHEMA: &str = "dom0scope-plan/1";
/// Largest plan file read (a real plan is a few tens of KiB).
pub const MAX_PLAN_BYTES: u64 = 16 << 20;
/// Highest machine frame number x86-64 can address (52-bit physical addresses).
pub const MAX_MFN: u64 = (1 << 40) - 1;
/// Highest I/O port.
pub const MAX_PORT: u64 = 0xffff;

/// Which permission a range is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
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

    /// The largest frame or port of this resource.
    pub fn max(self) -> u64 {
        match self {
            Resource::Iomem => MAX_MFN,
            Resource::Ioport => MAX_PORT,
        }
    }
}

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "iomem" => Ok(Resource::Iomem),
            "ioport" => Ok(Resource::Ioport),
            other => Err(serde::de::Error::custom(format!(
                "unknown resource {other:?} (expected \"iomem\" or \"ioport\")"
            ))),
        }
    }
}

/// What the plan says about one range; only `Planned` ranges are ever applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Checked against dom0's own use and safe to give up.
    Planned,
    /// dom0 uses it (or it cannot be judged safe): keep it.
    Refused,
    /// dom0's use could not be checked (no `/proc` view in the snapshot): not safe
    /// to apply without checking by hand.
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

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "planned" => Ok(Status::Planned),
            "refused" => Ok(Status::Refused),
            "unchecked" => Ok(Status::Unchecked),
            other => Err(serde::de::Error::custom(format!(
                "unknown status {other:?} (expected \"planned\", \"refused\" or \"unchecked\")"
            ))),
        }
    }
}

/// A frame or port number: `"0x8f"` as harden writes it, a decimal string, or a JSON integer.
pub(crate) fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        Int(u64),
        Text(String),
    }
    let n = Num::deserialize(d).map_err(|_| {
        serde::de::Error::custom("expected a frame or port number (\"0x8f\", \"143\" or 143)")
    })?;
    match n {
        Num::Int(v) => Ok(v),
        Num::Text(s) => {
            let t = s.trim();
            let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(h, 16),
                None => t.parse(),
            };
            r.map_err(|_| serde::de::Error::custom(format!("{s:?} is not a number")))
        }
    }
}

fn de_dom0_mode<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Dom0Mode>, D::Error> {
    match Option::<String>::deserialize(d)?.as_deref() {
        None => Ok(None),
        Some("pv") => Ok(Some(Dom0Mode::Pv)),
        Some("pvh") => Ok(Some(Dom0Mode::Pvh)),
        Some(other) => Err(serde::de::Error::custom(format!(
            "unknown dom0_mode {other:?} (expected \"pv\", \"pvh\" or null)"
        ))),
    }
}

/// One range dom0 could give up, with what the plan says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub resource: Resource,
    /// First frame (iomem) or port (ioport), inclusive.
    #[serde(serialize_with = "hex::u64", deserialize_with = "de_u64")]
    pub first: u64,
    /// Last frame or port, inclusive.
    #[serde(serialize_with = "hex::u64", deserialize_with = "de_u64")]
    pub last: u64,
    /// What lies there.
    #[serde(default)]
    pub what: String,
    /// The rules this range (with the rest of the plan) closes, as the what-if shows.
    #[serde(default)]
    pub closes: Vec<String>,
    /// Rules it bears on that this range does not close: the range is not
    /// planned, or the rule stays open after the whole plan (other ranges or
    /// other ways in remain).
    #[serde(default)]
    pub narrows: Vec<String>,
    /// What dom0 loses by giving it up.
    #[serde(default)]
    pub loses: String,
    pub status: Status,
    /// Why it is safe, why it is refused, or why it could not be checked.
    #[serde(default)]
    pub reason: String,
    /// dom0's own `/proc` entries overlapping the range.
    #[serde(default)]
    pub dom0_use: Vec<Dom0Use>,
    /// Conditions the plan rests on.
    #[serde(default)]
    pub caveats: Vec<String>,
    /// Parts of the range that Xen's rangesets in the snapshot already lack although the
    /// model predicts Xen grants them at boot: given up earlier in the boot the snapshot was
    /// taken in (by `enforce`). They stay in the plan so that the next boot gives them up
    /// too. Added within `dom0scope-plan/1`: written only when non-empty, so plans without
    /// it are unchanged and older plans read as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub already_absent: Vec<Span>,
}

/// A sub-range of a [`Range`], in the range's unit (frames or ports), inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Span {
    #[serde(serialize_with = "hex::u64", deserialize_with = "de_u64")]
    pub first: u64,
    #[serde(serialize_with = "hex::u64", deserialize_with = "de_u64")]
    pub last: u64,
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#x}-{:#x}", self.first, self.last)
    }
}

/// The name the plan's ranges had before the model was shared.
pub type Revocation = Range;

impl Range {
    /// `frames 0x9e-0x9f` / `ports 0xcf9-0xcf9`.
    pub fn span(&self) -> String {
        let what = match self.resource {
            Resource::Iomem => "frames",
            Resource::Ioport => "ports",
        };
        format!("{what} {:#x}-{:#x}", self.first, self.last)
    }

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

/// One remedy another party must deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// The finding it closes.
    pub rule: String,
    pub title: String,
    pub text: String,
    /// The self-revocation plan already closes this finding (on today's Xen).
    pub closed_by_plan: bool,
}

/// Remedies of one delivery channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelChanges {
    pub channel: Channel,
    /// The channel's label, as written.
    pub label: String,
    pub changes: Vec<Change>,
}

/// A finding, briefly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingRef {
    pub id: String,
    pub title: String,
    pub severity: Severity,
}

impl From<&Finding> for FindingRef {
    fn from(f: &Finding) -> FindingRef {
        FindingRef {
            id: f.id.clone(),
            title: f.title.clone(),
            severity: f.severity,
        }
    }
}

/// The verdict on the observed reach minus the planned ranges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Residual {
    pub level_before: String,
    pub level_after: String,
    /// Findings before that are gone after.
    pub closed: Vec<FindingRef>,
    /// Findings still there after.
    pub remaining: Vec<FindingRef>,
    /// Findings only after (should not happen; reported if it does).
    pub opened: Vec<FindingRef>,
    /// Frames and ports the what-if removed from the observed reach.
    pub frames_removed: u64,
    pub ports_removed: u64,
}

/// The whole plan, as written to and read from a `dom0scope-plan/1` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Always [`SCHEMA`] ([`parse`] refuses anything else).
    pub schema: String,
    /// The snapshot manifest's `host` (DMI identity); empty for a bare log.
    #[serde(default)]
    pub host: BTreeMap<String, String>,
    /// The snapshot's label (`config` in the manifest, or its path).
    #[serde(default)]
    pub snapshot: String,
    /// `4.17.7` as Xen's banner states it.
    #[serde(default)]
    pub xen_version: Option<String>,
    #[serde(default, deserialize_with = "de_dom0_mode")]
    pub dom0_mode: Option<Dom0Mode>,
    /// dom0's `/proc/iomem` and `/proc/ioports` were in the snapshot.
    #[serde(default)]
    pub dom0_use_checked: bool,
    /// Ranges dom0 could give up, each with its status (`revoke` in the file).
    #[serde(rename = "revoke")]
    pub ranges: Vec<Range>,
    /// Remedies only Xen can deliver (command line, signed built-in command line,
    /// Kconfig, FLASK policy, Xen patch), by channel.
    #[serde(default)]
    pub xen_changes: Vec<ChannelChanges>,
    /// Remedies for the firmware or dom0's kernel, by channel.
    #[serde(default)]
    pub other_changes: Vec<ChannelChanges>,
    #[serde(default)]
    pub residual: Option<Residual>,
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Plan {
    /// The versioned JSON document, as `dom0scope harden -o` writes it.
    pub fn to_json(&self) -> String {
        // Serializing plain strings, numbers and maps cannot fail; an error would be a bug.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Ranges of one status.
    pub fn with_status(&self, s: Status) -> impl Iterator<Item = &Range> {
        self.ranges.iter().filter(move |r| r.status == s)
    }

    /// The ranges `enforce` applies (status `planned`).
    pub fn planned(&self) -> impl Iterator<Item = &Range> {
        self.with_status(Status::Planned)
    }
}

/// Why a plan file is refused.
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
    #[error("plan {path} has schema {found:?}; dom0scope understands only {SCHEMA:?}")]
    Schema { path: String, found: String },
    #[error("plan {path}, range #{index}: {detail}; refusing the whole plan")]
    BadRange {
        path: String,
        index: usize,
        detail: String,
    },
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
    parse(&shown, &bytes)
}

/// Parses and checks a plan document; `path` only names it in errors.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Plan, PlanError> {
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(PlanError::TooLarge { path: path.into() });
    }
    let malformed = |detail: String| PlanError::Malformed {
        path: path.into(),
        detail,
    };
    // The schema first, so that another document (an audit report) is named as such rather
    // than refused for its first unknown field.
    #[derive(Deserialize)]
    struct Head {
        schema: Option<serde_json::Value>,
    }
    let head: Head = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    match head.schema {
        Some(serde_json::Value::String(s)) if s == SCHEMA => {}
        Some(v) => {
            return Err(PlanError::Schema {
                path: path.into(),
                found: v.as_str().map_or_else(|| v.to_string(), str::to_string),
            });
        }
        None => return Err(malformed("no \"schema\" field".into())),
    }
    let plan: Plan = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    for (i, r) in plan.ranges.iter().enumerate() {
        let bad = |detail: String| PlanError::BadRange {
            path: path.into(),
            index: i + 1,
            detail,
        };
        if r.first > r.last {
            return Err(bad(format!(
                "first {:#x} is above last {:#x}",
                r.first, r.last
            )));
        }
        let max = r.resource.max();
        if r.last > max {
            return Err(bad(format!(
                "last {:#x} is beyond the largest {} ({max:#x})",
                r.last,
                match r.resource {
                    Resource::Iomem => "machine frame",
                    Resource::Ioport => "I/O port",
                }
            )));
        }
        if let Some(a) = r
            .already_absent
            .iter()
            .find(|a| a.first > a.last || a.first < r.first || a.last > r.last)
        {
            return Err(bad(format!(
                "already_absent {a} is not a sub-range of {:#x}-{:#x}",
                r.first, r.last
            )));
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"schema":"dom0scope-plan/1","xen_version":"4.17.7","revoke":[
      {"resource":"iomem","first":"0x8f","last":143,"status":"planned"},
      {"resource":"ioport","first":"1540","last":"0x605","what":"pm1","status":"refused","reason":"used"}]}"#;

    #[test]
    fn a_minimal_plan_parses_with_defaults() {
        let p = parse("p", MINIMAL.as_bytes()).unwrap();
        assert_eq!(p.ranges.len(), 2);
        assert_eq!((p.ranges[0].first, p.ranges[0].last), (0x8f, 0x8f));
        assert_eq!(p.ranges[1].first, 0x604);
        assert_eq!(p.planned().count(), 1);
        assert!(p.host.is_empty() && p.dom0_mode.is_none() && p.residual.is_none());
        // Written back, it is a full document that parses to the same plan.
        assert_eq!(parse("q", p.to_json().as_bytes()).unwrap(), p);
    }

    #[test]
    fn refusals_name_the_file_and_the_fault() {
        let e = |s: &str| parse("/etc/p.json", s.as_bytes()).unwrap_err().to_string();
        let m = e("not json");
        assert!(m.starts_with("plan /etc/p.json is malformed"), "{m}");
        assert!(e("[]").contains("malformed"));
        assert!(e(r#"{"revoke":[]}"#).contains("no \"schema\" field"));
        assert!(
            e(r#"{"schema":"dom0scope-audit/1","findings":[]}"#)
                .contains("has schema \"dom0scope-audit/1\"")
        );
        assert!(e(r#"{"schema":7}"#).contains("has schema \"7\""));
        assert!(e(r#"{"schema":"dom0scope-plan/1"}"#).contains("missing field `revoke`"));
        assert!(
            e(r#"{"schema":"dom0scope-plan/1","revoke":[],"extra":1}"#)
                .contains("unknown field `extra`")
        );
        assert!(
            e(r#"{"schema":"dom0scope-plan/1","revoke":[],"dom0_mode":"hvm"}"#)
                .contains("unknown dom0_mode \"hvm\"")
        );
        assert!(
            e(r#"{"schema":"dom0scope-plan/1","revoke":[],"host":{"a":1}}"#).contains("malformed")
        );
        let r = |x: &str| {
            e(&format!(
                r#"{{"schema":"dom0scope-plan/1","revoke":[{x}]}}"#
            ))
        };
        let m = r(r#"{"resource":"iomem","first":"0x90","last":"0x8f","status":"planned"}"#);
        assert!(
            m.contains("range #1: first 0x90 is above last 0x8f") && m.contains("/etc/p.json"),
            "{m}"
        );
        assert!(
            r(r#"{"resource":"ioport","first":"0","last":"0x10000","status":"planned"}"#)
                .contains("largest I/O port")
        );
        assert!(
            r(r#"{"resource":"iomem","first":"0","last":"0x10000000000","status":"planned"}"#)
                .contains("largest machine frame")
        );
        assert!(
            r(r#"{"resource":"irq","first":"0","last":"1","status":"planned"}"#)
                .contains("unknown resource \"irq\"")
        );
        assert!(
            r(r#"{"resource":"iomem","first":"0","last":"1","status":"maybe"}"#)
                .contains("unknown status \"maybe\"")
        );
        assert!(
            r(r#"{"resource":"iomem","first":"0x","last":"1","status":"planned"}"#)
                .contains("\"0x\" is not a number")
        );
        assert!(
            r(r#"{"resource":"iomem","first":-1,"last":"1","status":"planned"}"#)
                .contains("expected a frame or port number")
        );
        assert!(
            r(r#"{"resource":"iomem","first":"0","last":"1","status":"planned","bogus":true}"#)
                .contains("unknown field `bogus`")
        );
        assert!(
            r(r#"{"resource":"iomem","first":"0","last":"1","status":"planned","dom0_use":[{"x":1}]}"#)
                .contains("unknown field `x`")
        );
        let huge = vec![b' '; MAX_PLAN_BYTES as usize + 1];
        assert!(matches!(parse("p", &huge), Err(PlanError::TooLarge { .. })));
    }

    #[test]
    fn already_absent_is_optional_additive_and_checked() {
        // A plan written before the field existed (real Xen 4.17, harden on the before-snapshot).
        let old = load(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../testdata/snapshots/e417-pv-q35-bios-plan.json"),
        )
        .unwrap();
        assert!(old.ranges.iter().all(|r| r.already_absent.is_empty()));
        assert!(!old.to_json().contains("already_absent"));
        let with = r#"{"schema":"dom0scope-plan/1","revoke":[
          {"resource":"iomem","first":"0x8f","last":"0x90","status":"planned",
           "already_absent":[{"first":"0x8f","last":"0x90"}]}]}"#;
        let p = parse("p", with.as_bytes()).unwrap();
        assert_eq!(
            p.ranges[0].already_absent,
            [Span {
                first: 0x8f,
                last: 0x90
            }]
        );
        assert!(p.to_json().contains(r#""first": "0x8f""#));
        assert_eq!(parse("q", p.to_json().as_bytes()).unwrap(), p);
        let bad = with.replace(
            r#"{"first":"0x8f","last":"0x90"}"#,
            r#"{"first":"0x8e","last":"0x90"}"#,
        );
        let e = parse("/p", bad.as_bytes()).unwrap_err().to_string();
        assert!(
            e.contains("range #1: already_absent 0x8e-0x90 is not a sub-range of 0x8f-0x90"),
            "{e}"
        );
        let bad = with.replace(r#""last":"0x90"}]"#, r#""last":"0x90","x":1}]"#);
        assert!(
            parse("/p", bad.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("unknown field `x`")
        );
    }

    #[test]
    fn load_names_a_missing_file() {
        let e = load(Path::new("/nonexistent/plan.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read plan /nonexistent/plan.json"), "{e}");
    }
}

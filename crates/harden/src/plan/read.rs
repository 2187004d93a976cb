//! Reading a plan, strictly, because a plan decides what dom0 gives up for good: the file is
//! at most [`MAX_PLAN_BYTES`], names the schema [`SCHEMA`], has no field the model does not
//! know (at any level), every field has its type, and every range has `first <= last` within
//! what x86 can address. Every error names the file (and, from the JSON parser, the line and
//! column).

use std::path::Path;

use dom0scope_facts::xenlog::Dom0Mode;
use serde::{Deserialize, Deserializer};

use super::{MAX_PLAN_BYTES, Plan, Resource, SCHEMA, Status};

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
        Num::Text(s) => dom0scope_ranges::parse_number(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a number"))),
    }
}

pub(super) fn de_dom0_mode<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Dom0Mode>, D::Error> {
    match Option::<String>::deserialize(d)?.as_deref() {
        None => Ok(None),
        Some("pv") => Ok(Some(Dom0Mode::Pv)),
        Some("pvh") => Ok(Some(Dom0Mode::Pvh)),
        Some(other) => Err(serde::de::Error::custom(format!(
            "unknown dom0_mode {other:?} (expected \"pv\", \"pvh\" or null)"
        ))),
    }
}

/// Why a plan file is refused.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file could not be read: missing, unreadable, or not a regular file (a FIFO or a
    /// device is refused before it is opened).
    #[error("cannot read plan {0}")]
    Read(dom0scope_boundedread::ReadError),
    /// Over [`MAX_PLAN_BYTES`]: not read as a plan.
    #[error("plan {path} is larger than {MAX_PLAN_BYTES} bytes: not a dom0scope plan")]
    TooLarge {
        /// The file, as given.
        path: String,
    },
    /// Not JSON, not the plan's shape, or no `schema` field.
    #[error("plan {path} is malformed: {detail}")]
    Malformed {
        /// The file, as given.
        path: String,
        /// The JSON parser's message, or that the `schema` field is missing.
        detail: String,
    },
    /// Another document, e.g. an audit report.
    #[error("plan {path} has schema {found:?}; dom0scope understands only {SCHEMA:?}")]
    Schema {
        /// The file, as given.
        path: String,
        /// The document's `schema` value.
        found: String,
    },
    /// A range that cannot be right (first above last, beyond the largest frame or port, an
    /// `already_absent` part outside it): the whole plan is refused.
    #[error("plan {path}, range #{index}: {detail}; refusing the whole plan")]
    BadRange {
        /// The file, as given.
        path: String,
        /// The range's position in `revoke`, from 1.
        index: usize,
        /// What is wrong with it.
        detail: String,
    },
}

/// Reads and parses a plan file (a regular file of at most [`MAX_PLAN_BYTES`]), through the
/// shared bounded reader.
pub fn load(path: &Path) -> Result<Plan, PlanError> {
    let shown = path.display().to_string();
    let bytes =
        dom0scope_boundedread::read(path, MAX_PLAN_BYTES).map_err(|e| match e.problem() {
            dom0scope_boundedread::Problem::TooLarge { .. } => PlanError::TooLarge {
                path: shown.clone(),
            },
            _ => PlanError::Read(e),
        })?;
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
        let max = super::max_of(r.resource);
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

//! The plan document, `dom0scope-plan/1`: the one model `dom0scope harden` writes and
//! `dom0scope enforce` and `dom0scope verify --plan` read.
//!
//! Fields other than `schema`, `revoke` and a range's `resource`, `first`, `last` and `status`
//! may be left out (a hand-written plan); `dom0scope harden` always writes them all. Reading a
//! plan ([`load`], [`parse`]) is strict and kept apart from the model, in `read`.

mod read;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use dom0scope_facts::evidence::hex;
use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_ranges::IoRange;
use dom0scope_verdict::{Channel, Finding, Severity};
use serde::{Deserialize, Serialize};

use crate::check::Dom0Use;

use read::de_dom0_mode;
pub(crate) use read::de_u64;
pub use read::{PlanError, load, parse};

/// The plan document's schema name.
pub const SCHEMA: &str = "dom0scope-plan/1";
/// Largest plan file read (a real plan is a few tens of KiB).
pub const MAX_PLAN_BYTES: u64 = 16 << 20;
/// Highest machine frame number x86-64 can address (52-bit physical addresses).
pub const MAX_MFN: u64 = (1 << 40) - 1;
/// Highest I/O port.
pub const MAX_PORT: u64 = 0xffff;

pub use dom0scope_ranges::Resource;

/// The largest frame or port a plan may name for `r`.
pub fn max_of(r: Resource) -> u64 {
    match r {
        Resource::Iomem => MAX_MFN,
        Resource::Ioport => MAX_PORT,
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
    /// The name the plan file and reports use (`planned`, `refused`, `unchecked`).
    pub fn label(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::Refused => "refused",
            Status::Unchecked => "unchecked",
        }
    }
}

/// One range dom0 could give up, with what the plan says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Whether the range is machine frames or I/O ports.
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
    /// Whether `enforce` may give the range up: only `planned` ranges are applied.
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
    /// First frame or port (inclusive).
    #[serde(serialize_with = "hex::u64", deserialize_with = "de_u64")]
    pub first: u64,
    /// Last frame or port (inclusive).
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
    /// The range, typed by its resource (None when backwards or ports beyond 0xffff, which
    /// the plan reader refuses).
    pub fn io_range(&self) -> Option<IoRange> {
        self.resource.range(self.first, self.last)
    }

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
    /// The finding's title.
    pub title: String,
    /// The remedy, its template filled for this host.
    pub text: String,
    /// The self-revocation plan already closes this finding (on today's Xen).
    pub closed_by_plan: bool,
}

/// Remedies of one delivery channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelChanges {
    /// Who delivers these remedies.
    pub channel: Channel,
    /// The channel's label, as written.
    pub label: String,
    /// Each remedy of this channel, with the finding it closes.
    pub changes: Vec<Change>,
}

/// A finding, briefly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingRef {
    /// The rule's stable identifier.
    pub id: String,
    /// The rule's title.
    pub title: String,
    /// The rule's severity under the policy in force.
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
    /// The level label (e.g. `DOM0:1!`) on the observed reach.
    pub level_before: String,
    /// The level label once the planned ranges are given up.
    pub level_after: String,
    /// Findings before that are gone after.
    pub closed: Vec<FindingRef>,
    /// Findings still there after.
    pub remaining: Vec<FindingRef>,
    /// Findings only after (should not happen; reported if it does).
    pub opened: Vec<FindingRef>,
    /// Frames and ports the what-if removed from the observed reach.
    pub frames_removed: u64,
    /// I/O ports the what-if removed from the observed reach.
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
    /// dom0's mode when Xen's log states it; `enforce` refuses the plan on a dom0 in another mode.
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
    /// The what-if verdict without the planned ranges; None when dom0's observed reach is unknown.
    #[serde(default)]
    pub residual: Option<Residual>,
    /// What the plan could not do or check, and why.
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

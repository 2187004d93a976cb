//! Is a range safe to give up? Checked against dom0's own `/proc/iomem` and
//! `/proc/ioports` in the snapshot.
//!
//! Entries there are of three kinds:
//! - **claims**: a driver or the kernel registered the range (`IOAPIC 0`,
//!   `efifb`, `ACPI PM1a_CNT_BLK`, `PCI conf1`, a PCI BAR named by its
//!   function): dom0 uses it, so the range is refused;
//! - **firmware-map mirrors**: entries Linux copies from the firmware memory map
//!   or bus windows (`Reserved`, `ACPI Non-volatile Storage`, `PCI Bus …`) that
//!   no driver claims: they do not make a range unsafe;
//! - **RAM**: `System RAM` and the kernel's image. In a PV dom0 these are
//!   pseudo-physical addresses, in a PVH dom0 guest-physical ones, not machine
//!   frames, so they say nothing about the machine frame at the same number;
//!   with the dom0 mode unknown the range is left unchecked.
//!
//! `harden` runs the check on the snapshot (`judge`); `enforce` runs the same check
//! ([`check_range`]) on dom0's live `/proc` just before it changes anything, because the
//! drivers at enforce time (another boot, another kernel) need not be the snapshot's.

use dom0scope_facts::evidence::hex;
use dom0scope_facts::linux::Dom0View;
use dom0scope_facts::linux::resources::ResourceEntry;
use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_ranges::{frame_end, frame_start};
use serde::{Deserialize, Serialize};

use crate::candidates::Candidate;
use crate::{Range, Resource, Revocation, Status};

/// How an overlapping `/proc` entry bears on the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UseKind {
    /// A driver or the kernel claims it: dom0 uses it.
    Claim,
    /// Copied from the firmware map or a bus window; no driver claims it.
    FirmwareMap,
    /// dom0's RAM, at (pseudo-/guest-)physical addresses.
    Ram,
}

/// One of dom0's `/proc` entries overlapping a planned range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dom0Use {
    /// `linux/iomem` or `linux/ioports`.
    pub artifact: String,
    /// 1-based line of the entry in that table.
    pub line: u32,
    /// First address (iomem: byte, ioports: port) of the entry.
    #[serde(serialize_with = "hex::u64", deserialize_with = "crate::plan::de_u64")]
    pub start: u64,
    /// Last address of the entry (inclusive).
    #[serde(serialize_with = "hex::u64", deserialize_with = "crate::plan::de_u64")]
    pub end: u64,
    /// The name Linux gives the entry, e.g. `IOAPIC 0` or a PCI function.
    pub name: String,
    /// Whether the entry makes the range unsafe to give up (claims do).
    pub kind: UseKind,
}

impl Dom0Use {
    /// The entry as a check reason quotes it: `linux/iomem:12: fec00000-fec003ff : IOAPIC 0`.
    pub fn cite(&self) -> String {
        format!(
            "{}:{}: {:x}-{:x} : {}",
            self.artifact, self.line, self.start, self.end, self.name
        )
    }
}

const RAM: &[&str] = &[
    "System RAM",
    "Kernel code",
    "Kernel rodata",
    "Kernel data",
    "Kernel bss",
    "RAM buffer",
    "Crash kernel",
];

const IOMEM_MIRRORS: &[&str] = &[
    "Reserved",
    "reserved",
    "ACPI Non-volatile Storage",
    "ACPI Tables",
    "System ROM",
    "Video ROM",
    "Adapter ROM",
    "Unknown E820 type",
    "Persistent Memory (legacy)",
];

fn iomem_kind(name: &str) -> UseKind {
    if RAM.contains(&name) {
        UseKind::Ram
    } else if IOMEM_MIRRORS.contains(&name)
        || name.starts_with("PCI Bus ")
        || name.starts_with("PCI MMCONFIG ")
    {
        UseKind::FirmwareMap
    } else {
        UseKind::Claim
    }
}

fn ioport_kind(name: &str) -> UseKind {
    if name.starts_with("PCI Bus ") {
        UseKind::FirmwareMap
    } else {
        UseKind::Claim
    }
}

fn overlapping(
    entries: &[ResourceEntry],
    artifact: &str,
    start: u64,
    end: u64,
    kind: fn(&str) -> UseKind,
) -> Vec<Dom0Use> {
    entries
        .iter()
        .filter(|e| e.start <= end && e.end >= start)
        .map(|e| Dom0Use {
            artifact: artifact.into(),
            line: e.line,
            start: e.start,
            end: e.end,
            name: e.name.clone(),
            kind: kind(&e.name),
        })
        .collect()
}

/// Where a [`Dom0View`]'s two tables came from, as the check cites them: `linux/iomem` and
/// `linux/ioports` in a snapshot, `/proc/iomem` and `/proc/ioports` in a running dom0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewSource<'a> {
    /// Name cited for the memory table (`linux/iomem` or `/proc/iomem`).
    pub iomem: &'a str,
    /// Name cited for the port table (`linux/ioports` or `/proc/ioports`).
    pub ioports: &'a str,
}

impl ViewSource<'static> {
    /// A snapshot's `linux/iomem` and `linux/ioports`.
    pub const SNAPSHOT: ViewSource<'static> = ViewSource {
        iomem: "linux/iomem",
        ioports: "linux/ioports",
    };
}

/// The outcome of checking one range against dom0's own use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// `Planned` only when the range is safe to give up.
    pub status: Status,
    /// Why it is safe, refused or unchecked (claims cited as `file:line: entry`).
    pub reason: String,
    /// dom0's entries overlapping the range.
    pub uses: Vec<Dom0Use>,
}

/// Checks a plan range against a dom0 view: the check `harden` makes on a snapshot, for
/// `enforce` to repeat on dom0's live `/proc` before any change. `mode` matters for RAM
/// entries, which are pseudo-physical (PV) or guest-physical (PVH) and say nothing about the
/// machine frame of the same number; with the mode unknown such a range is unchecked.
pub fn check_range(
    range: &Range,
    view: &Dom0View,
    mode: Option<Dom0Mode>,
    source: ViewSource<'_>,
) -> Judgement {
    assess(
        range.resource,
        range.first,
        range.last,
        (None, None),
        Some(view),
        mode,
        source,
    )
}

fn assess(
    resource: Resource,
    first: u64,
    last: u64,
    (refuse, doubt): (Option<&str>, Option<&str>),
    view: Option<&Dom0View>,
    mode: Option<Dom0Mode>,
    source: ViewSource<'_>,
) -> Judgement {
    let (start, end, table, artifact) = match resource {
        Resource::Iomem => (
            frame_start(first),
            frame_end(last),
            "/proc/iomem",
            source.iomem,
        ),
        Resource::Ioport => (first, last, "/proc/ioports", source.ioports),
    };
    let uses = match (view, resource) {
        (Some(v), Resource::Iomem) => overlapping(&v.iomem, artifact, start, end, iomem_kind),
        (Some(v), Resource::Ioport) => overlapping(&v.ioports, artifact, start, end, ioport_kind),
        (None, _) => Vec::new(),
    };
    let (status, reason) = decide(resource, refuse, doubt, view, mode, table, &uses);
    Judgement {
        status,
        reason,
        uses,
    }
}

/// Decides a candidate's status against dom0's own use (in the snapshot).
pub(crate) fn judge(c: Candidate, view: Option<&Dom0View>, mode: Option<Dom0Mode>) -> Revocation {
    let j = assess(
        c.resource,
        c.first,
        c.last,
        (c.refuse.as_deref(), c.doubt.as_deref()),
        view,
        mode,
        ViewSource::SNAPSHOT,
    );
    Revocation {
        resource: c.resource,
        first: c.first,
        last: c.last,
        what: c.what,
        closes: c.closes,
        narrows: Vec::new(),
        loses: c.loses,
        status: j.status,
        reason: j.reason,
        dom0_use: j.uses,
        caveats: c.caveats,
        already_absent: Vec::new(),
    }
}

fn decide(
    resource: Resource,
    refuse: Option<&str>,
    doubt: Option<&str>,
    view: Option<&Dom0View>,
    mode: Option<Dom0Mode>,
    table: &str,
    uses: &[Dom0Use],
) -> (Status, String) {
    if let Some(why) = refuse {
        return (Status::Refused, why.to_owned());
    }
    let Some(view) = view else {
        return (
            Status::Unchecked,
            "dom0's /proc/iomem and /proc/ioports are not in the snapshot: whether dom0 uses this range cannot be checked".into(),
        );
    };
    let empty = match resource {
        Resource::Iomem => view.iomem.is_empty(),
        Resource::Ioport => view.ioports.is_empty(),
    };
    if empty {
        return (
            Status::Unchecked,
            format!(
                "dom0's {table} is not in the snapshot (or is empty): whether dom0 uses this range cannot be checked"
            ),
        );
    }
    let claims: Vec<String> = uses
        .iter()
        .filter(|u| u.kind == UseKind::Claim)
        .map(Dom0Use::cite)
        .collect();
    if !claims.is_empty() {
        return (
            Status::Refused,
            format!("dom0 uses it: {}", claims.join("; ")),
        );
    }
    if let Some(why) = doubt {
        return (Status::Unchecked, why.to_owned());
    }
    let ram: Vec<String> = uses
        .iter()
        .filter(|u| u.kind == UseKind::Ram)
        .map(Dom0Use::cite)
        .collect();
    let mut why = Vec::new();
    if !ram.is_empty() {
        match mode {
            Some(Dom0Mode::Pv) => why.push(format!(
                "the RAM entries there ({}) are a PV dom0's pseudo-physical addresses, not machine frames",
                ram.join("; ")
            )),
            Some(Dom0Mode::Pvh) => why.push(format!(
                "the RAM entries there ({}) are a PVH dom0's guest-physical addresses, not machine frames",
                ram.join("; ")
            )),
            None => {
                return (
                    Status::Unchecked,
                    format!(
                        "dom0's mode (PV/PVH) is unknown, so its RAM entries ({}) cannot be told apart from machine frames",
                        ram.join("; ")
                    ),
                );
            }
        }
    }
    let mirrors: Vec<String> = uses
        .iter()
        .filter(|u| u.kind == UseKind::FirmwareMap)
        .map(Dom0Use::cite)
        .collect();
    if mirrors.is_empty() && ram.is_empty() {
        why.insert(0, format!("no entry in dom0's {table} covers it"));
    } else if !mirrors.is_empty() {
        why.insert(
            0,
            format!(
                "no driver in dom0 claims it: dom0's {table} shows only firmware-map or bus-window entries there ({})",
                mirrors.join("; ")
            ),
        );
    } else {
        why.insert(0, format!("no driver in dom0 claims it in {table}"));
    }
    (Status::Planned, format!("safe: {}", why.join("; ")))
}

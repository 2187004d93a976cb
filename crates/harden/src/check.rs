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

use dom0scope_facts::evidence::hex;
use dom0scope_facts::linux::Dom0View;
use dom0scope_facts::linux::resources::ResourceEntry;
use dom0scope_facts::xenlog::Dom0Mode;
use serde::{Deserialize, Serialize};

use crate::{Candidate, Resource, Revocation, Status};

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
    pub line: u32,
    #[serde(serialize_with = "hex::u64", deserialize_with = "crate::plan::de_u64")]
    pub start: u64,
    #[serde(serialize_with = "hex::u64", deserialize_with = "crate::plan::de_u64")]
    pub end: u64,
    pub name: String,
    pub kind: UseKind,
}

impl Dom0Use {
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
    artifact: &'static str,
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

/// Decides a candidate's status against dom0's own use.
pub(crate) fn judge(c: Candidate, view: Option<&Dom0View>, mode: Option<Dom0Mode>) -> Revocation {
    let (start, end, table, artifact) = match c.resource {
        Resource::Iomem => (
            c.first << 12,
            (c.last << 12) | 0xfff,
            "/proc/iomem",
            "linux/iomem",
        ),
        Resource::Ioport => (c.first, c.last, "/proc/ioports", "linux/ioports"),
    };
    let uses = match (view, c.resource) {
        (Some(v), Resource::Iomem) => overlapping(&v.iomem, artifact, start, end, iomem_kind),
        (Some(v), Resource::Ioport) => overlapping(&v.ioports, artifact, start, end, ioport_kind),
        (None, _) => Vec::new(),
    };
    let (status, reason) = decide(&c, view, mode, table, &uses);
    Revocation {
        resource: c.resource,
        first: c.first,
        last: c.last,
        what: c.what,
        closes: c.closes,
        narrows: Vec::new(),
        loses: c.loses,
        status,
        reason,
        dom0_use: uses,
        caveats: c.caveats,
    }
}

fn decide(
    c: &Candidate,
    view: Option<&Dom0View>,
    mode: Option<Dom0Mode>,
    table: &str,
    uses: &[Dom0Use],
) -> (Status, String) {
    if let Some(why) = &c.refuse {
        return (Status::Refused, why.clone());
    }
    let Some(view) = view else {
        return (
            Status::Unchecked,
            "dom0's /proc/iomem and /proc/ioports are not in the snapshot: whether dom0 uses this range cannot be checked".into(),
        );
    };
    let empty = match c.resource {
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
    if let Some(why) = &c.doubt {
        return (Status::Unchecked, why.clone());
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

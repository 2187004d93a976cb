//! `dom0scope map`: the owner-tagged map of the whole machine, with dom0's
//! access per range (from Xen's rangesets, and the model's read-only set).

use dom0scope_ranges::frame_of;
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use dom0scope_facts::Evidence;
use dom0scope_inventory::{Device, Inventory, Owner, PortOwner, human_size};
use dom0scope_reach::Reach;
use serde::Serialize;

use super::input::{Format, Output, emit, load};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot directory, .tar/.tar.gz, or bare Xen log (default: the bundled example).
    pub snapshot: Option<PathBuf>,
    /// Also list unclaimed ranges and I/O ports.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub out: Output,
}

/// dom0's access to a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Every frame/port is in dom0's rangeset.
    Yes,
    /// Mappable, but only read-only (Xen's mmio_ro_ranges, from the model).
    ReadOnly,
    Partial,
    No,
    /// No `q` dump to tell.
    Unknown,
}

impl Access {
    fn label(self) -> &'static str {
        match self {
            Access::Yes => "reachable",
            Access::ReadOnly => "reachable read-only",
            Access::Partial => "partly reachable",
            Access::No => "denied",
            Access::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Serialize)]
struct Row {
    kind: &'static str,
    start: String,
    end: String,
    size: u64,
    owner: String,
    access: Access,
    source: Option<Evidence>,
    /// The PCI function behind the owner, with display names.
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<Device>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (snapshot, analysis) = load(args.snapshot.as_deref())?;
    let (inventory, reach) = (analysis.inventory(), analysis.reach());
    let rows = rows(inventory, reach, args.all);
    let out = match args.out.format {
        Format::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                schema: &'static str,
                snapshot: String,
                phys_bits: u8,
                phys_bits_assumed: bool,
                /// Bytes of dom0-reachable frames no artifact claims (None: no `q` dump).
                unclaimed_reachable_bytes: Option<u64>,
                rows: &'a [Row],
                notes: &'a [String],
            }
            let mut s = serde_json::to_string_pretty(&Doc {
                schema: "dom0scope-map/1",
                snapshot: snapshot.origin.label(),
                phys_bits: inventory.phys_bits,
                phys_bits_assumed: inventory.phys_bits_assumed,
                unclaimed_reachable_bytes: unclaimed_reachable(inventory, reach),
                rows: &rows,
                notes: &inventory.notes,
            })?;
            s.push('\n');
            s
        }
        Format::Text => {
            let mut t = render(&snapshot.origin.label(), inventory, &rows);
            if let Some(u) = unclaimed_reachable(inventory, reach) {
                t.push_str(&format!(
                    "dom0 can reach {} of address space that no artifact claims (holes between everything named above)\n",
                    human_size(u)
                ));
            }
            t
        }
    };
    emit(&out, args.out.output.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

/// dom0's access to the frames of a byte range.
pub fn memory_access(reach: &Reach, start: u64, end: u64) -> Access {
    let Some(o) = reach.observed() else {
        return Access::Unknown;
    };
    let (first, last) = (frame_of(start), frame_of(end));
    let inside = o.iomem.intersect_range(first..=last);
    let n = u128::from(last - first) + 1;
    let access = if inside.count() == n {
        Access::Yes
    } else if inside.is_empty() {
        Access::No
    } else {
        Access::Partial
    };
    let ro = reach
        .predicted()
        .is_some_and(|p| p.ro_iomem.intersect_range(first..=last).count() == n);
    if access == Access::Yes && ro {
        Access::ReadOnly
    } else {
        access
    }
}

/// dom0's access to a port range.
pub fn port_access(reach: &Reach, start: u16, end: u16) -> Access {
    let Some(p) = reach.observed().and_then(|o| o.ioports.as_ref()) else {
        return Access::Unknown;
    };
    let inside = p.intersect_range(start..=end);
    if inside.count() == u128::from(end - start) + 1 {
        Access::Yes
    } else if inside.is_empty() {
        Access::No
    } else {
        Access::Partial
    }
}

fn rows(inv: &Inventory, reach: &Reach, all: bool) -> Vec<Row> {
    let mut out = Vec::new();
    for r in &inv.regions {
        if !all && r.owner == Owner::Hole {
            continue;
        }
        out.push(Row {
            kind: "memory",
            start: format!("{:#x}", r.start),
            end: format!("{:#x}", r.end),
            size: r.end - r.start + 1,
            owner: r.owner.label(),
            access: memory_access(reach, r.start, r.end),
            source: r.source.clone(),
            device: r.owner.sbdf().and_then(|s| inv.device(s)).cloned(),
        });
    }
    for p in &inv.ports {
        if !all && p.owner == PortOwner::Unclaimed {
            continue;
        }
        out.push(Row {
            kind: "port",
            start: format!("{:#x}", p.start),
            end: format!("{:#x}", p.end),
            size: u64::from(p.end - p.start) + 1,
            owner: p.owner.label(),
            access: port_access(reach, p.start, p.end),
            source: p.source.clone(),
            device: p.owner.sbdf().and_then(|s| inv.device(s)).cloned(),
        });
    }
    out
}

/// Bytes in unclaimed holes that dom0's I/O Memory rangeset covers (None
/// without a `q` dump); the audit report states the same number.
pub fn unclaimed_reachable(inv: &Inventory, reach: &Reach) -> Option<u64> {
    Some(inv.unclaimed_bytes_in(&reach.observed()?.iomem))
}

fn render(label: &str, inv: &Inventory, rows: &[Row]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Map of {label} ({} physical address bits{})",
        inv.phys_bits,
        if inv.phys_bits_assumed {
            ", assumed"
        } else {
            ""
        }
    );
    let _ = writeln!(
        o,
        "{:<7} {:<20} {:<20} {:>10}  {:<34} {:<22} source",
        "kind", "start", "end", "size", "owner", "dom0 access"
    );
    let mut described = std::collections::BTreeSet::new();
    for r in rows {
        let src = r.source.as_ref().map_or(String::new(), |e| {
            if e.line == 0 {
                e.artifact.clone()
            } else {
                format!("{}:{}", e.artifact, e.line)
            }
        });
        let _ = writeln!(
            o,
            "{:<7} {:<20} {:<20} {:>10}  {:<34} {:<22} {}",
            r.kind,
            r.start,
            r.end,
            human_size(r.size),
            r.owner,
            r.access.label(),
            src
        );
        // Each function's names once, under its first row.
        if let Some(d) = &r.device
            && described.insert(d.sbdf.as_str())
        {
            let _ = writeln!(o, "{:<7} {:<20} device {}", "", "", d.describe());
        }
    }
    for n in &inv.notes {
        let _ = writeln!(o, "note: {n}");
    }
    o
}

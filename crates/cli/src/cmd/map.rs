//! `dom0scope map`: the owner-tagged map of the whole machine, with dom0's
//! access per range (from Xen's rangesets, and the model's read-only set).

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use dom0scope_facts::Evidence;
use dom0scope_inventory::{Device, Inventory, Owner, PortOwner, human_size};
use dom0scope_reach::{Access, Reach};
use serde::Serialize;

use super::header::header;
use super::input::load;
use super::output::{Format, Output};

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
    let out = match args.out.format() {
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
            let mut t = header(&snapshot, &analysis, "map", args.out.width());
            t.push_str(&render(&snapshot.origin.label(), inventory, &rows));
            if let Some(u) = unclaimed_reachable(inventory, reach) {
                t.push_str(&format!(
                    "dom0 can reach {} of address space that no artifact claims (holes between everything named above)\n",
                    human_size(u)
                ));
            }
            t
        }
    };
    args.out.write(&out)?;
    Ok(ExitCode::SUCCESS)
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
            access: reach.memory_access(r.start, r.end),
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
            access: reach.port_access(p.start, p.end),
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

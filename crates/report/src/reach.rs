//! dom0's reach in the full view: the owner of every range of I/O memory and of every
//! claimed I/O port dom0 may touch, laid out in columns fitted to what they hold so that
//! a row fits 100 columns whenever its source does.

use std::fmt::Write;

use dom0scope_facts::Evidence;
use dom0scope_ranges::Radix;

use crate::Audit;
use crate::style::{DIM, HEAD, styled};
use crate::wrap::{visible_width, wrap};

/// Widest owner the memory table pads to (longer ones push their source along): wide
/// enough for most owners, narrow enough for a source after it in 100 columns.
const MEMORY_OWNER_COLUMN: usize = 28;

/// Widest owner the port table pads to (ports have a narrow first column).
const PORT_OWNER_COLUMN: usize = 48;

/// Space between columns.
const GAP: &str = "  ";

/// dom0's reach as Xen's `q` dump states it: I/O memory and ports with their owners,
/// interrupts, and whether the Xen model predicts the same.
pub(crate) fn reach(o: &mut String, a: &Audit, width: usize) {
    let s = &a.surface;
    let Some(obs) = s.reach().observed() else {
        let _ = writeln!(o, "{}", styled(HEAD, "dom0's reach"));
        for n in s.reach().notes() {
            let _ = writeln!(o, "{}", wrap(n, 2, width));
        }
        o.push('\n');
        return;
    };
    let _ = writeln!(
        o,
        "{} {}",
        styled(HEAD, "dom0's reach, as Xen recorded it"),
        styled(
            DIM,
            &format!(
                "(debug key 'q', {}:{})",
                obs.header.artifact, obs.header.line
            )
        )
    );
    let _ = writeln!(
        o,
        "  I/O memory: {} frames in {} ranges  {}",
        obs.iomem.count(),
        obs.iomem.range_count(),
        obs.iomem.to_xen(Radix::Hex)
    );
    let rows: Vec<[String; 4]> = s
        .memory()
        .iter()
        .map(|m| {
            [
                format!("{:#x}-{:#x}", m.frames.first_frame, m.frames.last_frame),
                format!("{:#012x}-{:#012x}", m.frames.start, m.frames.end),
                m.owner.label(),
                m.owner_source.as_ref().map_or(String::new(), cite),
            ]
        })
        .collect();
    let head = ["frames", "bytes", "what lies there", "source"].map(str::to_owned);
    table(o, Some(&head), &rows, MEMORY_OWNER_COLUMN, width);
    if let Some(u) = a.unclaimed_reachable_bytes {
        let _ = writeln!(
            o,
            "    {}",
            if u == 0 {
                "every reachable frame is named above".to_owned()
            } else {
                format!(
                    "and {} of reachable address space no artifact claims (holes between the owners above)",
                    dom0scope_inventory::human_size(u)
                )
            }
        );
    }
    match (&obs.ioports, &obs.ioports_source) {
        (Some(p), Some(src)) => {
            let _ = writeln!(
                o,
                "  I/O ports: {} of 65536  {} {}",
                p.count(),
                p.to_xen(Radix::Hex),
                styled(DIM, &format!("({}:{})", src.artifact, src.line))
            );
        }
        _ => {
            let _ = writeln!(o, "  I/O ports: not in the dump");
        }
    }
    let unclaimed: u32 = s
        .port_entries()
        .iter()
        .filter(|p| p.owner == dom0scope_inventory::PortOwner::Unclaimed)
        .map(|p| u32::from(p.end - p.start) + 1)
        .sum();
    let rows: Vec<[String; 3]> = s
        .port_entries()
        .iter()
        .filter(|p| p.owner != dom0scope_inventory::PortOwner::Unclaimed)
        .map(|p| {
            let range = if p.start == p.end {
                format!("{:#x}", p.start)
            } else {
                format!("{:#x}-{:#x}", p.start, p.end)
            };
            let src = p.owner_source.as_ref().map_or_else(
                || match p.owner {
                    dom0scope_inventory::PortOwner::Legacy { .. } => "PC/AT convention".to_owned(),
                    _ => String::new(),
                },
                cite,
            );
            [range, p.owner.label(), src]
        })
        .collect();
    table(o, None, &rows, PORT_OWNER_COLUMN, width);
    if unclaimed > 0 {
        let _ = writeln!(o, "    and {unclaimed} reachable ports no artifact claims");
    }
    if let (Some(i), Some(src)) = (&obs.irqs, &obs.irqs_source) {
        let _ = writeln!(
            o,
            "  Interrupts: {} {}",
            i.to_xen(Radix::Decimal),
            styled(DIM, &format!("({}:{})", src.artifact, src.line))
        );
    }
    if let Some(m) = &a.model {
        let line = if m.agrees {
            format!(
                "  The Xen model predicts exactly these rangesets{}.",
                if m.assumptions.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (with {} assumption(s); `dom0scope verify` lists them)",
                        m.assumptions.len()
                    )
                }
            )
        } else if m.differences.iter().all(|d| d.follows_from_assumption) {
            format!(
                "  The Xen model differs from Xen's rangesets in {} range(s), all where it had to assume a fact this snapshot lacks: the assumption is in question, not the model or the host (`dom0scope verify` explains; a snapshot collected in dom0 settles it). The observed rangesets are what is judged.",
                m.differences.len()
            )
        } else {
            format!(
                "  The Xen model DIFFERS from Xen's rangesets in {} range(s): a model gap or a surprise on this host (`dom0scope verify` explains). The observed rangesets are what is judged.",
                m.differences.len()
            )
        };
        let _ = writeln!(o, "{}", wrap(&line, 2, width));
    }
    for n in s.reach().notes().iter().chain(s.inventory_notes()) {
        let _ = writeln!(o, "{}", styled(DIM, &wrap(&format!("note: {n}"), 2, width)));
    }
    o.push('\n');
}

/// `artifact:line`, or the artifact alone for a whole-file (or conventional) source.
fn cite(e: &Evidence) -> String {
    if e.line == 0 {
        e.artifact.clone()
    } else {
        format!("{}:{}", e.artifact, e.line)
    }
}

/// Rows of N cells, four spaces in: every column but the last two padded to its widest
/// cell, the owner (next to last) to at most `owner_pad`, the source (last) dimmed. A row
/// whose source would pass `width` puts it on the next line, under the owner.
fn table<const N: usize>(
    o: &mut String,
    head: Option<&[String; N]>,
    rows: &[[String; N]],
    owner_pad: usize,
    width: usize,
) {
    let mut cols = [0; N];
    for r in head.into_iter().chain(rows) {
        for (c, cell) in cols.iter_mut().zip(r) {
            *c = (*c).max(visible_width(cell));
        }
    }
    cols[N - 2] = cols[N - 2].min(owner_pad);
    let owner_at = 4 + cols[..N - 2].iter().map(|c| c + GAP.len()).sum::<usize>();
    let line = |o: &mut String, r: &[String; N], dim_last: bool| {
        let mut s = " ".repeat(4);
        for (c, cell) in cols.iter().zip(&r[..N - 1]) {
            s.push_str(&format!("{cell:<c$}{GAP}"));
        }
        let src = if dim_last {
            styled(DIM, &r[N - 1])
        } else {
            r[N - 1].clone()
        };
        if r[N - 1].is_empty() {
            let _ = writeln!(o, "{}", s.trim_end());
        } else if visible_width(&s) + visible_width(&r[N - 1]) <= width {
            let _ = writeln!(o, "{s}{src}");
        } else {
            let _ = writeln!(o, "{}", s.trim_end());
            let _ = writeln!(o, "{}{src}", " ".repeat(owner_at));
        }
    };
    if let Some(h) = head {
        line(o, h, false);
    }
    for r in rows {
        line(o, r, true);
    }
}

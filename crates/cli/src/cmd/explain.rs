//! `dom0scope explain`: what is at one address or port, who owns it, where that
//! is stated, and whether dom0 can touch it (observed, and which model rule decided).

use dom0scope_ranges::{frame_end, frame_of, frame_start};
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use dom0scope_inventory::Inventory;
use dom0scope_reach::Reach;
use dom0scope_reach::model::Target;

use super::input::{emit, load};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot directory, .tar/.tar.gz, or bare Xen log.
    pub snapshot: PathBuf,
    /// A physical address (0xfed90000) or an I/O port (port:0xcf9).
    pub address: String,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// An address or port, with `_` allowed as a digit separator (0xfed9_0000).
fn number(s: &str) -> Option<u64> {
    super::input::number(&s.replace('_', ""))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (port, value) = match args.address.strip_prefix("port:") {
        Some(p) => (true, number(p)),
        None => (false, number(&args.address)),
    };
    let Some(value) = value else {
        anyhow::bail!(
            "{:?} is not an address (0xfed90000) or a port (port:0xcf9)",
            args.address
        );
    };
    if port && value > 0xffff {
        anyhow::bail!("I/O ports go up to 0xffff, not {value:#x}");
    }
    let (snapshot, analysis) = load(Some(&args.snapshot))?;
    let inv = analysis.inventory();
    let reach = analysis.reach();
    let mut o = String::new();
    let _ = writeln!(o, "In {}:", snapshot.origin.label());
    if port {
        let p = value as u16;
        let Some(r) = inv.ports_overlapping(p, p).next() else {
            anyhow::bail!("port {p:#x} is outside the port map");
        };
        let _ = writeln!(
            o,
            "port {p:#x}: {} (ports {:#x}-{:#x})",
            r.owner.label(),
            r.start,
            r.end
        );
        match &r.source {
            Some(e) => {
                let _ = writeln!(o, "  stated by {e}");
            }
            None => {
                let _ = writeln!(o, "  stated by: PC/AT convention (no artifact)");
            }
        }
        device(&mut o, inv, r.owner.sbdf());
        let _ = writeln!(o, "  dom0 access: {:?}", reach.port_access(p, p));
        decided(&mut o, reach, Target::Ports(p..=p));
    } else {
        let Some(r) = inv.overlapping(value, value).next() else {
            anyhow::bail!(
                "{value:#x} is above the {}-bit physical address space",
                inv.phys_bits
            );
        };
        let _ = writeln!(
            o,
            "{value:#x}: {} ({:#x}-{:#x})",
            r.owner.label(),
            r.start,
            r.end
        );
        if let Some(e) = &r.source {
            let _ = writeln!(o, "  stated by {e}");
        }
        device(&mut o, inv, r.owner.sbdf());
        if let Some(k) = r.e820 {
            let _ = writeln!(o, "  the E820 map calls it {}", k.label());
        }
        let frame = frame_of(value);
        let mut sharing: Vec<String> = inv
            .overlapping(frame_start(frame), frame_end(frame))
            .filter(|x| x.start != r.start && x.owner != r.owner)
            .map(|x| x.owner.label())
            .collect();
        // An owner split around a nested one (RCBA around the SPI registers) once.
        sharing.dedup();
        if !sharing.is_empty() {
            let _ = writeln!(
                o,
                "  frame {frame:#x} also holds: {} (access is per frame)",
                sharing.join(", ")
            );
        }
        let _ = writeln!(
            o,
            "  dom0 access to frame {frame:#x}: {:?}",
            reach.memory_access(value, value)
        );
        decided(&mut o, reach, Target::Frames(frame..=frame));
    }
    emit(&o, args.output.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

/// The PCI function behind an owner, by IDs and (display-only) names.
fn device(o: &mut String, inv: &Inventory, sbdf: Option<&str>) {
    if let Some(d) = sbdf.and_then(|s| inv.device(s)) {
        let _ = writeln!(o, "  device {}: {}", d.sbdf, d.describe());
        if let Some(r) = d.role {
            let _ = writeln!(o, "  recognised by IDs and class as: {r}");
        }
    }
}

fn decided(o: &mut String, reach: &Reach, t: Target) {
    if let Some(p) = reach.predicted()
        && let Some(s) = p.last_step_for(&t)
    {
        let src = dom0scope_reach::model::RULES
            .iter()
            .find(|r| r.id == s.rule)
            .map_or("", |r| r.source);
        let _ = writeln!(
            o,
            "  the model: {:?} by rule {} ({}): {}",
            s.op, s.rule, src, s.why
        );
    }
}

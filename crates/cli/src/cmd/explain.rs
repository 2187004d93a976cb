//! `dom0scope explain`: what is at one address, port or frame, who owns it, where that
//! is stated, and whether dom0 can touch it (observed, and which model rule decided).
//!
//! An input with more than one plausible reading is never guessed: every reading is
//! explained, each under a heading that names the unambiguous spelling selecting it.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use dom0scope_facts::Evidence;
use dom0scope_inventory::{Device, Inventory, PortOwner};
use dom0scope_ranges::{frame_end, frame_of, frame_start, hex};
use dom0scope_reach::model::{Op, Target};
use dom0scope_reach::{Access, Reach};
use serde::Serialize;

use super::input::load;
use super::output::{Format, Output};

mod notation;

use notation::{Kind, Reading, parse};

/// The JSON document's name and version (docs/json-schema/dom0scope-explain-1.json).
const SCHEMA: &str = "dom0scope-explain/1";

#[derive(Debug, clap::Args)]
#[command(override_usage = "dom0scope explain [OPTIONS] [SNAPSHOT] <WHAT>")]
pub struct Args {
    /// Snapshot directory, .tar/.tar.gz, or bare Xen log (default: the bundled example).
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: Option<PathBuf>,
    /// An address (0xfed90000, mem:0xcf9), an I/O port (port:0xcf9, port:cf9) or a machine frame (mfn:8f).
    ///
    /// Notations (`_` may separate digits):
    ///   0xfed90000, 4275634176   a physical address: 0x and hex, else decimal.
    ///   mem:N, addr:N            the same, and only as an address.
    ///   port:N                   an I/O port, hex as Xen writes ports (port:cf9 = port:0xcf9).
    ///   mfn:N, frame:N           a machine frame, hex as Xen's `q` dump writes frames
    ///                            (mfn:8f = frame:0x8f): explained at its first byte (0x8f000).
    ///
    /// Nothing is guessed. A number up to 0xffff without a prefix may be an address or
    /// an I/O port: both readings are explained, each labelled; mem:N or port:N picks one.
    /// After port:, mfn: or frame:, digits alone without 0x (port:400) are hex to Xen but
    /// decimal to most people: when the two differ, both readings are explained, hex first;
    /// write 0x to pick hex (decimal has no spelling of its own: convert it to 0x).
    /// A reading that cannot be (a port above 0xffff, a frame above the physical address
    /// space) is dropped with a note, never silently.
    #[arg(value_name = "WHAT", verbatim_doc_comment)]
    pub address: Option<String>,
    #[command(flatten)]
    pub out: Output,
}

/// The model's last word on the target: the rule that decided it.
#[derive(Debug, Serialize)]
struct Decision {
    op: Op,
    rule: &'static str,
    /// Where in Xen's source the rule lives.
    rule_source: &'static str,
    why: String,
    assumed: bool,
}

/// One reading, explained: what the text says, as data.
#[derive(Debug, Serialize)]
struct Explained {
    kind: Kind,
    /// How the input was read ("as an I/O port").
    reading: String,
    /// The input that selects only this reading.
    select: String,
    /// The byte address or the port.
    #[serde(serialize_with = "hex::u64")]
    value: u64,
    /// The machine frame the input named (mfn:/frame:), else null.
    #[serde(serialize_with = "hex::opt_u64")]
    frame_number: Option<u64>,
    owner: String,
    /// The owner's whole range.
    #[serde(serialize_with = "hex::u64")]
    start: u64,
    #[serde(serialize_with = "hex::u64")]
    end: u64,
    source: Option<Evidence>,
    /// No artifact of this machine names the owner: the PC/AT convention does.
    convention: bool,
    device: Option<Device>,
    /// What the E820 map calls the bytes (memory only).
    e820: Option<String>,
    /// The frame holding the address (memory only); access is per frame.
    #[serde(serialize_with = "hex::opt_u64")]
    frame: Option<u64>,
    /// Other owners in the same frame (memory only).
    frame_also_holds: Vec<String>,
    /// From Xen's own rangesets (the `q` dump); unknown without one.
    dom0_access: Access,
    model: Option<Decision>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (path, input) = match (args.snapshot, args.address) {
        (s, Some(a)) => (s, a),
        (Some(s), None) => {
            let what = s.to_string_lossy().into_owned();
            if s.exists() && parse(&what).is_err() {
                anyhow::bail!(
                    "say what to explain after the snapshot: an address (0xfed90000), port:N or mfn:N"
                );
            }
            (None, what)
        }
        (None, None) => anyhow::bail!(
            "say what to explain: an address (0xfed90000), port:N or mfn:N (see dom0scope explain --help)"
        ),
    };
    let parsed = parse(&input)?;
    let (snapshot, analysis) = load(path.as_deref())?;
    let (inv, reach) = (analysis.inventory(), analysis.reach());
    let label = snapshot.origin.label();
    let mut notes = parsed.notes.clone();
    let mut explained = Vec::new();
    let mut failed = Vec::new();
    for r in &parsed.readings {
        match explain(inv, reach, r) {
            Ok(e) => explained.push(e),
            Err(e) => failed.push((r, e)),
        }
    }
    if explained.is_empty() {
        let why: Vec<String> = failed.into_iter().map(|(_, e)| e).collect();
        anyhow::bail!("{}", why.join("; "));
    }
    for (r, e) in failed {
        notes.push(format!("{input} read {}: {e}", r.how));
    }
    let ambiguous = explained.len() > 1;
    let out = match args.out.format() {
        Format::Json => {
            #[derive(Serialize)]
            struct Input<'a> {
                text: &'a str,
                prefix: Option<&'static str>,
                ambiguous: bool,
                why_ambiguous: Option<&'a str>,
            }
            #[derive(Serialize)]
            struct Doc<'a> {
                schema: &'static str,
                snapshot: &'a str,
                input: Input<'a>,
                notes: &'a [String],
                readings: &'a [Explained],
            }
            let mut s = serde_json::to_string_pretty(&Doc {
                schema: SCHEMA,
                snapshot: &label,
                input: Input {
                    text: &input,
                    prefix: parsed.prefix,
                    ambiguous,
                    why_ambiguous: parsed.ambiguous.as_deref().filter(|_| ambiguous),
                },
                notes: &notes,
                readings: &explained,
            })?;
            s.push('\n');
            s
        }
        Format::Text => {
            let mut o = String::new();
            let _ = writeln!(o, "In {label}:");
            if ambiguous && let Some(why) = &parsed.ambiguous {
                let _ = writeln!(
                    o,
                    "{input} has {} readings, each explained below: {why}.",
                    explained.len()
                );
            }
            for n in &notes {
                let _ = writeln!(o, "note: {n}");
            }
            for (i, e) in explained.iter().enumerate() {
                if ambiguous || e.frame_number.is_some() {
                    if i > 0 {
                        o.push('\n');
                    }
                    let _ = write!(o, "{input} read {} ({})", e.reading, e.select);
                    if e.frame_number.is_some() {
                        let _ = write!(o, ", from its first byte {:#x}", e.value);
                    }
                    o.push_str(":\n");
                }
                render(&mut o, e);
            }
            o
        }
    };
    args.out.write(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// One reading against the snapshot; Err says why it cannot be (a frame above the
/// physical address space).
fn explain(inv: &Inventory, reach: &Reach, r: &Reading) -> Result<Explained, String> {
    match r.kind {
        Kind::Port => {
            let p = u16::try_from(r.value).map_err(|_| format!("{:#x} is not a port", r.value))?;
            let Some(x) = inv.ports_overlapping(p, p).next() else {
                return Err(format!("port {p:#x} is outside the port map"));
            };
            Ok(Explained {
                kind: r.kind,
                reading: r.how.clone(),
                select: r.select.clone(),
                value: r.value,
                frame_number: r.frame,
                owner: x.owner.label(),
                start: u64::from(x.start),
                end: u64::from(x.end),
                source: x.source.clone(),
                convention: matches!(x.owner, PortOwner::Legacy { .. }),
                device: x.owner.sbdf().and_then(|s| inv.device(s)).cloned(),
                e820: None,
                frame: None,
                frame_also_holds: Vec::new(),
                dom0_access: reach.port_access(p, p),
                model: decided(reach, Target::Ports(p..=p)),
            })
        }
        Kind::Memory => {
            let value = r.value;
            let Some(x) = inv.overlapping(value, value).next() else {
                let what = match r.frame {
                    Some(f) => format!("frame {f:#x} (from {value:#x})"),
                    None => format!("{value:#x}"),
                };
                return Err(format!(
                    "{what} is above the {}-bit physical address space",
                    inv.phys_bits
                ));
            };
            let frame = frame_of(value);
            let mut sharing: Vec<String> = inv
                .overlapping(frame_start(frame), frame_end(frame))
                .filter(|y| y.start != x.start && y.owner != x.owner)
                .map(|y| y.owner.label())
                .collect();
            // An owner split around a nested one (RCBA around the SPI registers) once.
            sharing.dedup();
            Ok(Explained {
                kind: r.kind,
                reading: r.how.clone(),
                select: r.select.clone(),
                value,
                frame_number: r.frame,
                owner: x.owner.label(),
                start: x.start,
                end: x.end,
                source: x.source.clone(),
                convention: x
                    .source
                    .as_ref()
                    .is_some_and(|e| e.artifact == "PC/AT convention"),
                device: x.owner.sbdf().and_then(|s| inv.device(s)).cloned(),
                e820: x.e820.map(|k| k.label()),
                frame: Some(frame),
                frame_also_holds: sharing,
                dom0_access: reach.memory_access(value, value),
                model: decided(reach, Target::Frames(frame..=frame)),
            })
        }
    }
}

/// The text of one reading (unchanged since explain had only one reading per input).
fn render(o: &mut String, e: &Explained) {
    match e.kind {
        Kind::Port => {
            let _ = writeln!(
                o,
                "port {:#x}: {} (ports {:#x}-{:#x})",
                e.value, e.owner, e.start, e.end
            );
            match &e.source {
                Some(s) => {
                    let _ = writeln!(o, "  stated by {s}");
                }
                None if e.convention => {
                    let _ = writeln!(o, "  stated by: PC/AT convention (no artifact)");
                }
                // Unclaimed: nothing states it, as for a memory hole.
                None => {}
            }
            device(o, e.device.as_ref());
            let _ = writeln!(o, "  dom0 access: {:?}", e.dom0_access);
        }
        Kind::Memory => {
            let _ = writeln!(
                o,
                "{:#x}: {} ({:#x}-{:#x})",
                e.value, e.owner, e.start, e.end
            );
            if let Some(s) = &e.source {
                let _ = writeln!(o, "  stated by {s}");
            }
            device(o, e.device.as_ref());
            if let Some(k) = &e.e820 {
                let _ = writeln!(o, "  the E820 map calls it {k}");
            }
            let frame = e.frame.unwrap_or_else(|| frame_of(e.value));
            if !e.frame_also_holds.is_empty() {
                let _ = writeln!(
                    o,
                    "  frame {frame:#x} also holds: {} (access is per frame)",
                    e.frame_also_holds.join(", ")
                );
            }
            let _ = writeln!(o, "  dom0 access to frame {frame:#x}: {:?}", e.dom0_access);
        }
    }
    if let Some(m) = &e.model {
        let _ = writeln!(
            o,
            "  the model: {:?} by rule {} ({}): {}",
            m.op, m.rule, m.rule_source, m.why
        );
    }
}

/// The PCI function behind an owner, by IDs and (display-only) names.
fn device(o: &mut String, d: Option<&Device>) {
    if let Some(d) = d {
        let _ = writeln!(o, "  device {}: {}", d.sbdf, d.describe());
        if let Some(r) = d.role {
            let _ = writeln!(o, "  recognised by IDs and class as: {r}");
        }
    }
}

fn decided(reach: &Reach, t: Target) -> Option<Decision> {
    let s = reach.predicted()?.last_step_for(&t)?;
    Some(Decision {
        op: s.op,
        rule: s.rule,
        rule_source: dom0scope_reach::model::rule_source(s.rule),
        why: s.why.clone(),
        assumed: s.assumed,
    })
}

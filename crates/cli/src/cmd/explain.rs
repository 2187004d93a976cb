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
use dom0scope_ranges::{frame_end, frame_of, frame_start};
use dom0scope_reach::model::{Op, Target};
use dom0scope_reach::{Access, Reach};
use serde::Serialize;

use super::input::{Format, Output, emit, load};

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

/// Memory or an I/O port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Memory,
    Port,
}

/// One way to read the input.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reading {
    kind: Kind,
    /// The byte address or the port.
    value: u64,
    /// The machine frame the input named (`mfn:`/`frame:`).
    frame: Option<u64>,
    /// How the input was read, e.g. "an I/O port" (a heading in text when shown).
    how: String,
    /// The spelling that selects only this reading (`port:0xcf9`).
    select: String,
}

/// The input as parsed: its readings, why there are several, and readings dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed {
    /// `port`, `mem`, `addr`, `mfn` or `frame`; None for a bare number.
    prefix: Option<&'static str>,
    readings: Vec<Reading>,
    /// Why the input has more than one reading.
    ambiguous: Option<String>,
    notes: Vec<String>,
}

/// How digits were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Radix {
    /// `0x…`, or hex digits with a letter (`cf9`): hex, and nothing else.
    Hex,
    /// Digits alone (`400`), read as hex as Xen writes them.
    XenHex,
    /// Digits alone, read as decimal.
    Decimal,
}

/// An address as the command line writes it: `0x` and hex, else decimal.
fn number(s: &str) -> Option<u64> {
    super::input::number(s)
}

/// A number in Xen's notation (hex, `0x` optional), with the decimal reading as well
/// when the digits alone (no `0x`, no letter) mean a different decimal number.
fn xen_number(s: &str) -> Option<Vec<(u64, Radix)>> {
    let s = s.trim();
    let (s, with_0x) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => (h, true),
        None => (s, false),
    };
    // Digits only: from_str_radix would also take a sign.
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    if with_0x {
        return u64::from_str_radix(s, 16)
            .ok()
            .map(|v| vec![(v, Radix::Hex)]);
    }
    let hex = u64::from_str_radix(s, 16).ok();
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return hex.map(|v| vec![(v, Radix::Hex)]);
    }
    let dec = s.parse::<u64>().ok();
    match (hex, dec) {
        (Some(h), Some(d)) if h == d => Some(vec![(h, Radix::Hex)]),
        (Some(h), Some(d)) => Some(vec![(h, Radix::XenHex), (d, Radix::Decimal)]),
        (None, Some(d)) => Some(vec![(d, Radix::Decimal)]),
        (Some(h), None) => Some(vec![(h, Radix::XenHex)]),
        (None, None) => None,
    }
}

fn memory(value: u64, how: &str) -> Reading {
    Reading {
        kind: Kind::Memory,
        value,
        frame: None,
        how: how.to_owned(),
        select: format!("mem:{value:#x}"),
    }
}

fn port(value: u64, how: &str) -> Reading {
    Reading {
        kind: Kind::Port,
        value,
        frame: None,
        how: how.to_owned(),
        select: format!("port:{value:#x}"),
    }
}

/// The readings of `input` (`_` ignored), before any snapshot is looked at.
fn parse(input: &str) -> anyhow::Result<Parsed> {
    let s = input.replace('_', "");
    let (prefix, rest) = match s.split_once(':') {
        Some((p, r)) => (Some(p), r),
        None => (None, s.as_str()),
    };
    let mut notes = Vec::new();
    let mut ambiguous = None;
    let (prefix, readings) = match prefix {
        None => {
            let Some(v) = number(rest) else {
                let hint = if xen_number(rest).is_some() {
                    format!(" (hex needs 0x: 0x{})", rest.trim())
                } else {
                    String::new()
                };
                anyhow::bail!(
                    "{input:?} is not an address (0xfed90000), a port (port:0xcf9) or a frame (mfn:8f){hint}"
                );
            };
            if v <= 0xffff {
                ambiguous = Some(
                    "a number up to 0xffff without mem: or port: may be a memory address or an I/O port"
                        .to_owned(),
                );
                (
                    None,
                    vec![memory(v, "as a memory address"), port(v, "as an I/O port")],
                )
            } else {
                (None, vec![memory(v, "as a memory address")])
            }
        }
        Some(p @ ("mem" | "addr")) => {
            let Some(v) = number(rest) else {
                anyhow::bail!(
                    "{input:?} is not an address ({p}:0xfed90000: 0x and hex, else decimal)"
                );
            };
            let p = if p == "mem" { "mem" } else { "addr" };
            (Some(p), vec![memory(v, "as a memory address")])
        }
        Some("port") => {
            let Some(candidates) = xen_number(rest) else {
                anyhow::bail!(
                    "{input:?} is not a port (port:0xcf9, or port:cf9 as Xen writes ports)"
                );
            };
            let (ok, over): (Vec<_>, Vec<_>) = candidates
                .clone()
                .into_iter()
                .partition(|(v, _)| *v <= 0xffff);
            let Some(&(first, _)) = ok.first() else {
                anyhow::bail!("I/O ports go up to 0xffff, not {:#x}", candidates[0].0);
            };
            for (v, r) in over {
                notes.push(format!(
                    "{input} read {}, would be {v:#x}, above the last I/O port 0xffff: only {first:#x} is explained",
                    port_how(r)
                ));
            }
            if ok.len() > 1 {
                ambiguous = Some(
                    "Xen writes ports in hex, but digits without 0x also read as decimal"
                        .to_owned(),
                );
            }
            let readings = ok.iter().map(|&(v, r)| port(v, port_how(r))).collect();
            (Some("port"), readings)
        }
        Some(p @ ("mfn" | "frame")) => {
            let Some(candidates) = xen_number(rest) else {
                anyhow::bail!(
                    "{input:?} is not a machine frame number ({p}:8f or {p}:0x8f, hex as Xen's `q` dump writes frames)"
                );
            };
            let (ok, over): (Vec<_>, Vec<_>) = candidates
                .clone()
                .into_iter()
                .partition(|(f, _)| *f <= frame_of(u64::MAX));
            let Some(&(first, _)) = ok.first() else {
                anyhow::bail!(
                    "frame {:#x} starts above the 64-bit address space",
                    candidates[0].0
                );
            };
            for (f, r) in over {
                notes.push(format!(
                    "{input} read {}, would start above the 64-bit address space: only frame {first:#x} is explained",
                    frame_how(f, r)
                ));
            }
            if ok.len() > 1 {
                ambiguous = Some(
                    "Xen writes frames in hex, but digits without 0x also read as decimal"
                        .to_owned(),
                );
            }
            let readings = ok
                .iter()
                .map(|&(f, r)| Reading {
                    kind: Kind::Memory,
                    value: frame_start(f),
                    frame: Some(f),
                    how: frame_how(f, r),
                    select: format!("{p}:{f:#x}"),
                })
                .collect();
            let p = if p == "mfn" { "mfn" } else { "frame" };
            (Some(p), readings)
        }
        Some(other) => anyhow::bail!(
            "{input:?}: unknown prefix {other:?} (port:, mem:, addr:, mfn: or frame:)"
        ),
    };
    Ok(Parsed {
        prefix,
        readings,
        ambiguous,
        notes,
    })
}

/// How a port reading was read, after "read".
fn port_how(r: Radix) -> &'static str {
    match r {
        Radix::Hex => "as an I/O port",
        Radix::XenHex => "as an I/O port in hex, as Xen writes ports",
        Radix::Decimal => "as an I/O port in decimal",
    }
}

/// How a frame reading was read, after "read".
fn frame_how(f: u64, r: Radix) -> String {
    match r {
        Radix::Hex => format!("as machine frame {f:#x}"),
        Radix::XenHex => format!("as machine frame {f:#x} in hex, as Xen writes frames"),
        Radix::Decimal => format!("as machine frame {f:#x} in decimal"),
    }
}

fn hex(v: u64) -> String {
    format!("{v:#x}")
}

fn ser_hex<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(*v))
}

fn ser_hex_opt<S: serde::Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&hex(*v)),
        None => s.serialize_none(),
    }
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
    #[serde(serialize_with = "ser_hex")]
    value: u64,
    /// The machine frame the input named (mfn:/frame:), else null.
    #[serde(serialize_with = "ser_hex_opt")]
    frame_number: Option<u64>,
    owner: String,
    /// The owner's whole range.
    #[serde(serialize_with = "ser_hex")]
    start: u64,
    #[serde(serialize_with = "ser_hex")]
    end: u64,
    source: Option<Evidence>,
    /// No artifact of this machine names the owner: the PC/AT convention does.
    convention: bool,
    device: Option<Device>,
    /// What the E820 map calls the bytes (memory only).
    e820: Option<String>,
    /// The frame holding the address (memory only); access is per frame.
    #[serde(serialize_with = "ser_hex_opt")]
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
    let out = match args.out.format {
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
    emit(&out, args.out.output.as_deref())?;
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
    let rule_source = dom0scope_reach::model::RULES
        .iter()
        .find(|r| r.id == s.rule)
        .map_or("", |r| r.source);
    Some(Decision {
        op: s.op,
        rule: s.rule,
        rule_source,
        why: s.why.clone(),
        assumed: s.assumed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(input: &str) -> Vec<(Kind, u64, Option<u64>)> {
        parse(input)
            .unwrap()
            .readings
            .iter()
            .map(|r| (r.kind, r.value, r.frame))
            .collect()
    }

    #[test]
    fn unambiguous_inputs_have_one_reading() {
        assert_eq!(values("port:0xcf9"), [(Kind::Port, 0xcf9, None)]);
        assert_eq!(values("port:cf9"), [(Kind::Port, 0xcf9, None)]);
        assert_eq!(values("port:7"), [(Kind::Port, 7, None)]);
        assert_eq!(values("0xfed9_0000"), [(Kind::Memory, 0xfed9_0000, None)]);
        assert_eq!(values("65536"), [(Kind::Memory, 0x10000, None)]);
        assert_eq!(values("mem:0xcf9"), [(Kind::Memory, 0xcf9, None)]);
        assert_eq!(values("addr:3321"), [(Kind::Memory, 0xcf9, None)]);
        assert_eq!(values("mfn:8f"), [(Kind::Memory, 0x8f000, Some(0x8f))]);
        assert_eq!(values("frame:0x8f"), [(Kind::Memory, 0x8f000, Some(0x8f))]);
        assert!(parse("port:0xcf9").unwrap().ambiguous.is_none());
    }

    #[test]
    fn ambiguous_inputs_have_every_reading() {
        assert_eq!(
            values("0xcf9"),
            [(Kind::Memory, 0xcf9, None), (Kind::Port, 0xcf9, None)]
        );
        assert_eq!(
            values("0xffff"),
            [(Kind::Memory, 0xffff, None), (Kind::Port, 0xffff, None)]
        );
        assert_eq!(
            values("port:400"),
            [(Kind::Port, 0x400, None), (Kind::Port, 400, None)]
        );
        assert_eq!(
            values("mfn:100"),
            [
                (Kind::Memory, 0x100000, Some(0x100)),
                (Kind::Memory, 0x64000, Some(100))
            ]
        );
        assert!(parse("0xcf9").unwrap().ambiguous.is_some());
    }

    #[test]
    fn impossible_readings_are_dropped_with_a_note() {
        let p = parse("port:65535").unwrap();
        assert_eq!(p.readings.len(), 1);
        assert_eq!(p.readings[0].value, 0xffff);
        assert!(p.ambiguous.is_none());
        assert!(
            p.notes[0].contains("would be 0x65535, above the last I/O port"),
            "{:?}",
            p.notes
        );
    }

    #[test]
    fn bad_inputs_are_refused() {
        for bad in [
            "nowhere",
            "cf9",
            "port:0x10000",
            "port:70000",
            "port:",
            "port:-1",
            "port:0x+5",
            "port:+5",
            "mfn:xyz",
            "mem:cf9",
            "io:0xcf9",
            "mfn:0x10000000000000",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let e = parse("cf9").unwrap_err().to_string();
        assert!(e.contains("hex needs 0x: 0xcf9"), "{e}");
    }
}

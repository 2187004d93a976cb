//! `explain`'s notations: a bare number, `mem:`/`addr:`, `port:` and `mfn:`/`frame:`, read into
//! every reading they allow (an input is never guessed), before any snapshot is looked at.

use dom0scope_ranges::{frame_of, frame_start};
use serde::Serialize;

/// Memory or an I/O port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Kind {
    Memory,
    Port,
}

/// One way to read the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Reading {
    pub(super) kind: Kind,
    /// The byte address or the port.
    pub(super) value: u64,
    /// The machine frame the input named (`mfn:`/`frame:`).
    pub(super) frame: Option<u64>,
    /// How the input was read, e.g. "an I/O port" (a heading in text when shown).
    pub(super) how: String,
    /// The spelling that selects only this reading (`port:0xcf9`).
    pub(super) select: String,
}

/// The input as parsed: its readings, why there are several, and readings dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Parsed {
    /// `port`, `mem`, `addr`, `mfn` or `frame`; None for a bare number.
    pub(super) prefix: Option<&'static str>,
    pub(super) readings: Vec<Reading>,
    /// Why the input has more than one reading.
    pub(super) ambiguous: Option<String>,
    pub(super) notes: Vec<String>,
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
    super::super::input::number(s)
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
pub(super) fn parse(input: &str) -> anyhow::Result<Parsed> {
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

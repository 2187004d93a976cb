//! Serde helpers that write numbers as `0x…` strings, as Xen prints frames and ports, and
//! safe from JSON readers that lose precision above 2^53.

use crate::{RangeInt, RangeSet};
use serde::Serializer;
use serde::ser::SerializeSeq;

/// A set as `[["0x0", "0xfedff"], …]`: hex strings, like Xen prints memory and
/// ports, and safe from JSON readers that lose precision above 2^53.
pub fn set<T, S>(v: &RangeSet<T>, s: S) -> Result<S::Ok, S::Error>
where
    T: RangeInt + std::fmt::LowerHex,
    S: Serializer,
{
    let mut seq = s.serialize_seq(Some(v.range_count()))?;
    for r in v.ranges() {
        seq.serialize_element(&[format!("{:#x}", r.start()), format!("{:#x}", r.end())])?;
    }
    seq.end()
}

/// [`set`] for an optional set.
pub fn opt_set<T, S>(v: &Option<RangeSet<T>>, s: S) -> Result<S::Ok, S::Error>
where
    T: RangeInt + std::fmt::LowerHex,
    S: Serializer,
{
    match v {
        Some(v) => set(v, s),
        None => s.serialize_none(),
    }
}

/// A `u64` as a `0x…` hex string.
pub fn u64<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:#x}"))
}

/// A `u16` (an I/O port) as a `0x…` hex string, as Xen writes ports.
pub fn u16<S: Serializer>(v: &u16, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:#x}"))
}

/// [`u64()`] for an optional value (None stays null).
pub fn opt_u64<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&format!("{v:#x}")),
        None => s.serialize_none(),
    }
}

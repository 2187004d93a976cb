//! Range sets for what Xen lets dom0 reach: I/O memory (machine frame numbers), I/O ports and
//! IRQs, plus Xen's own rangeset text syntax (`{ 0-fedff, fef00-fcfffff }`).
//!
//! Xen reports dom0's permissions as rangesets (debug key `q`), and every later pipeline stage
//! reasons about them with set algebra (what dom0 may reach ∩ what an owner holds, ...). The
//! sets are kept as sorted, maximal, inclusive ranges, so a full 64-bit frame space costs one
//! entry, and every operation is exact at the type's limits (`0-ffffffffffffffff`).
//!
//! ```
//! use dom0scope_ranges::{FrameSet, PortSet, Radix, frames_of_bytes};
//!
//! let ports = PortSet::parse_xen("{ 0-1f, 22-3f, d00-ffff }", Radix::Hex)?;
//! assert!(!ports.contains(0x20) && ports.contains(0xcf8 + 0x100));
//!
//! let io_mem = FrameSet::parse_xen("{ 0-fe200, ff849-ffffffffffffffff }", Radix::Hex)?;
//! let low_1mib = frames_of_bytes(0, 0xf_ffff);
//! assert_eq!(io_mem.intersect_range(low_1mib).to_xen(Radix::Hex), "{ 0-ff }");
//! # Ok::<(), dom0scope_ranges::XenSyntaxError>(())
//! ```

pub mod hex;
mod int;
mod number;
mod resource;
mod serde_impl;
mod set;
mod xen_syntax;

pub use int::RangeInt;
pub use number::{parse_number, parse_number_range};
pub use resource::{IoRange, IoSets, Resource};
pub use set::RangeSet;
pub use xen_syntax::{Radix, XenSyntaxError};

use std::ops::RangeInclusive;

use serde::Serialize;

/// Machine frame numbers (MFNs) of 4 KiB pages: Xen's "I/O Memory" rangeset.
pub type FrameSet = RangeSet<u64>;
/// x86 I/O ports (`0..=0xffff`): Xen's "I/O Ports" rangeset.
pub type PortSet = RangeSet<u16>;
/// Interrupt numbers (Xen pIRQs / GSIs): Xen's "Interrupts" rangeset.
pub type IrqSet = RangeSet<u32>;

/// log2 of the 4 KiB page size that Xen's I/O memory rangesets count in.
pub const PAGE_SHIFT: u32 = 12;

const PAGE_MASK: u64 = (1 << PAGE_SHIFT) - 1;

/// Frames covering the byte range `[start, end_inclusive]`: `start >> 12 ..= end_inclusive >> 12`.
///
/// A partially covered frame counts as covered, because access is granted per frame. An empty
/// byte range (`start > end_inclusive`) gives the empty range `1..=0`, never a bogus frame.
#[must_use]
pub fn frames_of_bytes(start: u64, end_inclusive: u64) -> RangeInclusive<u64> {
    if start > end_inclusive {
        return empty_u64_range();
    }
    frame_of(start)..=frame_of(end_inclusive)
}

/// Byte range spanned by the frames `r`: `(first << 12) ..= ((last << 12) | 0xfff)`.
///
/// Frames beyond the 64-bit byte space saturate at `u64::MAX` instead of wrapping, so an
/// out-of-range frame can never alias low memory. An empty `r` gives the empty range `1..=0`.
#[must_use]
pub fn bytes_of_frames(r: RangeInclusive<u64>) -> RangeInclusive<u64> {
    let (first, last) = r.into_inner();
    if first > last {
        return empty_u64_range();
    }
    frame_start(first)..=frame_end(last)
}

/// The frame holding byte `addr`.
#[must_use]
pub const fn frame_of(addr: u64) -> u64 {
    addr >> PAGE_SHIFT
}

/// The first byte of `frame`, saturating at `u64::MAX` for frames beyond the 64-bit byte
/// space (so an out-of-range frame never aliases low memory).
#[must_use]
pub const fn frame_start(frame: u64) -> u64 {
    frame.saturating_mul(1 << PAGE_SHIFT)
}

/// The last byte of `frame`, saturating like [`frame_start`].
#[must_use]
pub const fn frame_end(frame: u64) -> u64 {
    match frame.checked_mul(1 << PAGE_SHIFT) {
        Some(b) => b | PAGE_MASK,
        None => u64::MAX,
    }
}

/// An inclusive range of machine frames with the bytes concerned inside them (a whole
/// frame range, or an owner's own bytes within its frames): what findings and the surface
/// cite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameRange {
    /// First 4 KiB machine frame number.
    #[serde(serialize_with = "crate::hex::u64")]
    pub first_frame: u64,
    /// Last frame number (inclusive).
    #[serde(serialize_with = "crate::hex::u64")]
    pub last_frame: u64,
    /// First byte address concerned: the first frame's first byte, or an owner's own start
    /// inside it.
    #[serde(serialize_with = "crate::hex::u64")]
    pub start: u64,
    /// Last byte address concerned (inclusive).
    #[serde(serialize_with = "crate::hex::u64")]
    pub end: u64,
}

impl FrameRange {
    /// The range covering frames `first..=last`, with their whole bytes.
    pub fn frames(first: u64, last: u64) -> FrameRange {
        FrameRange {
            first_frame: first,
            last_frame: last,
            start: frame_start(first),
            end: frame_end(last),
        }
    }
}

#[expect(
    clippy::reversed_empty_ranges,
    reason = "an explicitly empty range is the point"
)]
fn empty_u64_range() -> RangeInclusive<u64> {
    1..=0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_of_bytes_rounds_outwards() {
        assert_eq!(frames_of_bytes(0, 0), 0..=0);
        assert_eq!(frames_of_bytes(0xfff, 0x1000), 0..=1);
        assert_eq!(frames_of_bytes(0xfee0_0000, 0xfee0_0fff), 0xfee00..=0xfee00);
        assert_eq!(frames_of_bytes(0, u64::MAX), 0..=0x000f_ffff_ffff_ffff);
    }

    #[test]
    fn frames_of_empty_byte_range_is_empty() {
        // Same frame, reversed bytes: must not yield frame 1.
        assert!(frames_of_bytes(0x1fff, 0x1000).is_empty());
    }

    #[test]
    fn bytes_of_frames_covers_whole_pages() {
        assert_eq!(bytes_of_frames(0..=0), 0..=0xfff);
        assert_eq!(bytes_of_frames(0x9f..=0x9f), 0x9f000..=0x9ffff);
        assert_eq!(bytes_of_frames(0..=0x000f_ffff_ffff_ffff), 0..=u64::MAX);
    }

    #[test]
    #[expect(
        clippy::reversed_empty_ranges,
        reason = "one empty range is the input under test"
    )]
    fn bytes_of_frames_saturates() {
        assert_eq!(
            bytes_of_frames(0x0010_0000_0000_0000..=u64::MAX),
            u64::MAX..=u64::MAX
        );
        assert_eq!(
            bytes_of_frames(1..=u64::MAX),
            0x1000..=u64::MAX,
            "end saturates, start stays exact"
        );
        assert!(bytes_of_frames(u64::MAX..=0x0010_0000_0000_0000).is_empty());
    }

    #[test]
    fn frames_and_bytes_round_trip() {
        for r in [0..=0, 5..=9, 0xfe200..=0xff841] {
            let b = bytes_of_frames(r.clone());
            assert_eq!(frames_of_bytes(*b.start(), *b.end()), r);
        }
    }
}

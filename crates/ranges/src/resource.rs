//! A range in one of Xen's two permission rangesets, typed: frames are `u64`, ports `u16`.
//! Plans, probes and what-ifs name ranges as (resource, first, last); this is where such a
//! triple becomes a range of the right kind, once, instead of a `u16::try_from` per caller.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::{FrameSet, PortSet};

/// Which permission a range is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Machine frames (`XEN_DOMCTL_iomem_permission`).
    Iomem,
    /// I/O ports (`XEN_DOMCTL_ioport_permission`).
    Ioport,
}

/// Strict, with the error naming what is accepted (a plan decides what dom0 gives up).
impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "iomem" => Ok(Resource::Iomem),
            "ioport" => Ok(Resource::Ioport),
            other => Err(serde::de::Error::custom(format!(
                "unknown resource {other:?} (expected \"iomem\" or \"ioport\")"
            ))),
        }
    }
}

impl Resource {
    /// `iomem` / `ioport`, as plans and logs spell it.
    pub fn label(self) -> &'static str {
        match self {
            Resource::Iomem => "iomem",
            Resource::Ioport => "ioport",
        }
    }

    /// `first..=last` of this resource; None when it is backwards or ports leave `u16`.
    pub fn range(self, first: u64, last: u64) -> Option<IoRange> {
        if first > last {
            return None;
        }
        match self {
            Resource::Iomem => Some(IoRange::Frames(first..=last)),
            Resource::Ioport => Some(IoRange::Ports(
                u16::try_from(first).ok()?..=u16::try_from(last).ok()?,
            )),
        }
    }
}

/// Frames or ports, inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoRange {
    /// Machine frame numbers.
    Frames(RangeInclusive<u64>),
    /// I/O ports.
    Ports(RangeInclusive<u16>),
}

impl IoRange {
    /// The parts of this range in `frames` or `ports` (whichever is its kind), as inclusive
    /// `(first, last)` pairs in the range's unit.
    pub fn parts_in(&self, frames: &FrameSet, ports: &PortSet) -> Vec<(u64, u64)> {
        match self {
            IoRange::Frames(f) => frames
                .intersect_range(f.clone())
                .ranges()
                .map(RangeInclusive::into_inner)
                .collect(),
            IoRange::Ports(p) => ports
                .intersect_range(p.clone())
                .ranges()
                .map(|x| (u64::from(*x.start()), u64::from(*x.end())))
                .collect(),
        }
    }
}

/// dom0's two permission rangesets (or any frames-and-ports pair, such as what a plan gives
/// up), so a typed range can be added or tested without matching on its kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IoSets {
    /// Machine frames.
    pub frames: FrameSet,
    /// I/O ports.
    pub ports: PortSet,
}

impl IoSets {
    /// Adds `r` to the set of its kind.
    pub fn insert(&mut self, r: &IoRange) {
        match r {
            IoRange::Frames(f) => self.frames.insert(f.clone()),
            IoRange::Ports(p) => self.ports.insert(p.clone()),
        }
    }

    /// Takes `r` out of the set of its kind.
    pub fn remove(&mut self, r: &IoRange) {
        match r {
            IoRange::Frames(f) => self.frames.remove(f.clone()),
            IoRange::Ports(p) => self.ports.remove(p.clone()),
        }
    }

    /// The parts of `r` in the set of its kind, as inclusive `(first, last)` pairs.
    pub fn parts_of(&self, r: &IoRange) -> Vec<(u64, u64)> {
        r.parts_in(&self.frames, &self.ports)
    }

    /// Whether any of `r` is in the set of its kind.
    pub fn overlaps(&self, r: &IoRange) -> bool {
        match r {
            IoRange::Frames(f) => self.frames.overlaps_range(f.clone()),
            IoRange::Ports(p) => self.ports.overlaps_range(p.clone()),
        }
    }
}

impl FromIterator<IoRange> for IoSets {
    fn from_iter<I: IntoIterator<Item = IoRange>>(it: I) -> IoSets {
        let mut s = IoSets::default();
        for r in it {
            s.insert(&r);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_typed_by_resource() {
        assert_eq!(
            Resource::Iomem.range(0x8f, 0x90),
            Some(IoRange::Frames(0x8f..=0x90))
        );
        assert_eq!(
            Resource::Ioport.range(0xcf9, 0xcf9),
            Some(IoRange::Ports(0xcf9..=0xcf9))
        );
        assert_eq!(Resource::Ioport.range(0xffff, 0x1_0000), None);
        assert_eq!(Resource::Iomem.range(2, 1), None);
        assert_eq!(
            Resource::Iomem.range(0, u64::MAX),
            Some(IoRange::Frames(0..=u64::MAX))
        );
    }

    #[test]
    fn sets_take_and_test_either_kind() {
        let s: IoSets = [IoRange::Frames(0x8f..=0x90), IoRange::Ports(0xb2..=0xb3)]
            .into_iter()
            .collect();
        assert!(s.overlaps(&IoRange::Frames(0x90..=0x100)));
        assert!(!s.overlaps(&IoRange::Frames(0x91..=0x100)));
        assert!(s.overlaps(&IoRange::Ports(0xb3..=0xb3)));
        assert!(!s.overlaps(&IoRange::Ports(0x8f..=0x90)));
        assert_eq!(
            s.parts_of(&IoRange::Frames(0x90..=0x100)),
            vec![(0x90, 0x90)]
        );
        assert_eq!(s.parts_of(&IoRange::Ports(0xb0..=0xb2)), vec![(0xb2, 0xb2)]);
        let mut t = s.clone();
        t.remove(&IoRange::Frames(0x8f..=0x8f));
        t.remove(&IoRange::Ports(0xb2..=0xb3));
        assert_eq!(t.frames, FrameSet::from(0x90..=0x90));
        assert!(t.ports.is_empty());
    }
}

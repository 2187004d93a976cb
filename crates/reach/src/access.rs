//! dom0's access to one stretch of frames or ports, as `map` and `explain` state it: from
//! Xen's rangesets, with the model's read-only set (`mmio_ro_ranges`) on top.

use serde::Serialize;

use crate::Reach;
use dom0scope_ranges::frame_of;

/// dom0's access to a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Every frame/port is in dom0's rangeset.
    Yes,
    /// Mappable, but only read-only (Xen's mmio_ro_ranges, from the model).
    ReadOnly,
    /// Some frames/ports are in dom0's rangeset, some are not.
    Partial,
    /// None of it is in dom0's rangeset.
    No,
    /// No `q` dump to tell.
    Unknown,
}

impl Access {
    /// How `map` and `explain` word it.
    pub fn label(self) -> &'static str {
        match self {
            Access::Yes => "reachable",
            Access::ReadOnly => "reachable read-only",
            Access::Partial => "partly reachable",
            Access::No => "denied",
            Access::Unknown => "unknown",
        }
    }

    fn of(inside: u128, n: u128) -> Access {
        if inside == n {
            Access::Yes
        } else if inside == 0 {
            Access::No
        } else {
            Access::Partial
        }
    }
}

impl Reach {
    /// dom0's access to the frames of the inclusive byte range `start..=end`.
    pub fn memory_access(&self, start: u64, end: u64) -> Access {
        let Some(o) = self.observed() else {
            return Access::Unknown;
        };
        let (first, last) = (frame_of(start), frame_of(end));
        let n = u128::from(last - first) + 1;
        let access = Access::of(o.iomem.intersect_range(first..=last).count(), n);
        let ro = self
            .predicted()
            .is_some_and(|p| p.ro_iomem.intersect_range(first..=last).count() == n);
        if access == Access::Yes && ro {
            Access::ReadOnly
        } else {
            access
        }
    }

    /// dom0's access to the ports `start..=end`.
    pub fn port_access(&self, start: u16, end: u16) -> Access {
        let Some(p) = self.observed().and_then(|o| o.ioports.as_ref()) else {
            return Access::Unknown;
        };
        Access::of(
            p.intersect_range(start..=end).count(),
            u128::from(end - start) + 1,
        )
    }
}

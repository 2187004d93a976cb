//! The Xen changes the rules follow, and the first release of each series that has them: a
//! change reaches a series either in its `.0` (from master) or as a stable backport in a later
//! patch release, so the rules ask here rather than compare version numbers. The reading
//! behind each entry (commits, tags) is `docs/model-sources-4.18-4.19.md`.

use super::input::Release;

/// One Xen change: the series whose `.0` has it, and the stable backports of it.
struct Change {
    /// First `major.minor` whose `.0` release has it.
    from: (u32, u32),
    /// Older series that got it as a backport: `(major, minor, first patch release)`.
    backports: &'static [(u32, u32, u32)],
}

impl Change {
    fn in_release(&self, r: &Release) -> bool {
        r.at_least(self.from.0, self.from.1)
            || self
                .backports
                .iter()
                .any(|&(maj, min, patch)| (r.major, r.minor) == (maj, min) && r.patch >= patch)
    }
}

/// baa6ea7003 (RELEASE-4.18.0; not backported to 4.17).
const PVH_PERMISSIONS_FIRST: Change = Change {
    from: (4, 18),
    backports: &[],
};

/// ee3bcf907a, 9e2c146c38, 86266162fc, d0ea916fcd, 306e3dc919 (RELEASE-4.19.0; not backported).
const PLATFORM_PORTS: Change = Change {
    from: (4, 19),
    backports: &[],
};

/// master 381caa3885 (4.21.0); 7ce2ec63b2 (4.18.5), e665204eb3 (4.19.2), bc3006b9fe (4.20.1).
const VLAPIC_NOT_MSI_WINDOW: Change = Change {
    from: (4, 21),
    backports: &[(4, 18, 5), (4, 19, 2), (4, 20, 1)],
};

/// master a00e08799c (4.21.0); 5f640b6213 (4.18.5), eaa79d83b6 (4.19.2), 1d8d5753b7 (4.20.1).
const MAX_PADDR_BITS: Change = Change {
    from: (4, 21),
    backports: &[(4, 18, 5), (4, 19, 2), (4, 20, 1)],
};

/// master 62f3fc5296 (4.21.0); 74e860e45e (4.19.2), a1a5bd40b5 (4.20.1); never in 4.18.
const VIOAPIC_AND_VPCI: Change = Change {
    from: (4, 21),
    backports: &[(4, 19, 2), (4, 20, 1)],
};

/// master e118fc98e7 (4.21.0); c7e5683085 (4.19.3), 6b399ed19f (4.20.1); never in 4.17, 4.18.
const RANGESET_REMOVE_FIX: Change = Change {
    from: (4, 21),
    backports: &[(4, 19, 3), (4, 20, 1)],
};

/// Which of the changes a release has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Changes {
    /// A PVH dom0's permissions are set up before the IOMMU's hardware-domain init, so the
    /// IOMMU's denials stick (before, the blanket grant handed them back).
    pub pvh_permissions_first: bool,
    /// Ports 0xcf9, 0x92, 0xf0, the ELCR and (PVH) the ISA DMA controller are denied.
    pub platform_ports: bool,
    /// The MSI address window is no longer denied; a PVH dom0 loses the emulated LAPIC page.
    pub vlapic_not_msi_window: bool,
    /// A PVH dom0's I/O memory grant is bounded by the paging mode's width (HAP: 48 bits).
    pub max_paddr_bits: bool,
    /// A PVH dom0 loses its IO-APIC pages and the MCFG windows vPCI traps.
    pub vioapic_and_vpci: bool,
    /// `rangeset_remove_range()` no longer stretches the range before a removal that starts
    /// inside a hole and reaches a later range.
    pub rangeset_remove_fix: bool,
}

impl Changes {
    /// The changes `r` has.
    pub(crate) fn of(r: &Release) -> Changes {
        Changes {
            pvh_permissions_first: PVH_PERMISSIONS_FIRST.in_release(r),
            platform_ports: PLATFORM_PORTS.in_release(r),
            vlapic_not_msi_window: VLAPIC_NOT_MSI_WINDOW.in_release(r),
            max_paddr_bits: MAX_PADDR_BITS.in_release(r),
            vioapic_and_vpci: VIOAPIC_AND_VPCI.in_release(r),
            rangeset_remove_fix: RANGESET_REMOVE_FIX.in_release(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(v: &str) -> Changes {
        Changes::of(&Release::parse(v).unwrap())
    }

    #[test]
    fn each_backport_starts_at_its_patch_release() {
        for (v, vlapic, vioapic, fix) in [
            ("4.17.7", false, false, false),
            ("4.18.4", false, false, false),
            ("4.18.5", true, false, false),
            ("4.18.6", true, false, false),
            ("4.19.1", false, false, false),
            ("4.19.2", true, true, false),
            ("4.19.3", true, true, true),
            ("4.19.6", true, true, true),
            ("4.20.0", false, false, false),
            ("4.20.1-pre", true, true, true),
            ("4.21.0", true, true, true),
            ("4.23-unstable", true, true, true),
        ] {
            let c = of(v);
            assert_eq!(c.vlapic_not_msi_window, vlapic, "{v}");
            assert_eq!(c.max_paddr_bits, vlapic, "{v}");
            assert_eq!(c.vioapic_and_vpci, vioapic, "{v}");
            assert_eq!(c.rangeset_remove_fix, fix, "{v}");
        }
        assert!(!of("4.17.7").pvh_permissions_first && of("4.18.0").pvh_permissions_first);
        assert!(!of("4.18.6").platform_ports && of("4.19.0").platform_ports);
    }
}

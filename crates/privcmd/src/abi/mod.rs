//! Xen's ABI as dom0scope uses it, in one place: hypercall numbers, the byte layouts of
//! `struct xen_domctl` ([`domctl`]) and `struct xen_sysctl` ([`sysctl`]), `DOMID_IO`, and
//! the interface version of each Xen release. Pure: no I/O, no `unsafe`. The bytes built
//! here are what [`crate::Privcmd`] hands to Xen and what `sim::SimXen` (feature
//! `sim`) decodes, so tests of enforce and probe exercise the real encoding.
//!
//! Both ABIs are versioned: Xen refuses a domctl or sysctl whose `interface_version` differs
//! from its own with `-EACCES`, without acting on it (`xen/common/domctl.c` lines 333–334 at
//! `RELEASE-4.17.7`), so a wrong guess changes nothing.

pub mod domctl;
pub mod sysctl;

pub use domctl::{DOMCTL_SIZE, Domctl, DomctlOp};
pub use sysctl::SYSCTL_SIZE;

/// `__HYPERVISOR_sysctl` (`xen/include/public/xen.h` line 109 at `RELEASE-4.17.7`).
pub const HYPERVISOR_SYSCTL: u64 = 35;
/// `__HYPERVISOR_domctl` (`xen/include/public/xen.h` line 110 at `RELEASE-4.17.7`).
pub const HYPERVISOR_DOMCTL: u64 = 36;

/// `DOMID_IO` (`xen/include/public/xen.h`): the pseudo-domain owning I/O memory. A foreign
/// mapping of its frames is a mapping of machine frames, granted only where the caller's I/O
/// memory rangeset allows.
pub const DOMID_IO: u16 = 0x7ff1;

/// Xen releases dom0scope knows, with their `XEN_DOMCTL_INTERFACE_VERSION` (see [`domctl`]
/// for where each value was read). 4.23 is master (`4.23-unstable` at c447b7308b), known
/// experimentally: its interface may still change before it is released. Only 4.17 and 4.20
/// have run on real Xen so far.
pub const KNOWN_XEN: &[((u32, u32), u32)] = &[
    ((4, 17), 0x15),
    ((4, 18), 0x16),
    ((4, 19), 0x17),
    ((4, 20), 0x17),
    ((4, 21), 0x17),
    ((4, 22), 0x18),
    ((4, 23), 0x18),
];

/// The domctl interface version of Xen `major.minor`, if known.
pub fn domctl_version(major: u32, minor: u32) -> Option<u32> {
    KNOWN_XEN
        .iter()
        .find(|(v, _)| *v == (major, minor))
        .map(|&(_, iv)| iv)
}

/// Sysctl interface versions to probe, most likely first: 0x15 covers Xen 4.17 to 4.20, 0x16
/// Xen 4.21 to 4.22 and master (`xen/include/public/sysctl.h` at `RELEASE-4.21.2`,
/// `RELEASE-4.22.0` and c447b7308b). The running Xen's is found by trying each with a zero-length console read (which
/// changes nothing), since the sysctl carrying the version cannot be issued without one.
pub const SYSCTL_VERSIONS: &[u32] = &[0x15, 0x16, 0x14, 0x13, 0x12];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(domctl_version(4, 17), Some(0x15));
        assert_eq!(domctl_version(4, 20), Some(0x17));
        assert_eq!(domctl_version(4, 22), Some(0x18));
        assert_eq!(domctl_version(4, 16), None);
        assert_eq!(domctl_version(5, 0), None);
    }
}

//! Xen's ABI as dom0scope uses it, in one place: hypercall numbers, the byte layouts of
//! `struct xen_domctl` ([`domctl`]), `struct xen_sysctl` ([`sysctl`]) and hypfs ([`hypfs`]),
//! `DOMID_IO`, and the interface versions of each Xen release ([`interfaces`]). Pure: no I/O, no `unsafe`. The bytes built
//! here are what [`crate::Privcmd`] hands to Xen and what `sim::SimXen` (feature
//! `sim`) decodes, so tests of enforce and probe exercise the real encoding.
//!
//! Both ABIs are versioned: Xen refuses a domctl or sysctl whose `interface_version` differs
//! from its own with `-EACCES`, without acting on it (`xen/common/domctl.c` lines 333–334 at
//! `RELEASE-4.17.7`), so a wrong guess changes nothing.

pub mod domctl;
pub mod hypfs;
pub mod sysctl;

pub use domctl::{DOMCTL_SIZE, Domctl, DomctlOp};
pub use sysctl::SYSCTL_SIZE;

/// `__HYPERVISOR_sysctl` (`xen/include/public/xen.h` line 109 at `RELEASE-4.17.7`).
pub const HYPERVISOR_SYSCTL: u64 = 35;
/// `__HYPERVISOR_domctl` (`xen/include/public/xen.h` line 110 at `RELEASE-4.17.7`).
pub const HYPERVISOR_DOMCTL: u64 = 36;

/// `__HYPERVISOR_xen_version` (`xen/include/public/xen.h` line 91 at `RELEASE-4.17.7`, 95 at
/// `RELEASE-4.22.0`). Unversioned: it is how the running Xen's release is learnt before any
/// versioned call.
pub const HYPERVISOR_XEN_VERSION: u64 = 17;
/// `XENVER_version` (`xen/include/public/version.h` line 20 at `RELEASE-4.17.7` and
/// `RELEASE-4.22.0`): returns
/// `major << 16 | minor` (`do_xen_version()`, `xen/common/kernel.c` lines 485–486 at
/// `RELEASE-4.17.7`, 572–573 at `RELEASE-4.22.0`), allowed whatever XSM says (`xsm_xen_version()`,
/// `xen/include/xsm/dummy.h` lines 748–753 at `RELEASE-4.17.7`).
pub const XENVER_VERSION: u64 = 0;
/// `XENVER_extraversion` (`version.h` line 23 at `RELEASE-4.17.7`, 27 at `RELEASE-4.22.0`): writes `xen_extraversion_t`, 16 chars
/// (`.7`, `-unstable`).
pub const XENVER_EXTRAVERSION: u64 = 1;
/// `sizeof(xen_extraversion_t)`.
pub const XEN_EXTRAVERSION_LEN: usize = 16;

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

/// Xen releases dom0scope knows, with their `XEN_SYSCTL_INTERFACE_VERSION`
/// (`xen/include/public/sysctl.h`: 0x15 at line 21 of `RELEASE-4.17.7`, `RELEASE-4.18.6` and
/// `RELEASE-4.19.6` and line 31 of `RELEASE-4.20.4`; 0x16 at line 31 of `RELEASE-4.21.0`,
/// `RELEASE-4.21.2`, `RELEASE-4.22.0` and master c447b7308b). The same releases as
/// [`KNOWN_XEN`].
pub const KNOWN_XEN_SYSCTL: &[((u32, u32), u32)] = &[
    ((4, 17), 0x15),
    ((4, 18), 0x15),
    ((4, 19), 0x15),
    ((4, 20), 0x15),
    ((4, 21), 0x16),
    ((4, 22), 0x16),
    ((4, 23), 0x16),
];

/// The sysctl interface version of Xen `major.minor`, if known.
pub fn sysctl_version(major: u32, minor: u32) -> Option<u32> {
    KNOWN_XEN_SYSCTL
        .iter()
        .find(|(v, _)| *v == (major, minor))
        .map(|&(_, iv)| iv)
}

/// Sysctl interface versions tried, after the one [`KNOWN_XEN_SYSCTL`] gives, should the
/// running Xen refuse that one (a development build between two releases): each is tried
/// with a zero-length console read, which changes nothing and which Xen refuses with
/// `-EACCES`, without acting, for any version but its own.
pub const SYSCTL_VERSIONS: &[u32] = &[0x15, 0x16, 0x14, 0x13, 0x12];

/// The versioned interfaces of one Xen release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interfaces {
    /// `XEN_SYSCTL_INTERFACE_VERSION`.
    pub sysctl: u32,
    /// `XEN_DOMCTL_INTERFACE_VERSION`.
    pub domctl: u32,
}

/// The running Xen as `XENVER_version` and `XENVER_extraversion` describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XenVersion {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// The extra version (`.7`, `.0`, `-unstable`), empty when Xen withheld it.
    pub extra: String,
}

impl XenVersion {
    /// From `XENVER_version`'s return value and `XENVER_extraversion`'s bytes (up to the NUL).
    pub fn from_raw(version: u32, extra: &[u8]) -> XenVersion {
        let end = extra.iter().position(|&b| b == 0).unwrap_or(extra.len());
        XenVersion {
            major: version >> 16,
            minor: version & 0xffff,
            extra: String::from_utf8_lossy(&extra[..end]).into_owned(),
        }
    }
}

/// `4.17.7`.
impl std::fmt::Display for XenVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}{}", self.major, self.minor, self.extra)
    }
}

/// The running Xen is a release whose interface versions dom0scope does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the running Xen is {running}, but dom0scope knows the sysctl and domctl interface versions \
     of Xen {known} only, so it cannot speak to this Xen directly (a wrong version would only \
     be refused, but nothing could be read); with Xen's own tools for this release installed, \
     --xen-access xl uses them instead"
)]
pub struct UnknownXen {
    /// The running Xen's version.
    pub running: String,
    /// The releases dom0scope knows (`4.17, 4.18, …`).
    pub known: String,
}

/// The interface versions of Xen `major.minor`, or an error naming the running version and
/// the known ones.
pub fn interfaces(v: &XenVersion) -> Result<Interfaces, UnknownXen> {
    match (
        sysctl_version(v.major, v.minor),
        domctl_version(v.major, v.minor),
    ) {
        (Some(sysctl), Some(domctl)) => Ok(Interfaces { sysctl, domctl }),
        _ => Err(UnknownXen {
            running: v.to_string(),
            known: KNOWN_XEN
                .iter()
                .map(|((a, b), _)| format!("{a}.{b}"))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

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
        assert_eq!(sysctl_version(4, 20), Some(0x15));
        assert_eq!(sysctl_version(4, 21), Some(0x16));
        assert_eq!(sysctl_version(4, 24), None);
        let known: Vec<_> = KNOWN_XEN.iter().map(|(v, _)| *v).collect();
        let known_sysctl: Vec<_> = KNOWN_XEN_SYSCTL.iter().map(|(v, _)| *v).collect();
        assert_eq!(known, known_sysctl, "both tables name the same releases");
    }

    #[test]
    fn interfaces_by_release_and_a_clear_refusal() {
        let v = XenVersion::from_raw(4 << 16 | 17, b".7\0\0\0");
        assert_eq!(v.to_string(), "4.17.7");
        assert_eq!(
            interfaces(&v),
            Ok(Interfaces {
                sysctl: 0x15,
                domctl: 0x15
            })
        );
        let v = XenVersion::from_raw(4 << 16 | 22, b".0");
        assert_eq!(
            interfaces(&v),
            Ok(Interfaces {
                sysctl: 0x16,
                domctl: 0x18
            })
        );
        let e = interfaces(&XenVersion::from_raw(4 << 16 | 24, b"-unstable")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("the running Xen is 4.24-unstable"), "{msg}");
        assert!(
            msg.contains("Xen 4.17, 4.18, 4.19, 4.20, 4.21, 4.22, 4.23 only"),
            "{msg}"
        );
    }
}

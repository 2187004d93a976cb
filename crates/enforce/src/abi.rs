//! The byte layout of `struct xen_domctl` for the two permission domctls, and the domctl
//! interface version of each Xen release enforce knows. Pure: no I/O, no `unsafe`.
//!
//! From `xen/include/public/domctl.h` (xen-project/xen, tags `RELEASE-4.17.7` and
//! `RELEASE-4.20.4`; line numbers at those tags, 4.17.7 first):
//!
//! - `struct xen_domctl` (lines 1195 / 1249): `uint32_t cmd;` then `uint32_t
//!   interface_version;` (1286 / 1343), `domid_t domain;` (a `uint16_t`), `uint16_t _pad[3];`,
//!   then a union whose largest member is `uint8_t pad[128];` (1344 / 1406) and whose members
//!   hold `uint64_aligned_t` fields: the union starts at byte 16 and the struct is 144 bytes.
//! - `#define XEN_DOMCTL_iomem_permission 20` and `#define XEN_DOMCTL_ioport_permission 21`
//!   (1216–1217 / 1270–1271).
//! - `struct xen_domctl_iomem_permission` (451–455 / 487–491): `uint64_aligned_t first_mfn;
//!   uint64_aligned_t nr_mfns; uint8_t allow_access;` — union offsets 0, 8, 16.
//! - `struct xen_domctl_ioport_permission` (459–463 / 495–499): `uint32_t first_port;
//!   uint32_t nr_ports; uint8_t allow_access;` — union offsets 0, 4, 8.
//! - `#define XEN_DOMCTL_INTERFACE_VERSION 0x00000015` in 4.17.7 (line 24), `0x00000017` in
//!   4.20.4 (line 34). The same define reads 0x14 at `RELEASE-4.16.0`, 0x16 at
//!   `RELEASE-4.18.0`, 0x17 at `RELEASE-4.19.0` and `RELEASE-4.21.0`.
//!
//! `__HYPERVISOR_domctl` is 36 (`xen/include/public/xen.h` line 110 at 4.17.7). libxenctrl
//! fills the same struct: `xc_domain_iomem_permission()` / `xc_domain_ioport_permission()`
//! (`tools/libs/ctrl/xc_domain.c` lines 1446–1458 / 1369–1381 at 4.17.7) set `cmd`, `domain`
//! and the union member; `do_domctl()` (`tools/libs/ctrl/xc_private.h` lines 250–286) sets
//! `interface_version` and issues `__HYPERVISOR_domctl` with a pointer to the struct in
//! hypercall-safe memory. Xen checks the version first and returns `-EACCES` without acting on
//! a mismatch (`xen/common/domctl.c` lines 333–334 at 4.17.7), so a wrong guess changes nothing.
//!
//! Xen's handlers (`xen/common/domctl.c` lines 417–443, `xen/arch/x86/domctl.c` lines
//! 223–248 at 4.17.7) refuse with `-EPERM` unless the *caller* holds the whole range
//! (`iomem_access_permitted(current->domain, …)`): a deny of a range that is already partly
//! gone fails as a whole, and a re-grant of a revoked range fails. Enforce therefore revokes
//! only the sub-ranges still present.

/// `__HYPERVISOR_domctl`.
pub const HYPERVISOR_DOMCTL: u64 = 36;
/// `XEN_DOMCTL_iomem_permission`.
pub const DOMCTL_IOMEM_PERMISSION: u32 = 20;
/// `XEN_DOMCTL_ioport_permission`.
pub const DOMCTL_IOPORT_PERMISSION: u32 = 21;
/// `sizeof(struct xen_domctl)` on x86-64.
pub const DOMCTL_SIZE: usize = 16 + 128;
/// Offset of the union in `struct xen_domctl`.
const UNION: usize = 16;

/// Xen releases enforce knows, with their `XEN_DOMCTL_INTERFACE_VERSION` (see the module
/// documentation for where each value was read). Only 4.17 and 4.20 have been run on real Xen.
pub const KNOWN_XEN: &[((u32, u32), u32)] = &[
    ((4, 17), 0x15),
    ((4, 18), 0x16),
    ((4, 19), 0x17),
    ((4, 20), 0x17),
    ((4, 21), 0x17),
];

/// The domctl interface version of Xen `major.minor`, if known.
pub fn domctl_version(major: u32, minor: u32) -> Option<u32> {
    KNOWN_XEN
        .iter()
        .find(|(v, _)| *v == (major, minor))
        .map(|&(_, iv)| iv)
}

fn header(cmd: u32, version: u32, domid: u16) -> [u8; DOMCTL_SIZE] {
    let mut s = [0u8; DOMCTL_SIZE];
    s[0..4].copy_from_slice(&cmd.to_le_bytes());
    s[4..8].copy_from_slice(&version.to_le_bytes());
    s[8..10].copy_from_slice(&domid.to_le_bytes());
    s
}

/// `struct xen_domctl` for `XEN_DOMCTL_iomem_permission`.
pub fn iomem_permission(
    version: u32,
    domid: u16,
    first_mfn: u64,
    nr_mfns: u64,
    allow: bool,
) -> [u8; DOMCTL_SIZE] {
    let mut s = header(DOMCTL_IOMEM_PERMISSION, version, domid);
    s[UNION..UNION + 8].copy_from_slice(&first_mfn.to_le_bytes());
    s[UNION + 8..UNION + 16].copy_from_slice(&nr_mfns.to_le_bytes());
    s[UNION + 16] = u8::from(allow);
    s
}

/// `struct xen_domctl` for `XEN_DOMCTL_ioport_permission`.
pub fn ioport_permission(
    version: u32,
    domid: u16,
    first_port: u32,
    nr_ports: u32,
    allow: bool,
) -> [u8; DOMCTL_SIZE] {
    let mut s = header(DOMCTL_IOPORT_PERMISSION, version, domid);
    s[UNION..UNION + 4].copy_from_slice(&first_port.to_le_bytes());
    s[UNION + 4..UNION + 8].copy_from_slice(&nr_ports.to_le_bytes());
    s[UNION + 8] = u8::from(allow);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iomem_layout() {
        let s = iomem_permission(0x15, 0, 0x8f, 2, false);
        assert_eq!(&s[0..4], &20u32.to_le_bytes());
        assert_eq!(&s[4..8], &0x15u32.to_le_bytes());
        assert_eq!(&s[8..16], &[0; 8], "domid 0 and padding");
        assert_eq!(&s[16..24], &0x8fu64.to_le_bytes());
        assert_eq!(&s[24..32], &2u64.to_le_bytes());
        assert_eq!(s[32], 0);
        assert!(s[33..].iter().all(|&b| b == 0));
        assert_eq!(iomem_permission(0x17, 0, 1, 1, true)[32], 1);
    }

    #[test]
    fn ioport_layout() {
        let s = ioport_permission(0x17, 0, 0x2f8, 8, false);
        assert_eq!(&s[0..4], &21u32.to_le_bytes());
        assert_eq!(&s[4..8], &0x17u32.to_le_bytes());
        assert_eq!(&s[16..20], &0x2f8u32.to_le_bytes());
        assert_eq!(&s[20..24], &8u32.to_le_bytes());
        assert_eq!(s[24], 0);
        assert_eq!(s.len(), 144);
    }

    #[test]
    fn versions() {
        assert_eq!(domctl_version(4, 17), Some(0x15));
        assert_eq!(domctl_version(4, 20), Some(0x17));
        assert_eq!(domctl_version(4, 16), None);
        assert_eq!(domctl_version(5, 0), None);
    }
}

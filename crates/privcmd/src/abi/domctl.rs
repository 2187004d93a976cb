//! The byte layout of `struct xen_domctl` for the domctls dom0scope issues: the two permission
//! domctls (enforce) and the memory-mapping domctl (probe, in a PVH dom0). Encoders build the
//! bytes handed to Xen; [`Domctl::decode`] reads them back, as the simulator does.
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
//!   `RELEASE-4.18.0`, 0x17 at `RELEASE-4.19.0` and `RELEASE-4.21.0`, and 0x18 at
//!   `RELEASE-4.22.0` and master c447b7308b (line 35), where the bump came with a new
//!   `createdomain` altp2m layout and a stable `get_domain_state` op: the three structs above
//!   and below, their op numbers (1304–1305, 1323) and `struct xen_domctl`'s header (1378–1380)
//!   and `pad[128]` union (1442) are unchanged there.
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
//!
//! `XEN_DOMCTL_memory_mapping` is the call a PVH dom0 can use to map a machine frame into its
//! own physical address space (measured on real Xen 4.17,
//! `shared/reference/measured-on-real-xen.md` §5). From `xen/include/public/domctl.h`
//! (`RELEASE-4.17.7` and `RELEASE-4.20.4` alike): `#define XEN_DOMCTL_memory_mapping 39`;
//! `struct xen_domctl_memory_mapping { uint64_aligned_t first_gfn; uint64_aligned_t
//! first_mfn; uint64_aligned_t nr_mfns; uint32_t add_mapping; uint32_t padding; }` (union
//! offsets 0, 8, 16, 24); `DPCI_ADD_MAPPING` 1, `DPCI_REMOVE_MAPPING` 0. The handler
//! (`xen/common/domctl.c`) answers `-EPERM` unless the *caller* holds the frames in its I/O
//! memory rangeset, for adding and removing alike, so a frame dom0 gave up cannot be mapped
//! back this way.

/// `XEN_DOMCTL_iomem_permission`.
pub const DOMCTL_IOMEM_PERMISSION: u32 = 20;
/// `XEN_DOMCTL_ioport_permission`.
pub const DOMCTL_IOPORT_PERMISSION: u32 = 21;
/// `XEN_DOMCTL_memory_mapping`.
pub const DOMCTL_MEMORY_MAPPING: u32 = 39;
/// `sizeof(struct xen_domctl)` on x86-64.
pub const DOMCTL_SIZE: usize = 16 + 128;
/// Offset of the union in `struct xen_domctl`.
const UNION: usize = 16;

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

/// `struct xen_domctl` mapping (`add`) or unmapping one frame `mfn` at `gfn` of domain `domid`.
pub fn memory_mapping(
    version: u32,
    domid: u16,
    gfn: u64,
    mfn: u64,
    add: bool,
) -> [u8; DOMCTL_SIZE] {
    let mut s = header(DOMCTL_MEMORY_MAPPING, version, domid);
    s[UNION..UNION + 8].copy_from_slice(&gfn.to_le_bytes());
    s[UNION + 8..UNION + 16].copy_from_slice(&mfn.to_le_bytes());
    s[UNION + 16..UNION + 24].copy_from_slice(&1u64.to_le_bytes());
    s[UNION + 24..UNION + 28].copy_from_slice(&u32::from(add).to_le_bytes());
    s
}

/// A `struct xen_domctl` read back from its bytes: what Xen would see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Domctl {
    /// `interface_version`.
    pub interface_version: u32,
    /// `domain`: the domain acted on.
    pub domain: u16,
    /// `cmd` and its union member.
    pub op: DomctlOp,
}

/// The command of a [`Domctl`] with its arguments. Flags are read as Xen reads them: any
/// non-zero value is true.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomctlOp {
    /// `XEN_DOMCTL_iomem_permission`.
    IomemPermission {
        /// First machine frame.
        first_mfn: u64,
        /// Number of frames.
        nr_mfns: u64,
        /// `allow_access`.
        allow: bool,
    },
    /// `XEN_DOMCTL_ioport_permission`.
    IoportPermission {
        /// First port.
        first_port: u32,
        /// Number of ports.
        nr_ports: u32,
        /// `allow_access`.
        allow: bool,
    },
    /// `XEN_DOMCTL_memory_mapping`.
    MemoryMapping {
        /// First guest frame of `domain`.
        first_gfn: u64,
        /// First machine frame.
        first_mfn: u64,
        /// Number of frames.
        nr_mfns: u64,
        /// `add_mapping` (else remove).
        add: bool,
    },
    /// A command dom0scope never issues, by number.
    Other(u32),
}

fn u32_at(s: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(s[off..off + 4].try_into().expect("4 bytes"))
}

fn u64_at(s: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(s[off..off + 8].try_into().expect("8 bytes"))
}

impl Domctl {
    /// Reads the header and, for the commands above, the union member.
    pub fn decode(s: &[u8; DOMCTL_SIZE]) -> Domctl {
        let u = &s[UNION..];
        let op = match u32_at(s, 0) {
            DOMCTL_IOMEM_PERMISSION => DomctlOp::IomemPermission {
                first_mfn: u64_at(u, 0),
                nr_mfns: u64_at(u, 8),
                allow: u[16] != 0,
            },
            DOMCTL_IOPORT_PERMISSION => DomctlOp::IoportPermission {
                first_port: u32_at(u, 0),
                nr_ports: u32_at(u, 4),
                allow: u[8] != 0,
            },
            DOMCTL_MEMORY_MAPPING => DomctlOp::MemoryMapping {
                first_gfn: u64_at(u, 0),
                first_mfn: u64_at(u, 8),
                nr_mfns: u64_at(u, 16),
                add: u32_at(u, 24) != 0,
            },
            cmd => DomctlOp::Other(cmd),
        };
        Domctl {
            interface_version: u32_at(s, 4),
            domain: u16::from_le_bytes([s[8], s[9]]),
            op,
        }
    }
}

/// As a call: `iomem_permission(0x8f, 2, false)` (the form tests compare against).
impl std::fmt::Display for DomctlOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            DomctlOp::IomemPermission {
                first_mfn,
                nr_mfns,
                allow,
            } => write!(f, "iomem_permission({first_mfn:#x}, {nr_mfns}, {allow})"),
            DomctlOp::IoportPermission {
                first_port,
                nr_ports,
                allow,
            } => write!(f, "ioport_permission({first_port:#x}, {nr_ports}, {allow})"),
            DomctlOp::MemoryMapping {
                first_gfn,
                first_mfn,
                nr_mfns,
                add,
            } => write!(
                f,
                "memory_mapping({first_gfn:#x}, {first_mfn:#x}, {nr_mfns}, {add})"
            ),
            DomctlOp::Other(cmd) => write!(f, "domctl {cmd}"),
        }
    }
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
    fn memory_mapping_layout() {
        let s = memory_mapping(0x15, 0, 0x10_0000, 0x8f, true);
        assert_eq!(&s[0..4], &39u32.to_le_bytes());
        assert_eq!(&s[4..8], &0x15u32.to_le_bytes());
        assert_eq!(&s[8..16], &[0; 8]);
        assert_eq!(&s[16..24], &0x10_0000u64.to_le_bytes());
        assert_eq!(&s[24..32], &0x8fu64.to_le_bytes());
        assert_eq!(&s[32..40], &1u64.to_le_bytes());
        assert_eq!(&s[40..44], &1u32.to_le_bytes());
        assert!(s[44..].iter().all(|&b| b == 0));
        assert_eq!(memory_mapping(0x17, 0, 1, 2, false)[40], 0);
    }

    #[test]
    fn decode_reads_back_what_the_encoders_wrote() {
        let d = Domctl::decode(&iomem_permission(0x15, 0, 0x8f, 2, false));
        assert_eq!((d.interface_version, d.domain), (0x15, 0));
        assert_eq!(d.op.to_string(), "iomem_permission(0x8f, 2, false)");
        let d = Domctl::decode(&ioport_permission(0x17, 7, 0xb2, 1, true));
        assert_eq!((d.interface_version, d.domain), (0x17, 7));
        assert_eq!(d.op.to_string(), "ioport_permission(0xb2, 1, true)");
        let d = Domctl::decode(&memory_mapping(0x15, 0, 0x10_0000, 0x8f, false));
        assert_eq!(d.op.to_string(), "memory_mapping(0x100000, 0x8f, 1, false)");
        let mut s = [0u8; DOMCTL_SIZE];
        s[0] = 5;
        assert_eq!(Domctl::decode(&s).op, DomctlOp::Other(5));
    }
}

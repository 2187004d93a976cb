//! `struct xen_domctl` for `XEN_DOMCTL_memory_mapping`, the call a PVH dom0 can use to map a
//! machine frame into its own physical address space (measured on real Xen 4.17,
//! `shared/reference/measured-on-real-xen.md` §5). Pure: no I/O.
//!
//! From `xen/include/public/domctl.h` (xen-project/xen, `RELEASE-4.17.7` and `RELEASE-4.20.4`
//! alike): `#define XEN_DOMCTL_memory_mapping 39`; `struct xen_domctl_memory_mapping {
//! uint64_aligned_t first_gfn; uint64_aligned_t first_mfn; uint64_aligned_t nr_mfns; uint32_t
//! add_mapping; uint32_t padding; }` (union offsets 0, 8, 16, 24); `DPCI_ADD_MAPPING` 1,
//! `DPCI_REMOVE_MAPPING` 0. The handler (`xen/common/domctl.c`) answers `-EPERM` unless the
//! *caller* holds the frames in its I/O memory rangeset, for adding and removing alike, so a
//! frame dom0 gave up cannot be mapped back this way.

use dom0scope_enforce::abi::DOMCTL_SIZE;

/// `XEN_DOMCTL_memory_mapping`.
pub const DOMCTL_MEMORY_MAPPING: u32 = 39;
/// Offset of the union in `struct xen_domctl`.
const UNION: usize = 16;

/// `struct xen_domctl` mapping (`add`) or unmapping one frame `mfn` at `gfn` of domain `domid`.
pub fn memory_mapping(
    version: u32,
    domid: u16,
    gfn: u64,
    mfn: u64,
    add: bool,
) -> [u8; DOMCTL_SIZE] {
    let mut s = [0u8; DOMCTL_SIZE];
    s[0..4].copy_from_slice(&DOMCTL_MEMORY_MAPPING.to_le_bytes());
    s[4..8].copy_from_slice(&version.to_le_bytes());
    s[8..10].copy_from_slice(&domid.to_le_bytes());
    s[UNION..UNION + 8].copy_from_slice(&gfn.to_le_bytes());
    s[UNION + 8..UNION + 16].copy_from_slice(&mfn.to_le_bytes());
    s[UNION + 16..UNION + 24].copy_from_slice(&1u64.to_le_bytes());
    s[UNION + 24..UNION + 28].copy_from_slice(&u32::from(add).to_le_bytes());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
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
}

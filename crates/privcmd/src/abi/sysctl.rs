//! The byte layout of `struct xen_sysctl` for the two sysctls dom0scope issues: reading the
//! console ring (`XEN_SYSCTL_readconsole`, as `xl dmesg` does) and pressing debug keys
//! (`XEN_SYSCTL_debug_keys`, as `xl debug-keys` does).
//!
//! From `xen/include/public/sysctl.h` at `RELEASE-4.17.7`: `struct xen_sysctl` (line 1055) is
//! `uint32_t cmd; uint32_t interface_version;` then a union (8-byte aligned) whose largest
//! member is `uint8_t pad[128];`. `#define XEN_SYSCTL_readconsole 1` (1057),
//! `#define XEN_SYSCTL_debug_keys 7` (1063). `struct xen_sysctl_readconsole` (27–42):
//! `uint8_t clear, incremental, pad0, pad1; uint32_t index; XEN_GUEST_HANDLE_64(char)
//! buffer; uint32_t count;` — union offsets 0, 1, 4, 8, 16; `index` and `count` are also
//! outputs (the ring index after the bytes read, and how many were written).
//! `struct xen_sysctl_debug_keys` (163–167): `XEN_GUEST_HANDLE_64(const_char) keys; uint32_t
//! nr_keys;` — union offsets 0, 8.

/// `XEN_SYSCTL_readconsole`.
pub const SYSCTL_READCONSOLE: u32 = 1;
/// `XEN_SYSCTL_debug_keys`.
pub const SYSCTL_DEBUG_KEYS: u32 = 7;
/// `struct xen_sysctl`: cmd, interface_version, then a 128-byte union (8-byte aligned).
pub const SYSCTL_SIZE: usize = 8 + 128;
/// Offset of the union in `struct xen_sysctl`.
const UNION: usize = 8;

/// Encodes `struct xen_sysctl` for `XEN_SYSCTL_readconsole`: `count` bytes into `buffer`
/// from the oldest byte, or (`incremental`) from ring index `index`; never clearing the ring.
pub fn readconsole(
    version: u32,
    incremental: bool,
    index: u32,
    buffer: u64,
    count: u32,
) -> [u8; SYSCTL_SIZE] {
    let mut s = [0u8; SYSCTL_SIZE];
    s[0..4].copy_from_slice(&SYSCTL_READCONSOLE.to_le_bytes());
    s[4..8].copy_from_slice(&version.to_le_bytes());
    let u = UNION;
    s[u] = 0; // clear: never
    s[u + 1] = u8::from(incremental);
    s[u + 4..u + 8].copy_from_slice(&index.to_le_bytes());
    s[u + 8..u + 16].copy_from_slice(&buffer.to_le_bytes());
    s[u + 16..u + 20].copy_from_slice(&count.to_le_bytes());
    s
}

/// What a completed `XEN_SYSCTL_readconsole` returned: (bytes written, ring index after them).
pub fn readconsole_result(s: &[u8; SYSCTL_SIZE]) -> (u32, u32) {
    let u = UNION;
    let idx = u32::from_le_bytes(s[u + 4..u + 8].try_into().expect("4 bytes"));
    let got = u32::from_le_bytes(s[u + 16..u + 20].try_into().expect("4 bytes"));
    (got, idx)
}

/// Encodes `struct xen_sysctl` for `XEN_SYSCTL_debug_keys`: `nr_keys` keys at `keys`.
pub fn debug_keys(version: u32, keys: u64, nr_keys: u32) -> [u8; SYSCTL_SIZE] {
    let mut s = [0u8; SYSCTL_SIZE];
    s[0..4].copy_from_slice(&SYSCTL_DEBUG_KEYS.to_le_bytes());
    s[4..8].copy_from_slice(&version.to_le_bytes());
    s[8..16].copy_from_slice(&keys.to_le_bytes());
    s[16..20].copy_from_slice(&nr_keys.to_le_bytes());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_layouts() {
        let s = readconsole(0x15, true, 0x1234, 0xdead_beef_0000, 4096);
        assert_eq!(&s[0..8], &[1, 0, 0, 0, 0x15, 0, 0, 0]);
        assert_eq!(&s[8..12], &[0, 1, 0, 0], "clear, incremental, pad");
        assert_eq!(
            &s[12..16],
            &0x1234u32.to_le_bytes(),
            "index at union offset 4"
        );
        assert_eq!(
            &s[16..24],
            &0xdead_beef_0000u64.to_le_bytes(),
            "buffer at offset 8"
        );
        assert_eq!(&s[24..28], &4096u32.to_le_bytes(), "count at offset 16");
        assert_eq!(readconsole_result(&s), (4096, 0x1234));
        let d = debug_keys(0x15, 0x1000, 1);
        assert_eq!(&d[0..8], &[7, 0, 0, 0, 0x15, 0, 0, 0]);
        assert_eq!(&d[8..16], &0x1000u64.to_le_bytes());
        assert_eq!(&d[16..20], &1u32.to_le_bytes());
    }
}

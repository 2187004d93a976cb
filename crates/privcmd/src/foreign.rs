//! Read-only foreign mappings through privcmd (`IOCTL_PRIVCMD_MMAPBATCH_V2`), as
//! libxenforeignmemory makes them: `mmap` of the privcmd device reserves a VMA, the ioctl asks
//! Xen to fill it with frames of another domain, and a per-frame error array says which
//! frames Xen refused. With domain `DOMID_IO` the frames are machine frames, and Xen grants
//! them only where the *calling* domain's I/O memory rangeset allows (measured on real Xen
//! 4.17, `shared/reference/measured-on-real-xen.md` §1–2): exactly what `probe` wants to know.
//!
//! [`Privcmd::map_foreign_ro`] maps `PROT_READ`, so Xen is asked for a read-only page-table
//! entry, and copies bytes only when asked (a frame of device registers may have read side
//! effects). The only writable mapping is made by `probe --write-test`, in a forked child
//! ([`crate::write`]).
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::os::fd::{AsFd, BorrowedFd};

use rustix::io::Errno;
use rustix::ioctl::{Direction, Opcode, opcode};
use rustix::mm::{MapFlags, ProtFlags};

use crate::MapError;
use crate::device::{ArgIoctl, PAGE, Privcmd};

/// `struct privcmd_mmapbatch_v2` from Linux's `include/uapi/xen/privcmd.h`:
/// `unsigned int num; domid_t dom; __u64 addr; xen_pfn_t *arr; int *err;` (32 bytes).
#[repr(C)]
#[derive(Debug)]
struct MmapBatchV2 {
    num: u32,
    dom: u16,
    _pad: u16,
    addr: u64,
    arr: *const u64,
    err: *mut i32,
}

/// `IOCTL_PRIVCMD_MMAPBATCH_V2`: `_IOC(_IOC_NONE, 'P', 4, sizeof(struct privcmd_mmapbatch_v2))`.
const IOCTL_PRIVCMD_MMAPBATCH_V2: Opcode =
    opcode::from_components(Direction::None, b'P', 4, std::mem::size_of::<MmapBatchV2>());

/// One shared page mapped from a file (the privcmd device or `/dev/mem`), unmapped on drop.
pub(crate) struct Page(pub(crate) *mut c_void);

impl Page {
    /// Maps one page of `fd` at byte `offset` with `prot`, shared. Allocates nothing, so the
    /// write test's forked child may call it.
    pub(crate) fn map_shared(
        fd: BorrowedFd<'_>,
        prot: ProtFlags,
        offset: u64,
    ) -> Result<Page, MapError> {
        // SAFETY: a fresh shared one-page mapping that no Rust object aliases. What it shows is
        // the caller's choice: a privcmd VMA that only the MMAPBATCH ioctl fills, or the
        // `/dev/mem` frame a memory-mapping domctl just filled.
        let addr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                PAGE,
                prot,
                MapFlags::SHARED,
                fd,
                offset,
            )
        }
        .map_err(MapError::Call)?;
        Ok(Page(addr))
    }

    /// Leaves the page mapped and gives its address: the write test's child exits with the
    /// mapping in place.
    pub(crate) fn leak(self) -> *mut u8 {
        let addr = self.0;
        std::mem::forget(self);
        addr.cast()
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the one page `map_shared` mapped; no reference into it
        // outlives this guard.
        let _ = unsafe { rustix::mm::munmap(self.0, PAGE) };
    }
}

impl Privcmd {
    /// Maps frame `gfn` of domain `dom` read-only for as long as it takes to copy
    /// `peek.len()` bytes (at most a page) out of it, then unmaps it. `Ok` means Xen granted
    /// the mapping. Pass an empty `peek` to map without reading.
    pub fn map_foreign_ro(&self, dom: u16, gfn: u64, peek: &mut [u8]) -> Result<(), MapError> {
        assert!(peek.len() <= PAGE);
        let vma = self.map_foreign(dom, gfn, ProtFlags::READ)?;
        if !peek.is_empty() {
            // SAFETY: the page at `vma.0` is mapped readable (Xen granted it: `map_foreign`
            // checked the per-frame error and the ioctl) and stays mapped until `vma` drops
            // after this copy; the caller chose to read it (RAM, not registers with read side
            // effects).
            unsafe {
                std::ptr::copy_nonoverlapping(vma.0.cast::<u8>(), peek.as_mut_ptr(), peek.len())
            };
        }
        Ok(())
    }

    /// One page of domain `dom`'s frame `gfn`, mapped with `prot` (`READ`, or `READ | WRITE`
    /// only in the write test's child process, [`crate::write`]). Allocates nothing, so the
    /// forked child may call it.
    pub(crate) fn map_foreign(
        &self,
        dom: u16,
        gfn: u64,
        prot: ProtFlags,
    ) -> Result<Page, MapError> {
        // The VMA privcmd reserves for the ioctl below to fill.
        let vma = Page::map_shared(self.fd.as_fd(), prot, 0)?;
        let arr = gfn;
        let mut err: i32 = 0;
        let mut batch = MmapBatchV2 {
            num: 1,
            dom,
            _pad: 0,
            addr: vma.0 as u64,
            arr: &arr,
            err: &mut err,
        };
        // SAFETY: MMAPBATCH_V2 with its own struct: `batch` describes the one-page VMA above and
        // points at `arr` and `err`, which live until the call returns.
        let rc = unsafe {
            rustix::ioctl::ioctl(
                self.fd.as_fd(),
                ArgIoctl(IOCTL_PRIVCMD_MMAPBATCH_V2, &mut batch),
            )
        };
        if err != 0 {
            return Err(MapError::Frame(Errno::from_raw_os_error(-err)));
        }
        rc.map_err(MapError::Call)?;
        Ok(vma)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_number_matches_linux() {
        assert_eq!(std::mem::size_of::<MmapBatchV2>(), 32);
        assert_eq!(IOCTL_PRIVCMD_MMAPBATCH_V2, 0x0020_5004);
    }
}

//! The one place dom0scope talks to Xen directly: hypercalls issued through Linux's privcmd
//! driver (`IOCTL_PRIVCMD_HYPERCALL`). `collect` reads the console ring and presses debug
//! keys with it when `xl` is absent (`XEN_SYSCTL_readconsole`, `XEN_SYSCTL_debug_keys`);
//! `enforce` issues its permission domctls and re-reads the rangesets through it; `probe`
//! asks for read-only foreign mappings of machine frames ([`foreign`]).
//!
//! The sysctl ABI is versioned: Xen refuses a sysctl whose `interface_version` differs from
//! its own with `-EACCES`, without acting on it, so the version is found by probing with a
//! zero-length console read (which changes nothing). 0x15 covers Xen 4.17 to 4.20, 0x16 Xen 4.21.
//!
//! Hypercall arguments live in memory from `/dev/xen/hypercall` (privcmd's buffer device, as
//! libxencall uses), which stays mapped and resident while Xen reads and writes it; without
//! that device, an `mlock`ed anonymous mapping is used.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::ptr::NonNull;
use std::sync::atomic::{Ordering, compiler_fence};

use rustix::io::Errno;
use rustix::ioctl::{Direction, Ioctl, IoctlOutput, Opcode, opcode};
use rustix::mm::{MapFlags, ProtFlags};

pub mod foreign;
pub use foreign::{DOMID_IO, MapError};

/// `__HYPERVISOR_sysctl`.
const HYPERVISOR_SYSCTL: u64 = 35;
/// `__HYPERVISOR_domctl`.
const HYPERVISOR_DOMCTL: u64 = 36;
const SYSCTL_READCONSOLE: u32 = 1;
const SYSCTL_DEBUG_KEYS: u32 = 7;
/// Sysctl interface versions to probe, most likely first.
const VERSIONS: &[u32] = &[0x15, 0x16, 0x14, 0x13, 0x12];
/// `struct xen_sysctl`: cmd, interface_version, then a 128-byte union (8-byte aligned).
const SYSCTL_SIZE: usize = 8 + 128;
const PAGE: usize = 4096;
/// Console bytes fetched per hypercall; the mapping is one page for the sysctl and keys,
/// then this much for data.
const CHUNK: usize = 2 * PAGE;
const MAP_LEN: usize = PAGE + CHUNK;
/// Upper bound on a console ring read (Xen's ring is at most a few MiB).
const MAX_RING: usize = 64 << 20;
/// In the first page: the domctl or sysctl struct at 0, debug keys from here.
const KEYS_OFF: usize = 512;

/// `struct privcmd_hypercall` from Linux's `xen/privcmd.h`.
#[repr(C)]
#[derive(Debug)]
struct PrivcmdHypercall {
    op: u64,
    arg: [u64; 5],
}

/// `IOCTL_PRIVCMD_HYPERCALL`: `_IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))`.
/// It encodes the size despite `_IOC_NONE`, so `opcode::none` would be wrong.
const IOCTL_PRIVCMD_HYPERCALL: Opcode = opcode::from_components(
    Direction::None,
    b'P',
    0,
    std::mem::size_of::<PrivcmdHypercall>(),
);

/// A privcmd ioctl whose argument is a struct passed by pointer and whose return value is the
/// result (`IOCTL_PRIVCMD_HYPERCALL`, `IOCTL_PRIVCMD_MMAPBATCH_V2`).
struct ArgIoctl<'a, T>(Opcode, &'a mut T);

// SAFETY: used only with privcmd's opcodes and the `#[repr(C)]` struct each expects (checked
// by the callers: `PrivcmdHypercall` for the hypercall ioctl, `MmapBatchV2` for mmapbatch).
// The kernel reads the struct, and writes only memory the struct points at, which the caller
// owns for the duration of the call (the hypercall buffer; mmapbatch's error word and VMA).
// The return value is the ioctl's result; a negative errno becomes an error in rustix.
unsafe impl<T> Ioctl for ArgIoctl<'_, T> {
    type Output = IoctlOutput;
    const IS_MUTATING: bool = true;

    fn opcode(&self) -> Opcode {
        self.0
    }

    fn as_ptr(&mut self) -> *mut c_void {
        std::ptr::from_mut(self.1).cast()
    }

    unsafe fn output_from_ptr(
        out: IoctlOutput,
        _: *mut c_void,
    ) -> rustix::io::Result<Self::Output> {
        Ok(out)
    }
}

/// Memory Xen reads hypercall arguments from and writes results into.
#[derive(Debug)]
struct HypercallBuf {
    ptr: NonNull<u8>,
    len: usize,
}

impl HypercallBuf {
    fn new(hypercall_dev: &Path) -> io::Result<Self> {
        let ptr = match OpenOptions::new()
            .read(true)
            .write(true)
            .open(hypercall_dev)
        {
            Ok(f) => {
                // SAFETY: a fresh shared mapping of privcmd's buffer device; no existing Rust
                // object is aliased, and the fd may be closed once the mapping exists.
                unsafe {
                    rustix::mm::mmap(
                        std::ptr::null_mut(),
                        MAP_LEN,
                        ProtFlags::READ | ProtFlags::WRITE,
                        MapFlags::SHARED,
                        f.as_fd(),
                        0,
                    )
                }?
            }
            Err(_) => {
                // SAFETY: a fresh private anonymous mapping; nothing else refers to it.
                let p = unsafe {
                    rustix::mm::mmap_anonymous(
                        std::ptr::null_mut(),
                        MAP_LEN,
                        ProtFlags::READ | ProtFlags::WRITE,
                        MapFlags::PRIVATE,
                    )
                }?;
                // SAFETY: locks the range just mapped, keeping it resident for Xen.
                unsafe { rustix::mm::mlock(p, MAP_LEN) }?;
                p
            }
        };
        let ptr =
            NonNull::new(ptr.cast::<u8>()).ok_or_else(|| io::Error::other("mmap returned NULL"))?;
        let buf = Self { ptr, len: MAP_LEN };
        // Touch every page so none is missing when Xen copies to or from it.
        let zero = vec![0u8; MAP_LEN];
        buf.put(0, &zero);
        Ok(buf)
    }

    fn addr(&self, off: usize) -> u64 {
        self.ptr.as_ptr() as u64 + off as u64
    }

    fn put(&self, off: usize, bytes: &[u8]) {
        assert!(off + bytes.len() <= self.len);
        // SAFETY: in bounds (checked above) of a mapping this struct owns; no Rust reference
        // into the mapping exists, and the kernel only touches it during our own ioctl.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.as_ptr().add(off), bytes.len())
        };
        compiler_fence(Ordering::SeqCst);
    }

    fn get(&self, off: usize, out: &mut [u8]) {
        assert!(off + out.len() <= self.len);
        compiler_fence(Ordering::SeqCst);
        // SAFETY: as in `put`; reading after the ioctl that filled the memory has returned.
        unsafe {
            std::ptr::copy_nonoverlapping(self.ptr.as_ptr().add(off), out.as_mut_ptr(), out.len())
        };
    }
}

impl Drop for HypercallBuf {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping created in `new`, which nothing uses any more.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// Encodes `struct xen_sysctl` for `XEN_SYSCTL_readconsole`.
fn readconsole_sysctl(
    version: u32,
    incremental: bool,
    index: u32,
    buffer: u64,
    count: u32,
) -> [u8; SYSCTL_SIZE] {
    let mut s = [0u8; SYSCTL_SIZE];
    s[0..4].copy_from_slice(&SYSCTL_READCONSOLE.to_le_bytes());
    s[4..8].copy_from_slice(&version.to_le_bytes());
    let u = 8;
    s[u] = 0; // clear: never
    s[u + 1] = u8::from(incremental);
    s[u + 4..u + 8].copy_from_slice(&index.to_le_bytes());
    s[u + 8..u + 16].copy_from_slice(&buffer.to_le_bytes());
    s[u + 16..u + 20].copy_from_slice(&count.to_le_bytes());
    s
}

/// Encodes `struct xen_sysctl` for `XEN_SYSCTL_debug_keys`.
fn debug_keys_sysctl(version: u32, keys: u64, nr_keys: u32) -> [u8; SYSCTL_SIZE] {
    let mut s = [0u8; SYSCTL_SIZE];
    s[0..4].copy_from_slice(&SYSCTL_DEBUG_KEYS.to_le_bytes());
    s[4..8].copy_from_slice(&version.to_le_bytes());
    s[8..16].copy_from_slice(&keys.to_le_bytes());
    s[16..20].copy_from_slice(&nr_keys.to_le_bytes());
    s
}

/// An open privcmd device with its hypercall buffer.
#[derive(Debug)]
pub struct Privcmd {
    fd: OwnedFd,
    buf: HypercallBuf,
    version: u32,
}

impl Privcmd {
    /// Opens privcmd (`<dev>/xen/privcmd`, else xenfs' `<proc>/xen/privcmd`) and finds the
    /// sysctl interface version with a zero-length console read.
    pub fn open(dev: &Path, proc: &Path) -> io::Result<Self> {
        let d = dev.join("xen/privcmd");
        let path = if d.exists() {
            d
        } else {
            proc.join("xen/privcmd")
        };
        let fd: OwnedFd = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)?
            .into();
        let buf = HypercallBuf::new(&dev.join("xen/hypercall"))?;
        let mut me = Self {
            fd,
            buf,
            version: 0,
        };
        let mut last = None;
        for &v in VERSIONS {
            me.version = v;
            match me.readconsole_once(false, 0, 0) {
                Ok(_) => return Ok(me),
                Err(e) if e.raw_os_error() == Some(Errno::ACCESS.raw_os_error()) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "Xen refused XEN_SYSCTL_readconsole for every known interface version ({})",
                last.map(|e| e.to_string()).unwrap_or_default()
            ),
        ))
    }

    /// The sysctl interface version Xen accepted.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Issues hypercall `op` with the struct at the start of the buffer as its argument.
    fn hypercall(&mut self, op: u64) -> Result<(), Errno> {
        let mut call = PrivcmdHypercall {
            op,
            arg: [self.buf.addr(0), 0, 0, 0, 0],
        };
        // SAFETY: `call` is a valid privcmd_hypercall pointing at our own hypercall buffer,
        // which holds the struct the hypercall expects; Xen writes only within that buffer.
        unsafe {
            rustix::ioctl::ioctl(
                self.fd.as_fd(),
                ArgIoctl(IOCTL_PRIVCMD_HYPERCALL, &mut call),
            )
        }?;
        Ok(())
    }

    /// Issues one `__HYPERVISOR_domctl`; `domctl` is a whole `struct xen_domctl`, laid out
    /// by the caller for the running Xen's interface version.
    pub fn domctl(&mut self, domctl: &[u8]) -> Result<(), Errno> {
        assert!(domctl.len() <= KEYS_OFF);
        self.buf.put(0, domctl);
        self.hypercall(HYPERVISOR_DOMCTL)
    }

    fn sysctl(&mut self, s: &[u8; SYSCTL_SIZE]) -> io::Result<[u8; SYSCTL_SIZE]> {
        self.buf.put(0, s);
        self.hypercall(HYPERVISOR_SYSCTL)?;
        let mut out = [0u8; SYSCTL_SIZE];
        self.buf.get(0, &mut out);
        Ok(out)
    }

    /// One readconsole hypercall into the data area; returns (bytes, next index).
    fn readconsole_once(
        &mut self,
        incremental: bool,
        index: u32,
        count: u32,
    ) -> io::Result<(u32, u32)> {
        let s = readconsole_sysctl(self.version, incremental, index, self.buf.addr(PAGE), count);
        let out = self.sysctl(&s)?;
        let u = 8;
        let idx = u32::from_le_bytes(out[u + 4..u + 8].try_into().expect("4 bytes"));
        let got = u32::from_le_bytes(out[u + 16..u + 20].try_into().expect("4 bytes"));
        Ok((got.min(count), idx))
    }

    /// Xen's console ring without clearing it (`xl dmesg`): from the oldest byte, or (`from`)
    /// from a ring index an earlier read returned. Returns the bytes and the index after them.
    pub fn read_ring(&mut self, from: Option<u32>) -> io::Result<(Vec<u8>, u32)> {
        let mut all = Vec::new();
        let (mut incremental, mut index) = (from.is_some(), from.unwrap_or(0));
        loop {
            let (got, next) = self.readconsole_once(incremental, index, CHUNK as u32)?;
            let start = all.len();
            all.resize(start + got as usize, 0);
            self.buf.get(PAGE, &mut all[start..]);
            incremental = true;
            index = next;
            if (got as usize) < CHUNK || all.len() >= MAX_RING {
                return Ok((all, index));
            }
        }
    }

    /// Presses debug keys, as `xl debug-keys` does.
    pub fn debug_keys(&mut self, keys: &[u8]) -> io::Result<()> {
        assert!(keys.len() <= PAGE - KEYS_OFF);
        self.buf.put(KEYS_OFF, keys);
        let s = debug_keys_sysctl(self.version, self.buf.addr(KEYS_OFF), keys.len() as u32);
        self.sysctl(&s)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_number_matches_linux() {
        assert_eq!(IOCTL_PRIVCMD_HYPERCALL, 0x0030_5000);
    }

    #[test]
    fn sysctl_layouts() {
        let s = readconsole_sysctl(0x15, true, 0x1234, 0xdead_beef_0000, 4096);
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
        let d = debug_keys_sysctl(0x15, 0x1000, 1);
        assert_eq!(&d[0..8], &[7, 0, 0, 0, 0x15, 0, 0, 0]);
        assert_eq!(&d[8..16], &0x1000u64.to_le_bytes());
        assert_eq!(&d[16..20], &1u32.to_le_bytes());
    }
}

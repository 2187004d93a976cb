//! The real Xen, through Linux's privcmd driver (`IOCTL_PRIVCMD_HYPERCALL`), and the only
//! `unsafe` code in dom0scope besides [`crate::foreign`]: the hypercall buffer and the ioctl.
//!
//! Hypercall arguments live in memory from `/dev/xen/hypercall` (privcmd's buffer device, as
//! libxencall uses), which stays mapped and resident while Xen reads and writes it; without
//! that device, an `mlock`ed anonymous mapping is used.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{Ordering, compiler_fence};

use rustix::io::Errno;
use rustix::ioctl::{Direction, Ioctl, IoctlOutput, Opcode, opcode};
use rustix::mm::{MapFlags, ProtFlags};

use crate::abi::{self, DOMCTL_SIZE, HYPERVISOR_DOMCTL, HYPERVISOR_SYSCTL, SYSCTL_SIZE};
use crate::{MapError, Xen};

pub(crate) const PAGE: usize = 4096;
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
pub(crate) struct ArgIoctl<'a, T>(pub(crate) Opcode, pub(crate) &'a mut T);

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

/// An open privcmd device with its hypercall buffer.
#[derive(Debug)]
pub struct Privcmd {
    pub(crate) fd: OwnedFd,
    buf: HypercallBuf,
    version: u32,
    /// `/dev`, for `/dev/port`.
    dev: PathBuf,
    /// `/dev/port`, opened at the first port read.
    port: Option<File>,
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
            dev: dev.to_path_buf(),
            port: None,
        };
        let mut last = None;
        for &v in abi::SYSCTL_VERSIONS {
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
    /// by the caller for the running Xen's interface version ([`abi::domctl`]).
    pub fn domctl(&mut self, domctl: &[u8; DOMCTL_SIZE]) -> Result<(), Errno> {
        const { assert!(DOMCTL_SIZE <= KEYS_OFF) };
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
        let s =
            abi::sysctl::readconsole(self.version, incremental, index, self.buf.addr(PAGE), count);
        let out = self.sysctl(&s)?;
        let (got, idx) = abi::sysctl::readconsole_result(&out);
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
        let s = abi::sysctl::debug_keys(self.version, self.buf.addr(KEYS_OFF), keys.len() as u32);
        self.sysctl(&s)?;
        Ok(())
    }

    /// One byte from I/O port `port` through `<dev>/port` (the kernel does the `in`; Xen
    /// answers it from dom0's I/O port rangeset).
    pub fn read_port(&mut self, port: u16) -> io::Result<u8> {
        if self.port.is_none() {
            self.port = Some(File::open(self.dev.join("port"))?);
        }
        let f = self.port.as_ref().expect("opened above");
        let mut b = [0u8; 1];
        f.read_exact_at(&mut b, u64::from(port))?;
        Ok(b[0])
    }
}

/// The real Xen: each call is the inherent method of the same name.
impl Xen for Privcmd {
    fn domctl(&mut self, domctl: &[u8; DOMCTL_SIZE]) -> Result<(), Errno> {
        Privcmd::domctl(self, domctl)
    }

    fn read_ring(&mut self, from: Option<u32>) -> io::Result<(Vec<u8>, u32)> {
        Privcmd::read_ring(self, from)
    }

    fn debug_keys(&mut self, keys: &[u8]) -> io::Result<()> {
        Privcmd::debug_keys(self, keys)
    }

    fn map_foreign_ro(&mut self, dom: u16, gfn: u64, peek: &mut [u8]) -> Result<(), MapError> {
        Privcmd::map_foreign_ro(self, dom, gfn, peek)
    }

    fn read_port(&mut self, port: u16) -> io::Result<u8> {
        Privcmd::read_port(self, port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_number_matches_linux() {
        assert_eq!(IOCTL_PRIVCMD_HYPERCALL, 0x0030_5000);
    }
}

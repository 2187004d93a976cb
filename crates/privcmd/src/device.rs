//! The real Xen, through Linux's privcmd driver (`IOCTL_PRIVCMD_HYPERCALL`), and the only
//! `unsafe` code in dom0scope besides [`crate::foreign`] and `write` (the write test's forked
//! writer): the hypercall buffer and the ioctl.
//!
//! Hypercall arguments live in memory from `/dev/xen/hypercall` (privcmd's buffer device, as
//! libxencall uses), which stays mapped and resident while Xen reads and writes it; without
//! that device, an `mlock`ed anonymous mapping is used. The buffer starts at three pages and
//! is replaced by a larger one when a hypfs entry needs it, up to [`MAX_BUF`].
//!
//! Opening asks Xen its version (`XENVER_version`, which every Xen answers whatever its
//! interface versions); the sysctl interface version follows from it ([`abi::interfaces`]),
//! checked with a zero-length console read the first time a sysctl is needed.
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

use crate::abi::hypfs::{self, DIRENTRY_SIZE, Direntry, Entry};
use crate::abi::{
    self, DOMCTL_SIZE, HYPERVISOR_DOMCTL, HYPERVISOR_SYSCTL, HYPERVISOR_XEN_VERSION, SYSCTL_SIZE,
    UnknownXen, XenVersion,
};
use crate::{MapError, Xen};

pub(crate) const PAGE: usize = 4096;
/// Console bytes fetched per hypercall; the mapping is one page for the sysctl and keys,
/// then this much for data.
const CHUNK: usize = 2 * PAGE;
const MAP_LEN: usize = PAGE + CHUNK;
/// The largest hypercall buffer mapped, its first page included: a hypfs entry whose
/// contents do not fit in the rest is refused (Xen's largest, `/buildinfo/config`, is a gzip
/// stream of a few KiB to tens of KiB).
pub const MAX_BUF: usize = 1 << 20;
/// Upper bound on a console ring read (Xen's ring is at most a few MiB).
const MAX_RING: usize = 64 << 20;
/// In the first page: the domctl or sysctl struct at 0, debug keys or a hypfs path (at most
/// `XEN_HYPFS_MAX_PATHLEN` bytes) from here.
const KEYS_OFF: usize = 512;
const _: () = assert!(KEYS_OFF + hypfs::MAX_PATHLEN <= PAGE);

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
    /// Maps `len` bytes (a multiple of the page size).
    fn new(hypercall_dev: &Path, len: usize) -> io::Result<Self> {
        debug_assert!(len.is_multiple_of(PAGE) && (MAP_LEN..=MAX_BUF).contains(&len));
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
                        len,
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
                        len,
                        ProtFlags::READ | ProtFlags::WRITE,
                        MapFlags::PRIVATE,
                    )
                }?;
                // SAFETY: locks the range just mapped, keeping it resident for Xen.
                unsafe { rustix::mm::mlock(p, len) }?;
                p
            }
        };
        let ptr =
            NonNull::new(ptr.cast::<u8>()).ok_or_else(|| io::Error::other("mmap returned NULL"))?;
        let buf = Self { ptr, len };
        // Touch every page so none is missing when Xen copies to or from it.
        let zero = vec![0u8; len];
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

/// An open privcmd device with its hypercall buffer, and the running Xen's version.
#[derive(Debug)]
pub struct Privcmd {
    pub(crate) fd: OwnedFd,
    buf: HypercallBuf,
    /// `<dev>/xen/hypercall`, to map a larger buffer.
    hypercall_dev: PathBuf,
    xen: XenVersion,
    /// The sysctl interface version Xen accepted, once a sysctl was issued.
    sysctl: Option<u32>,
    /// `/dev`, for `/dev/port` and `/dev/mem`.
    pub(crate) dev: PathBuf,
    /// `/dev/port`, opened at the first port read.
    port: Option<File>,
}

impl Privcmd {
    /// Opens privcmd (`<dev>/xen/privcmd`, else xenfs' `<proc>/xen/privcmd`), maps the
    /// hypercall buffer and asks Xen its version (`XENVER_version`, `XENVER_extraversion`).
    /// Succeeds on any Xen release: the versioned calls fail later, clearly, on a release
    /// dom0scope does not know ([`Privcmd::sysctl_version`]).
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
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?
            .into();
        let hypercall_dev = dev.join("xen/hypercall");
        let buf = HypercallBuf::new(&hypercall_dev, MAP_LEN)?;
        let mut me = Self {
            fd,
            buf,
            hypercall_dev,
            xen: XenVersion::from_raw(0, b""),
            sysctl: None,
            dev: dev.to_path_buf(),
            port: None,
        };
        let raw = me
            .hypercall(HYPERVISOR_XEN_VERSION, [abi::XENVER_VERSION, 0, 0, 0, 0])
            .map_err(|e| io::Error::new(e.kind(), format!("XENVER_version: {e}")))?;
        let mut extra = [0u8; abi::XEN_EXTRAVERSION_LEN];
        let at = me.buf.addr(KEYS_OFF);
        // Withheld (an XSM policy) or not: the release is major.minor.
        if me
            .hypercall(
                HYPERVISOR_XEN_VERSION,
                [abi::XENVER_EXTRAVERSION, at, 0, 0, 0],
            )
            .is_ok()
        {
            me.buf.get(KEYS_OFF, &mut extra);
        }
        me.xen = XenVersion::from_raw(raw as u32, &extra);
        Ok(me)
    }

    /// The running Xen's version, as it answered `XENVER_version` and `XENVER_extraversion`.
    pub fn xen_version(&self) -> &XenVersion {
        &self.xen
    }

    /// The running Xen's `XEN_DOMCTL_INTERFACE_VERSION`, from its release
    /// ([`abi::interfaces`]), or why it is unknown.
    pub fn domctl_version(&self) -> Result<u32, UnknownXen> {
        abi::interfaces(&self.xen).map(|i| i.domctl)
    }

    /// The running Xen's `XEN_SYSCTL_INTERFACE_VERSION`: the one its release has
    /// ([`abi::interfaces`]), checked with a zero-length console read (which changes
    /// nothing; Xen refuses any other version with `EACCES` without acting), else the first
    /// of [`abi::SYSCTL_VERSIONS`] Xen accepts. Fails, naming the running release and the
    /// known ones, on a release dom0scope does not know.
    pub fn sysctl_version(&mut self) -> io::Result<u32> {
        if let Some(v) = self.sysctl {
            return Ok(v);
        }
        let want = abi::interfaces(&self.xen)
            .map_err(|e| io::Error::new(io::ErrorKind::Unsupported, e))?
            .sysctl;
        let others = abi::SYSCTL_VERSIONS.iter().copied().filter(|&v| v != want);
        let mut refused = Vec::new();
        for v in std::iter::once(want).chain(others) {
            match self.readconsole_with(v, false, 0, 0) {
                Ok(_) => {
                    self.sysctl = Some(v);
                    return Ok(v);
                }
                Err(Errno::ACCESS) => refused.push(format!("{v:#x}")),
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!(
                            "XEN_SYSCTL_readconsole (interface version {v:#x}) on Xen {}: {e}",
                            self.xen
                        ),
                    ));
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "Xen {} refused sysctl interface version {want:#x}, which its release has, and \
                 every other tried ({}): EACCES",
                self.xen,
                refused.join(", ")
            ),
        ))
    }

    /// Issues hypercall `op` with arguments `args`; its return value.
    fn hypercall(&mut self, op: u64, args: [u64; 5]) -> Result<i32, Errno> {
        let mut call = PrivcmdHypercall { op, arg: args };
        // SAFETY: `call` is a valid privcmd_hypercall; every pointer among its arguments
        // points into our own hypercall buffer (its struct, path or data area, sized for what
        // the hypercall reads or writes), and Xen writes only within that buffer.
        unsafe {
            rustix::ioctl::ioctl(
                self.fd.as_fd(),
                ArgIoctl(IOCTL_PRIVCMD_HYPERCALL, &mut call),
            )
        }
    }

    /// Issues hypercall `op` with the struct at the start of the buffer as its argument.
    fn struct_hypercall(&mut self, op: u64) -> Result<(), Errno> {
        let at = self.buf.addr(0);
        self.hypercall(op, [at, 0, 0, 0, 0]).map(drop)
    }

    /// Issues one `__HYPERVISOR_domctl`; `domctl` is a whole `struct xen_domctl`, laid out
    /// by the caller for the running Xen's interface version ([`abi::domctl`]).
    pub fn domctl(&mut self, domctl: &[u8; DOMCTL_SIZE]) -> Result<(), Errno> {
        const { assert!(DOMCTL_SIZE <= KEYS_OFF) };
        self.buf.put(0, domctl);
        self.struct_hypercall(HYPERVISOR_DOMCTL)
    }

    fn sysctl(&mut self, s: &[u8; SYSCTL_SIZE]) -> Result<[u8; SYSCTL_SIZE], Errno> {
        self.buf.put(0, s);
        self.struct_hypercall(HYPERVISOR_SYSCTL)?;
        let mut out = [0u8; SYSCTL_SIZE];
        self.buf.get(0, &mut out);
        Ok(out)
    }

    /// One readconsole hypercall with interface version `version` into the data area;
    /// returns (bytes, next index).
    fn readconsole_with(
        &mut self,
        version: u32,
        incremental: bool,
        index: u32,
        count: u32,
    ) -> Result<(u32, u32), Errno> {
        let s = abi::sysctl::readconsole(version, incremental, index, self.buf.addr(PAGE), count);
        let out = self.sysctl(&s)?;
        let (got, idx) = abi::sysctl::readconsole_result(&out);
        Ok((got.min(count), idx))
    }

    /// One readconsole hypercall into the data area; returns (bytes, next index).
    fn readconsole_once(
        &mut self,
        incremental: bool,
        index: u32,
        count: u32,
    ) -> io::Result<(u32, u32)> {
        let v = self.sysctl_version()?;
        Ok(self.readconsole_with(v, incremental, index, count)?)
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
        let v = self.sysctl_version()?;
        self.buf.put(KEYS_OFF, keys);
        let s = abi::sysctl::debug_keys(v, self.buf.addr(KEYS_OFF), keys.len() as u32);
        self.sysctl(&s)?;
        Ok(())
    }

    /// `XEN_HYPFS_OP_get_version`: the highest hypfs interface version Xen offers.
    pub fn hypfs_version(&mut self) -> io::Result<u32> {
        let v = self.hypercall(
            hypfs::HYPERVISOR_HYPFS_OP,
            [hypfs::OP_GET_VERSION, 0, 0, 0, 0],
        )?;
        Ok(v as u32)
    }

    /// `XEN_HYPFS_OP_read` of `path`: its direntry and whole contents. The path goes in the
    /// first page after the structs, the direntry and contents in the rest of the buffer;
    /// when Xen answers `ENOBUFS` (its direntry then says how long the contents are), a
    /// buffer large enough is mapped in place of the current one and the read repeated,
    /// up to [`MAX_BUF`].
    pub fn hypfs_read(&mut self, path: &str) -> io::Result<Entry> {
        let mut p = path.as_bytes().to_vec();
        if p.contains(&0) || p.len() + 1 > hypfs::MAX_PATHLEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("hypfs path {path:?}: a NUL, or longer than Xen accepts"),
            ));
        }
        p.push(0);
        // The contents can change between two reads (a parameter written meanwhile).
        for _ in 0..4 {
            self.buf.put(KEYS_OFF, &p);
            let data = self.buf.len - PAGE;
            let args = [
                hypfs::OP_READ,
                self.buf.addr(KEYS_OFF),
                p.len() as u64,
                self.buf.addr(PAGE),
                data as u64,
            ];
            let r = self.hypercall(hypfs::HYPERVISOR_HYPFS_OP, args);
            if let Err(e) = r
                && e != Errno::NOBUFS
            {
                return Err(e.into());
            }
            let mut head = [0u8; DIRENTRY_SIZE];
            self.buf.get(PAGE, &mut head);
            let entry = Direntry::decode(&head).expect("DIRENTRY_SIZE bytes");
            let len = entry.content_len as usize;
            let need = PAGE + (DIRENTRY_SIZE + len).next_multiple_of(PAGE);
            if r.is_ok() {
                if DIRENTRY_SIZE + len > data {
                    return Err(io::Error::other(format!(
                        "hypfs {path}: Xen says {len} bytes, more than the buffer it filled"
                    )));
                }
                let mut content = vec![0u8; len];
                self.buf.get(PAGE + DIRENTRY_SIZE, &mut content);
                return Ok(Entry { entry, content });
            }
            if need > MAX_BUF {
                return Err(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!(
                        "hypfs {path}: {len} bytes, more than dom0scope reads \
                         (a hypercall buffer of at most {MAX_BUF} bytes)"
                    ),
                ));
            }
            if need > self.buf.len {
                self.buf = HypercallBuf::new(&self.hypercall_dev, need)?;
            }
        }
        Err(io::Error::other(format!(
            "hypfs {path}: its contents kept growing between reads (ENOBUFS)"
        )))
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

    fn read_window(&mut self, at: crate::Window, buf: &mut [u8]) -> Result<(), MapError> {
        Privcmd::read_window(self, at, buf)
    }

    fn write_byte(
        &mut self,
        at: crate::Window,
        offset: u16,
        value: u8,
        restore: bool,
    ) -> Result<crate::WriteEnd, MapError> {
        Privcmd::write_byte(self, at, offset, value, restore)
    }

    fn hypfs_version(&mut self) -> io::Result<u32> {
        Privcmd::hypfs_version(self)
    }

    fn hypfs_read(&mut self, path: &str) -> io::Result<Entry> {
        Privcmd::hypfs_read(self, path)
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

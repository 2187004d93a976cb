//! The one place dom0scope talks to Xen directly: hypercalls issued through Linux's privcmd
//! driver (`IOCTL_PRIVCMD_HYPERCALL`). `collect` reads the console ring, presses debug keys
//! and reads hypfs with it (`XEN_SYSCTL_readconsole`, `XEN_SYSCTL_debug_keys`,
//! `XEN_HYPFS_OP_read`), needing none of Xen's version-locked tools;
//! `enforce` issues its permission domctls and re-reads the rangesets through it; `probe`
//! asks for read-only foreign mappings of machine frames ([`Privcmd::map_foreign_ro`]) and,
//! with `--write-test`, tries one-byte writes in a forked child ([`Privcmd::write_byte`]).
//!
//! Three parts:
//! - [`abi`]: Xen's ABI as bytes (hypercall numbers, `struct xen_domctl` / `xen_sysctl`
//!   layouts, hypfs entries, `DOMID_IO`, interface versions per release). Pure.
//! - [`Xen`]: the seam, every operation dom0scope issues to Xen, with a domctl passed as the
//!   bytes of its struct. [`Privcmd`] is the real Xen behind it (the only `unsafe` code, in
//!   this crate's `device`, `foreign` and `write` modules).
//! - `sim` (feature `sim`): one simulator of Xen's rules behind the same seam, so enforce,
//!   probe and the CLI's `--simulate-xen` run their real encoding path without a hypervisor.
//!
//! The sysctl and domctl ABIs are versioned: Xen refuses a call whose `interface_version`
//! differs from its own with `-EACCES`, without acting on it. [`Privcmd`] asks Xen its release
//! (`XENVER_version`, unversioned) and takes the versions from [`abi::interfaces`], failing
//! clearly, naming the running release and the known ones, on a release it does not know.
//! hypfs has an interface version of its own (1 at every known release).

use std::io;

pub mod abi;
mod device;
mod foreign;
#[cfg(any(test, feature = "sim"))]
pub mod sim;
mod write;

pub use device::Privcmd;
pub use rustix::io::Errno;
pub use write::WRITE_TIMEOUT;

/// Why a foreign mapping did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// Xen refused the frame (its per-frame error: `EPERM` when the rangeset denies it,
    /// `ESRCH` in a PVH dom0, where `DOMID_IO` is not a valid foreign domain).
    #[error("Xen refused the frame: {0}")]
    Frame(Errno),
    /// The kernel refused the request itself (mmap or ioctl).
    #[error("privcmd refused the request: {0}")]
    Call(Errno),
}

/// Where a byte of a machine frame is read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Frame `gfn` of domain `dom` through a privcmd foreign mapping (`DOMID_IO`: a machine
    /// frame, as a PV dom0 reaches it).
    Foreign {
        /// The foreign domain.
        dom: u16,
        /// The frame.
        gfn: u64,
    },
    /// dom0's own guest-physical frame `gfn` through `/dev/mem`: where a PVH dom0 sees a
    /// machine frame after `XEN_DOMCTL_memory_mapping` put it there.
    Phys {
        /// The guest frame.
        gfn: u64,
    },
}

/// How the write test's writer ended ([`Xen::write_byte`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteEnd {
    /// It read `before`, stored, read back `readback` (and restored `before` if asked and the
    /// byte had changed), and exited.
    Done {
        /// The byte before the store.
        before: u8,
        /// The byte read back through the writable mapping right after the store.
        readback: u8,
    },
    /// It did not finish within [`WRITE_TIMEOUT`] and was killed: a store to a page Xen keeps
    /// read-only can fault without end. `before` if it got as far as reading.
    TimedOut {
        /// The byte before the store, if read.
        before: Option<u8>,
    },
    /// It died on a signal (SIGSEGV, SIGBUS: the store faulted).
    Signalled {
        /// The signal.
        signal: i32,
        /// The byte before the store, if read.
        before: Option<u8>,
    },
    /// It exited without reporting every step (should not happen).
    Exited {
        /// Its exit status.
        code: i32,
        /// The byte before the store, if read.
        before: Option<u8>,
    },
}

/// Everything dom0scope asks of Xen, at the level privcmd offers it: a domctl is the bytes of
/// its `struct xen_domctl` (built by [`abi::domctl`]), so whatever sits behind this trait sees
/// exactly what Xen would. The console ring and debug keys are whole operations: the sysctl
/// version probing and chunking stay inside [`Privcmd`].
pub trait Xen {
    /// One `__HYPERVISOR_domctl` with a whole `struct xen_domctl`; `Err` is Xen's (or the
    /// kernel's) errno.
    fn domctl(&mut self, domctl: &[u8; abi::DOMCTL_SIZE]) -> Result<(), Errno>;

    /// Xen's console ring without clearing it (`xl dmesg`): from the oldest byte, or (`from`)
    /// from a ring index an earlier read returned. Returns the bytes and the index after them.
    fn read_ring(&mut self, from: Option<u32>) -> io::Result<(Vec<u8>, u32)>;

    /// Presses debug keys, as `xl debug-keys` does; their output goes to the console ring.
    fn debug_keys(&mut self, keys: &[u8]) -> io::Result<()>;

    /// Maps frame `gfn` of domain `dom` read-only for as long as it takes to copy
    /// `peek.len()` bytes (at most a page) out of it. `Ok` means Xen granted the mapping.
    fn map_foreign_ro(&mut self, dom: u16, gfn: u64, peek: &mut [u8]) -> Result<(), MapError>;

    /// One byte from an I/O port, read as dom0 reads it; Xen decides what dom0 sees (all ones
    /// for a port outside dom0's I/O port rangeset).
    fn read_port(&mut self, port: u16) -> io::Result<u8>;

    /// Copies `buf.len()` bytes (at most a page) from the start of the frame `at` names,
    /// through a fresh read-only mapping.
    fn read_window(&mut self, at: Window, buf: &mut [u8]) -> Result<(), MapError>;

    /// The write test's one store: maps the frame `at` names *writable*, writes `value` at
    /// `offset`, reads it back and, with `restore`, writes the old byte back if it changed —
    /// in a child process killed after [`WRITE_TIMEOUT`], since the store may fault without
    /// end. `Err` when the writable mapping was refused. This changes machine memory.
    fn write_byte(
        &mut self,
        at: Window,
        offset: u16,
        value: u8,
        restore: bool,
    ) -> Result<WriteEnd, MapError>;

    /// `XEN_HYPFS_OP_get_version`: the highest hypfs interface version Xen offers (`ENOSYS`
    /// from a Xen built without hypfs).
    fn hypfs_version(&mut self) -> io::Result<u32>;

    /// `XEN_HYPFS_OP_read` of the absolute `path` (`/` is the root): the entry's direntry
    /// and all its contents as stored ([`abi::hypfs`]); Xen's errno (`ENOENT` …) otherwise.
    fn hypfs_read(&mut self, path: &str) -> io::Result<abi::hypfs::Entry>;
}

/// A borrowed seam is a seam, so a caller can hand over `&mut dyn Xen` where an owned one is
/// kept (collect holds either the privcmd it opened or the one it was given).
impl<T: Xen + ?Sized> Xen for &mut T {
    fn domctl(&mut self, domctl: &[u8; abi::DOMCTL_SIZE]) -> Result<(), Errno> {
        (**self).domctl(domctl)
    }

    fn read_ring(&mut self, from: Option<u32>) -> io::Result<(Vec<u8>, u32)> {
        (**self).read_ring(from)
    }

    fn debug_keys(&mut self, keys: &[u8]) -> io::Result<()> {
        (**self).debug_keys(keys)
    }

    fn map_foreign_ro(&mut self, dom: u16, gfn: u64, peek: &mut [u8]) -> Result<(), MapError> {
        (**self).map_foreign_ro(dom, gfn, peek)
    }

    fn read_port(&mut self, port: u16) -> io::Result<u8> {
        (**self).read_port(port)
    }

    fn read_window(&mut self, at: Window, buf: &mut [u8]) -> Result<(), MapError> {
        (**self).read_window(at, buf)
    }

    fn write_byte(
        &mut self,
        at: Window,
        offset: u16,
        value: u8,
        restore: bool,
    ) -> Result<WriteEnd, MapError> {
        (**self).write_byte(at, offset, value, restore)
    }

    fn hypfs_version(&mut self) -> io::Result<u32> {
        (**self).hypfs_version()
    }

    fn hypfs_read(&mut self, path: &str) -> io::Result<abi::hypfs::Entry> {
        (**self).hypfs_read(path)
    }
}

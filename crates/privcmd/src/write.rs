//! The one-byte write test of `probe --write-test`: does a write by dom0 to a machine frame
//! reach memory? Xen grants a *writable* mapping of a frame in `mmio_ro_ranges` but makes it
//! read-only (`get_page_from_l1e()` flips `_PAGE_RW` for a PV dom0; the p2m entry has no write
//! permission for a PVH dom0, docs/xen-patches.md), so the answer is in what the write does,
//! not in whether the mapping is granted.
//!
//! A write to such a page may fault, forever: for a PV dom0, Linux makes the PTE writable
//! again, Xen drops `_PAGE_RW` again, and the store retries (measured by hand on 4.17:
//! the writer had to be killed, `shared/reference/measured-on-real-xen.md` §6). So the writer
//! is a forked child that the parent kills after [`WRITE_TIMEOUT`]: it maps the frame
//! writable, reads the byte, writes the new value, reads it back, writes the old byte back
//! when asked and it changed, and reports each step through a pipe. Nothing here judges the
//! result: `dom0scope-probe` reads the byte again through a fresh read-only mapping and
//! decides.
#![allow(unsafe_code)]

use std::fs::File;
use std::io::{self, Read as _};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::mm::ProtFlags;

use crate::device::{PAGE, Privcmd};
use crate::foreign::Page;
use crate::{MapError, Window, WriteEnd};

/// How long the writer may take from fork to exit before it is killed: a store that lands
/// takes microseconds; one into a page Xen keeps read-only never finishes.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Pipe message tags: the byte before the write, the byte read back after it, a mapping error.
const TAG_BEFORE: u8 = b'B';
const TAG_READBACK: u8 = b'R';
const TAG_ERROR: u8 = b'E';

/// Maps guest-physical frame `gfn` of `/dev/mem` (open as `mem`) with `prot`. Allocates
/// nothing, so the forked child may call it.
fn map_mem(mem: &OwnedFd, gfn: u64, prot: ProtFlags) -> Result<Page, MapError> {
    let off = gfn
        .checked_mul(PAGE as u64)
        .ok_or(MapError::Call(Errno::INVAL))?;
    Page::map_shared(mem.as_fd(), prot, off)
}

fn open_mem(p: &Privcmd, write: bool) -> Result<OwnedFd, MapError> {
    use rustix::fs::{Mode, OFlags};
    let flags = if write { OFlags::RDWR } else { OFlags::RDONLY };
    // O_SYNC: an uncached mapping, as for device memory.
    rustix::fs::open(
        p.dev.join("mem"),
        flags | OFlags::SYNC | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(MapError::Call)
}

impl Privcmd {
    /// Copies `buf.len()` bytes (at most a page) from the start of the frame `at` names,
    /// through a fresh read-only mapping.
    pub fn read_window(&self, at: Window, buf: &mut [u8]) -> Result<(), MapError> {
        if buf.len() > PAGE {
            return Err(MapError::Call(Errno::INVAL));
        }
        match at {
            Window::Foreign { dom, gfn } => self.map_foreign_ro(dom, gfn, buf),
            Window::Phys { gfn } => {
                let mem = open_mem(self, false)?;
                let page = map_mem(&mem, gfn, ProtFlags::READ)?;
                // SAFETY: the page is mapped readable until `page` drops after this copy; the
                // caller chose to read it.
                unsafe {
                    std::ptr::copy_nonoverlapping(page.0.cast::<u8>(), buf.as_mut_ptr(), buf.len())
                };
                Ok(())
            }
        }
    }

    /// Writes `value` at byte `offset` of the frame `at` names, in a child process killed
    /// after [`WRITE_TIMEOUT`]; the child reads the byte back and, with `restore`, writes the
    /// old byte back if it changed. `Err` when the writable mapping was refused.
    pub fn write_byte(
        &self,
        at: Window,
        offset: u16,
        value: u8,
        restore: bool,
    ) -> Result<WriteEnd, MapError> {
        let offset = usize::from(offset);
        if offset >= PAGE {
            return Err(MapError::Call(Errno::INVAL));
        }
        // Everything the child needs is opened here: the child only maps, stores and reports.
        let mem = match at {
            Window::Phys { .. } => Some(open_mem(self, true)?),
            Window::Foreign { .. } => None,
        };
        let prot = ProtFlags::READ | ProtFlags::WRITE;
        let map = || -> Result<*mut u8, MapError> {
            match (at, mem.as_ref()) {
                (Window::Foreign { dom, gfn }, _) => {
                    self.map_foreign(dom, gfn, prot).map(Page::leak)
                }
                (Window::Phys { gfn }, Some(mem)) => map_mem(mem, gfn, prot).map(Page::leak),
                (Window::Phys { .. }, None) => Err(MapError::Call(Errno::BADF)),
            }
        };
        write_in_child(map, offset, value, restore, WRITE_TIMEOUT)
    }
}

/// Forks a child that calls `map` (which must allocate nothing and return a page mapped
/// readable and writable), then reads, stores `value` at `offset`, reads back and, with
/// `restore`, stores the old byte again if it changed; kills it after `timeout`.
fn write_in_child(
    map: impl Fn() -> Result<*mut u8, MapError>,
    offset: usize,
    value: u8,
    restore: bool,
    timeout: Duration,
) -> Result<WriteEnd, MapError> {
    if offset >= PAGE {
        return Err(MapError::Call(Errno::INVAL));
    }
    let (rd, wr) = pipe().map_err(MapError::Call)?;
    // SAFETY: fork(2). The child calls only async-signal-safe system calls (mmap, ioctl,
    // write, _exit), touches no lock and allocates nothing, so it is sound even if the
    // parent had other threads; it leaves through _exit, running no destructor.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(MapError::Call(last_errno()));
    }
    if pid == 0 {
        child(map(), offset, value, restore, &wr);
    }
    drop(wr);
    let status = wait_or_kill(pid, timeout);
    let mut msgs = Vec::new();
    let _ = File::from(rd).read_to_end(&mut msgs);
    let (mut before, mut readback) = (None, None);
    let mut rest = msgs.as_slice();
    while let Some((&tag, tail)) = rest.split_first() {
        match (tag, tail) {
            (TAG_BEFORE, [b, ..]) => before = Some(*b),
            (TAG_READBACK, [b, ..]) => readback = Some(*b),
            (TAG_ERROR, [kind, e0, e1, e2, e3, ..]) => {
                let e = Errno::from_raw_os_error(i32::from_le_bytes([*e0, *e1, *e2, *e3]));
                return Err(if *kind == 0 {
                    MapError::Frame(e)
                } else {
                    MapError::Call(e)
                });
            }
            _ => break,
        }
        rest = &tail[if tag == TAG_ERROR { 5 } else { 1 }..];
    }
    Ok(match (status, before, readback) {
        (Status::Exited(0), Some(before), Some(readback)) => WriteEnd::Done { before, readback },
        (Status::Exited(code), before, _) => WriteEnd::Exited { code, before },
        (Status::Signalled(signal), before, _) => WriteEnd::Signalled { signal, before },
        (Status::Killed, before, _) => WriteEnd::TimedOut { before },
    })
}

/// The writer, given its mapping. Never returns.
fn child(
    mapped: Result<*mut u8, MapError>,
    offset: usize,
    value: u8,
    restore: bool,
    out: &OwnedFd,
) -> ! {
    let page = match mapped {
        Ok(a) => a,
        Err(e) => {
            let (kind, errno) = match e {
                MapError::Frame(e) => (0u8, e.raw_os_error()),
                MapError::Call(e) => (1u8, e.raw_os_error()),
            };
            let b = errno.to_le_bytes();
            send(out, &[TAG_ERROR, kind, b[0], b[1], b[2], b[3]]);
            exit(3);
        }
    };
    // SAFETY: `page` is a one-page shared mapping `map` made readable and writable, never
    // unmapped in this process, and `offset < PAGE`. Volatile, so each access is one real
    // load or store of one byte, in order. A store Xen keeps from landing may fault without
    // end (or kill this process): the parent handles both.
    unsafe {
        let b = page.add(offset);
        let before = b.read_volatile();
        send(out, &[TAG_BEFORE, before]);
        b.write_volatile(value);
        let back = b.read_volatile();
        if restore && back != before {
            b.write_volatile(before);
        }
        send(out, &[TAG_READBACK, back]);
    }
    exit(0)
}

fn last_errno() -> Errno {
    Errno::from_raw_os_error(io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

fn send(out: &OwnedFd, msg: &[u8]) {
    let _ = rustix::io::write(out, msg);
}

fn exit(code: i32) -> ! {
    // SAFETY: _exit(2) ends the child at once, without running the parent's atexit handlers
    // or flushing its copied stdio buffers.
    unsafe { libc::_exit(code) }
}

fn pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2(2) writes two descriptors into `fds`, which we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(last_errno());
    }
    // SAFETY: both descriptors were just created by pipe2 and are owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

enum Status {
    Exited(i32),
    Signalled(i32),
    /// Killed by the parent after the timeout.
    Killed,
}

/// Waits for child `pid`, polling, and kills it (SIGKILL) after `timeout`.
fn wait_or_kill(pid: libc::pid_t, timeout: Duration) -> Status {
    let start = Instant::now();
    let mut killed = false;
    loop {
        let mut st = 0;
        let flags = if killed { 0 } else { libc::WNOHANG };
        // SAFETY: waitpid(2) on our own child, writing its status into `st`.
        let r = unsafe { libc::waitpid(pid, &mut st, flags) };
        if r == pid {
            return if killed {
                Status::Killed
            } else if libc::WIFEXITED(st) {
                Status::Exited(libc::WEXITSTATUS(st))
            } else {
                Status::Signalled(libc::WTERMSIG(st))
            };
        }
        if r < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            // Not our child any more (cannot happen): report it as killed.
            return Status::Killed;
        }
        if !killed && start.elapsed() >= timeout {
            // SAFETY: kill(2) of our own child, which has not been reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        } else if !killed {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[cfg(test)]
mod tests {
    //! The child, the pipe and the kill, for real, on a page of a memfd instead of a frame.
    use super::*;

    /// A shared page of a fresh memfd filled with `fill`, mapped with `prot`.
    fn page(fill: u8, prot: ProtFlags) -> *mut u8 {
        let fd = rustix::fs::memfd_create("write-test", rustix::fs::MemfdFlags::CLOEXEC).unwrap();
        rustix::fs::ftruncate(&fd, PAGE as u64).unwrap();
        rustix::io::write(&fd, &[fill; PAGE]).unwrap();
        Page::map_shared(fd.as_fd(), prot, 0).unwrap().leak()
    }

    fn at(p: *mut u8, off: usize) -> u8 {
        // SAFETY: `p` is a live one-page mapping from `page`, `off < PAGE`.
        unsafe { p.add(off).read_volatile() }
    }

    const T: Duration = Duration::from_millis(300);

    #[test]
    fn a_store_that_lands_is_read_back_and_restored() {
        let p = page(0x5a, ProtFlags::READ | ProtFlags::WRITE);
        let end = write_in_child(|| Ok(p), 0xfff, 0xa5, true, T).unwrap();
        assert_eq!(
            end,
            WriteEnd::Done {
                before: 0x5a,
                readback: 0xa5
            }
        );
        assert_eq!(at(p, 0xfff), 0x5a, "restored by the child");
        let end = write_in_child(|| Ok(p), 0x10, 0x77, false, T).unwrap();
        assert_eq!(
            end,
            WriteEnd::Done {
                before: 0x5a,
                readback: 0x77
            }
        );
        assert_eq!(at(p, 0x10), 0x77, "left as written without restore");
        assert_eq!(at(p, 0x11), 0x5a);
    }

    #[test]
    fn a_store_to_a_read_only_page_kills_the_writer_not_the_caller() {
        let p = page(0x42, ProtFlags::READ);
        let end = write_in_child(|| Ok(p), 7, 0xbd, true, T).unwrap();
        assert_eq!(
            end,
            WriteEnd::Signalled {
                signal: libc::SIGSEGV,
                before: Some(0x42)
            }
        );
        assert_eq!(at(p, 7), 0x42);
    }

    #[test]
    fn a_writer_that_never_finishes_is_killed_after_the_timeout() {
        let end = write_in_child(
            || loop {
                std::thread::sleep(Duration::from_secs(1));
            },
            0,
            1,
            true,
            T,
        )
        .unwrap();
        assert_eq!(end, WriteEnd::TimedOut { before: None });
    }

    #[test]
    fn a_refused_mapping_comes_back_as_the_childs_error() {
        let e = write_in_child(|| Err(MapError::Frame(Errno::PERM)), 0, 1, true, T);
        assert_eq!(e, Err(MapError::Frame(Errno::PERM)));
        let e = write_in_child(|| Err(MapError::Call(Errno::NOMEM)), 0, 1, true, T);
        assert_eq!(e, Err(MapError::Call(Errno::NOMEM)));
        let e = write_in_child(|| Ok(std::ptr::null_mut()), PAGE, 1, true, T);
        assert_eq!(e, Err(MapError::Call(Errno::INVAL)), "offset past the page");
    }
}

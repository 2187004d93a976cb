//! The one way dom0scope reads a file: snapshots and their artifacts, policy files, plans,
//! dom0's `/proc` tables and sysfs attributes. Every one of these may be hostile or simply
//! wrong (a FIFO with no writer, `/dev/zero`, a 1 GiB "policy"), so each read
//!
//! - stats the path first, without opening it, and refuses anything but a regular file
//!   ("is a FIFO (named pipe)", "is a character device", "is a directory" …), unless the
//!   caller accepts a pipe ([`Accept::RegularFileOrPipe`]: only the snapshot argument, which
//!   a user may stream in);
//! - opens a regular file non-blocking and checks it again, so a FIFO swapped in after the
//!   stat cannot hang the read either;
//! - reads at most a caller-given limit, and says "larger than N bytes" instead of reading on;
//! - names the path in every error and keeps the operating system's error itself.
//!
//! Its own crate, std only, because its users sit on both sides of the dependency graph:
//! `enforce` (built into an initramfs, so it must stay small) and `harden` do not depend on
//! `dom0scope-snapshot`, and `dom0scope-ranges` is about ranges, not files.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Linux's `O_NONBLOCK` (asm-generic, as on x86 and Arm, where a dom0 runs). Elsewhere no flag
/// is used: the second check after opening still refuses what is not a regular file.
const O_NONBLOCK: i32 = if cfg!(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64"
    )
)) {
    0o4000
} else {
    0
};

/// What a path is, as `stat` says after following symbolic links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    Regular,
    /// A directory.
    Directory,
    /// A FIFO: a named pipe, or an anonymous one (`/dev/stdin` of `cat x |`, `<(…)`).
    Fifo,
    /// A character device (`/dev/zero`, a terminal).
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A Unix socket.
    Socket,
    /// Anything else.
    Other,
}

impl FileKind {
    /// The kind of what `m` describes.
    pub fn of(m: &Metadata) -> FileKind {
        let t = m.file_type();
        if t.is_file() {
            FileKind::Regular
        } else if t.is_dir() {
            FileKind::Directory
        } else if t.is_fifo() {
            FileKind::Fifo
        } else if t.is_char_device() {
            FileKind::CharDevice
        } else if t.is_block_device() {
            FileKind::BlockDevice
        } else if t.is_socket() {
            FileKind::Socket
        } else {
            FileKind::Other
        }
    }

    /// The kind in words, with its article: `a FIFO (named pipe)`.
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Regular => "a regular file",
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a FIFO (named pipe)",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Socket => "a socket",
            FileKind::Other => "not a regular file",
        }
    }
}

/// What a caller accepts besides a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// A regular file only (after symbolic links).
    RegularFile,
    /// A regular file or a pipe, which is then read as a stream, blocking until its writer
    /// writes: only for the snapshot argument, whose user chose to stream it.
    RegularFileOrPipe,
}

/// Why a read failed. Always about one path, which the message names.
#[derive(Debug)]
#[non_exhaustive]
pub enum Problem {
    /// The operating system refused (stat, open or read).
    Io(io::Error),
    /// Not a kind of file the caller reads.
    NotAccepted(FileKind),
    /// More than the caller's limit.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
        /// The size `stat` gave, when it gave one above the limit (a pipe, or a `/proc` file
        /// that says 0, only shows its size by being read).
        size: Option<u64>,
    },
}

/// A failed read of `path`. The message is `PATH: what`; an operating-system error is kept
/// whole ([`ReadError::io_error`]: its kind and errno) and shown in the message, and is not
/// also a `source()`, so that an error chain does not print it twice.
#[derive(Debug)]
pub struct ReadError {
    path: PathBuf,
    problem: Problem,
}

impl ReadError {
    /// An error about `path`.
    pub fn new(path: &Path, problem: Problem) -> ReadError {
        ReadError {
            path: path.to_owned(),
            problem,
        }
    }

    /// The path, as the caller gave it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What went wrong.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// The operating system's error, when that is what failed.
    pub fn io_error(&self) -> Option<&io::Error> {
        match &self.problem {
            Problem::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.problem)
    }
}

/// The problem alone, for a caller that names the path its own way.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Io(e) => write!(f, "{e}"),
            Problem::NotAccepted(FileKind::Other) => write!(f, "not a regular file"),
            Problem::NotAccepted(k) => write!(f, "is {}, not a regular file", k.describe()),
            Problem::TooLarge {
                limit,
                size: Some(size),
            } => write!(f, "larger than {limit} bytes ({size} bytes)"),
            Problem::TooLarge { limit, size: None } => write!(f, "larger than {limit} bytes"),
        }
    }
}

impl std::error::Error for ReadError {}

/// The kind of file at `path` (following symbolic links), without opening it.
pub fn kind(path: &Path) -> Result<FileKind, ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| ReadError::new(path, Problem::Io(e)))?;
    Ok(FileKind::of(&meta))
}

/// A file that passed the kind check, open for reading; read it with
/// [`Opened::read_to_limit`] or [`Opened::read_prefix`], or as a stream ([`Read`]).
#[derive(Debug)]
pub struct Opened {
    path: PathBuf,
    kind: FileKind,
    size: Option<u64>,
    file: File,
}

/// Stats `path`, refuses what `accept` does not allow, then opens it (a regular file
/// non-blocking, and checked again once open).
pub fn open(path: &Path, accept: Accept) -> Result<Opened, ReadError> {
    let err = |p| ReadError::new(path, p);
    let meta = std::fs::metadata(path).map_err(|e| err(Problem::Io(e)))?;
    let kind = FileKind::of(&meta);
    let allowed = kind == FileKind::Regular
        || (accept == Accept::RegularFileOrPipe && kind == FileKind::Fifo);
    if !allowed {
        return Err(err(Problem::NotAccepted(kind)));
    }
    let mut options = OpenOptions::new();
    options.read(true);
    if kind == FileKind::Regular {
        options.custom_flags(O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| err(Problem::Io(e)))?;
    let now = FileKind::of(&file.metadata().map_err(|e| err(Problem::Io(e)))?);
    if now != kind {
        return Err(err(Problem::NotAccepted(now)));
    }
    Ok(Opened {
        path: path.to_owned(),
        kind,
        size: (kind == FileKind::Regular).then_some(meta.len()),
        file,
    })
}

/// Reads the regular file at `path` whole, refusing one larger than `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    open(path, Accept::RegularFile)?.read_to_limit(limit)
}

/// [`read`], as UTF-8 text (a policy file): anything else is an error naming the path.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(read(path, limit)?).map_err(|e| {
        ReadError::new(
            path,
            Problem::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
            )),
        )
    })
}

/// At most the first bytes of a file, and whether it had more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    /// What was read.
    pub bytes: Vec<u8>,
    /// True when the file went on past the limit.
    pub cut: bool,
}

impl Opened {
    /// What the file is ([`FileKind::Regular`] or, when accepted, [`FileKind::Fifo`]).
    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// The size `stat` gave for a regular file (0 for most of `/proc`); `None` for a pipe.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The path, as given to [`open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads it all, refusing more than `limit` bytes without reading past `limit + 1`.
    pub fn read_to_limit(self, limit: u64) -> Result<Vec<u8>, ReadError> {
        if let Some(size) = self.size.filter(|&s| s > limit) {
            return Err(ReadError::new(
                &self.path,
                Problem::TooLarge {
                    limit,
                    size: Some(size),
                },
            ));
        }
        let path = self.path.clone();
        let hint = self.size;
        read_stream(self, &path, limit, hint)
    }

    /// Reads at most `limit` bytes; [`Prefix::cut`] says whether there was more.
    pub fn read_prefix(self, limit: u64) -> Result<Prefix, ReadError> {
        let path = self.path.clone();
        let hint = self.size;
        let mut bytes = Vec::with_capacity(capacity(hint, limit));
        let cut = read_into(self, &path, limit, &mut bytes)?;
        Ok(Prefix { bytes, cut })
    }
}

impl Read for Opened {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

/// Reads a stream (standard input, a decompressor) whole, refusing more than `limit` bytes;
/// `path` names it in errors, `size_hint` sizes the first allocation.
pub fn read_stream(
    r: impl Read,
    path: &Path,
    limit: u64,
    size_hint: Option<u64>,
) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::with_capacity(capacity(size_hint, limit));
    if read_into(r, path, limit, &mut bytes)? {
        return Err(ReadError::new(
            path,
            Problem::TooLarge { limit, size: None },
        ));
    }
    Ok(bytes)
}

/// The first allocation: the size `stat` gave (never above the limit), else 64 KiB; it grows
/// only as bytes really arrive.
fn capacity(size_hint: Option<u64>, limit: u64) -> usize {
    usize::try_from(size_hint.unwrap_or(64 << 10).min(limit)).unwrap_or(64 << 10)
}

/// Reads at most `limit` bytes of `r` into the empty `out`; true when `r` had more.
fn read_into(r: impl Read, path: &Path, limit: u64, out: &mut Vec<u8>) -> Result<bool, ReadError> {
    let mut r = r.take(limit.saturating_add(1));
    r.read_to_end(out)
        .map_err(|e| ReadError::new(path, Problem::Io(e)))?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if out.len() > limit {
        out.truncate(limit);
        return Ok(true);
    }
    Ok(false)
}

#[cfg(test)]
mod tests;

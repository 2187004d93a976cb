//! The collection steps, in the order they run. Each copies raw bytes; failures are logged
//! in capture-log.txt and collection continues, so one unreadable file never costs a snapshot.
//!
//! This module holds what every step shares (the context and its logged copy and run helpers);
//! the steps themselves are in `xen` (Xen's console ring and configuration, and how Xen is
//! reached), `hypfs` (Xen's filesystem) and `host` (plain copies of what dom0's kernel shows).

mod host;
mod hypfs;
mod xen;

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

use dom0scope_privcmd::Xen;

use crate::writer::SnapshotWriter;
use crate::{CollectError, CommandOutput, Sources, XenAccess, XenTools, show};

pub(crate) use host::{acpi, dmi, efi, hypervisor, linux, pci};
pub(crate) use hypfs::hypfs;
pub(crate) use xen::{boot_config, reach, xen};

/// Largest single file collect copies (ACPI tables and config dumps are far smaller).
const MAX_FILE: u64 = 64 << 20;
/// Bounds on directory walks (sysfs has no cycles without symlinks, but be safe).
const MAX_DEPTH: usize = 12;

/// How collect reaches Xen, decided once by [`reach`] before the steps that talk to Xen.
pub(crate) enum Reach<'a> {
    /// Hypercalls through privcmd (or the seam collect was given).
    Hypercalls(Box<dyn Xen + 'a>),
    /// Xen's tools: `xl`, `xenhypfs`.
    Tools,
    /// Neither.
    Nothing,
}

pub(crate) struct Ctx<'a> {
    pub src: &'a Sources,
    pub tools: &'a mut dyn XenTools,
    /// The seam to use instead of opening privcmd (tests); taken when privcmd would open.
    pub given: Option<&'a mut dyn Xen>,
    /// How Xen is reached ([`reach`]); a step borrowing it takes it and puts it back.
    pub reach: Reach<'a>,
    pub w: &'a mut SnapshotWriter,
    pub progress: &'a mut dyn Write,
    pub access: XenAccess,
}

type Res<T = ()> = Result<T, CollectError>;

fn read_capped(p: &Path) -> io::Result<Vec<u8>> {
    let f = fs::File::open(p)?;
    let mut buf = Vec::new();
    f.take(MAX_FILE + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_FILE {
        return Err(io::Error::other(format!("larger than {MAX_FILE} bytes")));
    }
    Ok(buf)
}

impl Ctx<'_> {
    /// Copies one file; a missing file is skipped quietly when `optional`.
    fn copy(&mut self, from: &Path, to: &str, optional: bool) -> Res<bool> {
        match read_capped(from) {
            Ok(b) => {
                self.write_logged(to, &b)?;
                Ok(true)
            }
            Err(e) if optional && e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => {
                self.w.failed(format!("to read {}: {e}", show(from)));
                Ok(false)
            }
        }
    }

    /// Writes a file; a name the writer refuses (it would escape the snapshot) is logged.
    fn write_logged(&mut self, to: &str, bytes: &[u8]) -> Res {
        match self.w.write(to, bytes) {
            Err(CollectError::UnsafePath { rel }) => {
                self.w.failed(format!("to store {rel:?}: unsafe name"));
                Ok(())
            }
            r => r,
        }
    }

    /// Copies the regular files under `dir` into `to/`, recursing when asked. Symlinks are
    /// not followed (sysfs links back up the tree).
    fn copy_tree(&mut self, dir: &Path, to: &str, recurse: bool) -> Res<usize> {
        self.copy_tree_at(dir, to, recurse, 0)
    }

    fn copy_tree_at(&mut self, dir: &Path, to: &str, recurse: bool, depth: usize) -> Res<usize> {
        let mut names = match fs::read_dir(dir) {
            Ok(rd) => rd.flatten().map(|e| e.file_name()).collect::<Vec<_>>(),
            Err(e) => {
                self.w.failed(format!("to list {}: {e}", show(dir)));
                return Ok(0);
            }
        };
        names.sort();
        let mut n = 0;
        for name in names {
            let p = dir.join(&name);
            let rel = format!("{to}/{}", name.to_string_lossy());
            match fs::symlink_metadata(&p) {
                Ok(m) if m.is_file() => n += usize::from(self.copy(&p, &rel, false)?),
                Ok(m) if m.is_dir() && recurse && depth < MAX_DEPTH => {
                    n += self.copy_tree_at(&p, &rel, recurse, depth + 1)?;
                }
                _ => {}
            }
        }
        Ok(n)
    }

    /// Runs a tool, logging the outcome; `None` when it is absent or failed to start.
    fn run(&mut self, prog: &str, args: &[&str]) -> Option<CommandOutput> {
        let cmd = format!("{prog} {}", args.join(" "));
        match self.tools.run(prog, args) {
            Ok(o) => {
                if !o.success() {
                    let err = String::from_utf8_lossy(&o.stderr);
                    self.w.failed(format!(
                        "{cmd}: exit {:?}: {}",
                        o.status,
                        err.trim().lines().last().unwrap_or("")
                    ));
                }
                Some(o)
            }
            Err(e) => {
                self.w.failed(format!("{cmd}: {e}"));
                None
            }
        }
    }

    fn say(&mut self, msg: &str) {
        let _ = writeln!(self.progress, "dom0scope: {msg}");
    }
}

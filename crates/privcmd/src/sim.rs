//! One simulator of Xen behind the [`Xen`] seam, for tests and the CLI's hidden
//! `--simulate-xen`: it holds dom0's I/O memory and I/O port rangesets and answers as Xen's
//! handlers do (measured on real Xen 4.17, `shared/reference/measured-on-real-xen.md` §1–5),
//! recording every call. Domctls arrive as the bytes of `struct xen_domctl` and are decoded
//! with [`Domctl::decode`], so callers are tested down to their encoding.
//!
//! The rules, from xen-project/xen at `RELEASE-4.17.7`:
//! - every domctl: an `interface_version` other than Xen's is `EACCES` before anything else
//!   (`xen/common/domctl.c` lines 333–334); a domain other than 0 is `ESRCH` (there is no
//!   other domain here).
//! - `XEN_DOMCTL_iomem_permission` (`xen/common/domctl.c` lines 417–443) and
//!   `XEN_DOMCTL_ioport_permission` (`xen/arch/x86/domctl.c` lines 223–248): a wrapping range
//!   is `EINVAL` (ports: past 0xffff too); unless the caller holds the whole range, `EPERM`;
//!   a deny removes it, a grant of what the caller holds changes nothing.
//! - `XEN_DOMCTL_memory_mapping` (`xen/common/domctl.c` lines 445–503): `EPERM` unless dom0
//!   holds the frames, for adding and removing alike. Real Xen answers 0 *without mapping*
//!   when the target is not a translated (PVH/HVM) domain; like the fakes it replaces, this
//!   simulation applies the rangeset check in either mode.
//! - foreign mapping of `DOMID_IO`: `EPERM` for a frame outside dom0's I/O memory rangeset;
//!   `ESRCH` in a PVH dom0 (measured, §5).
//! - `mmio_ro_ranges` ([`SimXen::read_only`]): a writable mapping of such a frame is granted
//!   but read-only, so the write test's store never lands: through `DOMID_IO` (PV) the writer
//!   faults until killed (measured by hand on a patched 4.17, §6); through a PVH self-mapping
//!   the store is dropped without a fault (`hvm_hap_nested_page_fault()` hands it to the MMIO
//!   emulator; both measured on a patched 4.22 by `harness/patched.sh`, docs/xen-patches.md).
//! - a port outside dom0's I/O port rangeset reads 0xff (measured, §2); one inside reads 0.
//! - debug key `q` appends dom0's rangesets to the console ring in Xen's format
//!   (`dump_domains()`, `xen/common/keyhandler.c` line 265; `rangeset_domain_printk()` and
//!   `rangeset_printk()`, `xen/common/rangeset.c` lines 537–584; the `(XEN) ` line prefix,
//!   `xen/drivers/char/console.c` line 940), so readers parse it as they parse real Xen's.
//! - hypfs ([`SimHypfs`]): `XEN_HYPFS_OP_read` as `do_hypfs_op()` and `hypfs_read()` answer
//!   it (`xen/common/hypfs.c` lines 678–739 and 530–560; see [`crate::abi::hypfs`]), a
//!   directory's contents encoded as `hypfs_read_dir()` does; seeded from a real snapshot's
//!   `xen/hypfs/` ([`SimHypfs::from_snapshot`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::Path;

use dom0scope_ranges::{FrameSet, PortSet, Radix};

use crate::abi::hypfs::{self, Direntry, Entry};
use crate::abi::{DOMCTL_SIZE, DOMID_IO, Domctl, DomctlOp};
use crate::{Errno, MapError, Window, WriteEnd, Xen};

/// One call the simulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// A domctl, decoded from its bytes.
    Domctl(Domctl),
    /// A console ring read, from an index or (None) from the oldest byte.
    ReadRing(Option<u32>),
    /// Debug keys pressed.
    DebugKeys(Vec<u8>),
    /// A read-only foreign mapping of frame `gfn` of domain `dom`.
    MapForeign {
        /// The foreign domain (`DOMID_IO` for machine frames).
        dom: u16,
        /// The frame.
        gfn: u64,
    },
    /// A port read.
    ReadPort(u16),
    /// A read through a fresh read-only mapping.
    ReadWindow(Window),
    /// The write test's store.
    WriteByte {
        /// Where.
        at: Window,
        /// The byte's offset in the frame.
        offset: u16,
        /// The value stored.
        value: u8,
    },
    /// `XEN_HYPFS_OP_get_version`.
    HypfsVersion,
    /// `XEN_HYPFS_OP_read` of a path.
    HypfsRead(String),
}

/// As a call: `iomem_permission(0x8f, 2, false)`, `map_foreign_ro(0x7ff1, 0x8f)`.
impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Call::Domctl(d) if d.domain == 0 => write!(f, "{}", d.op),
            Call::Domctl(d) => write!(f, "d{} {}", d.domain, d.op),
            Call::ReadRing(Some(i)) => write!(f, "read_ring(from {i:#x})"),
            Call::ReadRing(None) => f.write_str("read_ring()"),
            Call::DebugKeys(k) => write!(f, "debug_keys({:?})", String::from_utf8_lossy(k)),
            Call::MapForeign { dom, gfn } => write!(f, "map_foreign_ro({dom:#x}, {gfn:#x})"),
            Call::ReadPort(p) => write!(f, "read_port({p:#x})"),
            Call::ReadWindow(w) => write!(f, "read_window({w:?})"),
            Call::WriteByte { at, offset, value } => {
                write!(f, "write_byte({at:?}, +{offset:#x}, {value:#04x})")
            }
            Call::HypfsVersion => f.write_str("hypfs_version()"),
            Call::HypfsRead(p) => write!(f, "hypfs_read({p:?})"),
        }
    }
}

/// Xen as dom0 sees it, simulated. Fields are public so a test can set up or break a rule.
#[derive(Debug, Clone, Default)]
pub struct SimXen {
    /// dom0's I/O memory rangeset (machine frames).
    pub iomem: FrameSet,
    /// dom0's I/O port rangeset.
    pub ioports: PortSet,
    /// The `XEN_DOMCTL_INTERFACE_VERSION` this Xen accepts (others: `EACCES`); None accepts
    /// any, for a simulation not tied to a release.
    pub domctl_version: Option<u32>,
    /// dom0 is PVH: `DOMID_IO` foreign mappings fail with `ESRCH`.
    pub pvh: bool,
    /// Bytes of machine frames, read through a granted foreign mapping; others read as zeros.
    pub frames: BTreeMap<u64, Vec<u8>>,
    /// Xen's `mmio_ro_ranges`: frames dom0 may map, but only read-only.
    pub read_only: FrameSet,
    /// Guest frame to machine frame, for what `XEN_DOMCTL_memory_mapping` mapped into dom0.
    pub mapped: BTreeMap<u64, u64>,
    /// A broken Xen that accepts denies without acting on them (to test a proof step).
    pub ignore_denies: bool,
    /// A broken Xen that fails (`EINVAL`) to remove a memory mapping.
    pub fail_unmap: bool,
    /// Console reads fail with `EPERM` (as under an XSM policy denying `readconsole`).
    pub console_denied: bool,
    /// The console ring; the index of a byte is its offset (Xen's indices only grow).
    pub console: Vec<u8>,
    /// hypfs; `None` is a Xen built without it (every hypfs op `ENOSYS`).
    pub hypfs: Option<SimHypfs>,
    /// Every call, in order.
    pub calls: Vec<Call>,
}

impl SimXen {
    /// A Xen where dom0 holds `iomem` and `ioports`, accepting any domctl interface version.
    pub fn new(iomem: FrameSet, ioports: PortSet) -> SimXen {
        SimXen {
            iomem,
            ioports,
            ..SimXen::default()
        }
    }

    /// The domctls received, in order.
    pub fn domctls(&self) -> impl Iterator<Item = &Domctl> {
        self.calls.iter().filter_map(|c| match c {
            Call::Domctl(d) => Some(d),
            _ => None,
        })
    }

    /// Times debug key `q` was pressed.
    pub fn q_presses(&self) -> usize {
        self.calls
            .iter()
            .filter(|c| matches!(c, Call::DebugKeys(k) if k.contains(&b'q')))
            .count()
    }

    /// Appends `text` to the console ring as Xen's `printk` does: `(XEN) ` before each line.
    pub fn printk(&mut self, text: &str) {
        for line in text.split_inclusive('\n') {
            self.console.extend_from_slice(b"(XEN) ");
            self.console.extend_from_slice(line.as_bytes());
        }
    }

    /// What debug key `q` prints about dom0's rangesets.
    fn dump_domains(&mut self) {
        let mut s = String::from("'q' pressed -> dumping domain info (now = 0)\n");
        s.push_str("Rangesets belonging to domain 0:\n");
        // rangeset_printk(): the name padded to 10 columns, then Xen's `{ a-b, c }` in hex
        // (RANGESETF_prettyprint_hex, as Xen creates I/O memory and ports).
        let _ = writeln!(
            s,
            "    {:<10} {}",
            "I/O Memory",
            self.iomem.to_xen(Radix::Hex)
        );
        let _ = writeln!(
            s,
            "    {:<10} {}",
            "I/O Ports",
            self.ioports.to_xen(Radix::Hex)
        );
        self.printk(&s);
    }

    fn holds_frames(&self, first: u64, last: u64) -> bool {
        FrameSet::from(first..=last).is_subset(&self.iomem)
    }

    fn iomem_permission(&mut self, first: u64, nr: u64, allow: bool) -> Result<(), Errno> {
        let last = first.wrapping_add(nr).wrapping_sub(1);
        if last < first {
            return Err(Errno::INVAL);
        }
        if !self.holds_frames(first, last) {
            return Err(Errno::PERM);
        }
        if !allow && !self.ignore_denies {
            self.iomem.remove(first..=last);
        }
        Ok(())
    }

    fn ioport_permission(&mut self, first: u32, nr: u32, allow: bool) -> Result<(), Errno> {
        let end = first.wrapping_add(nr);
        if end <= first || end > 0x1_0000 {
            return Err(Errno::INVAL);
        }
        let (a, b) = (first as u16, (end - 1) as u16);
        if !PortSet::from(a..=b).is_subset(&self.ioports) {
            return Err(Errno::PERM);
        }
        if !allow && !self.ignore_denies {
            self.ioports.remove(a..=b);
        }
        Ok(())
    }

    fn memory_mapping(&mut self, gfn: u64, mfn: u64, nr: u64, add: bool) -> Result<(), Errno> {
        let last = mfn.wrapping_add(nr).wrapping_sub(1);
        if last < mfn || gfn.wrapping_add(nr).wrapping_sub(1) < gfn {
            return Err(Errno::INVAL);
        }
        if !self.holds_frames(mfn, last) {
            return Err(Errno::PERM);
        }
        if add {
            for i in 0..nr {
                self.mapped.insert(gfn + i, mfn + i);
            }
        } else if self.fail_unmap {
            return Err(Errno::INVAL);
        } else {
            for i in 0..nr {
                self.mapped.remove(&(gfn + i));
            }
        }
        Ok(())
    }
}

impl SimXen {
    /// The machine frame behind `at`, as Xen checks it.
    fn frame_of(&self, at: Window) -> Result<u64, MapError> {
        match at {
            Window::Foreign { dom, gfn } => {
                if dom != DOMID_IO || self.pvh {
                    Err(MapError::Frame(Errno::SRCH))
                } else if !self.iomem.contains(gfn) {
                    Err(MapError::Frame(Errno::PERM))
                } else {
                    Ok(gfn)
                }
            }
            // Nothing mapped at that guest frame: /dev/mem would show no frame of interest.
            Window::Phys { gfn } => self
                .mapped
                .get(&gfn)
                .copied()
                .ok_or(MapError::Call(Errno::INVAL)),
        }
    }

    fn byte(&self, mfn: u64, offset: usize) -> u8 {
        self.frames
            .get(&mfn)
            .and_then(|b| b.get(offset))
            .copied()
            .unwrap_or(0)
    }
}

impl Xen for SimXen {
    fn domctl(&mut self, bytes: &[u8; DOMCTL_SIZE]) -> Result<(), Errno> {
        let d = Domctl::decode(bytes);
        self.calls.push(Call::Domctl(d));
        if self
            .domctl_version
            .is_some_and(|v| v != d.interface_version)
        {
            return Err(Errno::ACCESS);
        }
        if d.domain != 0 {
            return Err(Errno::SRCH);
        }
        match d.op {
            DomctlOp::IomemPermission {
                first_mfn,
                nr_mfns,
                allow,
            } => self.iomem_permission(first_mfn, nr_mfns, allow),
            DomctlOp::IoportPermission {
                first_port,
                nr_ports,
                allow,
            } => self.ioport_permission(first_port, nr_ports, allow),
            DomctlOp::MemoryMapping {
                first_gfn,
                first_mfn,
                nr_mfns,
                add,
            } => self.memory_mapping(first_gfn, first_mfn, nr_mfns, add),
            DomctlOp::Other(_) => Err(Errno::NOSYS),
        }
    }

    fn read_ring(&mut self, from: Option<u32>) -> io::Result<(Vec<u8>, u32)> {
        self.calls.push(Call::ReadRing(from));
        if self.console_denied {
            return Err(Errno::PERM.into());
        }
        let start = from.map_or(0, |i| (i as usize).min(self.console.len()));
        let end = u32::try_from(self.console.len()).map_err(io::Error::other)?;
        Ok((self.console[start..].to_vec(), end))
    }

    fn debug_keys(&mut self, keys: &[u8]) -> io::Result<()> {
        self.calls.push(Call::DebugKeys(keys.to_vec()));
        for &k in keys {
            if k == b'q' {
                self.dump_domains();
            }
        }
        Ok(())
    }

    fn map_foreign_ro(&mut self, dom: u16, gfn: u64, peek: &mut [u8]) -> Result<(), MapError> {
        self.calls.push(Call::MapForeign { dom, gfn });
        if dom != DOMID_IO || self.pvh {
            return Err(MapError::Frame(Errno::SRCH));
        }
        if !self.iomem.contains(gfn) {
            return Err(MapError::Frame(Errno::PERM));
        }
        peek.fill(0);
        if let Some(bytes) = self.frames.get(&gfn) {
            let n = peek.len().min(bytes.len());
            peek[..n].copy_from_slice(&bytes[..n]);
        }
        Ok(())
    }

    fn read_window(&mut self, at: Window, buf: &mut [u8]) -> Result<(), MapError> {
        self.calls.push(Call::ReadWindow(at));
        let mfn = self.frame_of(at)?;
        for (i, b) in buf.iter_mut().enumerate() {
            *b = self.byte(mfn, i);
        }
        Ok(())
    }

    fn write_byte(
        &mut self,
        at: Window,
        offset: u16,
        value: u8,
        restore: bool,
    ) -> Result<WriteEnd, MapError> {
        self.calls.push(Call::WriteByte { at, offset, value });
        let mfn = self.frame_of(at)?;
        let off = usize::from(offset);
        let before = self.byte(mfn, off);
        if self.read_only.contains(mfn) {
            return Ok(match at {
                Window::Foreign { .. } => WriteEnd::TimedOut {
                    before: Some(before),
                },
                Window::Phys { .. } => WriteEnd::Done {
                    before,
                    readback: before,
                },
            });
        }
        let page = self.frames.entry(mfn).or_default();
        if page.len() <= off {
            page.resize(off + 1, 0);
        }
        page[off] = if restore { before } else { value };
        Ok(WriteEnd::Done {
            before,
            readback: value,
        })
    }

    fn read_port(&mut self, port: u16) -> io::Result<u8> {
        self.calls.push(Call::ReadPort(port));
        Ok(if self.ioports.contains(port) { 0 } else { 0xff })
    }

    fn hypfs_version(&mut self) -> io::Result<u32> {
        self.calls.push(Call::HypfsVersion);
        match &self.hypfs {
            Some(_) => Ok(hypfs::VERSION),
            None => Err(Errno::NOSYS.into()),
        }
    }

    fn hypfs_read(&mut self, path: &str) -> io::Result<Entry> {
        self.calls.push(Call::HypfsRead(path.to_string()));
        let fs = self.hypfs.as_ref().ok_or(Errno::NOSYS)?;
        Ok(fs.read(path)?)
    }
}

/// One hypfs entry of [`SimHypfs`]: a directory (its contents are made from its children)
/// or a leaf with its stored (encoded) bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimHypfsNode {
    /// `XEN_HYPFS_TYPE_*`.
    pub kind: u8,
    /// `XEN_HYPFS_ENC_*`.
    pub encoding: u8,
    /// `max_write_len` (0: read-only).
    pub max_write_len: u32,
    /// A leaf's contents as stored: a string with its NUL, a number in its own size.
    pub content: Vec<u8>,
}

impl SimHypfsNode {
    /// A directory.
    pub fn dir() -> SimHypfsNode {
        SimHypfsNode {
            kind: hypfs::TYPE_DIR,
            encoding: hypfs::ENC_PLAIN,
            max_write_len: 0,
            content: Vec::new(),
        }
    }
}

/// A simulated hypfs: entries by absolute path (`/` is the root, always a directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimHypfs {
    /// Every entry, directories included; a parent exists for every entry.
    pub nodes: BTreeMap<String, SimHypfsNode>,
}

impl Default for SimHypfs {
    fn default() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert("/".to_string(), SimHypfsNode::dir());
        SimHypfs { nodes }
    }
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The last name of an absolute path.
fn name_of(path: &str) -> &str {
    &path[path.rfind('/').map_or(0, |i| i + 1)..]
}

fn child_path(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

impl SimHypfs {
    /// Adds `node` at the absolute `path`, and any missing directory above it.
    pub fn add(&mut self, path: &str, node: SimHypfsNode) {
        let mut p = parent(path);
        while !self.nodes.contains_key(p) {
            self.nodes.insert(p.to_string(), SimHypfsNode::dir());
            p = parent(p);
        }
        self.nodes.insert(path.to_string(), node);
    }

    /// The children of directory `dir` with their paths, in Xen's order (`strcmp()`, which
    /// is byte order).
    fn children(&self, dir: &str) -> Vec<(String, &SimHypfsNode)> {
        let prefix = child_path(dir, "");
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.len() > prefix.len() && !k[prefix.len()..].contains('/'))
            .map(|(k, n)| (k.clone(), n))
            .collect()
    }

    fn direntry(&self, path: &str, node: &SimHypfsNode) -> Direntry {
        let content_len = if node.kind == hypfs::TYPE_DIR {
            // A directory's size is what its dirlist takes (`add_entry()`).
            self.children(path)
                .iter()
                .map(|(k, _)| hypfs::dirlist_entry_size(name_of(k).len()))
                .sum::<usize>()
        } else {
            node.content.len()
        };
        Direntry {
            kind: node.kind,
            encoding: node.encoding,
            content_len: u32::try_from(content_len).unwrap_or(u32::MAX),
            max_write_len: node.max_write_len,
        }
    }

    /// The contents Xen stores for `path`: a directory's dirlist, a leaf's bytes.
    fn content(&self, path: &str, node: &SimHypfsNode) -> Vec<u8> {
        if node.kind != hypfs::TYPE_DIR {
            return node.content.clone();
        }
        let kids = self.children(path);
        let entries: Vec<(Direntry, &str)> = kids
            .iter()
            .map(|(k, n)| (self.direntry(k, n), name_of(k)))
            .collect();
        hypfs::encode_dirlist(&entries)
    }

    /// `XEN_HYPFS_OP_read` of `path`, resolved as `hypfs_get_entry()` does: it must start
    /// with `/` (else `EINVAL`); an empty name (`//`) or a missing one is `ENOENT`, and so
    /// is a leaf with a `/` after it; one trailing `/` after a directory names the directory.
    pub fn read(&self, path: &str) -> Result<Entry, Errno> {
        if !path.starts_with('/') || path.len() + 1 > hypfs::MAX_PATHLEN || path.contains('\0') {
            return Err(Errno::INVAL);
        }
        let (key, want_dir) = match path.strip_suffix('/') {
            Some("") => ("/", true),
            Some(k) => (k, true),
            None => (path, false),
        };
        if key != "/" && key[1..].split('/').any(str::is_empty) {
            return Err(Errno::NOENT);
        }
        let node = self.nodes.get(key).ok_or(Errno::NOENT)?;
        if want_dir && node.kind != hypfs::TYPE_DIR {
            return Err(Errno::NOENT);
        }
        Ok(Entry {
            entry: self.direntry(key, node),
            content: self.content(key, node),
        })
    }

    /// A hypfs rebuilt from a snapshot's `xen/hypfs/` directory, as the real Xen that
    /// printed it stores it: the entries and their types and write flags from
    /// `ls-recursive.txt` (headers `# xenhypfs ls DIR (rc=0)` or `# privcmd hypfs ls DIR
    /// (rc=0)`), the contents from `cat/PATH` (the text `xenhypfs cat` printed, its last
    /// newline dropped): a string stored with its NUL, an unsigned or signed integer in 4
    /// bytes and a boolean in 1 (as Xen's `unsigned int`/`int`/`bool` entries), and
    /// `/buildinfo/config` gzip-compressed (`XEN_HYPFS_ENC_GZIP`, as `xen/common/kernel.c`
    /// stores it). An entry without a `cat/` file (a blob `xenhypfs cat` cannot print) is
    /// stored empty.
    pub fn from_snapshot(hypfs_dir: &Path) -> io::Result<SimHypfs> {
        let listing = std::fs::read_to_string(hypfs_dir.join("ls-recursive.txt"))?;
        let bad = |line: &str| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("ls-recursive.txt: cannot read {line:?}"),
            )
        };
        let mut fs = SimHypfs::default();
        let mut dir: Option<String> = None;
        for line in listing.lines() {
            if let Some(head) = line.strip_prefix("# ") {
                let (_, rest) = head.split_once(" ls ").ok_or_else(|| bad(line))?;
                let (d, _) = rest.rsplit_once(" (rc=").ok_or_else(|| bad(line))?;
                dir = Some(d.to_string());
                continue;
            }
            let d = dir.as_deref().ok_or_else(|| bad(line))?;
            // `<string> rw name`: the label is padded to 8 columns.
            let (label, rest) = line.split_once(' ').ok_or_else(|| bad(line))?;
            let (flags, name) = rest.trim_start().split_once(' ').ok_or_else(|| bad(line))?;
            let path = child_path(d, name);
            let kind = match label {
                "<dir>" => hypfs::TYPE_DIR,
                "<blob>" => hypfs::TYPE_BLOB,
                "<string>" => hypfs::TYPE_STRING,
                "<uint>" => hypfs::TYPE_UINT,
                "<int>" => hypfs::TYPE_INT,
                "<bool>" => hypfs::TYPE_BOOL,
                _ => return Err(bad(line)),
            };
            if kind == hypfs::TYPE_DIR {
                fs.add(&path, SimHypfsNode::dir());
                continue;
            }
            let text = match std::fs::read(hypfs_dir.join(format!("cat{path}"))) {
                Ok(mut t) => {
                    if t.last() == Some(&b'\n') {
                        t.pop();
                    }
                    Some(t)
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            };
            let number = |t: &[u8]| String::from_utf8_lossy(t).trim().to_string();
            let mut encoding = hypfs::ENC_PLAIN;
            let content = match (kind, text) {
                (_, None) => Vec::new(),
                (hypfs::TYPE_STRING, Some(t)) if path == "/buildinfo/config" => {
                    encoding = hypfs::ENC_GZIP;
                    let mut z =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                    z.write_all(&t)?;
                    z.finish()?
                }
                (hypfs::TYPE_STRING, Some(mut t)) => {
                    t.push(0);
                    t
                }
                (hypfs::TYPE_UINT, Some(t)) => number(&t)
                    .parse::<u32>()
                    .map_err(|_| bad(line))?
                    .to_le_bytes()
                    .to_vec(),
                (hypfs::TYPE_INT, Some(t)) => number(&t)
                    .parse::<i32>()
                    .map_err(|_| bad(line))?
                    .to_le_bytes()
                    .to_vec(),
                (hypfs::TYPE_BOOL, Some(t)) => {
                    vec![u8::from(
                        number(&t).parse::<u8>().map_err(|_| bad(line))? != 0,
                    )]
                }
                (_, Some(t)) => t,
            };
            let max_write_len = if flags.ends_with('w') {
                u32::try_from(content.len().max(1)).unwrap_or(u32::MAX)
            } else {
                0
            };
            fs.add(
                &path,
                SimHypfsNode {
                    kind,
                    encoding,
                    max_write_len,
                    content,
                },
            );
        }
        Ok(fs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::domctl;

    fn sim() -> SimXen {
        let mut x = SimXen::new(
            FrameSet::from_ranges([0..=0xfedff, 0xfef00..=0xfcf_ffff]),
            PortSet::from_ranges([0..=0x1f, 0xa2..=0x3f7]),
        );
        x.domctl_version = Some(0x15);
        x
    }

    #[test]
    fn permission_domctls_follow_xens_rules() {
        let mut x = sim();
        assert_eq!(
            x.domctl(&domctl::iomem_permission(0x17, 0, 0x8f, 2, false)),
            Err(Errno::ACCESS)
        );
        assert_eq!(
            x.domctl(&domctl::iomem_permission(0x15, 1, 0x8f, 2, false)),
            Err(Errno::SRCH)
        );
        assert_eq!(
            x.domctl(&domctl::iomem_permission(0x15, 0, 0x8f, 0, false)),
            Err(Errno::INVAL)
        );
        assert_eq!(
            x.domctl(&domctl::iomem_permission(0x15, 0, 0x8f, 2, false)),
            Ok(())
        );
        assert!(!x.iomem.contains(0x8f) && !x.iomem.contains(0x90) && x.iomem.contains(0x91));
        // Partly gone: the whole deny fails, and so does a re-grant.
        assert_eq!(
            x.domctl(&domctl::iomem_permission(0x15, 0, 0x8e, 2, false)),
            Err(Errno::PERM)
        );
        assert_eq!(
            x.domctl(&domctl::iomem_permission(0x15, 0, 0x8f, 2, true)),
            Err(Errno::PERM)
        );
        assert_eq!(
            x.domctl(&domctl::ioport_permission(0x15, 0, 0xffff, 2, false)),
            Err(Errno::INVAL)
        );
        assert_eq!(
            x.domctl(&domctl::ioport_permission(0x15, 0, 0x1e, 6, false)),
            Err(Errno::PERM)
        );
        assert_eq!(
            x.domctl(&domctl::ioport_permission(0x15, 0, 0xb2, 1, false)),
            Ok(())
        );
        assert!(!x.ioports.contains(0xb2));
        let calls: Vec<String> = x.domctls().map(|d| d.op.to_string()).collect();
        assert_eq!(calls[3], "iomem_permission(0x8f, 2, false)");
        assert_eq!(calls.len(), 9);
    }

    #[test]
    fn q_dumps_in_xens_format_after_the_ring_index() {
        let mut x = sim();
        x.printk("Xen version 4.17.7\n");
        let (ring, idx) = x.read_ring(None).unwrap();
        assert_eq!(ring, b"(XEN) Xen version 4.17.7\n");
        x.domctl(&domctl::iomem_permission(0x15, 0, 0x8f, 2, false))
            .unwrap();
        x.debug_keys(b"q").unwrap();
        let (fresh, _) = x.read_ring(Some(idx)).unwrap();
        // The same lines as a real Xen 4.17 `q` dump (testdata/snapshots/*/xen/dmesg.txt).
        assert_eq!(
            String::from_utf8(fresh).unwrap(),
            "(XEN) 'q' pressed -> dumping domain info (now = 0)\n\
             (XEN) Rangesets belonging to domain 0:\n\
             (XEN)     I/O Memory { 0-8e, 91-fedff, fef00-fcfffff }\n\
             (XEN)     I/O Ports  { 0-1f, a2-3f7 }\n"
        );
        x.ioports = PortSet::new();
        x.iomem = FrameSet::from(5..=5);
        x.debug_keys(b"q").unwrap();
        let text = String::from_utf8(x.console.clone()).unwrap();
        assert!(
            text.ends_with("I/O Memory { 5 }\n(XEN)     I/O Ports  { }\n"),
            "{text}"
        );
        assert_eq!(x.q_presses(), 2);
    }

    /// The lines of a real Xen 4.17.7 `q` dump, reproduced from the sets they state.
    #[test]
    fn the_dump_matches_a_real_one_byte_for_byte() {
        let real = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../testdata/snapshots/h417-pv-q35-vtd-bios/xen/dmesg.txt"),
        )
        .unwrap();
        let mut x = SimXen::new(
            FrameSet::from_ranges([0..=0xfed8f, 0xfed91..=0xfedff, 0xfef00..=0xfcf_ffff]),
            PortSet::from_ranges([
                0..=0x1f,
                0x22..=0x3f,
                0x44..=0x60,
                0x62..=0x9f,
                0xa2..=0x3f7,
                0x400..=0x607,
                0x60c..=0xcfb,
                0xd00..=0xffff,
            ]),
        );
        x.debug_keys(b"q").unwrap();
        let dump = String::from_utf8(x.console).unwrap();
        for line in dump.lines().skip(1) {
            assert!(
                real.lines().any(|l| l == line),
                "{line:?} not in the real dump"
            );
        }
    }

    #[test]
    fn foreign_mappings_memory_mappings_and_ports() {
        let mut x = sim();
        x.frames.insert(0x8f, vec![0x8c, 0xc8]);
        let mut peek = [0xaa; 4];
        assert_eq!(x.map_foreign_ro(DOMID_IO, 0x8f, &mut peek), Ok(()));
        assert_eq!(peek, [0x8c, 0xc8, 0, 0]);
        assert_eq!(
            x.map_foreign_ro(DOMID_IO, 0xfee00, &mut []),
            Err(MapError::Frame(Errno::PERM))
        );
        assert_eq!(
            x.map_foreign_ro(1, 0x8f, &mut []),
            Err(MapError::Frame(Errno::SRCH))
        );
        x.pvh = true;
        assert_eq!(
            x.map_foreign_ro(DOMID_IO, 0x8f, &mut []),
            Err(MapError::Frame(Errno::SRCH))
        );
        assert_eq!(
            x.domctl(&domctl::memory_mapping(0x15, 0, 0x4242, 0x8f, true)),
            Ok(())
        );
        assert_eq!(x.mapped.get(&0x4242), Some(&0x8f));
        assert_eq!(
            x.domctl(&domctl::memory_mapping(0x15, 0, 0x4242, 0x8f, false)),
            Ok(())
        );
        assert!(x.mapped.is_empty());
        assert_eq!(
            x.domctl(&domctl::memory_mapping(0x15, 0, 0x4242, 0xfee00, true)),
            Err(Errno::PERM)
        );
        assert_eq!(
            (x.read_port(0xb2).unwrap(), x.read_port(0x60).unwrap()),
            (0, 0xff)
        );
        assert_eq!(x.calls.last().unwrap().to_string(), "read_port(0x60)");
    }

    /// hypfs seeded from a real Xen 4.17.7 snapshot reads back as that Xen stores it.
    #[test]
    fn hypfs_from_a_real_snapshot() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/snapshots/x417-pv-q35-vtd-bios/xen/hypfs");
        let mut x = SimXen::default();
        assert_eq!(
            x.hypfs_version().unwrap_err().raw_os_error(),
            Some(Errno::NOSYS.raw_os_error())
        );
        x.hypfs = Some(SimHypfs::from_snapshot(&dir).unwrap());
        assert_eq!(x.hypfs_version().unwrap(), 1);
        let root = x.hypfs_read("/").unwrap();
        assert!(root.entry.is_dir());
        let names: Vec<String> = hypfs::decode_dirlist(&root.content)
            .unwrap()
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(names, ["buildinfo", "cpupool", "params"]);
        // "buildinfo" 26 + "cpupool" 22 + "params" 22 bytes of dirlist.
        assert_eq!(root.entry.content_len, 70);
        assert_eq!(root.content.len(), 70);
        let bi = x.hypfs_read("/buildinfo/").unwrap();
        let kids = hypfs::decode_dirlist(&bi.content).unwrap();
        assert_eq!(kids[0].name, "changeset");
        assert_eq!(kids[2].name, "config");
        assert_eq!(kids[2].entry.encoding, hypfs::ENC_GZIP);
        let major = x.hypfs_read("/buildinfo/version/major").unwrap();
        assert_eq!(major.content, 4u32.to_le_bytes());
        assert_eq!(major.entry.max_write_len, 0);
        let lvl = x.hypfs_read("/params/loglvl").unwrap();
        assert_eq!(lvl.content, b"all/all\0");
        assert_eq!(lvl.entry.kind, hypfs::TYPE_STRING);
        assert_ne!(lvl.entry.max_write_len, 0);
        let gp = x.hypfs_read("/params/global-pages").unwrap();
        assert_eq!(
            (gp.entry.kind, gp.content.as_slice()),
            (hypfs::TYPE_BOOL, &[0u8][..])
        );
        let config = x.hypfs_read("/buildinfo/config").unwrap();
        assert_eq!(&config.content[..2], &[0x1f, 0x8b], "a gzip stream");
        for (path, errno) in [
            ("params", Errno::INVAL),
            ("/nope", Errno::NOENT),
            ("//params", Errno::NOENT),
            ("/params/loglvl/", Errno::NOENT),
            ("/params/loglvl/x", Errno::NOENT),
        ] {
            assert_eq!(
                x.hypfs_read(path).unwrap_err().raw_os_error(),
                Some(errno.raw_os_error()),
                "{path}"
            );
        }
        assert_eq!(
            x.calls.last().unwrap().to_string(),
            "hypfs_read(\"/params/loglvl/x\")"
        );
    }
}

//! Xen's hypervisor filesystem (hypfs) as bytes: `__HYPERVISOR_hypfs_op`, its operations and
//! the layouts of what `XEN_HYPFS_OP_read` returns. Pure: the real call is
//! [`crate::Privcmd::hypfs_read`], the simulated one `sim::SimXen`'s.
//!
//! From xen-project/xen, identical at `RELEASE-4.17.7` and `RELEASE-4.22.0` (the public header
//! did not change between them; line numbers are the same at both):
//!
//! - `#define __HYPERVISOR_hypfs_op 42` (`xen/include/public/xen.h` line 116 at 4.17.7, line
//!   120 at 4.22.0). Five arguments: the op, then for a read the path's address, the path's
//!   length *including* its NUL, the buffer's address and the buffer's length.
//! - `xen/include/public/hypfs.h`: `#define XEN_HYPFS_VERSION 1` (line 19), the hypfs
//!   interface version, versioned on its own (not by the sysctl or domctl interface version:
//!   the same value at every release dom0scope knows, and master); `XEN_HYPFS_MAX_PATHLEN
//!   1024` (22); `struct xen_hypfs_direntry { uint8_t type; uint8_t encoding; uint16_t pad;
//!   uint32_t content_len; uint32_t max_write_len; }` (24–38, 12 bytes, types `DIR` 0, `BLOB`
//!   1, `STRING` 2, `UINT` 3, `INT` 4, `BOOL` 5; encodings `PLAIN` 0, `GZIP` 1);
//!   `struct xen_hypfs_dirlistentry { xen_hypfs_direntry_t e; uint16_t off_next; char name[]; }`
//!   (41–47: the name starts at byte 14 and is NUL-terminated; `off_next` 0 marks the last);
//!   `XEN_HYPFS_OP_get_version 0` (64, all other arguments 0/NULL, returns the highest
//!   interface version) and `XEN_HYPFS_OP_read 1` (91).
//! - `xen/common/hypfs.c` (`RELEASE-4.17.7`; at `RELEASE-4.22.0` one line later from 348 on):
//!   `do_hypfs_op()` (678 / 679) refuses with `-EPERM` when XSM denies the op, answers
//!   `get_version` with `XEN_HYPFS_VERSION`, and for a read copies in the path with
//!   `hypfs_get_path_user()` (277: `-EINVAL` if longer than the maximum or if its only NUL is
//!   not its last byte), resolves it from the root (`hypfs_get_entry()`, 354: it must start
//!   with `/`; a missing name, or a leaf used as a directory, is `-ENOENT`).
//!   `hypfs_read()` (530 / 531) answers `-EINVAL` for a buffer smaller than the direntry, else
//!   writes the direntry, and then `-ENOBUFS` (550 / 551) when the buffer cannot also hold
//!   `content_len` bytes: the direntry alone says how much to ask for. Otherwise the
//!   contents follow the direntry: a leaf's bytes as stored (a string with its NUL), or for a
//!   directory (`hypfs_read_dir()`, 470 / 471) one `xen_hypfs_dirlistentry` per child, each
//!   `DIRENTRY_SIZE(strlen(name))` = 14 + the name and its NUL rounded up to 4 bytes long
//!   (line 23), in the order `add_entry()` (190) keeps them: sorted by `strcmp()`.
//!
//! libxenhypfs (`tools/libs/hypfs/core.c`, unchanged from 4.17.7 to 4.22.0) does the same:
//! `xenhypfs_read_raw()` (211–280) starts with a 4096-byte buffer and retries with
//! `sizeof(direntry) + content_len` after `-ENOBUFS`.

/// `__HYPERVISOR_hypfs_op`.
pub const HYPERVISOR_HYPFS_OP: u64 = 42;
/// `XEN_HYPFS_OP_get_version`.
pub const OP_GET_VERSION: u64 = 0;
/// `XEN_HYPFS_OP_read`.
pub const OP_READ: u64 = 1;
/// `XEN_HYPFS_VERSION`: the interface version whose operations dom0scope uses.
pub const VERSION: u32 = 1;
/// `XEN_HYPFS_MAX_PATHLEN`: the longest path Xen accepts, its NUL included.
pub const MAX_PATHLEN: usize = 1024;
/// `sizeof(struct xen_hypfs_direntry)`.
pub const DIRENTRY_SIZE: usize = 12;
/// `offsetof(struct xen_hypfs_dirlistentry, name)`.
pub const DIRLIST_NAME_OFF: usize = 14;

/// `XEN_HYPFS_TYPE_DIR`.
pub const TYPE_DIR: u8 = 0;
/// `XEN_HYPFS_TYPE_BLOB`.
pub const TYPE_BLOB: u8 = 1;
/// `XEN_HYPFS_TYPE_STRING`.
pub const TYPE_STRING: u8 = 2;
/// `XEN_HYPFS_TYPE_UINT`.
pub const TYPE_UINT: u8 = 3;
/// `XEN_HYPFS_TYPE_INT`.
pub const TYPE_INT: u8 = 4;
/// `XEN_HYPFS_TYPE_BOOL`.
pub const TYPE_BOOL: u8 = 5;
/// `XEN_HYPFS_ENC_PLAIN`.
pub const ENC_PLAIN: u8 = 0;
/// `XEN_HYPFS_ENC_GZIP`: the contents are a gzip stream (Xen's `/buildinfo/config`).
pub const ENC_GZIP: u8 = 1;

/// `struct xen_hypfs_direntry`: what an entry is, without its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Direntry {
    /// `type` (`TYPE_*`).
    pub kind: u8,
    /// `encoding` (`ENC_*`).
    pub encoding: u8,
    /// `content_len`: the length of the contents as stored (encoded).
    pub content_len: u32,
    /// `max_write_len`: 0 for a read-only entry.
    pub max_write_len: u32,
}

impl Direntry {
    /// Reads a direntry from the first [`DIRENTRY_SIZE`] bytes (`None` if there are fewer).
    /// `pad` is ignored.
    pub fn decode(b: &[u8]) -> Option<Direntry> {
        let b = b.get(..DIRENTRY_SIZE)?;
        Some(Direntry {
            kind: b[0],
            encoding: b[1],
            content_len: u32::from_le_bytes(b[4..8].try_into().expect("4 bytes")),
            max_write_len: u32::from_le_bytes(b[8..12].try_into().expect("4 bytes")),
        })
    }

    /// The bytes Xen writes for this direntry (`pad` 0).
    pub fn encode(&self) -> [u8; DIRENTRY_SIZE] {
        let mut b = [0u8; DIRENTRY_SIZE];
        b[0] = self.kind;
        b[1] = self.encoding;
        b[4..8].copy_from_slice(&self.content_len.to_le_bytes());
        b[8..12].copy_from_slice(&self.max_write_len.to_le_bytes());
        b
    }

    /// Whether it is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == TYPE_DIR
    }
}

/// One entry read with `XEN_HYPFS_OP_read`: its direntry and its contents as stored
/// (`content_len` bytes, encoded as `entry.encoding` says; a directory's are its dirlist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The direntry Xen wrote first.
    pub entry: Direntry,
    /// The bytes after it.
    pub content: Vec<u8>,
}

/// One child in a directory's contents (`struct xen_hypfs_dirlistentry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirlistEntry {
    /// The child's direntry.
    pub entry: Direntry,
    /// Its name (Xen's names are ASCII; other bytes would be replaced, lossily).
    pub name: String,
}

/// The size Xen gives a dirlist entry whose name is `name_len` bytes long
/// (`DIRENTRY_SIZE()` in `xen/common/hypfs.c`): the header, then the name and its NUL
/// rounded up to `alignof(struct xen_hypfs_direntry)` (4).
pub fn dirlist_entry_size(name_len: usize) -> usize {
    DIRLIST_NAME_OFF + (name_len + 1).next_multiple_of(4)
}

/// Why a directory's contents could not be read as a dirlist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirlistError {
    /// An entry, its name or its `off_next` runs past the contents.
    #[error("dirlist entry at offset {0} runs past the directory's contents")]
    Truncated(usize),
    /// An entry's `off_next` is too small to hold the entry.
    #[error("dirlist entry at offset {0} has an off_next smaller than the entry")]
    BadOffset(usize),
}

/// Reads a directory's contents as `xenhypfs_readdir()` walks them: entries chained by
/// `off_next` from offset 0 until one says 0; no entry when the contents are empty.
pub fn decode_dirlist(content: &[u8]) -> Result<Vec<DirlistEntry>, DirlistError> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while !content.is_empty() {
        let rest = content.get(off..).ok_or(DirlistError::Truncated(off))?;
        let entry = Direntry::decode(rest).ok_or(DirlistError::Truncated(off))?;
        let next = rest
            .get(DIRENTRY_SIZE..DIRLIST_NAME_OFF)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
            .ok_or(DirlistError::Truncated(off))?;
        let name_bytes = &rest[DIRLIST_NAME_OFF..];
        let len = name_bytes
            .iter()
            .position(|&b| b == 0)
            .ok_or(DirlistError::Truncated(off))?;
        let name = String::from_utf8_lossy(&name_bytes[..len]).into_owned();
        if next != 0 && next < DIRLIST_NAME_OFF + len + 1 {
            return Err(DirlistError::BadOffset(off));
        }
        out.push(DirlistEntry { entry, name });
        if next == 0 {
            break;
        }
        off += next;
    }
    Ok(out)
}

/// A directory's contents as `hypfs_read_dir()` writes them, for `children` in the order
/// given (Xen's is `strcmp()` order): each entry [`dirlist_entry_size`] bytes, the padding
/// after a name zero, the last entry's `off_next` 0.
pub fn encode_dirlist(children: &[(Direntry, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (e, name)) in children.iter().enumerate() {
        let size = dirlist_entry_size(name.len());
        let last = i + 1 == children.len();
        let start = out.len();
        out.extend_from_slice(&e.encode());
        let next = if last { 0 } else { size };
        out.extend_from_slice(&u16::try_from(next).unwrap_or(0).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.resize(start + size, 0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(kind: u8, len: u32, w: u32) -> Direntry {
        Direntry {
            kind,
            encoding: ENC_PLAIN,
            content_len: len,
            max_write_len: w,
        }
    }

    #[test]
    fn direntry_layout() {
        let e = Direntry {
            kind: TYPE_STRING,
            encoding: ENC_GZIP,
            content_len: 0x1234,
            max_write_len: 7,
        };
        let b = e.encode();
        assert_eq!(b, [2, 1, 0, 0, 0x34, 0x12, 0, 0, 7, 0, 0, 0]);
        assert_eq!(Direntry::decode(&b), Some(e));
        assert_eq!(Direntry::decode(&b[..11]), None);
    }

    /// `DIRENTRY_SIZE()`: "buildinfo" (9 bytes + NUL → 12) is 26 bytes, "0" (→ 4) is 18.
    #[test]
    fn dirlist_sizes_and_round_trip() {
        assert_eq!(dirlist_entry_size(9), 26);
        assert_eq!(dirlist_entry_size(1), 18);
        assert_eq!(dirlist_entry_size(3), 18);
        assert_eq!(dirlist_entry_size(4), 22);
        let kids = [
            (leaf(TYPE_DIR, 78, 0), "buildinfo"),
            (leaf(TYPE_DIR, 18, 0), "cpupool"),
            (leaf(TYPE_BOOL, 1, 1), "global-pages"),
        ];
        let b = encode_dirlist(&kids);
        assert_eq!(b.len(), 26 + 22 + 30);
        assert_eq!(&b[12..14], &26u16.to_le_bytes());
        assert_eq!(&b[14..24], b"buildinfo\0");
        assert_eq!(&b[26 + 12..26 + 14], &22u16.to_le_bytes());
        assert_eq!(&b[48 + 12..48 + 14], &0u16.to_le_bytes(), "the last says 0");
        let back = decode_dirlist(&b).unwrap();
        let names: Vec<&str> = back.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["buildinfo", "cpupool", "global-pages"]);
        assert_eq!(back[2].entry, kids[2].0);
        assert_eq!(decode_dirlist(&[]).unwrap(), []);
    }

    #[test]
    fn damaged_dirlists_are_refused() {
        let b = encode_dirlist(&[(leaf(TYPE_DIR, 0, 0), "a"), (leaf(TYPE_DIR, 0, 0), "b")]);
        assert_eq!(decode_dirlist(&b[..20]), Err(DirlistError::Truncated(18)));
        let mut bad = b.clone();
        bad[12] = 3; // off_next inside the first entry
        assert_eq!(decode_dirlist(&bad), Err(DirlistError::BadOffset(0)));
        let mut unterminated = b[..18].to_vec();
        unterminated[14..18].copy_from_slice(b"abcd");
        assert_eq!(
            decode_dirlist(&unterminated),
            Err(DirlistError::Truncated(0))
        );
    }
}

//! hypfs entries read through hypercalls, printed exactly as Xen's `xenhypfs` tool prints
//! them, so a snapshot's `xen/hypfs/` is the same whichever way it was collected.
//!
//! From xen-project/xen `tools/misc/xenhypfs.c` and `tools/libs/hypfs/core.c` (unchanged from
//! `RELEASE-4.17.7` to `RELEASE-4.22.0` but for a Makefile line; line numbers at both):
//! - `xenhypfs ls DIR` (`xenhypfs_ls()`, lines 115–135): per child `"%s r%c %s\n"`: the type
//!   label (`xenhypfs_type()`, 84–113: `<dir>   `, `<blob>  `, `<string>`, `<uint>  `,
//!   `<int>   `, `<bool>  `, all eight columns), `w` when `max_write_len` is not 0 else `-`,
//!   the name. The library first maps an unknown type, or an unknown encoding, to a blob
//!   (`xenhypfs_set_attrs()`, core.c 168–209).
//! - `xenhypfs tree` (`xenhypfs_tree()`/`xenhypfs_tree_sub()`, 137–173): `/`, then each
//!   entry depth-first in directory order, indented two spaces per level from one, a
//!   directory's name followed by `/`.
//! - `xenhypfs cat PATH` (`xenhypfs_cat()`, 33–69) prints `xenhypfs_read()`'s string and a
//!   newline. `xenhypfs_read()` (core.c 282–368) inflates a gzip-encoded entry
//!   (`xenhypfs_inflate()`, 125–166: zlib's `inflateInit2(MAX_WBITS + 32)`, gzip or zlib
//!   header, `EIO` if the stream does not end), then: a directory is `EISDIR`, a blob
//!   `EDOM`, a string is its bytes (printed up to its NUL), an unsigned integer or boolean of
//!   1, 2, 4 or 8 bytes is printed in decimal (`PRIu8`…`PRIu64`), a signed one likewise
//!   (`PRId8`…), any other size `EDOM`.

use std::collections::BTreeMap;
use std::io::{self, Read};

use dom0scope_privcmd::Errno;
use dom0scope_privcmd::abi::hypfs::{
    self, Direntry, DirlistEntry, ENC_GZIP, ENC_PLAIN, Entry, TYPE_BLOB, TYPE_BOOL, TYPE_DIR,
    TYPE_INT, TYPE_STRING, TYPE_UINT,
};

/// The largest inflated entry printed (Xen's configuration is tens of KiB).
const MAX_INFLATED: u64 = 64 << 20;

/// The type and encoding as `xenhypfs_set_attrs()` leaves them: an unknown type, or any
/// encoding but plain and gzip, is a blob.
fn attrs(e: &Direntry) -> (u8, u8) {
    match (e.kind, e.encoding) {
        (_, ENC_PLAIN | ENC_GZIP) if e.kind <= TYPE_BOOL => (e.kind, e.encoding),
        (_, ENC_PLAIN | ENC_GZIP) => (TYPE_BLOB, e.encoding),
        _ => (TYPE_BLOB, ENC_PLAIN),
    }
}

/// `xenhypfs_type()`'s label, eight columns wide.
fn label(kind: u8) -> &'static str {
    match kind {
        TYPE_DIR => "<dir>   ",
        TYPE_BLOB => "<blob>  ",
        TYPE_STRING => "<string>",
        TYPE_UINT => "<uint>  ",
        TYPE_INT => "<int>   ",
        TYPE_BOOL => "<bool>  ",
        _ => "<???>   ",
    }
}

/// The line `xenhypfs ls` prints for one child.
pub(crate) fn ls_line(d: &DirlistEntry) -> String {
    let w = if d.entry.max_write_len != 0 { 'w' } else { '-' };
    format!("{} r{w} {}\n", label(attrs(&d.entry).0), d.name)
}

/// What `xenhypfs cat` prints for an entry, or the errno `xenhypfs_read()` fails with.
pub(crate) fn cat(e: &Entry) -> io::Result<Vec<u8>> {
    let (kind, encoding) = attrs(&e.entry);
    let inflated;
    let data: &[u8] = if encoding == ENC_GZIP {
        inflated = inflate(&e.content)?;
        &inflated
    } else {
        &e.content
    };
    let mut out = match kind {
        TYPE_DIR => return Err(Errno::ISDIR.into()),
        TYPE_STRING => data[..data.iter().position(|&b| b == 0).unwrap_or(data.len())].to_vec(),
        TYPE_UINT | TYPE_BOOL => match *data {
            [a] => a.to_string(),
            [a, b] => u16::from_le_bytes([a, b]).to_string(),
            [a, b, c, d] => u32::from_le_bytes([a, b, c, d]).to_string(),
            [a, b, c, d, e, f, g, h] => u64::from_le_bytes([a, b, c, d, e, f, g, h]).to_string(),
            _ => return Err(Errno::DOM.into()),
        }
        .into_bytes(),
        TYPE_INT => match *data {
            [a] => i8::from_le_bytes([a]).to_string(),
            [a, b] => i16::from_le_bytes([a, b]).to_string(),
            [a, b, c, d] => i32::from_le_bytes([a, b, c, d]).to_string(),
            [a, b, c, d, e, f, g, h] => i64::from_le_bytes([a, b, c, d, e, f, g, h]).to_string(),
            _ => return Err(Errno::DOM.into()),
        }
        .into_bytes(),
        _ => return Err(Errno::DOM.into()),
    };
    out.push(b'\n');
    Ok(out)
}

/// Inflates a gzip (or zlib) stream as `xenhypfs_inflate()` does: the first stream only,
/// `EIO` unless it ends.
fn inflate(z: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let eio = |_| io::Error::from(Errno::IO);
    if z.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(z)
            .take(MAX_INFLATED)
            .read_to_end(&mut out)
            .map_err(eio)?;
    } else {
        flate2::read::ZlibDecoder::new(z)
            .take(MAX_INFLATED)
            .read_to_end(&mut out)
            .map_err(eio)?;
    }
    Ok(out)
}

/// What `xenhypfs tree` prints, from every directory's children (name, is a directory) in
/// directory order; `None` when a directory it would descend into was not listed (the tool
/// would have failed there too, or collect stopped its walk).
pub(crate) fn tree(dirs: &BTreeMap<String, Vec<(String, bool)>>) -> Option<Vec<u8>> {
    fn sub(
        dirs: &BTreeMap<String, Vec<(String, bool)>>,
        path: &str,
        depth: usize,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        for (name, is_dir) in dirs.get(path)? {
            let slash = if *is_dir { "/" } else { "" };
            out.extend_from_slice(format!("{:w$}{name}{slash}\n", "", w = depth * 2).as_bytes());
            if *is_dir {
                let child = if path == "/" {
                    format!("/{name}")
                } else {
                    format!("{path}/{name}")
                };
                sub(dirs, &child, depth + 1, out)?;
            }
        }
        Some(())
    }
    let mut out = b"/\n".to_vec();
    sub(dirs, "/", 1, &mut out)?;
    Some(out)
}

/// The children of a directory read with `XEN_HYPFS_OP_read`, for [`ls_line`] and the walk.
pub(crate) fn dirlist(e: &Entry) -> Result<Vec<DirlistEntry>, String> {
    if !e.entry.is_dir() || e.entry.encoding != ENC_PLAIN {
        return Err("not a directory (ENOTDIR)".into());
    }
    hypfs::decode_dirlist(&e.content).map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn entry(kind: u8, encoding: u8, content: &[u8]) -> Entry {
        Entry {
            entry: Direntry {
                kind,
                encoding,
                content_len: content.len() as u32,
                max_write_len: 0,
            },
            content: content.to_vec(),
        }
    }

    fn errno(r: io::Result<Vec<u8>>) -> Option<i32> {
        r.unwrap_err().raw_os_error()
    }

    #[test]
    fn ls_lines_as_xenhypfs_prints_them() {
        let d = |kind, encoding, w, name: &str| DirlistEntry {
            entry: Direntry {
                kind,
                encoding,
                content_len: 1,
                max_write_len: w,
            },
            name: name.into(),
        };
        assert_eq!(
            ls_line(&d(TYPE_DIR, 0, 0, "buildinfo")),
            "<dir>    r- buildinfo\n"
        );
        assert_eq!(
            ls_line(&d(TYPE_STRING, 0, 64, "loglvl")),
            "<string> rw loglvl\n"
        );
        assert_eq!(ls_line(&d(TYPE_UINT, 0, 0, "major")), "<uint>   r- major\n");
        assert_eq!(
            ls_line(&d(TYPE_BOOL, 0, 1, "global-pages")),
            "<bool>   rw global-pages\n"
        );
        assert_eq!(ls_line(&d(TYPE_INT, 0, 0, "i")), "<int>    r- i\n");
        assert_eq!(ls_line(&d(TYPE_BLOB, 0, 0, "b")), "<blob>   r- b\n");
        // Unknown types and encodings are blobs to the library.
        assert_eq!(ls_line(&d(9, 0, 0, "x")), "<blob>   r- x\n");
        assert_eq!(ls_line(&d(TYPE_STRING, 7, 0, "y")), "<blob>   r- y\n");
    }

    #[test]
    fn cat_as_xenhypfs_prints_it() {
        assert_eq!(
            cat(&entry(TYPE_STRING, 0, b"all/all\0")).unwrap(),
            b"all/all\n"
        );
        assert_eq!(cat(&entry(TYPE_STRING, 0, b"\0")).unwrap(), b"\n");
        assert_eq!(
            cat(&entry(TYPE_UINT, 0, &17u32.to_le_bytes())).unwrap(),
            b"17\n"
        );
        assert_eq!(
            cat(&entry(TYPE_UINT, 0, &[0xff; 8])).unwrap(),
            b"18446744073709551615\n"
        );
        assert_eq!(cat(&entry(TYPE_BOOL, 0, &[1])).unwrap(), b"1\n");
        assert_eq!(
            cat(&entry(TYPE_INT, 0, &(-2i16).to_le_bytes())).unwrap(),
            b"-2\n"
        );
        let edom = Some(Errno::DOM.raw_os_error());
        assert_eq!(errno(cat(&entry(TYPE_UINT, 0, &[1, 2, 3]))), edom);
        assert_eq!(errno(cat(&entry(TYPE_BLOB, 0, b"x"))), edom);
        assert_eq!(
            errno(cat(&entry(TYPE_DIR, 0, b""))),
            Some(Errno::ISDIR.raw_os_error())
        );
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"CONFIG_X86=y\n").unwrap();
        let gz = z.finish().unwrap();
        assert_eq!(
            cat(&entry(TYPE_STRING, ENC_GZIP, &gz)).unwrap(),
            b"CONFIG_X86=y\n\n"
        );
        assert_eq!(
            errno(cat(&entry(TYPE_STRING, ENC_GZIP, &gz[..gz.len() - 9]))),
            Some(Errno::IO.raw_os_error())
        );
    }

    #[test]
    fn tree_as_xenhypfs_prints_it() {
        let mut dirs = BTreeMap::new();
        let kids = |v: &[(&str, bool)]| v.iter().map(|(n, d)| (n.to_string(), *d)).collect();
        dirs.insert("/".into(), kids(&[("buildinfo", true), ("params", true)]));
        dirs.insert(
            "/buildinfo".into(),
            kids(&[("changeset", false), ("version", true)]),
        );
        dirs.insert("/buildinfo/version".into(), kids(&[("major", false)]));
        dirs.insert("/params".into(), kids(&[]));
        assert_eq!(
            String::from_utf8(tree(&dirs).unwrap()).unwrap(),
            "/\n  buildinfo/\n    changeset\n    version/\n      major\n  params/\n"
        );
        dirs.remove("/params");
        assert_eq!(tree(&dirs), None);
    }
}

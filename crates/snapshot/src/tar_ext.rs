//! The tar extension headers that describe the member after them: GNU long names (`L`) and
//! long link targets (`K`), PAX local (`x`) and global (`g`) records. The `tar` crate reads
//! these whole, at whatever size they claim (a long name claiming 1 GiB became a 1 GiB buffer
//! and 3.2 GB of RSS), so archives are iterated raw and the extensions are read here, each at
//! most [`MAX_EXTENSION_BYTES`]. A larger one is not read at all: it stops the archive read,
//! reported with its byte offset, because the member it describes cannot be named.

use std::io::Read;

use tar::EntryType;

/// Largest extension header read. A real one holds a path (Linux's `PATH_MAX` is 4096) or a
/// few PAX records.
pub(crate) const MAX_EXTENSION_BYTES: u64 = 64 << 10;

/// Extensions read so far for the next member.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax: Option<Vec<u8>>,
    /// Where the first of them starts.
    at: Option<u64>,
}

/// A member's name and link target after its extensions, and what of PAX matters here.
#[derive(Debug)]
pub(crate) struct Member {
    /// The path bytes: PAX `path`, else the GNU long name, else the header's.
    pub path: Vec<u8>,
    /// The link target of a link: PAX `linkpath`, else the GNU long link, else the header's.
    pub link: Option<Vec<u8>>,
    /// A PAX `size` record, which would override the header's size.
    pub pax_size: Option<u64>,
    /// PAX `GNU.sparse.*` records: a sparse file, whose data is a map and fragments.
    pub pax_sparse: bool,
}

/// What one raw header turned out to be.
#[derive(Debug)]
pub(crate) enum Step {
    /// An extension header, read and kept for the next member.
    Extension,
    /// A member, with its extensions applied.
    Member(Member),
    /// The archive cannot be followed past this header: why, for the report.
    Stop(String),
}

fn extension_kind(t: EntryType) -> Option<&'static str> {
    match t {
        EntryType::GNULongName => Some("GNU long-name"),
        EntryType::GNULongLink => Some("GNU long-link"),
        EntryType::XHeader => Some("PAX"),
        EntryType::XGlobalHeader => Some("PAX global"),
        _ => None,
    }
}

impl Pending {
    /// Where the pending extensions start, if any are pending.
    pub(crate) fn started_at(&self) -> Option<u64> {
        self.at
    }

    /// Reads the raw header `entry` at byte `at`: keeps an extension, or returns the member it
    /// was waiting for.
    pub(crate) fn step<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>, at: u64) -> Step {
        let header = entry.header();
        let Some(kind) = extension_kind(header.entry_type()) else {
            return self.member(header);
        };
        let size = entry.size();
        if size > MAX_EXTENSION_BYTES {
            return Step::Stop(format!(
                "archive header at byte {at}: a {kind} header of {size} bytes (more than \
                 {MAX_EXTENSION_BYTES}); not read, and the archive was not read past it"
            ));
        }
        let mut global = None;
        let slot = match header.entry_type() {
            EntryType::GNULongName => &mut self.long_name,
            EntryType::GNULongLink => &mut self.long_link,
            EntryType::XHeader => &mut self.pax,
            // Global PAX records set defaults (times, owners) that nothing here uses.
            _ => &mut global,
        };
        if slot.is_some() {
            return Step::Stop(format!(
                "archive header at byte {at}: a second {kind} header for one member; the \
                 archive was not read past it"
            ));
        }
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        if let Err(e) = entry.take(MAX_EXTENSION_BYTES).read_to_end(&mut data) {
            return Step::Stop(format!(
                "archive truncated or damaged inside the {kind} header at byte {at} ({e}); \
                 members after that point are missing"
            ));
        }
        if (data.len() as u64) < size {
            return Step::Stop(format!(
                "archive truncated inside the {kind} header at byte {at}; members after that \
                 point are missing"
            ));
        }
        *slot = Some(data);
        self.at.get_or_insert(at);
        Step::Extension
    }

    fn member(&mut self, header: &tar::Header) -> Step {
        let Pending {
            long_name,
            long_link,
            pax,
            at,
        } = std::mem::take(self);
        let mut m = Member {
            path: long_name.map_or_else(|| header.path_bytes().into_owned(), trim_nul),
            link: long_link
                .map(trim_nul)
                .or_else(|| header.link_name_bytes().map(|l| l.into_owned())),
            pax_size: None,
            pax_sparse: false,
        };
        for record in tar::PaxExtensions::new(pax.as_deref().unwrap_or_default()) {
            let Ok(record) = record else {
                return Step::Stop(format!(
                    "archive header at byte {}: a malformed PAX record; the archive was not \
                     read past it",
                    at.unwrap_or_default()
                ));
            };
            match record.key_bytes() {
                b"path" => m.path = record.value_bytes().to_vec(),
                b"linkpath" => m.link = Some(record.value_bytes().to_vec()),
                b"size" => {
                    let size = record.value().ok().and_then(|v| v.parse().ok());
                    m.pax_size = Some(size.unwrap_or(u64::MAX));
                }
                k if k.starts_with(b"GNU.sparse.") => m.pax_sparse = true,
                _ => {}
            }
        }
        Step::Member(m)
    }
}

/// A GNU long name or link ends with a NUL (or several) that is not part of it.
fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

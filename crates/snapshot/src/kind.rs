//! Telling a bare log from a file that is not text at all (an executable, an image, a
//! compressed file dom0scope does not read), so it is refused with what it is instead of being
//! scanned for stray `(XEN)` strings.

/// How much of the start of a file is looked at.
pub(crate) const SNIFF: usize = 64 << 10;

/// Known binary formats by their first bytes.
const MAGIC: &[(&[u8], &str)] = &[
    (b"\x7fELF", "an ELF executable or object file"),
    (b"MZ", "a DOS/PE executable"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\x89PNG", "a PNG image"),
    (
        b"\xfd7zXZ\x00",
        "an xz-compressed file (decompress it, or give a .tar.gz)",
    ),
    (
        b"BZh",
        "a bzip2-compressed file (decompress it, or give a .tar.gz)",
    ),
    (
        b"\x28\xb5\x2f\xfd",
        "a zstd-compressed file (decompress it, or give a .tar.gz)",
    ),
];

/// What the bytes are when they are not text a log could be; None for text. Besides known
/// formats, more than one byte in eight being a control character other than tab, newline,
/// carriage return, backspace, form feed or escape (which serial captures carry) is binary.
pub(crate) fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    if let Some((_, what)) = MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Some(what);
    }
    let head = &bytes[..bytes.len().min(SNIFF)];
    let control = head
        .iter()
        .filter(|&&b| {
            (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x08 | 0x0c | 0x1b)) || b == 0x7f
        })
        .count();
    (control * 8 > head.len()).then_some("binary data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_serial_noise_pass_binary_does_not() {
        assert_eq!(binary_kind(b"(XEN) Xen version 4.17.7\n"), None);
        // A serial capture with escape sequences, a stray NUL and backspaces is still text.
        let mut log = b"\x1b[0m(XEN) Command line: placeholder\r\n\x00\x08".to_vec();
        log.extend(b"(XEN) x\n".repeat(20));
        assert_eq!(binary_kind(&log), None);
        assert_eq!(
            binary_kind(b"\x7fELF\x02\x01\x01\x00(XEN)"),
            Some("an ELF executable or object file")
        );
        assert_eq!(binary_kind(&[0u8; 100]), Some("binary data"));
        assert_eq!(binary_kind(b""), None);
    }
}

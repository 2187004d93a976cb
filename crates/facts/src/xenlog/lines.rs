//! Splitting a capture into Xen console lines. A capture may be `xl dmesg`
//! output, a serial log with host timestamps, or a mix with dom0 console lines;
//! Xen's lines are the ones carrying the `(XEN)` prefix, wherever it starts (a serial
//! capture can glue it to firmware output), except right after a quote mark or backtick:
//! that is a document quoting Xen (a README, an issue), not Xen's console.

/// Lines longer than this are not Xen console lines (Xen's own lines are at most a
/// few KiB even for a large rangeset); they are skipped with a warning.
pub const MAX_LINE: usize = 1 << 20;

/// One Xen console line.
#[derive(Debug, Clone, Copy)]
pub struct XenLine<'a> {
    /// 1-based line number in the artifact.
    pub no: u32,
    /// Text after `(XEN) ` and any console timestamp. Leading spaces are kept:
    /// they distinguish E820 entries from headers.
    pub body: &'a str,
}

/// Result of scanning a capture.
#[derive(Debug, Default)]
pub struct Scan<'a> {
    /// The `(XEN)` lines, in order.
    pub lines: Vec<XenLine<'a>>,
    /// Lines in the capture (a trailing newline does not start another).
    pub total_lines: u32,
    /// Line numbers of lines skipped for being longer than [`MAX_LINE`].
    pub overlong: Vec<u32>,
    /// Line numbers of lines whose `(XEN)` is quoted (after `` ` ``, `"` or `'`).
    pub quoted: Vec<u32>,
}

/// Finds the Xen lines in `text`.
pub fn scan(text: &str) -> Scan<'_> {
    let mut out = Scan::default();
    for (i, raw) in text.split('\n').enumerate() {
        let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        out.total_lines = no;
        if raw.len() > MAX_LINE {
            out.overlong.push(no);
            continue;
        }
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match xen_body(raw) {
            Some(Prefix::Console(body)) => out.lines.push(XenLine { no, body }),
            Some(Prefix::Quoted) => out.quoted.push(no),
            None => {}
        }
    }
    if text.ends_with('\n') {
        out.total_lines = out.total_lines.saturating_sub(1);
    }
    out
}

/// Where a line's `(XEN)` stands.
enum Prefix<'a> {
    /// Xen's console: the part after `(XEN)` and an optional console timestamp.
    Console(&'a str),
    /// Quoted in prose.
    Quoted,
}

fn xen_body(raw: &str) -> Option<Prefix<'_>> {
    let at = raw.find("(XEN)")?;
    if matches!(raw[..at].chars().next_back(), Some('`' | '"' | '\'')) {
        return Some(Prefix::Quoted);
    }
    let rest = &raw[at + 5..];
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    Some(Prefix::Console(strip_timestamp(rest)))
}

/// Strips a `console_timestamps=` prefix: `[YYYY-MM-DD HH:MM:SS(.mmm)] `,
/// `[ sssss.uuuuuu] ` or raw `[%016llx] ` (Xen `printk_start_of_line()`).
fn strip_timestamp(s: &str) -> &str {
    let Some(inner) = s.strip_prefix('[') else {
        return s;
    };
    let Some(close) = inner.get(..40).unwrap_or(inner).find(']') else {
        return s;
    };
    let ts = &inner[..close];
    let after = &inner[close + 1..];
    let is_ts = !ts.is_empty()
        && !ts.contains(',')
        && ts
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b' ' | b'.' | b'-' | b':'))
        && (after.is_empty() || after.starts_with(' '));
    if is_ts {
        after.strip_prefix(' ').unwrap_or(after)
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_xen_prefix_anywhere_and_strips_timestamps() {
        let text = "[   0.138] Booting from ROM..(XEN) Xen version 4.17.7 (x)\n\
                    (XEN) [0000001b48040516] Xen-e820 RAM map:\n\
                    (XEN) [    4.864089]  - Dom0 mode: Relaxed\n\
                    (XEN) [2022-01-18 10:40:41.297] *** Building a PV Dom0 ***\n\
                    (XEN)  [0000000000000000, 000000000009fbff] (usable)\n\
                    [    0.000000] Linux version 6.1\n";
        let s = scan(text);
        let bodies: Vec<_> = s.lines.iter().map(|l| (l.no, l.body)).collect();
        assert_eq!(
            bodies,
            vec![
                (1, "Xen version 4.17.7 (x)"),
                (2, "Xen-e820 RAM map:"),
                (3, " - Dom0 mode: Relaxed"),
                (4, "*** Building a PV Dom0 ***"),
                (5, " [0000000000000000, 000000000009fbff] (usable)"),
            ]
        );
        assert_eq!(s.total_lines, 6);
    }

    #[test]
    fn e820_entry_after_timestamp_keeps_its_leading_space() {
        let s = scan("(XEN) [    1.000000]  [0000000000000000, 000000000009fbff] (usable)");
        assert_eq!(
            s.lines[0].body,
            " [0000000000000000, 000000000009fbff] (usable)"
        );
    }

    #[test]
    fn overlong_lines_are_skipped_and_counted() {
        let long = "x".repeat(MAX_LINE + 1);
        let text = format!("(XEN) a\n{long}\n(XEN) b\n");
        let s = scan(&text);
        assert_eq!(s.lines.len(), 2);
        assert_eq!(s.overlong, vec![2]);
    }

    #[test]
    fn crlf_is_tolerated() {
        let s = scan("(XEN) Bootloader: qemu\r\n");
        assert_eq!(s.lines[0].body, "Bootloader: qemu");
    }

    #[test]
    fn quoted_prefix_is_prose_not_console() {
        let s =
            scan("Xen saw it: `(XEN) ACPI: DMAR 7FFE2349, 0078`\nsay \"(XEN) x\"\n(XEN) real\n");
        assert_eq!(s.quoted, vec![1, 2]);
        assert_eq!(s.lines.len(), 1);
        assert_eq!(s.lines[0].no, 3);
    }
}

//! Text for a terminal that cannot be steered by what a snapshot holds.
//!
//! A snapshot is written by whoever controls dom0, and its log lines, file names and
//! manifest fields end up in reports. A cursor movement or line erase hidden in a Xen log
//! line would rewrite the report on the operator's screen (`ESC [1A ESC [2K` hides the line
//! above), a carriage return overprints, and a bidirectional override reorders what is
//! read. So every text output passes through [`for_terminal`] on its way out, in one place,
//! instead of each renderer remembering to escape each field.
//!
//! Only SGR sequences (`ESC [ digits/semicolons m`: colour and weight, which the text
//! renderer itself emits) pass; one injected by a snapshot can change a colour and nothing
//! else. Everything else that a terminal interprets is shown as a visible escape.

use std::borrow::Cow;
use std::fmt::Write;

/// Longest SGR sequence let through (ours are well under this).
const MAX_SGR: usize = 32;

/// `text` with every control character except newline and tab, every escape sequence
/// other than SGR, and every bidirectional control shown as `\xNN` / `\u{NNNN}`.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b'
            && let Some(len) = sgr_len(rest)
        {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        if needs_escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// The length of an SGR sequence at the start of `s`, if one is there.
fn sgr_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("\x1b[")?;
    let params = body
        .bytes()
        .take(MAX_SGR)
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (body.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

fn needs_escape(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        // C0 controls (incl. ESC, CR, BS, BEL), DEL and the C1 controls.
        c if c.is_control() => true,
        // Bidirectional embeddings, overrides and isolates; the marks and line/paragraph
        // separators that reorder or break a line.
        '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

fn push_escaped(out: &mut String, c: char) {
    // Infallible: writing to a String.
    let _ = if (c as u32) < 0x100 {
        write!(out, "\\x{:02x}", c as u32)
    } else {
        write!(out, "\\u{{{:04x}}}", c as u32)
    };
}

#[cfg(test)]
mod tests {
    use super::for_terminal;

    #[test]
    fn plain_text_is_borrowed() {
        let s = "(XEN) Xen version 4.17.7\n\tindented\n";
        assert!(matches!(for_terminal(s), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn cursor_movement_and_erase_are_shown_not_obeyed() {
        let s = "(XEN) ok\x1b[1A\x1b[2Kgone";
        assert_eq!(for_terminal(s), "(XEN) ok\\x1b[1A\\x1b[2Kgone");
    }

    #[test]
    fn colour_passes_and_only_colour() {
        assert_eq!(
            for_terminal("\x1b[1;31mCRIT\x1b[0m"),
            "\x1b[1;31mCRIT\x1b[0m"
        );
        // An OSC (title, hyperlink) and a bare ESC are escaped.
        assert_eq!(for_terminal("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
        assert_eq!(for_terminal("a\x1b"), "a\\x1b");
        // An endless parameter list is not taken for SGR.
        let long = format!("\x1b[{}m", "1;".repeat(40));
        assert!(for_terminal(&long).starts_with("\\x1b["));
    }

    #[test]
    fn carriage_return_c1_and_bidi_are_escaped() {
        assert_eq!(for_terminal("a\rb"), "a\\x0db");
        assert_eq!(for_terminal("a\u{9b}2J"), "a\\x9b2J");
        assert_eq!(for_terminal("x\u{202e}y\u{2066}"), "x\\u{202e}y\\u{2066}");
        assert_eq!(for_terminal("del\x7f"), "del\\x7f");
    }
}

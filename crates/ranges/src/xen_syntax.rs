//! Xen's rangeset text syntax, as printed by `rangeset_printk` in Xen's `common/rangeset.c`:
//! `{ 0-1f, 22-3f, 44 }`, and `{ }` when empty.

use std::fmt::Write as _;

use crate::{RangeInt, RangeSet};

/// Number base of a Xen rangeset dump: Xen prints I/O memory and I/O ports in hex (without
/// `0x`) and interrupts in decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Radix {
    /// Base 16, digits `0-9a-f` (upper case accepted when parsing), no prefix.
    Hex,
    /// Base 10.
    Decimal,
}

impl Radix {
    fn base(self) -> u64 {
        match self {
            Radix::Hex => 16,
            Radix::Decimal => 10,
        }
    }

    fn digit(self, b: u8) -> Option<u64> {
        let d = char::from(b).to_digit(self.base() as u32)?;
        Some(u64::from(d))
    }

    fn name(self) -> &'static str {
        match self {
            Radix::Hex => "hex",
            Radix::Decimal => "decimal",
        }
    }
}

/// A malformed rangeset text, located at a byte offset into the parsed string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {message}")]
pub struct XenSyntaxError {
    /// Byte offset into the parsed text (a char boundary, at most the text's length).
    pub offset: usize,
    /// What was wrong there.
    pub message: String,
}

pub(crate) fn format<T: RangeInt>(set: &RangeSet<T>, radix: Radix) -> String {
    let mut out = String::from("{");
    for (i, r) in set.ranges().enumerate() {
        out.push_str(if i == 0 { " " } else { ", " });
        push_value(&mut out, *r.start(), radix);
        if r.start() != r.end() {
            out.push('-');
            push_value(&mut out, *r.end(), radix);
        }
    }
    out.push_str(" }");
    out
}

fn push_value<T: RangeInt>(out: &mut String, v: T, radix: Radix) {
    // Writing to a String cannot fail.
    let _ = match radix {
        Radix::Hex => write!(out, "{v:x}"),
        Radix::Decimal => write!(out, "{v}"),
    };
}

pub(crate) fn parse<T: RangeInt>(text: &str, radix: Radix) -> Result<RangeSet<T>, XenSyntaxError> {
    let mut p = Parser {
        text,
        pos: 0,
        radix,
    };
    p.skip_ws();
    if p.peek() != Some(b'{') {
        return Err(p.unexpected("'{'"));
    }
    p.pos += 1;
    let mut set = RangeSet::new();
    loop {
        p.skip_ws();
        // Reached at the start and after each comma, so `{ }` and a trailing comma both end here.
        if p.peek() == Some(b'}') {
            p.pos += 1;
            break;
        }
        let elem_at = p.pos;
        let start: T = p.value()?;
        p.skip_ws();
        let end = if p.peek() == Some(b'-') {
            p.pos += 1;
            p.skip_ws();
            p.value()?
        } else {
            start
        };
        if start > end {
            return Err(p.error_at(elem_at, "range start is greater than its end".into()));
        }
        set.insert(start..=end);
        p.skip_ws();
        match p.peek() {
            Some(b',') => p.pos += 1,
            Some(b'}') => {
                p.pos += 1;
                break;
            }
            _ => return Err(p.unexpected("',' or '}'")),
        }
    }
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.unexpected("end of input after '}'"));
    }
    Ok(set)
}

/// A byte cursor over the text. It only ever steps over ASCII bytes, so `pos` is always a
/// char boundary, and errors can quote the character found there.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
    radix: Radix,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// One unsigned number in the parser's radix, checked against `T`'s range. Leading zeros
    /// are fine; only the value must fit.
    fn value<T: RangeInt>(&mut self) -> Result<T, XenSyntaxError> {
        let at = self.pos;
        let mut acc: Option<u64> = Some(0);
        while let Some(d) = self.peek().and_then(|b| self.radix.digit(b)) {
            acc = acc
                .and_then(|a| a.checked_mul(self.radix.base()))
                .and_then(|a| a.checked_add(d));
            self.pos += 1;
        }
        if self.pos == at {
            let what = format!("a {} number", self.radix.name());
            return Err(self.unexpected(&what));
        }
        match acc.and_then(|v| T::try_from(v).ok()) {
            Some(v) => Ok(v),
            None => {
                let max = T::max_value();
                let max = match self.radix {
                    Radix::Hex => format!("{max:x}"),
                    Radix::Decimal => format!("{max}"),
                };
                Err(self.error_at(at, format!("number is larger than the maximum {max}")))
            }
        }
    }

    fn error_at(&self, offset: usize, message: String) -> XenSyntaxError {
        XenSyntaxError { offset, message }
    }

    fn unexpected(&self, expected: &str) -> XenSyntaxError {
        let found = match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) => format!("{c:?}"),
            None if self.pos >= self.text.len() => "end of input".to_owned(),
            None => "a non-character byte".to_owned(),
        };
        self.error_at(self.pos, format!("expected {expected}, found {found}"))
    }
}

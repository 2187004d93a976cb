//! Numbers as people and Xen's tools write them in dom0scope's inputs (the command line,
//! policy files, plans, Xen's command-line options): `0x`/`0X` then hex, else decimal. One
//! reader, so `0X8F` means the same everywhere.

use std::ops::RangeInclusive;

/// `0x8f`, `0X8F` or `143`, surrounding white space ignored.
#[must_use]
pub fn parse_number(s: &str) -> Option<u64> {
    let s = s.trim();
    // Digits only: Rust's integer parsing would also take a leading `+`.
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) if h.bytes().all(|b| b.is_ascii_hexdigit()) => u64::from_str_radix(h, 16).ok(),
        None if s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        _ => None,
    }
}

/// `0xa0-0xbf` or `0xa0` (one number): an inclusive range, None when either end is not a
/// number or the range is backwards.
#[must_use]
pub fn parse_number_range(s: &str) -> Option<RangeInclusive<u64>> {
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (parse_number(a)?, parse_number(b)?),
        None => {
            let n = parse_number(s)?;
            (n, n)
        }
    };
    (a <= b).then_some(a..=b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("0x8f"), Some(0x8f));
        assert_eq!(parse_number(" 0X8F "), Some(0x8f));
        assert_eq!(parse_number("143"), Some(143));
        assert_eq!(parse_number("0xffffffffffffffff"), Some(u64::MAX));
        assert_eq!(parse_number("0x1ffffffffffffffff"), None);
        assert_eq!(parse_number("8f"), None);
        assert_eq!(parse_number("0x"), None);
        assert_eq!(parse_number("-1"), None);
        assert_eq!(parse_number("+5"), None);
        assert_eq!(parse_number("0x+5"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_number_range("0xa0-0xbf"), Some(0xa0..=0xbf));
        assert_eq!(parse_number_range("146"), Some(146..=146));
        assert_eq!(parse_number_range(" 0xa0 - 0xbf "), Some(0xa0..=0xbf));
        assert_eq!(parse_number_range("0xbf-0xa0"), None);
        assert_eq!(parse_number_range("0xa0-"), None);
        assert_eq!(parse_number_range("-0xa0"), None);
    }
}

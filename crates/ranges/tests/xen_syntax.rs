//! Xen rangeset text: real dumps, Xen's exact output format, and every rejection path.

use dom0scope_ranges::{FrameSet, IrqSet, PortSet, Radix, XenSyntaxError};

/// Parses, checks the ranges, and checks that printing gives back Xen's exact text.
fn check_real_dump<T>(text: &str, radix: Radix, want: &[(T, T)])
where
    T: dom0scope_ranges::RangeInt,
{
    let set = dom0scope_ranges::RangeSet::<T>::parse_xen(text, radix).unwrap();
    let got: Vec<(T, T)> = set.ranges().map(|r| (*r.start(), *r.end())).collect();
    assert_eq!(got, want);
    assert_eq!(set.to_xen(radix), text);
}

#[test]
fn real_io_ports_dump() {
    check_real_dump::<u16>(
        "{ 0-1f, 22-3f, 44-60, 62-9f, a2-3f7, 400-607, 60c-cfb, d00-ffff }",
        Radix::Hex,
        &[
            (0, 0x1f),
            (0x22, 0x3f),
            (0x44, 0x60),
            (0x62, 0x9f),
            (0xa2, 0x3f7),
            (0x400, 0x607),
            (0x60c, 0xcfb),
            (0xd00, 0xffff),
        ],
    );
}

#[test]
fn real_interrupts_dump() {
    check_real_dump::<u32>("{ 1-23 }", Radix::Decimal, &[(1, 23)]);
}

#[test]
fn real_io_memory_dump_reaches_u64_max() {
    let text = "{ 0-fe200, fe203-ff841, ff849-ffffffffffffffff }";
    check_real_dump::<u64>(
        text,
        Radix::Hex,
        &[(0, 0xfe200), (0xfe203, 0xff841), (0xff849, u64::MAX)],
    );
    let set = FrameSet::parse_xen(text, Radix::Hex).unwrap();
    assert_eq!(set.count(), (1u128 << 64) - 2 - 7);
    assert!(!set.contains(0xfe201));
    assert!(set.contains(u64::MAX));
}

#[test]
fn design_doc_example() {
    check_real_dump::<u64>(
        "{ 0-fedff, fef00-fcfffff }",
        Radix::Hex,
        &[(0, 0xfedff), (0xfef00, 0xfcfffff)],
    );
}

#[test]
fn empty_set_prints_and_parses_as_xen_does() {
    assert_eq!(PortSet::new().to_xen(Radix::Hex), "{ }");
    assert!(PortSet::parse_xen("{ }", Radix::Hex).unwrap().is_empty());
    assert!(IrqSet::parse_xen("{}", Radix::Decimal).unwrap().is_empty());
}

#[test]
fn single_element_prints_without_dash() {
    let set = IrqSet::from_ranges([1..=1, 3..=5]);
    assert_eq!(set.to_xen(Radix::Decimal), "{ 1, 3-5 }");
    assert_eq!(
        IrqSet::parse_xen("{ 1, 3-5 }", Radix::Decimal).unwrap(),
        set
    );
}

#[test]
fn tolerates_whitespace_case_and_trailing_comma() {
    let want = PortSet::from_ranges([0x1..=0x1, 0x3..=0x5, 0xcf8..=0xcff]);
    for text in [
        "{1,3-5,cf8-cff}",
        "  {  1 ,3 - 5,\tCF8-cFf , }\n",
        "{ 1, 3-5, cf8-cff, }",
        "{\n 1,\n 3-5,\n cf8-cff\n}",
        "{ 0001, 3-0005, cf8-cff }",
    ] {
        assert_eq!(
            PortSet::parse_xen(text, Radix::Hex).unwrap(),
            want,
            "{text:?}"
        );
    }
}

#[test]
fn unsorted_and_overlapping_input_is_merged() {
    let set = PortSet::parse_xen("{ 10-20, 0-f, 15-30, 31 }", Radix::Hex).unwrap();
    assert_eq!(set.to_xen(Radix::Hex), "{ 0-31 }");
}

fn err<T: dom0scope_ranges::RangeInt>(text: &str, radix: Radix) -> XenSyntaxError {
    match dom0scope_ranges::RangeSet::<T>::parse_xen(text, radix) {
        Ok(s) => panic!("{text:?} parsed as {s:?}"),
        Err(e) => e,
    }
}

#[test]
fn rejects_port_overflow_at_the_number() {
    let e = err::<u16>("{ 0-1f, 20-10000 }", Radix::Hex);
    assert_eq!(e.offset, 11);
    assert!(e.message.contains("maximum ffff"), "{e}");
    assert_eq!(err::<u16>("{ 10000 }", Radix::Hex).offset, 2);
}

#[test]
fn rejects_u64_and_u32_overflow() {
    assert_eq!(err::<u64>("{ 0-10000000000000000 }", Radix::Hex).offset, 4);
    let e = err::<u32>("{ 4294967296 }", Radix::Decimal);
    assert_eq!(e.offset, 2);
    assert!(e.message.contains("maximum 4294967295"), "{e}");
    // Leading zeros do not count as overflow.
    let s = FrameSet::parse_xen("{ 00000000000000000000ffffffffffffffff }", Radix::Hex).unwrap();
    assert!(s.contains(u64::MAX));
}

#[test]
fn rejects_reversed_range_at_its_start() {
    let e = err::<u32>("{ 1, 9-3 }", Radix::Decimal);
    assert_eq!(e.offset, 5);
    assert!(e.message.contains("greater"), "{e}");
}

#[test]
fn rejects_garbage_with_offsets() {
    let cases: &[(&str, usize)] = &[
        ("", 0),
        ("   ", 3),
        ("0-1f", 0),
        ("{ 0x10 }", 3),
        ("{ 1 2 }", 4),
        ("{ , }", 2),
        ("{ 1,, 2 }", 4),
        ("{ 1- }", 5),
        ("{ -5 }", 2),
        ("{ 1-2-3 }", 5),
        ("{ g }", 2),
        ("{ 1 } x", 6),
        ("{ 1 }}", 5),
        ("{ 1 } { 2 }", 6),
        ("{ é }", 2),
        ("{ 1, 2 é", 7),
    ];
    for &(text, offset) in cases {
        let e = err::<u16>(text, Radix::Hex);
        assert_eq!(e.offset, offset, "{text:?}: {e}");
        assert!(text.is_char_boundary(e.offset));
    }
}

#[test]
fn rejects_hex_digits_in_decimal() {
    let e = err::<u32>("{ 1a }", Radix::Decimal);
    assert_eq!(e.offset, 3);
    assert_eq!(e.message, "expected ',' or '}', found 'a'");
}

#[test]
fn rejects_missing_closing_brace_at_end_of_input() {
    for text in ["{", "{ 1", "{ 1-2,", "{ 1-", "{ 1, 3-5 "] {
        let e = err::<u16>(text, Radix::Hex);
        assert_eq!(e.offset, text.len(), "{text:?}: {e}");
        assert!(e.message.ends_with("found end of input"), "{e}");
    }
}

#[test]
fn error_display_names_the_offset() {
    let e = err::<u16>("{ x }", Radix::Hex);
    assert_eq!(e.to_string(), "at byte 2: expected a hex number, found 'x'");
}

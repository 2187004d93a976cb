//! Feeds arbitrary bytes to `parse_xen` for every element type and radix.
//!
//! Checks that the parser never panics, that errors point inside the text at a char boundary,
//! and that every accepted set survives `to_xen` -> `parse_xen` unchanged, with `to_xen` a
//! fixed point (Xen's canonical text). Parse results also feed the set algebra, so a parsed
//! set that breaks an invariant (unmerged ranges, wrong count) is caught here too.

#![no_main]

use dom0scope_ranges::{Radix, RangeInt, RangeSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for radix in [Radix::Hex, Radix::Decimal] {
        check::<u16>(&text, radix);
        check::<u32>(&text, radix);
        check::<u64>(&text, radix);
    }
});

fn check<T: RangeInt>(text: &str, radix: Radix) {
    let set = match RangeSet::<T>::parse_xen(text, radix) {
        Ok(set) => set,
        Err(e) => {
            assert!(e.offset <= text.len(), "offset {} past end", e.offset);
            assert!(
                text.is_char_boundary(e.offset),
                "offset {} splits a char",
                e.offset
            );
            return;
        }
    };
    let printed = set.to_xen(radix);
    let reparsed = RangeSet::<T>::parse_xen(&printed, radix)
        .unwrap_or_else(|e| panic!("to_xen output {printed:?} does not parse: {e}"));
    assert_eq!(reparsed, set, "round trip changed the set: {printed:?}");
    assert_eq!(reparsed.to_xen(radix), printed, "to_xen is not canonical");

    // Ranges are ascending, non-empty, non-adjacent, and add up to count().
    let mut total: u128 = 0;
    let mut prev: Option<T> = None;
    for r in set.ranges() {
        assert!(r.start() <= r.end());
        if let Some(p) = prev {
            assert!(
                p.checked_add_one().is_some_and(|n| n < *r.start()),
                "ranges not maximal"
            );
        }
        assert!(set.contains(*r.start()) && set.contains(*r.end()));
        total += RangeSet::from(r.clone()).count();
        prev = Some(*r.end());
    }
    assert_eq!(total, set.count());
    assert_eq!(set.range_count(), set.ranges().count());
    assert!(set.difference(&set).is_empty());
    assert_eq!(set.union(&set), set);
}

//! Property tests against naive models: a 65536-bit bitset for ports (the whole universe,
//! so the `0xffff` edge is always in play), and a `BTreeSet` over two small windows of `u64`
//! at `0` and at `u64::MAX` (so overflow at both ends is exercised).

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use dom0scope_ranges::{FrameSet, IrqSet, PortSet, Radix, RangeInt, RangeSet};
use proptest::prelude::*;

// ---------- ports: bitset model over the whole u16 universe ----------

#[derive(Clone, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn of(ranges: &[RangeInclusive<u16>]) -> Self {
        let mut b = Bits(vec![0; 1024]);
        for r in ranges {
            for v in r.clone() {
                b.0[usize::from(v) / 64] |= 1 << (v % 64);
            }
        }
        b
    }
    fn has(&self, v: u16) -> bool {
        self.0[usize::from(v) / 64] & (1 << (v % 64)) != 0
    }
    fn zip(&self, o: &Self, f: impl Fn(u64, u64) -> u64) -> Self {
        Bits(self.0.iter().zip(&o.0).map(|(a, b)| f(*a, *b)).collect())
    }
    fn count(&self) -> u128 {
        self.0.iter().map(|w| u128::from(w.count_ones())).sum()
    }
    /// The maximal runs of set bits: what `ranges()` must yield.
    fn runs(&self) -> Vec<RangeInclusive<u16>> {
        let mut out = Vec::new();
        let mut start = None;
        for v in 0..=u16::MAX {
            match (self.has(v), start) {
                (true, None) => start = Some(v),
                (false, Some(s)) => {
                    out.push(s..=v - 1);
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            out.push(s..=u16::MAX);
        }
        out
    }
}

fn port_range() -> impl Strategy<Value = RangeInclusive<u16>> {
    // Short ranges anywhere, plus ranges hugging both ends; some come out empty on purpose.
    prop_oneof![
        (any::<u16>(), 0u16..300).prop_map(|(a, n)| a..=a.saturating_add(n)),
        (0u16..40, 0u16..40).prop_map(|(a, b)| a..=b),
        (0u16..40, 0u16..40).prop_map(|(a, b)| u16::MAX - a..=u16::MAX - b),
        Just(0..=u16::MAX),
    ]
}

fn port_ranges() -> impl Strategy<Value = Vec<RangeInclusive<u16>>> {
    prop::collection::vec(port_range(), 0..12)
}

fn check_maximal<T: RangeInt>(s: &RangeSet<T>) {
    let rs: Vec<_> = s.ranges().collect();
    assert_eq!(rs.len(), s.range_count());
    for r in &rs {
        assert!(r.start() <= r.end());
    }
    for w in rs.windows(2) {
        // Strictly ascending with a gap of at least one: end + 1 < next start.
        let succ = w[0].end().checked_add_one();
        assert!(
            succ.is_some_and(|e1| e1 < *w[1].start()),
            "{rs:?} not maximal"
        );
    }
}

proptest! {
    #[test]
    fn ports_match_bitset_model(a in port_ranges(), b in port_ranges(), probe in any::<u16>()) {
        let (sa, sb) = (PortSet::from_ranges(a.clone()), PortSet::from_ranges(b.clone()));
        let (ma, mb) = (Bits::of(&a), Bits::of(&b));

        prop_assert_eq!(sa.ranges().collect::<Vec<_>>(), ma.runs());
        prop_assert_eq!(sa.count(), ma.count());
        prop_assert_eq!(sa.contains(probe), ma.has(probe));
        prop_assert_eq!(sa.is_empty(), ma.count() == 0);
        check_maximal(&sa);

        let union = ma.zip(&mb, |x, y| x | y);
        let inter = ma.zip(&mb, |x, y| x & y);
        let diff = ma.zip(&mb, |x, y| x & !y);
        prop_assert_eq!((&sa | &sb).ranges().collect::<Vec<_>>(), union.runs());
        prop_assert_eq!((&sa & &sb).ranges().collect::<Vec<_>>(), inter.runs());
        prop_assert_eq!((&sa - &sb).ranges().collect::<Vec<_>>(), diff.runs());
        prop_assert_eq!(sa.is_subset(&sb), diff.count() == 0);
        prop_assert_eq!(sa.is_disjoint(&sb), inter.count() == 0);
        check_maximal(&(&sa | &sb));
    }

    #[test]
    fn ports_range_queries_match_model(a in port_ranges(), r in port_range()) {
        let s = PortSet::from_ranges(a.clone());
        let m = Bits::of(&a);
        let mr = Bits::of(std::slice::from_ref(&r));

        let inside = m.zip(&mr, |x, y| x & y);
        prop_assert_eq!(s.intersect_range(r.clone()).ranges().collect::<Vec<_>>(), inside.runs());
        prop_assert_eq!(s.overlaps_range(r.clone()), inside.count() > 0);
        let holes = mr.zip(&m, |x, y| x & !y);
        prop_assert_eq!(s.complement_within(r.clone()).ranges().collect::<Vec<_>>(), holes.runs());

        let mut removed = s.clone();
        removed.remove(r.clone());
        prop_assert_eq!(removed.ranges().collect::<Vec<_>>(), m.zip(&mr, |x, y| x & !y).runs());
        let mut inserted = s.clone();
        inserted.insert(r.clone());
        prop_assert_eq!(inserted.ranges().collect::<Vec<_>>(), m.zip(&mr, |x, y| x | y).runs());
    }

    #[test]
    fn ports_insert_in_any_order_equals_from_ranges(mut a in port_ranges()) {
        let s = PortSet::from_ranges(a.clone());
        a.reverse();
        let mut t = PortSet::new();
        t.extend(a.clone());
        prop_assert_eq!(&s, &t);
        prop_assert_eq!(s, a.into_iter().collect::<PortSet>());
    }
}

// ---------- u64: BTreeSet model over two windows at the ends ----------

const WIN: u64 = 48;

/// A range inside the low window `0..WIN` or the high window `MAX-WIN+1..=MAX`.
fn frame_range() -> impl Strategy<Value = RangeInclusive<u64>> {
    (any::<bool>(), 0..WIN, 0..WIN).prop_map(|(high, a, b)| {
        let (a, b) = (a.min(b), a.max(b));
        if high {
            u64::MAX - b..=u64::MAX - a
        } else {
            a..=b
        }
    })
}

fn frame_ranges() -> impl Strategy<Value = Vec<RangeInclusive<u64>>> {
    prop::collection::vec(frame_range(), 0..8)
}

fn model(ranges: &[RangeInclusive<u64>]) -> BTreeSet<u64> {
    ranges.iter().flat_map(|r| r.clone()).collect()
}

fn elements(s: &FrameSet) -> BTreeSet<u64> {
    // Only valid for sets confined to the two windows.
    s.ranges().flatten().collect()
}

proptest! {
    #[test]
    fn frames_match_btreeset_model(a in frame_ranges(), b in frame_ranges(), u in frame_range()) {
        let (sa, sb) = (FrameSet::from_ranges(a.clone()), FrameSet::from_ranges(b.clone()));
        let (ma, mb) = (model(&a), model(&b));

        prop_assert_eq!(elements(&sa), ma.clone());
        prop_assert_eq!(sa.count(), ma.len() as u128);
        check_maximal(&sa);
        for v in (0..WIN).chain(u64::MAX - WIN + 1..=u64::MAX) {
            prop_assert_eq!(sa.contains(v), ma.contains(&v));
        }
        prop_assert_eq!(elements(&sa.union(&sb)), &ma | &mb);
        prop_assert_eq!(elements(&sa.intersection(&sb)), &ma & &mb);
        prop_assert_eq!(elements(&sa.difference(&sb)), &ma - &mb);
        prop_assert_eq!(sa.is_subset(&sb), ma.is_subset(&mb));
        prop_assert_eq!(sa.is_disjoint(&sb), ma.is_disjoint(&mb));

        let mu = model(std::slice::from_ref(&u));
        prop_assert_eq!(elements(&sa.complement_within(u.clone())), &mu - &ma);
        prop_assert_eq!(elements(&sa.intersect_range(u.clone())), &mu & &ma);
        prop_assert_eq!(sa.overlaps_range(u.clone()), !mu.is_disjoint(&ma));
    }

    #[test]
    fn frames_complement_of_everything(a in frame_ranges()) {
        let s = FrameSet::from_ranges(a.clone());
        let c = s.complement_within(0..=u64::MAX);
        prop_assert_eq!(c.count(), (1u128 << 64) - model(&a).len() as u128);
        prop_assert!(c.is_disjoint(&s));
        prop_assert_eq!(c.union(&s), FrameSet::from(0..=u64::MAX));
        check_maximal(&c);
    }
}

// ---------- Xen text round trip, full-width values ----------

fn any_set<T: RangeInt + std::fmt::Debug>(
    v: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = RangeSet<T>> {
    prop::collection::vec((v.clone(), v), 0..10)
        .prop_map(|ps| ps.into_iter().map(|(a, b)| a.min(b)..=a.max(b)).collect())
}

fn edgy_u64() -> impl Strategy<Value = u64> + Clone {
    prop_oneof![any::<u64>(), 0u64..4, u64::MAX - 3..=u64::MAX]
}

fn radix() -> impl Strategy<Value = Radix> {
    prop_oneof![Just(Radix::Hex), Just(Radix::Decimal)]
}

proptest! {
    #[test]
    fn xen_round_trip_u64(s in any_set(edgy_u64()), r in radix()) {
        prop_assert_eq!(FrameSet::parse_xen(&s.to_xen(r), r).unwrap(), s);
    }

    #[test]
    fn xen_round_trip_u16(s in any_set(any::<u16>()), r in radix()) {
        prop_assert_eq!(PortSet::parse_xen(&s.to_xen(r), r).unwrap(), s);
    }

    #[test]
    fn xen_round_trip_u32(s in any_set(any::<u32>()), r in radix()) {
        prop_assert_eq!(IrqSet::parse_xen(&s.to_xen(r), r).unwrap(), s);
    }

    /// Reformatting Xen's text with other spacing and a trailing comma changes nothing.
    #[test]
    fn xen_parse_tolerates_respacing(s in any_set(edgy_u64()), ws in "[ \t\n]{0,3}", comma: bool) {
        let text = s.to_xen(Radix::Hex).replace(' ', &ws);
        let text = if comma && !s.is_empty() { text.replace('}', ",}") } else { text };
        prop_assert_eq!(FrameSet::parse_xen(&text, Radix::Hex).unwrap(), s);
    }

    #[test]
    fn json_round_trip(s in any_set(edgy_u64())) {
        let json = serde_json::to_string(&s).unwrap();
        prop_assert_eq!(serde_json::from_str::<FrameSet>(&json).unwrap(), s);
    }
}

// ---------- parse_xen never panics ----------

fn check_total(text: &str) {
    for r in [Radix::Hex, Radix::Decimal] {
        check_one::<u16>(text, r);
        check_one::<u32>(text, r);
        check_one::<u64>(text, r);
    }
}

fn check_one<T: RangeInt>(text: &str, r: Radix) {
    match RangeSet::<T>::parse_xen(text, r) {
        Ok(s) => assert_eq!(RangeSet::<T>::parse_xen(&s.to_xen(r), r), Ok(s)),
        Err(e) => {
            assert!(e.offset <= text.len());
            assert!(text.is_char_boundary(e.offset));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_never_panics_on_any_string(s in any::<String>()) {
        check_total(&s);
    }

    /// Arbitrary strings rarely get past `{`; this alphabet reaches every parser state.
    #[test]
    fn parse_never_panics_on_near_xen_text(s in "[ {},\\-0-9a-fA-Fxé\t]{0,40}") {
        check_total(&s);
    }
}

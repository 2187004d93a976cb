//! [`RangeSet`]: a set of integers stored as sorted, maximal, inclusive ranges.

use std::fmt;
use std::ops::{BitAnd, BitOr, RangeInclusive, Sub};

use range_set_blaze::RangeSetBlaze;

use crate::RangeInt;
use crate::xen_syntax::{self, Radix, XenSyntaxError};

/// A set of `T` kept as sorted, maximal (merged), inclusive ranges.
///
/// A thin wrapper over [`RangeSetBlaze`] so that callers never depend on that crate's API, and
/// so that empty ranges (`start > end`) are always ignored instead of hitting its
/// preconditions. Equality is set equality: the representation is canonical.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RangeSet<T: RangeInt> {
    inner: RangeSetBlaze<T>,
}

impl<T: RangeInt> RangeSet<T> {
    /// The empty set.
    #[must_use]
    pub fn new() -> Self {
        Self {
            inner: RangeSetBlaze::new(),
        }
    }

    /// Builds a set from ranges in any order; overlapping and adjacent ranges are merged and
    /// empty ranges ignored.
    pub fn from_ranges<I: IntoIterator<Item = RangeInclusive<T>>>(it: I) -> Self {
        Self {
            inner: it.into_iter().filter(|r| !r.is_empty()).collect(),
        }
    }

    /// Adds every element of `r`; an empty range (`start > end`) is a no-op.
    pub fn insert(&mut self, r: RangeInclusive<T>) {
        if !r.is_empty() {
            self.inner.ranges_insert(r);
        }
    }

    /// Removes every element of `r`; an empty range is a no-op.
    ///
    /// Costs O(number of ranges) when `r` overlaps the set (it rebuilds through a set
    /// difference), O(log n) otherwise.
    pub fn remove(&mut self, r: RangeInclusive<T>) {
        if self.overlaps_range(r.clone()) {
            self.inner = &self.inner - &RangeSetBlaze::from(r);
        }
    }

    /// Whether `v` is in the set.
    #[must_use]
    pub fn contains(&self, v: T) -> bool {
        self.inner.contains(v)
    }

    /// Whether the set has no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Number of elements, as `u128` because the full `u64` set has 2^64 of them.
    #[must_use]
    pub fn count(&self) -> u128 {
        T::len_to_u128(self.inner.len())
    }

    /// Number of maximal ranges (what `ranges()` yields).
    #[must_use]
    pub fn range_count(&self) -> usize {
        self.inner.ranges_len()
    }

    /// The maximal ranges, ascending; consecutive ranges are separated by a gap of at least one.
    pub fn ranges(&self) -> impl Iterator<Item = RangeInclusive<T>> + '_ {
        self.inner.ranges()
    }

    /// The maximal range containing `v`, if `v` is in the set.
    #[must_use]
    pub fn range_at(&self, v: T) -> Option<RangeInclusive<T>> {
        self.inner.range_at(v)
    }

    /// Smallest element, if any.
    #[must_use]
    pub fn first(&self) -> Option<T> {
        self.inner.first()
    }

    /// Largest element, if any.
    #[must_use]
    pub fn last(&self) -> Option<T> {
        self.inner.last()
    }

    /// Elements in either set.
    #[must_use]
    pub fn union(&self, o: &Self) -> Self {
        Self {
            inner: &self.inner | &o.inner,
        }
    }

    /// Elements in both sets.
    #[must_use]
    pub fn intersection(&self, o: &Self) -> Self {
        Self {
            inner: &self.inner & &o.inner,
        }
    }

    /// Elements of `self` not in `o`.
    #[must_use]
    pub fn difference(&self, o: &Self) -> Self {
        Self {
            inner: &self.inner - &o.inner,
        }
    }

    /// Elements of `universe` not in the set (e.g. the holes in a map of a physical range).
    /// An empty `universe` gives the empty set.
    #[must_use]
    pub fn complement_within(&self, universe: RangeInclusive<T>) -> Self {
        if universe.is_empty() {
            return Self::new();
        }
        Self {
            inner: RangeSetBlaze::from(universe) - &self.inner,
        }
    }

    /// Elements of the set that lie in `r`. An empty `r` gives the empty set.
    #[must_use]
    pub fn intersect_range(&self, r: RangeInclusive<T>) -> Self {
        if !self.overlaps_range(r.clone()) {
            return Self::new();
        }
        Self {
            inner: &self.inner & RangeSetBlaze::from(r),
        }
    }

    /// Whether any element of `r` is in the set, in O(log n): either `r`'s start is in the
    /// set, or the gap holding it ends before `r` does.
    #[must_use]
    pub fn overlaps_range(&self, r: RangeInclusive<T>) -> bool {
        if r.is_empty() {
            return false;
        }
        let (start, end) = r.into_inner();
        let (around, present) = self.inner.range_or_gap_at(start);
        present || *around.end() < end
    }

    /// Whether every element of `self` is in `o`.
    #[must_use]
    pub fn is_subset(&self, o: &Self) -> bool {
        self.inner.is_subset(&o.inner)
    }

    /// Whether the sets share no element.
    #[must_use]
    pub fn is_disjoint(&self, o: &Self) -> bool {
        self.inner.is_disjoint(&o.inner)
    }

    /// Parses Xen's `rangeset_printk` syntax, e.g. `{ 0-1f, 22-3f }`, `{ 1-23 }` or `{ }`.
    ///
    /// Xen prints I/O memory and I/O ports in [`Radix::Hex`] (no `0x`), interrupts in
    /// [`Radix::Decimal`]. Whitespace is free around every token and a trailing comma is
    /// accepted; anything else malformed is an error located at its byte offset. Never panics,
    /// and allocates at most in proportion to `text.len()`.
    pub fn parse_xen(text: &str, radix: Radix) -> Result<Self, XenSyntaxError> {
        xen_syntax::parse(text, radix)
    }

    /// Formats the set exactly as Xen's `rangeset_printk` does, so the output diff-matches a
    /// real Xen dump and round-trips through [`parse_xen`](Self::parse_xen).
    #[must_use]
    pub fn to_xen(&self, radix: Radix) -> String {
        xen_syntax::format(self, radix)
    }
}

/// Prints the ranges as a set, honouring the formatter's flags (`{:x?}` prints hex).
impl<T: RangeInt> fmt::Debug for RangeSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.ranges()).finish()
    }
}

impl<T: RangeInt> FromIterator<RangeInclusive<T>> for RangeSet<T> {
    fn from_iter<I: IntoIterator<Item = RangeInclusive<T>>>(it: I) -> Self {
        Self::from_ranges(it)
    }
}

impl<T: RangeInt> Extend<RangeInclusive<T>> for RangeSet<T> {
    fn extend<I: IntoIterator<Item = RangeInclusive<T>>>(&mut self, it: I) {
        for r in it {
            self.insert(r);
        }
    }
}

impl<T: RangeInt> From<RangeInclusive<T>> for RangeSet<T> {
    fn from(r: RangeInclusive<T>) -> Self {
        Self::from_ranges([r])
    }
}

impl<T: RangeInt> BitOr for &RangeSet<T> {
    type Output = RangeSet<T>;
    fn bitor(self, o: Self) -> RangeSet<T> {
        self.union(o)
    }
}

impl<T: RangeInt> BitAnd for &RangeSet<T> {
    type Output = RangeSet<T>;
    fn bitand(self, o: Self) -> RangeSet<T> {
        self.intersection(o)
    }
}

impl<T: RangeInt> Sub for &RangeSet<T> {
    type Output = RangeSet<T>;
    fn sub(self, o: Self) -> RangeSet<T> {
        self.difference(o)
    }
}

#[cfg(test)]
mod tests {
    use crate::{FrameSet, PortSet};

    #[test]
    #[expect(
        clippy::reversed_empty_ranges,
        reason = "empty ranges are the input under test"
    )]
    fn empty_ranges_are_ignored() {
        let mut s = PortSet::from_ranges([5..=4, 1..=2]);
        s.insert(9..=8);
        s.remove(2..=1);
        assert_eq!(s.ranges().collect::<Vec<_>>(), vec![1..=2]);
    }

    #[test]
    fn full_u64_set_counts_two_to_the_64() {
        let s = FrameSet::from(0..=u64::MAX);
        assert_eq!(s.count(), 1u128 << 64);
        assert_eq!(s.range_count(), 1);
        assert!(s.complement_within(0..=u64::MAX).is_empty());
    }

    #[test]
    fn remove_splits_a_range() {
        let mut s = FrameSet::from(0..=u64::MAX);
        s.remove(0xa0..=0xff);
        assert_eq!(
            s.ranges().collect::<Vec<_>>(),
            vec![0..=0x9f, 0x100..=u64::MAX]
        );
        assert!(s.overlaps_range(0x90..=0xa5));
        assert!(!s.overlaps_range(0xa0..=0xff));
        assert!(s.overlaps_range(0xa0..=0x100));
    }

    #[test]
    fn operators_match_methods() {
        let a = PortSet::from_ranges([0..=0x1f, 0x40..=0x5f]);
        let b = PortSet::from_ranges([0x10..=0x4f]);
        assert_eq!(&a | &b, a.union(&b));
        assert_eq!(&a & &b, a.intersection(&b));
        assert_eq!(&a - &b, a.difference(&b));
        assert_eq!(
            (&a & &b).ranges().collect::<Vec<_>>(),
            vec![0x10..=0x1f, 0x40..=0x4f]
        );
    }

    #[test]
    fn debug_honours_hex_flag() {
        let a = PortSet::from_ranges([0x20..=0x21, 0xcf8..=0xcff]);
        assert_eq!(format!("{a:x?}"), "{20..=21, cf8..=cff}");
        assert_eq!(format!("{a:?}"), "{32..=33, 3320..=3327}");
    }
}

//! JSON form of a [`RangeSet`]: an array of inclusive `[start, end]` pairs, e.g.
//! `[[0, 31], [34, 63]]`. Pairs rather than Xen text so that JSON consumers get numbers, and
//! so that `u64` frames above 2^53 stay exact in serde_json.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeSeq, Serializer};

use crate::{RangeInt, RangeSet};

/// Serializes the maximal ranges, ascending.
impl<T: RangeInt + Serialize> Serialize for RangeSet<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.range_count()))?;
        for r in self.ranges() {
            seq.serialize_element(&[*r.start(), *r.end()])?;
        }
        seq.end()
    }
}

/// Accepts pairs in any order (overlaps merge, like `from_ranges`), but rejects a pair whose
/// start exceeds its end rather than silently dropping it.
impl<'de, T: RangeInt + Deserialize<'de>> Deserialize<'de> for RangeSet<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(PairsVisitor(PhantomData))
    }
}

struct PairsVisitor<T>(PhantomData<T>);

impl<'de, T: RangeInt + Deserialize<'de>> Visitor<'de> for PairsVisitor<T> {
    type Value = RangeSet<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of [start, end] pairs with start <= end")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Inserting as we go keeps memory proportional to the input, never to a size hint.
        let mut set = RangeSet::new();
        while let Some([start, end]) = seq.next_element::<[T; 2]>()? {
            if start > end {
                return Err(de::Error::custom(format_args!(
                    "range start {start} is greater than its end {end}"
                )));
            }
            set.insert(start..=end);
        }
        Ok(set)
    }
}

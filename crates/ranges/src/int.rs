//! The element types a [`RangeSet`](crate::RangeSet) may hold.

use std::fmt;
use std::hash::Hash;

use range_set_blaze::Integer;

mod sealed {
    pub trait Sealed {}
}

/// An unsigned integer usable as a range-set element: `u16`, `u32` or `u64`.
///
/// Sealed, because the parser and `count` rely on exactly these types (values fit in `u64`,
/// lengths fit in `u128`).
pub trait RangeInt:
    Integer + Hash + Default + fmt::Display + fmt::LowerHex + TryFrom<u64> + sealed::Sealed
{
    /// Widens a `range-set-blaze` length to `u128`, which holds even the full `u64` count 2^64.
    #[doc(hidden)]
    fn len_to_u128(len: <Self as Integer>::SafeLen) -> u128;
}

macro_rules! range_int {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl RangeInt for $t {
            fn len_to_u128(len: <Self as Integer>::SafeLen) -> u128 {
                u128::from(len)
            }
        }
    )*};
}

range_int!(u16, u32, u64);

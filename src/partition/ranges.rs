//! What the strategies share: the equal split of a width, the sharing of `total_items` over
//! ranges, the assembly of contiguous ranges with generated ids, and the limits on a count.

use std::fmt;
use std::iter;

use super::{MAX_BATCH_SIZE, MAX_PARTITIONS};
use crate::cursor::Cursor;
use crate::cursor_config::{batch_id_for, CursorConfig};
use crate::error::{Error, ErrorCode, Result};

/// The offsets `floor(i * width / count)` for `i` in `1..count`, exact for every width up to
/// 2^128 (given as `width - 1`, which always fits a u128).
///
/// With `width = q * count + r`, `floor(i * width / count) = i*q + floor(i*r / count)`:
/// `i*q` stays below the width, and `i*r < count^2 <= 2^64`.
pub(super) fn equal_split_points(width_minus_one: u128, count: u32) -> impl Iterator<Item = u128> {
    let count = u128::from(count);
    let (q, r) = if count < 2 {
        // No interior point; and for count 1, q would be the whole width (maybe 2^128).
        (0, 0)
    } else {
        let (q, r) = (width_minus_one / count, width_minus_one % count);
        if r + 1 == count {
            (q + 1, 0)
        } else {
            (q, r + 1)
        }
    };
    (1..count).map(move |i| i * q + i * r / count)
}

/// `total` items shared over ranges: `per = ceil(total / ranges)` each, the tail smaller.
pub(super) struct Shares {
    per: u64,
    total: u64,
}

impl Shares {
    pub(super) fn new(total: u64, ranges: usize) -> Result<Self> {
        let per = total.div_ceil(ranges as u64);
        if per > MAX_BATCH_SIZE {
            return Err(Error::new(
                ErrorCode::OutOfRange,
                "total_items",
                format!(
                    "expected at most {MAX_BATCH_SIZE} items per range (batch_size is a u32), found {per} ({total} items over {ranges} ranges)"
                ),
            ));
        }
        Ok(Shares { per, total })
    }

    /// The items of range `i` (`i * per` cannot overflow: `i < MAX_PARTITIONS`, `per <= u32::MAX`).
    pub(super) fn size(&self, i: usize) -> u32 {
        self.total.saturating_sub(i as u64 * self.per).min(self.per) as u32
    }
}

/// Ranges `[first, p1) [p1, p2) ... [p_last, last)` with generated ids.
pub(super) fn contiguous(
    count: usize,
    first: Cursor,
    interior: impl Iterator<Item = Cursor>,
    last: Cursor,
    size_of: impl Fn(usize) -> u32,
) -> Vec<CursorConfig> {
    let mut configs = Vec::with_capacity(count);
    let mut lower = first;
    for (i, upper) in interior.chain(iter::once(last)).enumerate() {
        let start = std::mem::replace(&mut lower, upper.clone());
        configs.push(CursorConfig::new(batch_id_for(i), start, upper, size_of(i)));
    }
    debug_assert_eq!(configs.len(), count);
    configs
}

pub(super) fn check_count(count: u64, key: &str, what: fmt::Arguments<'_>) -> Result<()> {
    if count > MAX_PARTITIONS as u64 {
        return Err(Error::new(
            ErrorCode::OutOfRange,
            key,
            format!("expected at most {MAX_PARTITIONS} cursor configs, found {count} ({what})"),
        ));
    }
    Ok(())
}

pub(super) fn at_least_one(key: &str, found: u64) -> Error {
    Error::new(
        ErrorCode::OutOfRange,
        key,
        format!("expected {key} of at least 1, found {found}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_split_points_are_exact_at_the_edges() {
        // The whole 2^128 space in 3: floor(i * 2^128 / 3), and 3 divides 2^128 - 1.
        let points: Vec<u128> = equal_split_points(u128::MAX, 3).collect();
        assert_eq!(points, [u128::MAX / 3, (u128::MAX / 3) * 2]);
        // Independently: floor(2^128 / 3) = 2 * floor(2^127 / 3) + 1, as 2^127 = 3k + 2.
        assert_eq!(points[0], 2 * (2u128.pow(127) / 3) + 1);
        let points: Vec<u128> = equal_split_points(9, 3).collect();
        assert_eq!(points, [3, 6]);
        assert_eq!(equal_split_points(u128::MAX, 1).count(), 0);
    }
}

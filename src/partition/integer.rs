//! The integer strategies: `integer_by_count` and `integer_by_size`, and the ranges they make,
//! written straight from their arithmetic ([`IntegerRanges`]).

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use super::ranges::{at_least_one, check_count};
use super::MAX_BATCH_SIZE;
use crate::cursor::Cursor;
use crate::cursor_config::{batch_id_for, CursorConfig};
use crate::error::{Error, ErrorCode, Result};

/// Splits `[start, start + total_items)` over `worker_count` workers:
/// `per = ceil(total_items / worker_count)` keys each, the last range shorter, no empty range.
///
/// ```
/// let configs = tasker_batch::partition::integer_by_count(5, 10, 0).unwrap();
/// assert_eq!(configs.len(), 5); // never empty trailing ranges
/// assert!(tasker_batch::partition::integer_by_count(0, 3, 0).unwrap().is_empty());
/// ```
pub fn integer_by_count(
    total_items: u64,
    worker_count: u32,
    start: i128,
) -> Result<Vec<CursorConfig>> {
    split_over_workers(total_items, worker_count, start, "worker_count").map(|r| r.configs())
}

/// Splits `[start, start + total_items)` into ranges of `batch_size` keys, the last one
/// shorter; when that makes more than `max_batches` ranges, behaves as [`integer_by_count`]
/// with `max_batches` workers.
///
/// ```
/// use tasker_batch::partition::integer_by_size;
///
/// let sizes = |configs: Vec<tasker_batch::cursor_config::CursorConfig>| {
///     configs.iter().map(|c| c.batch_size).collect::<Vec<_>>()
/// };
/// assert_eq!(sizes(integer_by_size(250, 100, None, 0).unwrap()), [100, 100, 50]);
/// assert_eq!(sizes(integer_by_size(250, 50, Some(2), 0).unwrap()), [125, 125]);
/// ```
pub fn integer_by_size(
    total_items: u64,
    batch_size: u32,
    max_batches: Option<u32>,
    start: i128,
) -> Result<Vec<CursorConfig>> {
    integer_ranges_by_size(total_items, batch_size, max_batches, start).map(|r| r.configs())
}

pub(super) fn integer_ranges_by_size(
    total_items: u64,
    batch_size: u32,
    max_batches: Option<u32>,
    start: i128,
) -> Result<IntegerRanges> {
    if batch_size == 0 {
        return Err(at_least_one("batch_size", 0));
    }
    if max_batches == Some(0) {
        return Err(at_least_one("max_batches", 0));
    }
    check_integer_start(start, total_items)?;
    if total_items == 0 {
        return Ok(IntegerRanges::EMPTY);
    }
    let per = u64::from(batch_size);
    let count = total_items.div_ceil(per);
    if let Some(cap) = max_batches {
        if count > u64::from(cap) {
            return split_over_workers(total_items, cap, start, "max_batches");
        }
    }
    check_count(
        count,
        "batch_size",
        format_args!("{total_items} items in batches of {batch_size}; use a larger batch_size or max_batches"),
    )?;
    Ok(IntegerRanges::new(start, total_items, per, count as usize))
}

pub(super) fn split_over_workers(
    total: u64,
    workers: u32,
    start: i128,
    workers_key: &str,
) -> Result<IntegerRanges> {
    if workers == 0 {
        return Err(at_least_one(workers_key, 0));
    }
    check_integer_start(start, total)?;
    if total == 0 {
        return Ok(IntegerRanges::EMPTY);
    }
    let per = total.div_ceil(u64::from(workers));
    if per > MAX_BATCH_SIZE {
        return Err(Error::new(
            ErrorCode::OutOfRange,
            workers_key,
            format!(
                "expected at most {MAX_BATCH_SIZE} items per worker (batch_size is a u32), found {per} \
                 ({total} items over {workers} workers); use a {workers_key} of at least {}",
                total.div_ceil(MAX_BATCH_SIZE)
            ),
        ));
    }
    let count = total.div_ceil(per);
    check_count(
        count,
        workers_key,
        format_args!("{total} items over {workers} workers"),
    )?;
    Ok(IntegerRanges::new(start, total, per, count as usize))
}

/// `count` ranges of `per` keys from `start`, the last one ending at `start + total`: every
/// range but the last has `per` keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntegerRanges {
    start: i128,
    total: u64,
    per: u64,
    count: usize,
}

impl IntegerRanges {
    const EMPTY: IntegerRanges = IntegerRanges {
        start: 0,
        total: 0,
        per: 1,
        count: 0,
    };

    fn new(start: i128, total: u64, per: u64, count: usize) -> Self {
        IntegerRanges {
            start,
            total,
            per,
            count,
        }
    }

    /// Number of ranges.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there is no range.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Range `i`: `(start_cursor, end_cursor, batch_size)`. `i * per < total` for every range
    /// but past the last, so nothing here overflows.
    fn range(&self, i: usize) -> (i128, i128, u32) {
        let first = i as u64 * self.per;
        let last = (first + self.per).min(self.total);
        (
            self.start + i128::from(first),
            self.start + i128::from(last),
            (last - first) as u32,
        )
    }

    /// The ranges as cursor configs.
    pub fn configs(&self) -> Vec<CursorConfig> {
        (0..self.count)
            .map(|i| {
                let (start, end, size) = self.range(i);
                CursorConfig::new(
                    batch_id_for(i),
                    Cursor::integer(start),
                    Cursor::integer(end),
                    size,
                )
            })
            .collect()
    }
}

impl IntegerRanges {
    /// The ranges as a JSON array of cursor configs, written directly: a partition into a
    /// million ranges is mostly this text, and the general serializer (escaping checks on every
    /// key, formatting machinery for the padded ids) costs several times more.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(2 + self.count * 80);
        let mut number = itoa::Buffer::new();
        out.push('[');
        for i in 0..self.count {
            if i > 0 {
                out.push(',');
            }
            let (start, end, size) = self.range(i);
            out.push_str(r#"{"batch_id":""#);
            let id = i + 1;
            if id < 10 {
                out.push_str("00");
            } else if id < 100 {
                out.push('0');
            }
            out.push_str(number.format(id));
            out.push_str(r#"","start_cursor":"#);
            out.push_str(number.format(start));
            out.push_str(r#","end_cursor":"#);
            out.push_str(number.format(end));
            out.push_str(r#","batch_size":"#);
            out.push_str(number.format(size));
            out.push('}');
        }
        out.push(']');
        out
    }
}

/// Through serde, the ranges are written like any list of cursor configs (the `partition`
/// operation itself writes [`IntegerRanges::to_json`]).
impl Serialize for IntegerRanges {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.count))?;
        for i in 0..self.count {
            let (start, end, size) = self.range(i);
            seq.serialize_element(&CursorConfig::new(
                batch_id_for(i),
                Cursor::integer(start),
                Cursor::integer(end),
                size,
            ))?;
        }
        seq.end()
    }
}

fn check_integer_start(start: i128, total: u64) -> Result<()> {
    let max = i128::MAX - i128::from(total);
    if (0..=max).contains(&start) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::OutOfRange,
            "start",
            format!(
                "expected an integer start in 0..={max} (so that start + total_items {total} fits 128 bits), found {start}"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::tests::{err, error, r, ranges, run};

    // --- integer_by_count ------------------------------------------------------------------

    #[test]
    fn by_count_1000_over_3_is_334_334_332() {
        let configs = integer_by_count(1000, 3, 0).unwrap();
        assert_eq!(
            ranges(&configs),
            [
                r("0", "334", 334),
                r("334", "668", 334),
                r("668", "1000", 332)
            ]
        );
        let ids: Vec<_> = configs.iter().map(|c| c.batch_id.as_str()).collect();
        assert_eq!(ids, ["001", "002", "003"]);
    }

    #[test]
    fn by_count_never_emits_empty_trailing_ranges() {
        let configs = integer_by_count(5, 10, 0).unwrap();
        assert_eq!(configs.len(), 5);
        assert!(configs.iter().all(|c| c.batch_size == 1));
        // per = 3 covers 9 items in 3 ranges: the fourth worker gets nothing.
        let sizes: Vec<_> = integer_by_count(9, 4, 0)
            .unwrap()
            .iter()
            .map(|c| c.batch_size)
            .collect();
        assert_eq!(sizes, [3, 3, 3]);
    }

    #[test]
    fn by_count_of_nothing_is_empty() {
        assert!(integer_by_count(0, 3, 0).unwrap().is_empty());
    }

    #[test]
    fn by_count_starts_where_asked_even_beyond_64_bits() {
        let configs = run(
            r#"{"strategy":"integer_by_count","total_items":4,"worker_count":2,"start":100000000000000000000}"#,
        )
        .unwrap();
        assert_eq!(
            ranges(&configs),
            [
                r("100000000000000000000", "100000000000000000002", 2),
                r("100000000000000000002", "100000000000000000004", 2)
            ]
        );
    }

    #[test]
    fn by_count_rejects_zero_workers_and_oversized_ranges() {
        let e = integer_by_count(10, 0, 0).unwrap_err();
        assert_eq!(
            (e.code, e.path.as_str()),
            (ErrorCode::OutOfRange, "worker_count")
        );
        let e = integer_by_count(u64::from(u32::MAX) * 2 + 1, 2, 0).unwrap_err();
        assert_eq!(
            (e.code, e.path.as_str()),
            (ErrorCode::OutOfRange, "worker_count")
        );
        assert!(
            e.message.contains("use a worker_count of at least 3"),
            "{}",
            e.message
        );
        let e = integer_by_count(2_000_000, 2_000_000, 0).unwrap_err();
        assert_eq!(
            (e.code, e.path.as_str()),
            (ErrorCode::OutOfRange, "worker_count")
        );
        assert!(
            e.message.contains("at most 1000000 cursor configs"),
            "{}",
            e.message
        );
    }

    #[test]
    fn by_count_start_must_be_non_negative_and_leave_room() {
        let e = integer_by_count(10, 1, -1).unwrap_err();
        assert_eq!((e.code, e.path.as_str()), (ErrorCode::OutOfRange, "start"));
        let e = integer_by_count(10, 1, i128::MAX - 9).unwrap_err();
        assert_eq!((e.code, e.path.as_str()), (ErrorCode::OutOfRange, "start"));
        assert!(integer_by_count(10, 1, i128::MAX - 10).is_ok());
    }

    // --- integer_by_size -------------------------------------------------------------------

    #[test]
    fn by_size_250_by_100_is_100_100_50() {
        let configs = integer_by_size(250, 100, None, 0).unwrap();
        assert_eq!(
            ranges(&configs),
            [
                r("0", "100", 100),
                r("100", "200", 100),
                r("200", "250", 50)
            ]
        );
    }

    #[test]
    fn by_size_grows_the_batches_past_max_batches() {
        let capped = integer_by_size(1000, 10, Some(3), 0).unwrap();
        assert_eq!(capped, integer_by_count(1000, 3, 0).unwrap());
        // Under the cap, the cap changes nothing.
        assert_eq!(integer_by_size(250, 100, Some(3), 0).unwrap().len(), 3);
    }

    #[test]
    fn by_size_errors_name_the_key() {
        assert_eq!(
            error(r#"{"strategy":"integer_by_size","total_items":5,"batch_size":0}"#),
            err(ErrorCode::OutOfRange, "batch_size")
        );
        assert_eq!(
            error(
                r#"{"strategy":"integer_by_size","total_items":5,"batch_size":1,"max_batches":0}"#
            ),
            err(ErrorCode::OutOfRange, "max_batches")
        );
        assert_eq!(
            error(
                r#"{"strategy":"integer_by_size","total_items":18446744073709551615,"batch_size":1}"#
            ),
            err(ErrorCode::OutOfRange, "batch_size")
        );
        assert_eq!(
            error(
                r#"{"strategy":"integer_by_size","total_items":18446744073709551615,"batch_size":1,"max_batches":2}"#
            ),
            err(ErrorCode::OutOfRange, "max_batches")
        );
    }
}

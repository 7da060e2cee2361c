//! The UUID strategy: a UUID range split into equal ranges with exact 128-bit arithmetic.

use super::ranges::{at_least_one, check_count, contiguous, equal_split_points, Shares};
use crate::cursor::{format_uuid, Cursor};
use crate::cursor_config::CursorConfig;
use crate::error::{Error, ErrorCode, Result};
use crate::input::RawJson;

/// Splits the UUIDs `[start, end)` into `count` ranges whose sizes differ by at most one.
/// `end: None` is the open end (the range runs through `ffffffff-ffff-ffff-ffff-ffffffffffff`
/// and the last `end_cursor` is `null`). With `total_items`, the `batch_size`s share it out;
/// otherwise they are 0.
///
/// ```
/// let configs = tasker_batch::partition::uuid(2, 0, None, None).unwrap();
/// assert_eq!(configs[1].start_cursor.json(), r#""80000000-0000-0000-0000-000000000000""#);
/// assert_eq!(configs[1].end_cursor.json(), "null");
/// ```
pub fn uuid(
    count: u32,
    start: u128,
    end: Option<u128>,
    total_items: Option<u64>,
) -> Result<Vec<CursorConfig>> {
    if count == 0 {
        return Err(at_least_one("count", 0));
    }
    // The width can be 2^128 (the whole space), one more than a u128 holds: carry width - 1.
    let width_minus_one = match end {
        None => u128::MAX - start,
        Some(end) if end > start => end - start - 1,
        Some(end) => {
            return Err(Error::new(
                ErrorCode::InvalidRange,
                "end",
                format!(
                    "expected an end after start {}, found {}",
                    format_uuid(start),
                    format_uuid(end)
                ),
            ))
        }
    };
    if u128::from(count) - 1 > width_minus_one {
        return Err(Error::new(
            ErrorCode::OutOfRange,
            "count",
            format!(
                "expected a count of at most {} (the UUIDs in the range; no range may be empty), found {count}",
                width_minus_one + 1
            ),
        ));
    }
    check_count(u64::from(count), "count", format_args!("count {count}"))?;
    let shares = Shares::new(total_items.unwrap_or(0), count as usize)?;
    let uuid_cursor = |value: u128| Cursor::string(&format_uuid(value));
    let interior =
        equal_split_points(width_minus_one, count).map(|offset| uuid_cursor(start + offset));
    let last = end.map_or_else(|| Cursor(RawJson::null()), uuid_cursor);
    Ok(contiguous(
        count as usize,
        uuid_cursor(start),
        interior,
        last,
        |i| shares.size(i),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::tests::{err, error, q, r, ranges, run};

    // --- uuid --------------------------------------------------------------------------------

    #[test]
    fn uuid_halves_and_quarters_of_the_whole_space() {
        let halves = run(r#"{"strategy":"uuid","count":2}"#).unwrap();
        assert_eq!(
            ranges(&halves),
            [
                r(
                    &q("00000000-0000-0000-0000-000000000000"),
                    &q("80000000-0000-0000-0000-000000000000"),
                    0
                ),
                r(&q("80000000-0000-0000-0000-000000000000"), "null", 0)
            ]
        );
        let quarters = uuid(4, 0, None, Some(10)).unwrap();
        let starts: Vec<_> = quarters
            .iter()
            .map(|c| c.start_cursor.json().to_owned())
            .collect();
        assert_eq!(
            starts,
            [
                q("00000000-0000-0000-0000-000000000000"),
                q("40000000-0000-0000-0000-000000000000"),
                q("80000000-0000-0000-0000-000000000000"),
                q("c0000000-0000-0000-0000-000000000000")
            ]
        );
        let sizes: Vec<_> = quarters.iter().map(|c| c.batch_size).collect();
        assert_eq!(sizes, [3, 3, 3, 1]);
    }

    #[test]
    fn uuid_whole_space_in_one_range_and_from_the_last_uuid() {
        let one = uuid(1, 0, None, None).unwrap();
        assert_eq!(
            ranges(&one),
            [r(&q("00000000-0000-0000-0000-000000000000"), "null", 0)]
        );
        let last = uuid(1, u128::MAX, None, None).unwrap();
        assert_eq!(
            ranges(&last),
            [r(&q("ffffffff-ffff-ffff-ffff-ffffffffffff"), "null", 0)]
        );
        let e = uuid(2, u128::MAX, None, None).unwrap_err();
        assert_eq!((e.code, e.path.as_str()), (ErrorCode::OutOfRange, "count"));
    }

    #[test]
    fn uuid_with_an_explicit_end_splits_exactly() {
        let configs = run(
            r#"{"strategy":"uuid","count":3,"start":"00000000-0000-0000-0000-000000000000","end":"00000000-0000-0000-0000-00000000000A"}"#,
        )
        .unwrap();
        assert_eq!(
            ranges(&configs),
            [
                r(
                    &q("00000000-0000-0000-0000-000000000000"),
                    &q("00000000-0000-0000-0000-000000000003"),
                    0
                ),
                r(
                    &q("00000000-0000-0000-0000-000000000003"),
                    &q("00000000-0000-0000-0000-000000000006"),
                    0
                ),
                r(
                    &q("00000000-0000-0000-0000-000000000006"),
                    &q("00000000-0000-0000-0000-00000000000a"),
                    0
                )
            ]
        );
    }

    #[test]
    fn uuid_errors() {
        assert_eq!(
            error(
                r#"{"strategy":"uuid","count":2,"start":"80000000-0000-0000-0000-000000000000","end":"80000000-0000-0000-0000-000000000000"}"#
            ),
            err(ErrorCode::InvalidRange, "end")
        );
        assert_eq!(
            error(r#"{"strategy":"uuid","count":11,"end":"00000000-0000-0000-0000-00000000000a"}"#),
            err(ErrorCode::OutOfRange, "count")
        );
        assert_eq!(
            error(r#"{"strategy":"uuid","count":0}"#),
            err(ErrorCode::OutOfRange, "count")
        );
        assert_eq!(
            error(r#"{"strategy":"uuid","count":2,"start":"not-a-uuid"}"#),
            err(ErrorCode::InvalidCursor, "start")
        );
        assert_eq!(
            error(r#"{"strategy":"uuid","count":2,"start":7}"#),
            err(ErrorCode::TypeMismatch, "start")
        );
        assert_eq!(
            error(r#"{"strategy":"uuid","count":2,"total_items":18446744073709551615}"#),
            err(ErrorCode::OutOfRange, "total_items")
        );
    }
}

//! The timestamp strategy: an interval of instants split into equal spans or by a fixed step,
//! written back as RFC 3339 UTC.

use super::ranges::{at_least_one, check_count, contiguous, equal_split_points, Shares};
use crate::cursor::{format_timestamp, Cursor};
use crate::cursor_config::CursorConfig;
use crate::error::{Error, ErrorCode, Result};

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// The first instant the partitioner writes: RFC 3339 years have four digits, and the ranges
/// are written in UTC, so an instant outside the UTC years 0000 to 9999 has no text the
/// library reads back as a timestamp (chrono would write `+10000-01-01T00:00:00Z`).
const FIRST_WRITABLE: i128 = -62_167_219_200 * NANOS_PER_SECOND as i128;
/// The last instant the partitioner writes: 9999-12-31T23:59:59.999999999Z.
const LAST_WRITABLE: i128 = 253_402_300_800 * NANOS_PER_SECOND as i128 - 1;

/// Whether the instant `nanos` can be written back as an RFC 3339 UTC cursor; otherwise the
/// message of the error, naming the writable instants and the one found (`given`, the caller's
/// text, when there is one).
pub(super) fn check_writable(nanos: i128, given: Option<&str>) -> std::result::Result<(), String> {
    if (FIRST_WRITABLE..=LAST_WRITABLE).contains(&nanos) {
        return Ok(());
    }
    let found = match (given, format_timestamp(nanos)) {
        (Some(given), Some(utc)) => format!("{given}, which is {utc} in UTC"),
        (Some(given), None) => given.to_owned(),
        (None, Some(utc)) => utc,
        (None, None) => format!("{nanos} ns from the Unix epoch"),
    };
    Err(format!(
        "expected an instant from 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z \
         (the ranges are written in RFC 3339 UTC, whose years have four digits), found {found}"
    ))
}

/// How a timestamp range is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampSpans {
    /// `count` spans of equal length (to the nanosecond; they differ by at most 1 ns).
    Count(u32),
    /// Spans of `step_seconds`, the last one shorter.
    StepSeconds(u64),
}

/// Splits the instants `[start, end)` (nanoseconds since the Unix epoch, as
/// [`parse_timestamp`](crate::cursor::parse_timestamp) returns them) into equal spans or by a
/// fixed step. Cursors are RFC 3339 UTC strings. With `total_items`, the `batch_size`s share it
/// out; otherwise they are 0.
///
/// ```
/// use tasker_batch::cursor::parse_timestamp;
/// use tasker_batch::partition::{timestamp, TimestampSpans};
///
/// let start = parse_timestamp("2024-01-01T00:00:00Z").unwrap();
/// let end = parse_timestamp("2024-01-02T00:00:00Z").unwrap();
/// let configs = timestamp(start, end, TimestampSpans::Count(3), None).unwrap();
/// assert_eq!(configs[1].start_cursor.json(), r#""2024-01-01T08:00:00Z""#);
/// ```
pub fn timestamp(
    start: i128,
    end: i128,
    spans: TimestampSpans,
    total_items: Option<u64>,
) -> Result<Vec<CursorConfig>> {
    let writable = |key: &str, nanos: i128| {
        check_writable(nanos, None)
            .map_err(|message| Error::new(ErrorCode::OutOfRange, key, message))
    };
    writable("start", start)?;
    writable("end", end)?;
    // Every instant from `start` to `end` is writable, so it formats.
    let utc = |nanos: i128| format_timestamp(nanos).expect("a writable instant formats");
    let (start_text, end_text) = (utc(start), utc(end));
    if end <= start {
        return Err(Error::new(
            ErrorCode::InvalidRange,
            "end",
            format!("expected an end after start {start_text}, found {end_text}"),
        ));
    }
    let width = (end - start) as u128;
    let timestamp_cursor = |nanos: i128| Cursor::string(&utc(nanos));
    let first = Cursor::string(&start_text);
    let last = Cursor::string(&end_text);
    match spans {
        TimestampSpans::Count(count) => {
            if count == 0 {
                return Err(at_least_one("count", 0));
            }
            if u128::from(count) > width {
                return Err(Error::new(
                    ErrorCode::OutOfRange,
                    "count",
                    format!(
                        "expected a count of at most {width} (the nanoseconds from {start_text} to {end_text}; no span may be empty), found {count}"
                    ),
                ));
            }
            check_count(u64::from(count), "count", format_args!("count {count}"))?;
            let shares = Shares::new(total_items.unwrap_or(0), count as usize)?;
            let interior = equal_split_points(width - 1, count)
                .map(|offset| timestamp_cursor(start + offset as i128));
            Ok(contiguous(count as usize, first, interior, last, |i| {
                shares.size(i)
            }))
        }
        TimestampSpans::StepSeconds(step_seconds) => {
            if step_seconds == 0 {
                return Err(at_least_one("step_seconds", 0));
            }
            let step = u128::from(step_seconds) * NANOS_PER_SECOND;
            let count = width.div_ceil(step);
            check_count(
                u64::try_from(count).unwrap_or(u64::MAX),
                "step_seconds",
                format_args!("steps of {step_seconds} s from {start_text} to {end_text}"),
            )?;
            let count = count as usize;
            let shares = Shares::new(total_items.unwrap_or(0), count)?;
            let interior = (1..count as u128).map(|k| timestamp_cursor(start + (k * step) as i128));
            Ok(contiguous(count, first, interior, last, |i| shares.size(i)))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::partition::tests::{err, error, q, r, ranges, run};
    use crate::ErrorCode;

    // --- timestamp ---------------------------------------------------------------------------

    #[test]
    fn timestamp_by_count_splits_to_the_nanosecond() {
        let day = run(
            r#"{"strategy":"timestamp","start":"2024-01-01T01:00:00+01:00","end":"2024-01-02T00:00:00Z","count":3,"total_items":100}"#,
        )
        .unwrap();
        assert_eq!(
            ranges(&day),
            [
                r(&q("2024-01-01T00:00:00Z"), &q("2024-01-01T08:00:00Z"), 34),
                r(&q("2024-01-01T08:00:00Z"), &q("2024-01-01T16:00:00Z"), 34),
                r(&q("2024-01-01T16:00:00Z"), &q("2024-01-02T00:00:00Z"), 32)
            ]
        );
        let second = run(
            r#"{"strategy":"timestamp","start":"2024-01-01T00:00:00Z","end":"2024-01-01T00:00:01Z","count":3}"#,
        )
        .unwrap();
        let ends: Vec<_> = second
            .iter()
            .map(|c| c.end_cursor.json().to_owned())
            .collect();
        assert_eq!(
            ends,
            [
                q("2024-01-01T00:00:00.333333333Z"),
                q("2024-01-01T00:00:00.666666666Z"),
                q("2024-01-01T00:00:01Z")
            ]
        );
    }

    #[test]
    fn timestamp_by_step_ends_with_a_shorter_span() {
        let configs = run(
            r#"{"strategy":"timestamp","start":"2024-01-01T00:00:00Z","end":"2024-01-01T01:00:00Z","step_seconds":1500}"#,
        )
        .unwrap();
        assert_eq!(
            ranges(&configs),
            [
                r(&q("2024-01-01T00:00:00Z"), &q("2024-01-01T00:25:00Z"), 0),
                r(&q("2024-01-01T00:25:00Z"), &q("2024-01-01T00:50:00Z"), 0),
                r(&q("2024-01-01T00:50:00Z"), &q("2024-01-01T01:00:00Z"), 0)
            ]
        );
        // A step that divides the range exactly leaves no empty span behind.
        let even = run(
            r#"{"strategy":"timestamp","start":"2024-01-01T00:00:00Z","end":"2024-01-01T01:00:00Z","step_seconds":1200}"#,
        )
        .unwrap();
        assert_eq!(even.len(), 3);
    }

    #[test]
    fn timestamp_errors() {
        let base = r#""strategy":"timestamp","start":"2024-01-01T00:00:00Z""#;
        assert_eq!(
            error(&format!(
                r#"{{{base},"end":"2024-01-01T00:00:00Z","count":1}}"#
            )),
            err(ErrorCode::InvalidRange, "end")
        );
        assert_eq!(
            error(&format!(
                r#"{{{base},"end":"2024-01-01T00:00:01Z","count":2,"step_seconds":1}}"#
            )),
            err(ErrorCode::InvalidValue, "step_seconds")
        );
        assert_eq!(
            error(&format!(r#"{{{base},"end":"2024-01-01T00:00:01Z"}}"#)),
            err(ErrorCode::MissingField, "count")
        );
        assert_eq!(
            error(&format!(r#"{{{base},"count":2}}"#)),
            err(ErrorCode::MissingField, "end")
        );
        assert_eq!(
            error(&format!(
                r#"{{{base},"end":"2024-01-01T00:00:00.000000002Z","count":3}}"#
            )),
            err(ErrorCode::OutOfRange, "count")
        );
        assert_eq!(
            error(&format!(
                r#"{{{base},"end":"2024-01-01T00:00:01Z","step_seconds":0}}"#
            )),
            err(ErrorCode::OutOfRange, "step_seconds")
        );
        assert_eq!(
            error(&format!(
                r#"{{{base},"end":"2024-13-01T00:00:00Z","count":2}}"#
            )),
            err(ErrorCode::InvalidCursor, "end")
        );
        assert_eq!(
            error(&format!(r#"{{{base},"end":null,"count":2}}"#)),
            err(ErrorCode::TypeMismatch, "end")
        );
        assert_eq!(
            error(&format!(
                r#"{{{base},"end":"2034-01-01T00:00:00Z","step_seconds":1}}"#
            )),
            err(ErrorCode::OutOfRange, "step_seconds")
        );
    }
}

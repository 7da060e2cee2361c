//! Partitioning (docs/contract.md §4): the analyzer's helpers that split a key space into
//! [`CursorConfig`]s, ready to become the `cursor_configs` of a `create_batches` outcome.
//!
//! The `partition` operation takes one object tagged by `strategy` ([`PartitionRequest`]) and
//! returns an array of cursor configs with generated ids `"001"`, `"002"`, ... Each strategy is
//! also a typed function for Rust callers. Every result passes
//! [`validation::check_outcome`](crate::validation::check_outcome) once wrapped in an outcome with
//! `worker_count` = its length, and covers the key space exactly once: the ranges are
//! contiguous, in key order, and none is empty.
//!
//! | `strategy` | keys | result |
//! |---|---|---|
//! | `integer_by_count` | `total_items`, `worker_count`, `start`? | [`integer_by_count`] |
//! | `integer_by_size` | `total_items`, `batch_size`, `max_batches`?, `start`? | [`integer_by_size`] |
//! | `uuid` | `count`, `start`?, `end`?, `total_items`? | [`uuid`] |
//! | `timestamp` | `start`, `end`, `count` or `step_seconds`, `total_items`? | [`timestamp`] |
//! | `boundaries` | `boundaries`, `total_items`? | [`boundaries`] |
//!
//! ```
//! use tasker_batch::partition::integer_by_count;
//!
//! let configs = integer_by_count(1000, 3, 0).unwrap();
//! let sizes: Vec<u32> = configs.iter().map(|c| c.batch_size).collect();
//! assert_eq!(sizes, [334, 334, 332]);
//! assert_eq!(configs[2].start_cursor.json(), "668");
//! assert_eq!(configs[2].end_cursor.json(), "1000");
//! ```
//!
//! Decisions, where the contract leaves room:
//!
//! - **Integers by count.** `per = ceil(total / workers)`; range i is
//!   `[start + i*per, start + min((i+1)*per, total))`. Ranges that would be empty are not
//!   emitted, so there may be fewer configs than workers: 5 items over 10 workers give 5 ranges
//!   of 1, 9 items over 4 workers give 3/3/3. `total_items == 0` gives `[]`: the caller
//!   returns `no_batches`. A `per` above u32 (the type of `batch_size`) is `out_of_range`
//!   at `worker_count`, naming how many workers would do.
//! - **Integers by size.** Ranges of `batch_size`, the last one shorter. When that would make
//!   more than `max_batches` ranges, the ranges grow instead: exactly `integer_by_count` with
//!   `max_batches` workers (errors then name `max_batches`).
//! - **Integer `start`** (default 0) is an exact integer in `0..=i128::MAX` (integer cursors
//!   are 128-bit and never negative), and `start + total_items` must fit too.
//! - **UUIDs.** `[start, end)` (default: the whole space, `end` `null` = open, up to and
//!   including `ffffffff-ffff-ffff-ffff-ffffffffffff`) is split at `start + floor(i*width/count)`
//!   with exact 128-bit arithmetic, so sizes differ by at most one. Output is canonical
//!   lowercase; the last `end_cursor` is `null` when the end is open. More ranges than UUIDs in
//!   the range is `out_of_range` at `count` (a range would be empty).
//! - **Timestamps.** Same formula in nanoseconds, or a fixed `step_seconds` with a shorter last
//!   span; exactly one of `count` and `step_seconds`. Both ends are required (no open end).
//!   Output is RFC 3339 UTC (`Z`), with 0, 3, 6 or 9 fraction digits as needed. More spans than
//!   nanoseconds is `out_of_range` at `count`.
//! - **`batch_size` of UUID, timestamp and non-integer boundary ranges**: with `total_items`,
//!   shared as integers are (`ceil(total / ranges)` each, the tail smaller, possibly 0), so the
//!   sizes add up to `total_items`; without it, 0.
//! - **Boundaries** are kept as their exact text (big integers, key order, escapes). `null` is
//!   an open end, allowed only first or last, and never for integers (the validator requires
//!   closed integer ranges). All other boundaries are of one kind (`mixed_cursor_kinds`).
//!   Integers, UUIDs and timestamps must strictly increase (`invalid_range`); boundaries of the
//!   other kinds, whose order is the caller's collation, must at least be distinct
//!   (`invalid_range`), since no collation makes a repeated key increasing. Integer boundaries
//!   are non-negative and their `batch_size` is `end - start`; a `total_items` that disagrees
//!   with their sum is a `total_items_mismatch` warning.
//! - **At most [`MAX_PARTITIONS`] configs** per call (`out_of_range` at the key that decides the
//!   count): far beyond any real fleet of workers, and it keeps a runaway request
//!   (`batch_size: 1` over 2^64 items) from exhausting memory instead of failing.
//! - **Strict input.** Numbers go through the crate's strict readers (no negative, fraction or
//!   truncation). A key the chosen strategy does not accept, even one another strategy
//!   accepts, is `invalid_value` at that key, naming the accepted keys; it is reported before
//!   a missing key, since it is usually a misspelling of it.
//! - **Error paths** name the request's keys (`worker_count`, `boundaries[3]`), for the typed
//!   functions too.

use std::collections::HashMap;
use std::fmt;
use std::iter;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::cursor::{
    format_timestamp, format_uuid, parse_timestamp, parse_uuid, Cursor, CursorKind, OrderedKey,
};
use crate::cursor_config::{batch_id_for, CursorConfig};
use crate::error::{Error, ErrorCode, Result, Warning, WarningCode};
use crate::input::{
    coded_at, describe, duplicate_key, from_json, missing, unknown_key, Key, NonEmpty, RawJson,
    U32, U64,
};
use crate::path::JsonPath;

/// The most cursor configs one call produces.
pub const MAX_PARTITIONS: usize = 1_000_000;

/// The largest `batch_size` (it is a u32 on the wire).
const MAX_BATCH_SIZE: u64 = u32::MAX as u64;

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// What to partition and how: the input of the `partition` operation, tagged by `strategy`.
///
/// ```
/// use tasker_batch::partition::PartitionRequest;
///
/// let request: PartitionRequest = tasker_batch::input::from_json(
///     r#"{"strategy": "integer_by_size", "total_items": 250, "batch_size": 100}"#,
/// )
/// .unwrap();
/// assert_eq!(
///     request,
///     PartitionRequest::IntegerBySize { total_items: 250, batch_size: 100, max_batches: None, start: 0 }
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum PartitionRequest {
    /// `"integer_by_count"`: see [`integer_by_count`].
    IntegerByCount {
        /// Items to split.
        total_items: u64,
        /// Workers to split them over (at least 1).
        worker_count: u32,
        /// First key (default 0).
        start: i128,
    },
    /// `"integer_by_size"`: see [`integer_by_size`].
    IntegerBySize {
        /// Items to split.
        total_items: u64,
        /// Items per range (at least 1).
        batch_size: u32,
        /// Most ranges wanted; more would make the ranges grow.
        max_batches: Option<u32>,
        /// First key (default 0).
        start: i128,
    },
    /// `"uuid"`: see [`uuid`].
    Uuid {
        /// Ranges to make (at least 1).
        count: u32,
        /// First UUID, as its 128-bit value (default the nil UUID).
        start: u128,
        /// End UUID (exclusive); `None` is the open end, past `ffffffff-...-ffffffffffff`.
        end: Option<u128>,
        /// Items in the whole range, shared out as `batch_size`s.
        total_items: Option<u64>,
    },
    /// `"timestamp"`: see [`timestamp`].
    Timestamp {
        /// First instant, in nanoseconds since the Unix epoch.
        start: i128,
        /// End instant (exclusive), in nanoseconds since the Unix epoch.
        end: i128,
        /// Equal spans or a fixed step.
        spans: TimestampSpans,
        /// Items in the whole range, shared out as `batch_size`s.
        total_items: Option<u64>,
    },
    /// `"boundaries"`: see [`boundaries`].
    Boundaries {
        /// `b0, b1, ..., bn`: the ranges are `[b_i, b_{i+1})`.
        boundaries: Vec<Cursor>,
        /// Items in the whole range, shared out as `batch_size`s (non-integer kinds).
        total_items: Option<u64>,
    },
}

/// How a timestamp range is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampSpans {
    /// `count` spans of equal length (to the nanosecond; they differ by at most 1 ns).
    Count(u32),
    /// Spans of `step_seconds`, the last one shorter.
    StepSeconds(u64),
}

impl PartitionRequest {
    /// The `strategy` tag of this request.
    pub fn strategy(&self) -> &'static str {
        match self {
            PartitionRequest::IntegerByCount { .. } => "integer_by_count",
            PartitionRequest::IntegerBySize { .. } => "integer_by_size",
            PartitionRequest::Uuid { .. } => "uuid",
            PartitionRequest::Timestamp { .. } => "timestamp",
            PartitionRequest::Boundaries { .. } => "boundaries",
        }
    }
}

/// The output of the `partition` operation: a JSON array of cursor configs.
///
/// Integer ranges are pure arithmetic, so they are written out as they are serialized rather
/// than built as a million [`CursorConfig`]s first; the other strategies build their configs.
#[derive(Clone, Debug, PartialEq)]
pub enum Partition {
    /// Integer ranges, described by their arithmetic.
    Integer(IntegerRanges),
    /// Built cursor configs.
    Configs(Vec<CursorConfig>),
}

impl Partition {
    /// The cursor configs.
    pub fn into_configs(self) -> Vec<CursorConfig> {
        match self {
            Partition::Integer(ranges) => ranges.configs(),
            Partition::Configs(configs) => configs,
        }
    }
}

impl Serialize for Partition {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Partition::Integer(ranges) => ranges.serialize(serializer),
            Partition::Configs(configs) => configs.serialize(serializer),
        }
    }
}

/// The `partition` operation: runs the request's strategy.
pub fn partition(request: PartitionRequest, warnings: &mut Vec<Warning>) -> Result<Partition> {
    let configs = match request {
        PartitionRequest::IntegerByCount {
            total_items,
            worker_count,
            start,
        } => {
            return split_over_workers(total_items, worker_count, start, "worker_count")
                .map(Partition::Integer)
        }
        PartitionRequest::IntegerBySize {
            total_items,
            batch_size,
            max_batches,
            start,
        } => {
            return integer_ranges_by_size(total_items, batch_size, max_batches, start)
                .map(Partition::Integer)
        }
        PartitionRequest::Uuid {
            count,
            start,
            end,
            total_items,
        } => uuid(count, start, end, total_items),
        PartitionRequest::Timestamp {
            start,
            end,
            spans,
            total_items,
        } => timestamp(start, end, spans, total_items),
        PartitionRequest::Boundaries {
            boundaries,
            total_items,
        } => self::boundaries(&boundaries, total_items, warnings),
    };
    configs.map(Partition::Configs)
}

// ------------------------------------------------------------------------------------------
// Integers

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

fn integer_ranges_by_size(
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

fn split_over_workers(
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

// ------------------------------------------------------------------------------------------
// UUIDs and timestamps

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

/// Splits the instants `[start, end)` (nanoseconds since the Unix epoch, as
/// [`parse_timestamp`] returns them) into equal spans or by a fixed step. Cursors are RFC 3339
/// UTC strings. With `total_items`, the `batch_size`s share it out; otherwise they are 0.
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
    let representable = |key: &str, nanos: i128| {
        format_timestamp(nanos).ok_or_else(|| {
            Error::new(
                ErrorCode::OutOfRange,
                key,
                format!(
                    "expected an instant between the years -262143 and 262142, found {nanos} ns from the Unix epoch"
                ),
            )
        })
    };
    let start_text = representable("start", start)?;
    let end_text = representable("end", end)?;
    if end <= start {
        return Err(Error::new(
            ErrorCode::InvalidRange,
            "end",
            format!("expected an end after start {start_text}, found {end_text}"),
        ));
    }
    let width = (end - start) as u128;
    // Every point lies between two representable instants, so it is representable too.
    let timestamp_cursor = |nanos: i128| {
        Cursor::string(&format_timestamp(nanos).expect("an instant inside a valid range formats"))
    };
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

/// The offsets `floor(i * width / count)` for `i` in `1..count`, exact for every width up to
/// 2^128 (given as `width - 1`, which always fits a u128).
///
/// With `width = q * count + r`, `floor(i * width / count) = i*q + floor(i*r / count)`:
/// `i*q` stays below the width, and `i*r < count^2 <= 2^64`.
fn equal_split_points(width_minus_one: u128, count: u32) -> impl Iterator<Item = u128> {
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

// ------------------------------------------------------------------------------------------
// Boundaries

/// Ranges `[b_i, b_{i+1})` between caller-supplied boundaries, kept as their exact text. See
/// the module documentation for the rules (open ends, one kind, increasing order).
/// Errors name `boundaries[i]`.
///
/// ```
/// use tasker_batch::cursor::Cursor;
///
/// let bounds = [Cursor::from_json(r#"{"region":"eu","page":0}"#).unwrap(),
///               Cursor::from_json(r#"{"region":"us","page":0}"#).unwrap()];
/// let configs = tasker_batch::partition::boundaries(&bounds, Some(40), &mut vec![]).unwrap();
/// assert_eq!(configs[0].end_cursor.json(), r#"{"region":"us","page":0}"#);
/// assert_eq!(configs[0].batch_size, 40);
/// ```
pub fn boundaries(
    boundaries: &[Cursor],
    total_items: Option<u64>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<CursorConfig>> {
    let list_at = JsonPath::root().key("boundaries");
    let n = boundaries.len();
    if n < 2 {
        return Err(Error::at(
            ErrorCode::InvalidValue,
            &list_at,
            format!("expected at least 2 boundaries (one range), found {n}"),
        ));
    }
    let count = n - 1;
    check_count(count as u64, "boundaries", format_args!("{n} boundaries"))?;

    let mut kind: Option<(CursorKind, usize)> = None;
    let mut keys: Vec<Option<OrderedKey>> = Vec::with_capacity(n);
    for (i, boundary) in boundaries.iter().enumerate() {
        let at = list_at.index(i);
        if boundary.0.is_null() {
            if i != 0 && i != count {
                return Err(Error::at(
                    ErrorCode::InvalidValue,
                    &at,
                    "expected a cursor, found null (null is an open end: only the first or last boundary may be null)",
                ));
            }
            keys.push(None);
            continue;
        }
        let classified = boundary.classify(&at)?;
        match kind {
            None => kind = Some((classified.kind, i)),
            Some((first, j)) if first != classified.kind => {
                return Err(Error::at(
                    ErrorCode::MixedCursorKinds,
                    &at,
                    format!(
                        "expected every boundary of one kind ({first}, as boundaries[{j}]), found {} {boundary}",
                        classified.kind
                    ),
                ))
            }
            Some(_) => {}
        }
        keys.push(classified.key);
    }
    let kind = kind.map_or(CursorKind::Null, |(kind, _)| kind);

    let ordered = matches!(
        kind,
        CursorKind::Integer | CursorKind::Uuid | CursorKind::Timestamp
    );
    if ordered {
        for i in 1..n {
            if let (Some(prev), Some(next)) = (keys[i - 1], keys[i]) {
                if next <= prev {
                    return Err(Error::at(
                        ErrorCode::InvalidRange,
                        &list_at.index(i),
                        format!(
                            "expected boundaries in strictly increasing order, found {} after {}",
                            boundaries[i],
                            boundaries[i - 1]
                        ),
                    ));
                }
            }
        }
    } else {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(n);
        for (i, boundary) in boundaries.iter().enumerate() {
            if boundary.0.is_null() {
                continue;
            }
            if let Some(j) = seen.insert(boundary.json(), i) {
                return Err(Error::at(
                    ErrorCode::InvalidRange,
                    &list_at.index(i),
                    format!(
                        "expected distinct boundaries (the range between equal ones is empty), found {boundary} again, as boundaries[{j}]"
                    ),
                ));
            }
        }
    }

    let sizes = if kind == CursorKind::Integer {
        integer_boundary_sizes(boundaries, &keys, &list_at, total_items, warnings)?
    } else {
        let shares = Shares::new(total_items.unwrap_or(0), count)?;
        (0..count).map(|i| shares.size(i)).collect()
    };
    Ok(contiguous(
        count,
        boundaries[0].clone(),
        boundaries[1..count].iter().cloned(),
        boundaries[count].clone(),
        |i| sizes[i],
    ))
}

/// The sizes `b_{i+1} - b_i` of integer boundaries, which must be closed and non-negative.
fn integer_boundary_sizes(
    boundaries: &[Cursor],
    keys: &[Option<OrderedKey>],
    list_at: &JsonPath,
    total_items: Option<u64>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<u32>> {
    let mut values = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let at = list_at.index(i);
        match key {
            Some(OrderedKey::Integer(value)) if *value >= 0 => values.push(*value),
            Some(OrderedKey::Integer(value)) => {
                return Err(Error::at(
                    ErrorCode::NegativeCursor,
                    &at,
                    format!("expected an integer boundary >= 0, found {value}"),
                ))
            }
            _ => {
                return Err(Error::at(
                    ErrorCode::MixedCursorKinds,
                    &at,
                    format!(
                        "expected an integer boundary (integer ranges are closed), found {}",
                        boundaries[i]
                    ),
                ))
            }
        }
    }
    let mut sizes = Vec::with_capacity(values.len() - 1);
    for (i, pair) in values.windows(2).enumerate() {
        let size = pair[1] - pair[0];
        let size = u32::try_from(size).map_err(|_| {
            Error::at(
                ErrorCode::OutOfRange,
                &list_at.index(i + 1),
                format!(
                    "expected at most {MAX_BATCH_SIZE} keys between two boundaries (batch_size is a u32), found {size} from {} to {}",
                    pair[0], pair[1]
                ),
            )
        })?;
        sizes.push(size);
    }
    if let Some(total) = total_items {
        let sum: u64 = sizes.iter().map(|&s| u64::from(s)).sum();
        if sum != total {
            warnings.push(Warning::at(
                WarningCode::TotalItemsMismatch,
                &JsonPath::root().key("total_items"),
                format!(
                    "integer ranges hold end - start keys: the boundaries make {sum}, total_items says {total}"
                ),
            ));
        }
    }
    Ok(sizes)
}

// ------------------------------------------------------------------------------------------
// Shared pieces

/// `total` items shared over ranges: `per = ceil(total / ranges)` each, the tail smaller.
struct Shares {
    per: u64,
    total: u64,
}

impl Shares {
    fn new(total: u64, ranges: usize) -> Result<Self> {
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
    fn size(&self, i: usize) -> u32 {
        self.total.saturating_sub(i as u64 * self.per).min(self.per) as u32
    }
}

/// Ranges `[first, p1) [p1, p2) ... [p_last, last)` with generated ids.
fn contiguous(
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

fn check_count(count: u64, key: &str, what: fmt::Arguments<'_>) -> Result<()> {
    if count > MAX_PARTITIONS as u64 {
        return Err(Error::new(
            ErrorCode::OutOfRange,
            key,
            format!("expected at most {MAX_PARTITIONS} cursor configs, found {count} ({what})"),
        ));
    }
    Ok(())
}

fn at_least_one(key: &str, found: u64) -> Error {
    Error::new(
        ErrorCode::OutOfRange,
        key,
        format!("expected {key} of at least 1, found {found}"),
    )
}

// ------------------------------------------------------------------------------------------
// Reading the request

/// The accepted keys of each strategy, in the order the docs list them.
const STRATEGIES: &[(&str, &[&str])] = &[
    (
        "integer_by_count",
        &["strategy", "total_items", "worker_count", "start"],
    ),
    (
        "integer_by_size",
        &[
            "strategy",
            "total_items",
            "batch_size",
            "max_batches",
            "start",
        ],
    ),
    (
        "uuid",
        &["strategy", "count", "start", "end", "total_items"],
    ),
    (
        "timestamp",
        &[
            "strategy",
            "start",
            "end",
            "count",
            "step_seconds",
            "total_items",
        ],
    ),
    ("boundaries", &["strategy", "boundaries", "total_items"]),
];

/// Keys whose meaning depends on the strategy: kept raw until the strategy is known (it may
/// come last), so that a key the strategy does not accept is reported as such rather than as
/// a value of the wrong type.
const SCALAR_KEYS: &[&str] = &[
    "total_items",
    "worker_count",
    "start",
    "batch_size",
    "max_batches",
    "count",
    "end",
    "step_seconds",
];

/// The request as read, before the strategy picks its keys.
#[derive(Default)]
struct Fields {
    strategy: Option<String>,
    boundaries: Option<Vec<Cursor>>,
    scalars: Vec<(&'static str, RawJson)>,
    /// Keys in input order: every known one, and the first unknown one.
    keys: Vec<String>,
}

impl<'de> Deserialize<'de> for PartitionRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PartitionRequest;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a partition request object with "strategy""#)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Fields::default();
                let mut unknown_seen = false;
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    match &*key {
                        "strategy" => {
                            let NonEmpty(name) = map.next_value()?;
                            crate::input::set_once(&mut fields.strategy, &key, name)?;
                        }
                        "boundaries" => {
                            let list: Vec<Cursor> = map.next_value()?;
                            crate::input::set_once(&mut fields.boundaries, &key, list)?;
                        }
                        other => match SCALAR_KEYS.iter().find(|k| **k == other) {
                            Some(&name) => {
                                let raw: RawJson = map.next_value()?;
                                if fields.raw(name).is_some() {
                                    return Err(duplicate_key(name));
                                }
                                fields.scalars.push((name, raw));
                            }
                            None => {
                                map.next_value::<IgnoredAny>()?;
                                if unknown_seen {
                                    continue;
                                }
                                unknown_seen = true;
                            }
                        },
                    }
                    fields.keys.push(key.into_owned());
                }
                fields.build()
            }
        }
        deserializer.deserialize_map(V)
    }
}

impl Fields {
    fn raw(&self, key: &str) -> Option<&RawJson> {
        self.scalars.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    fn build<E: de::Error>(self) -> Result<PartitionRequest, E> {
        let strategy = self
            .strategy
            .as_deref()
            .ok_or_else(|| missing("strategy"))?;
        let Some(&(name, accepted)) = STRATEGIES.iter().find(|(name, _)| *name == strategy) else {
            let names: Vec<String> = STRATEGIES.iter().map(|(n, _)| format!("{n:?}")).collect();
            return Err(coded_at(
                ErrorCode::InvalidValue,
                "strategy",
                format_args!(
                    r#"expected "strategy" to be one of {}, found {strategy:?}"#,
                    names.join(", ")
                ),
            ));
        };
        if let Some(key) = self.keys.iter().find(|k| !accepted.contains(&k.as_str())) {
            return Err(unknown_key(key, accepted));
        }
        let total_items = self.u64("total_items")?;
        Ok(match name {
            "integer_by_count" => PartitionRequest::IntegerByCount {
                total_items: total_items.ok_or_else(|| missing("total_items"))?,
                worker_count: self.u32("worker_count")?.ok_or_else(|| missing("worker_count"))?,
                start: self.integer_start()?,
            },
            "integer_by_size" => PartitionRequest::IntegerBySize {
                total_items: total_items.ok_or_else(|| missing("total_items"))?,
                batch_size: self.u32("batch_size")?.ok_or_else(|| missing("batch_size"))?,
                max_batches: self.u32("max_batches")?,
                start: self.integer_start()?,
            },
            "uuid" => PartitionRequest::Uuid {
                count: self.u32("count")?.ok_or_else(|| missing("count"))?,
                start: match self.raw("start") {
                    Some(raw) => uuid_value(raw, "start")?,
                    None => 0,
                },
                end: match self.raw("end") {
                    Some(raw) if !raw.is_null() => Some(uuid_value(raw, "end")?),
                    _ => None,
                },
                total_items,
            },
            "timestamp" => PartitionRequest::Timestamp {
                start: timestamp_value(self.raw("start"), "start")?,
                end: timestamp_value(self.raw("end"), "end")?,
                spans: match (self.u32("count")?, self.u64("step_seconds")?) {
                    (Some(count), None) => TimestampSpans::Count(count),
                    (None, Some(step)) => TimestampSpans::StepSeconds(step),
                    (Some(_), Some(_)) => {
                        return Err(coded_at(
                            ErrorCode::InvalidValue,
                            "step_seconds",
                            "expected exactly one of the keys `count` and `step_seconds`, found both",
                        ))
                    }
                    (None, None) => {
                        return Err(coded_at(
                            ErrorCode::MissingField,
                            "count",
                            "expected exactly one of the keys `count` and `step_seconds`, found neither",
                        ))
                    }
                },
                total_items,
            },
            _ => PartitionRequest::Boundaries {
                boundaries: self.boundaries.ok_or_else(|| missing("boundaries"))?,
                total_items,
            },
        })
    }

    fn u32<E: de::Error>(&self, key: &str) -> Result<Option<u32>, E> {
        self.raw(key)
            .map(|raw| from_json::<U32>(raw.get()).map(|U32(v)| v))
            .transpose()
            .map_err(|e| coded_at(e.code, key, e.message))
    }

    fn u64<E: de::Error>(&self, key: &str) -> Result<Option<u64>, E> {
        self.raw(key)
            .map(|raw| from_json::<U64>(raw.get()).map(|U64(v)| v))
            .transpose()
            .map_err(|e| coded_at(e.code, key, e.message))
    }

    /// `start` of the integer strategies: an exact integer (beyond 64 bits too), default 0.
    fn integer_start<E: de::Error>(&self) -> Result<i128, E> {
        let Some(raw) = self.raw("start") else {
            return Ok(0);
        };
        let text = raw.get();
        let expected = format_args!("expected an integer in 0..={}", i128::MAX);
        let is_number = text.starts_with(|c: char| c == '-' || c.is_ascii_digit());
        if !is_number {
            return Err(coded_at(
                ErrorCode::TypeMismatch,
                "start",
                format_args!("{expected}, found {}", describe(text)),
            ));
        }
        match text.parse::<i128>() {
            Ok(value) if value >= 0 => Ok(value),
            _ if text.contains(['.', 'e', 'E']) => Err(coded_at(
                ErrorCode::OutOfRange,
                "start",
                format_args!("{expected}, found the number {text}"),
            )),
            _ => Err(coded_at(
                ErrorCode::OutOfRange,
                "start",
                format_args!("{expected}, found {text}"),
            )),
        }
    }
}

/// A UUID string's 128-bit value; `key` names it in errors.
fn uuid_value<E: de::Error>(raw: &RawJson, key: &str) -> Result<u128, E> {
    let expected = r#"expected a UUID string such as "0190a2b4-1c2d-7e8f-9a0b-1c2d3e4f5a6b""#;
    if !raw.get().starts_with('"') {
        return Err(coded_at(
            ErrorCode::TypeMismatch,
            key,
            format_args!("{expected}, found {}", describe(raw.get())),
        ));
    }
    serde_json::from_str::<String>(raw.get())
        .ok()
        .and_then(|text| parse_uuid(&text))
        .ok_or_else(|| {
            coded_at(
                ErrorCode::InvalidCursor,
                key,
                format_args!("{expected}, found {}", raw.get()),
            )
        })
}

/// A required RFC 3339 string in nanoseconds since the Unix epoch; `key` names it in errors.
fn timestamp_value<E: de::Error>(raw: Option<&RawJson>, key: &str) -> Result<i128, E> {
    let raw = raw.ok_or_else(|| missing(key))?;
    let expected = r#"expected an RFC 3339 timestamp string such as "2024-01-01T00:00:00Z""#;
    if !raw.get().starts_with('"') {
        return Err(coded_at(
            ErrorCode::TypeMismatch,
            key,
            format_args!("{expected}, found {}", describe(raw.get())),
        ));
    }
    let text: String = serde_json::from_str(raw.get()).map_err(|e| {
        coded_at(
            ErrorCode::InvalidCursor,
            key,
            format_args!("{expected}, found {} ({e})", raw.get()),
        )
    })?;
    parse_timestamp(&text).map_err(|why| {
        coded_at(
            ErrorCode::InvalidCursor,
            key,
            format_args!("{expected}, found {} ({why})", raw.get()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(json: &str) -> Result<Vec<CursorConfig>> {
        let request: PartitionRequest = from_json(json)?;
        partition(request, &mut Vec::new()).map(Partition::into_configs)
    }

    /// `(start, end, batch_size)` of each config, cursors as JSON text.
    fn ranges(configs: &[CursorConfig]) -> Vec<(String, String, u32)> {
        configs
            .iter()
            .map(|c| {
                (
                    c.start_cursor.json().to_owned(),
                    c.end_cursor.json().to_owned(),
                    c.batch_size,
                )
            })
            .collect()
    }

    fn r(start: &str, end: &str, size: u32) -> (String, String, u32) {
        (start.to_owned(), end.to_owned(), size)
    }

    fn q(text: &str) -> String {
        format!("{text:?}")
    }

    fn error(json: &str) -> (ErrorCode, String) {
        let err = run(json).unwrap_err();
        (err.code, err.path)
    }

    fn err(code: ErrorCode, path: &str) -> (ErrorCode, String) {
        (code, path.to_owned())
    }

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

    // --- boundaries --------------------------------------------------------------------------

    #[test]
    fn boundaries_keep_strings_and_composite_keys_exactly() {
        let configs =
            run(r#"{"strategy":"boundaries","boundaries":[null,"m","\u0074"],"total_items":5}"#)
                .unwrap();
        assert_eq!(
            ranges(&configs),
            [r("null", r#""m""#, 3), r(r#""m""#, r#""\u0074""#, 2)]
        );
        let composite =
            run(r#"{"strategy":"boundaries","boundaries":[{"z":1, "a":[1.50,2]},{"z":2,"a":[]}]}"#)
                .unwrap();
        assert_eq!(
            ranges(&composite),
            [r(r#"{"z":1,"a":[1.50,2]}"#, r#"{"z":2,"a":[]}"#, 0)]
        );
    }

    #[test]
    fn integer_boundaries_size_their_ranges() {
        let mut warnings = Vec::new();
        let request: PartitionRequest = from_json(
            r#"{"strategy":"boundaries","boundaries":[0,10,100000000000],"total_items":10}"#,
        )
        .unwrap();
        let e = partition(request, &mut warnings).unwrap_err();
        assert_eq!(
            (e.code, e.path.as_str()),
            (ErrorCode::OutOfRange, "boundaries[2]")
        );

        let request: PartitionRequest =
            from_json(r#"{"strategy":"boundaries","boundaries":[0,10,25],"total_items":30}"#)
                .unwrap();
        let configs = partition(request, &mut warnings).unwrap().into_configs();
        assert_eq!(ranges(&configs), [r("0", "10", 10), r("10", "25", 15)]);
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            (warnings[0].code, warnings[0].path.as_str()),
            (WarningCode::TotalItemsMismatch, "total_items")
        );
    }

    #[test]
    fn open_ends_for_every_kind_but_integers() {
        let both = run(r#"{"strategy":"boundaries","boundaries":[null,null]}"#).unwrap();
        assert_eq!(ranges(&both), [r("null", "null", 0)]);
        let uuids = run(
            r#"{"strategy":"boundaries","boundaries":[null,"80000000-0000-0000-0000-000000000000",null]}"#,
        )
        .unwrap();
        assert_eq!(uuids.len(), 2);
        assert_eq!(
            error(r#"{"strategy":"boundaries","boundaries":[0,5,null]}"#),
            err(ErrorCode::MixedCursorKinds, "boundaries[2]")
        );
        assert_eq!(
            error(r#"{"strategy":"boundaries","boundaries":["a",null,"c"]}"#),
            err(ErrorCode::InvalidValue, "boundaries[1]")
        );
    }

    #[test]
    fn boundary_rules() {
        let cases = [
            (r#"[0]"#, err(ErrorCode::InvalidValue, "boundaries")),
            (
                r#"[0,"a"]"#,
                err(ErrorCode::MixedCursorKinds, "boundaries[1]"),
            ),
            (r#"[0,5,5]"#, err(ErrorCode::InvalidRange, "boundaries[2]")),
            (r#"[0,5,3]"#, err(ErrorCode::InvalidRange, "boundaries[2]")),
            (r#"[-5,5]"#, err(ErrorCode::NegativeCursor, "boundaries[0]")),
            (
                r#"["a","b","a"]"#,
                err(ErrorCode::InvalidRange, "boundaries[2]"),
            ),
            (
                r#"["2024-01-02T00:00:00Z","2024-01-01T00:00:00Z"]"#,
                err(ErrorCode::InvalidRange, "boundaries[1]"),
            ),
            (
                r#"["2024-01-01T00:00:00Z","2024-13-01T00:00:00Z"]"#,
                err(ErrorCode::InvalidCursor, "boundaries[1]"),
            ),
            (
                r#"[0,1000000000000000000000000000000000000000]"#,
                err(ErrorCode::OutOfRange, "boundaries[1]"),
            ),
            (r#"{"a":1}"#, err(ErrorCode::TypeMismatch, "boundaries")),
        ];
        for (list, expected) in cases {
            let json = format!(r#"{{"strategy":"boundaries","boundaries":{list}}}"#);
            assert_eq!(error(&json), expected, "{list}");
        }
    }

    // --- reading the request -----------------------------------------------------------------

    #[test]
    fn numbers_are_strict() {
        let cases = [
            (
                r#""total_items":-1,"worker_count":2"#,
                "total_items",
                ErrorCode::OutOfRange,
            ),
            (
                r#""total_items":1.5,"worker_count":2"#,
                "total_items",
                ErrorCode::OutOfRange,
            ),
            (
                r#""total_items":18446744073709551616,"worker_count":2"#,
                "total_items",
                ErrorCode::OutOfRange,
            ),
            (
                r#""total_items":10,"worker_count":4294967296"#,
                "worker_count",
                ErrorCode::OutOfRange,
            ),
            (
                r#""total_items":10,"worker_count":"2""#,
                "worker_count",
                ErrorCode::TypeMismatch,
            ),
            (
                r#""total_items":10,"worker_count":2,"start":-1"#,
                "start",
                ErrorCode::OutOfRange,
            ),
            (
                r#""total_items":10,"worker_count":2,"start":0.5"#,
                "start",
                ErrorCode::OutOfRange,
            ),
            (
                r#""total_items":10,"worker_count":2,"start":"0""#,
                "start",
                ErrorCode::TypeMismatch,
            ),
            (
                r#""total_items":10,"worker_count":2,"start":170141183460469231731687303715884105728"#,
                "start",
                ErrorCode::OutOfRange,
            ),
        ];
        for (keys, path, code) in cases {
            let json = format!(r#"{{"strategy":"integer_by_count",{keys}}}"#);
            assert_eq!(error(&json), err(code, path), "{keys}");
        }
        let e = run(r#"{"strategy":"integer_by_count","total_items":-3,"worker_count":2}"#)
            .unwrap_err();
        assert!(e.message.contains("found -3"), "{}", e.message);
    }

    #[test]
    fn keys_are_checked_against_the_strategy() {
        // The strategy may come last; a key of another strategy is reported as such.
        let e =
            run(r#"{"total_items":10,"count":"x","worker_count":2,"strategy":"integer_by_count"}"#)
                .unwrap_err();
        assert_eq!(
            (e.code, e.path.as_str()),
            (ErrorCode::InvalidValue, "count")
        );
        assert!(e.message.contains("worker_count"), "{}", e.message);
        assert_eq!(
            error(r#"{"strategy":"integer_by_count","total_items":10,"workers":2}"#),
            err(ErrorCode::InvalidValue, "workers")
        );
        assert_eq!(
            error(r#"{"strategy":"by_magic","total_items":10}"#),
            err(ErrorCode::InvalidValue, "strategy")
        );
        assert_eq!(
            error(r#"{"total_items":10}"#),
            err(ErrorCode::MissingField, "strategy")
        );
        assert_eq!(
            error(r#"{"strategy":"integer_by_count","total_items":10}"#),
            err(ErrorCode::MissingField, "worker_count")
        );
        assert_eq!(
            error(
                r#"{"strategy":"integer_by_count","total_items":1,"total_items":1,"worker_count":1}"#
            ),
            err(ErrorCode::InvalidValue, "total_items")
        );
        assert_eq!(error(r#"[1]"#), err(ErrorCode::TypeMismatch, ""));
    }

    #[test]
    fn the_operation_is_registered() {
        let out = crate::operations::call_envelope(
            "partition",
            r#"{"strategy":"integer_by_size","total_items":250,"batch_size":100}"#,
        );
        assert_eq!(
            out,
            r#"{"ok":true,"value":[{"batch_id":"001","start_cursor":0,"end_cursor":100,"batch_size":100},{"batch_id":"002","start_cursor":100,"end_cursor":200,"batch_size":100},{"batch_id":"003","start_cursor":200,"end_cursor":250,"batch_size":50}],"warnings":[]}"#
        );
    }

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

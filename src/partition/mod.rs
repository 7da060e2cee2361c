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
//!   span; exactly one of `count` and `step_seconds`. Both ends are required (no open end), and
//!   must have an RFC 3339 UTC text: UTC years 0000 to 9999, no leap second (`out_of_range`).
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
//!
//! One file per strategy (`integer`, `uuid`, `timestamp`, `boundaries`), `request` for reading
//! the operation's input, and `ranges` for what the strategies share (the equal split, the
//! sharing of `total_items`, the assembly of contiguous ranges, the count limit).

mod boundaries;
mod integer;
mod ranges;
mod request;
mod timestamp;
mod uuid;

use serde::ser::Serializer;
use serde::Serialize;

pub use self::boundaries::boundaries;
pub use self::integer::{integer_by_count, integer_by_size, IntegerRanges};
use self::integer::{integer_ranges_by_size, split_over_workers};
pub use self::request::PartitionRequest;
pub use self::timestamp::{timestamp, TimestampSpans};
pub use self::uuid::uuid;
use crate::cursor_config::CursorConfig;
use crate::error::{Result, Warning};

/// The most cursor configs one call produces.
pub const MAX_PARTITIONS: usize = 1_000_000;

/// The largest `batch_size` (it is a u32 on the wire).
const MAX_BATCH_SIZE: u64 = u32::MAX as u64;

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::input::from_json;

    pub(crate) fn run(json: &str) -> Result<Vec<CursorConfig>> {
        let request: PartitionRequest = from_json(json)?;
        partition(request, &mut Vec::new()).map(Partition::into_configs)
    }

    /// `(start, end, batch_size)` of each config, cursors as JSON text.
    pub(crate) fn ranges(configs: &[CursorConfig]) -> Vec<(String, String, u32)> {
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

    pub(crate) fn r(start: &str, end: &str, size: u32) -> (String, String, u32) {
        (start.to_owned(), end.to_owned(), size)
    }

    pub(crate) fn q(text: &str) -> String {
        format!("{text:?}")
    }

    pub(crate) fn error(json: &str) -> (ErrorCode, String) {
        let err = run(json).unwrap_err();
        (err.code, err.path)
    }

    pub(crate) fn err(code: ErrorCode, path: &str) -> (ErrorCode, String) {
        (code, path.to_owned())
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
}

//! A worker's cursor, read from its inputs (docs/contract.md §6, §8, §9).
//!
//! Reading is tolerant where one safe reading exists: a cursor without `batch_size` (upstream's
//! fixtures and hand-built test steps omit it) is read, its size `end - start` for integer
//! cursors and unknown otherwise, with a `missing_batch_size` warning. A cursor without
//! `batch_id`, `start_cursor` or `end_cursor` is still an error, in upstream's words. Validating
//! worker inputs (what the orchestrator writes) requires every key.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::cursor::Cursor;
use crate::cursor_config::{CursorConfig, PartialCursorConfig};
use crate::error::{Error, ErrorCode, Result, Warning, WarningCode};
use crate::input::Extra;
use crate::path::JsonPath;
use crate::validation::{self, RangeInfo, RangeParts};
use crate::worker_inputs::WorkerInputsRead;

/// A worker's cursor as read: every key but `batch_size` is there.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerCursor {
    /// Non-empty identifier (`"000"` for the no-op placeholder).
    pub batch_id: String,
    /// First key of the range (inclusive).
    pub start_cursor: Cursor,
    /// End of the range (exclusive).
    pub end_cursor: Cursor,
    /// `batch_size` as stored; `None` when the inputs have none.
    pub batch_size: Option<u32>,
    /// Caller keys, kept in order.
    pub extra: Extra,
}

impl WorkerCursor {
    /// The range's parts, for the range checks.
    pub(crate) fn parts(&self) -> RangeParts<'_> {
        RangeParts {
            start_cursor: &self.start_cursor,
            end_cursor: &self.end_cursor,
            batch_size: self.batch_size,
        }
    }
}

/// Written as read: `batch_size` only when the inputs had one.
impl Serialize for WorkerCursor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4 + self.extra.0.len()))?;
        map.serialize_entry("batch_id", &self.batch_id)?;
        map.serialize_entry("start_cursor", &self.start_cursor)?;
        map.serialize_entry("end_cursor", &self.end_cursor)?;
        if let Some(size) = self.batch_size {
            map.serialize_entry("batch_size", &size)?;
        }
        self.extra.serialize_into(&mut map)?;
        map.end()
    }
}

/// The worker's cursor, complete and validated, from inputs found at `at`: every key required
/// (`validate_worker_inputs`: what the orchestrator writes).
pub fn resolve_cursor(
    inputs: &WorkerInputsRead,
    at: &JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<(CursorConfig, RangeInfo)> {
    let cursor_at = || at.key("cursor");
    let (cursor, range) = read_cursor(inputs, &|| at.clone(), warnings)?;
    let Some(batch_size) = cursor.batch_size else {
        return Err(Error::at(
            ErrorCode::MissingField,
            &cursor_at().key("batch_size"),
            "expected the key `batch_size`, found no such key",
        ));
    };
    let config = CursorConfig {
        batch_id: cursor.batch_id,
        start_cursor: cursor.start_cursor,
        end_cursor: cursor.end_cursor,
        batch_size,
        extra: cursor.extra,
    };
    Ok((config, range))
}

/// The worker's cursor as a worker reads it, from inputs found at `at()`, `batch_size` possibly
/// absent ([`warn_missing_batch_size`] says so; [`resolve_cursor`] refuses it).
pub(crate) fn read_cursor(
    inputs: &WorkerInputsRead,
    at: &dyn Fn() -> JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<(WorkerCursor, RangeInfo)> {
    read_cursor_parts(inputs.cursor.clone(), inputs.is_no_op, at, warnings)
}

/// [`read_cursor`] of the inputs' cursor, taken, and `is_no_op`.
pub(crate) fn read_cursor_parts(
    read: Option<PartialCursorConfig>,
    is_no_op: bool,
    at: &dyn Fn() -> JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<(WorkerCursor, RangeInfo)> {
    let cursor_at = || at().key("cursor");
    let cursor = if is_no_op {
        // Keys missing from a no-op worker's cursor come from the placeholder.
        let placeholder = CursorConfig::no_op();
        let read = read.unwrap_or_default();
        WorkerCursor {
            batch_id: read.batch_id.unwrap_or(placeholder.batch_id),
            start_cursor: read.start_cursor.unwrap_or(placeholder.start_cursor),
            end_cursor: read.end_cursor.unwrap_or(placeholder.end_cursor),
            batch_size: Some(read.batch_size.unwrap_or(placeholder.batch_size)),
            extra: read.extra,
        }
    } else {
        complete(read, &cursor_at)?
    };
    // The placeholder's empty range is its point: no zero-length warning for it.
    let mut range_warnings = Vec::new();
    let range = validation::check_range_parts(cursor.parts(), &cursor_at, &mut range_warnings)?;
    if !is_no_op {
        warnings.append(&mut range_warnings);
    }
    Ok((cursor, range))
}

/// The size of the range: as stored, else `end - start` of an integer range, else unknown.
pub(crate) fn batch_size(cursor: &WorkerCursor, range: &RangeInfo) -> Option<u128> {
    use crate::cursor::OrderedKey::Integer;
    match (cursor.batch_size, range.start, range.end) {
        (Some(size), _, _) => Some(u128::from(size)),
        // Both ends were checked: non-negative, start <= end.
        (None, Some(Integer(start)), Some(Integer(end))) => u128::try_from(end - start).ok(),
        (None, _, _) => None,
    }
}

/// Requires `batch_id`, `start_cursor` and `end_cursor`, in upstream's words (docs/contract.md §9).
fn complete(read: Option<PartialCursorConfig>, at: &dyn Fn() -> JsonPath) -> Result<WorkerCursor> {
    let read = match read {
        Some(read) if read != PartialCursorConfig::default() => read,
        // No cursor, or an empty object.
        _ => {
            return Err(Error::at(
                ErrorCode::MissingCursor,
                &at(),
                "Missing cursor configuration",
            ))
        }
    };
    let missing =
        |code: ErrorCode, key: &str| Error::at(code, &at().key(key), format!("Missing {key}"));
    let PartialCursorConfig {
        batch_id,
        start_cursor,
        end_cursor,
        batch_size,
        extra,
    } = read;
    let batch_id = batch_id.ok_or_else(|| missing(ErrorCode::MissingBatchId, "batch_id"))?;
    let start_cursor =
        start_cursor.ok_or_else(|| missing(ErrorCode::MissingStartCursor, "start_cursor"))?;
    let end_cursor =
        end_cursor.ok_or_else(|| missing(ErrorCode::MissingEndCursor, "end_cursor"))?;
    Ok(WorkerCursor {
        batch_id,
        start_cursor,
        end_cursor,
        batch_size,
        extra,
    })
}

/// The `missing_batch_size` warning for a cursor read without one, found at `at()`.
pub(crate) fn warn_missing_batch_size(
    cursor: &WorkerCursor,
    size: Option<u128>,
    at: &dyn Fn() -> JsonPath,
    warnings: &mut Vec<Warning>,
) {
    if cursor.batch_size.is_some() {
        return;
    }
    let reading = match size {
        Some(size) => format!("read as end_cursor - start_cursor = {size}"),
        None => "its size is unknown (null): only integer ranges have one".to_owned(),
    };
    warnings.push(Warning::at(
        WarningCode::MissingBatchSize,
        &at().key("cursor").key("batch_size"),
        format!("the worker's cursor has no batch_size; {reading}"),
    ));
}

//! A worker's stored checkpoint: where it is found, and how a checkpoint cursor fits the range.
//!
//! The same fit serves reading (tolerant: whatever was stored is read, with a warning when it
//! is odd) and writing ([`crate::checkpoint`], strict: an odd checkpoint is refused).

use serde::ser::Serializer;
use serde::Serialize;

use super::cursor::WorkerCursor;
use crate::cursor::{Cursor, CursorKind, OrderedKey};
use crate::error::{Result, Warning, WarningCode};
use crate::input::{from_json, Extra, RawJson, U64};
use crate::path::JsonPath;
use crate::validation::RangeInfo;

use super::step::CheckpointField;

/// A checkpoint, wherever it was stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Checkpoint {
    /// Next key to process (an opaque token: the key to hand back to the data source).
    pub cursor: Cursor,
    /// The kind of the cursor: the range's, or `opaque`.
    pub cursor_kind: CheckpointKind,
    /// Items processed so far (0 when not recorded).
    pub items_processed: u64,
    /// Worker-defined running results (`null` when not recorded).
    pub accumulated_results: RawJson,
}

/// What kind of cursor a checkpoint holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointKind {
    /// A key of the range's kind, checked against the range.
    Key(CursorKind),
    /// A token of another kind (a page token, `{"page": 5}` on an integer range): carried
    /// exactly, its order and range unknown.
    Opaque,
}

impl Serialize for CheckpointKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            CheckpointKind::Key(kind) => kind.serialize(serializer),
            CheckpointKind::Opaque => serializer.serialize_str("opaque"),
        }
    }
}

/// A checkpoint as stored, before it is set against the range.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Stored {
    pub(crate) cursor: Cursor,
    pub(crate) items_processed: u64,
    pub(crate) accumulated_results: RawJson,
}

/// How a checkpoint cursor fits the worker's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fit {
    /// Of the range's kind and within `[start_cursor, end_cursor]` (`end` means done); the key
    /// when the kind is ordered.
    Inside(CursorKind, Option<OrderedKey>),
    /// Of the range's kind, outside `[start_cursor, end_cursor]`.
    Outside(CursorKind, OrderedKey),
    /// Of another kind: an opaque token.
    Opaque,
}

impl Fit {
    pub(crate) fn kind(self) -> CheckpointKind {
        match self {
            Fit::Inside(kind, _) | Fit::Outside(kind, _) => CheckpointKind::Key(kind),
            Fit::Opaque => CheckpointKind::Opaque,
        }
    }
}

/// Sets a checkpoint cursor against the range. A cursor of the range's kind that cannot be
/// read (an integer beyond 128 bits, a malformed timestamp) is an error at `at`.
pub(crate) fn fit(
    checkpoint: &Cursor,
    range: &RangeInfo,
    at: &dyn Fn() -> JsonPath,
) -> Result<Fit> {
    let kind = checkpoint.kind();
    let fits = kind == range.kind || (range.kind == CursorKind::Null && kind != CursorKind::Null);
    if !fits {
        return Ok(Fit::Opaque);
    }
    let key = checkpoint
        .classify(&JsonPath::root())
        .map_err(|e| e.under(&at()))?
        .key;
    match key {
        Some(key)
            if range.start.is_some_and(|start| key < start)
                || range.end.is_some_and(|end| key > end) =>
        {
            Ok(Fit::Outside(kind, key))
        }
        key => Ok(Fit::Inside(kind, key)),
    }
}

/// Reads the stored checkpoint, whatever it holds: a worker can always read its own state.
/// An opaque token or a cursor outside the range is read as stored, with a warning.
pub(crate) fn read_checkpoint(
    results: &Extra,
    checkpoint: Option<&CheckpointField>,
    range: &RangeInfo,
    cursor: &WorkerCursor,
    warnings: &mut Vec<Warning>,
) -> Result<Option<Checkpoint>> {
    let results_at = || JsonPath::root().key("results");
    let from_results = checkpoint_in_results(results, &results_at)?;
    let from_field = checkpoint.and_then(|field| {
        field.cursor.clone().map(|cursor| Stored {
            cursor,
            items_processed: field.items_processed.unwrap_or(0),
            accumulated_results: field
                .accumulated_results
                .clone()
                .unwrap_or_else(RawJson::null),
        })
    });
    let in_results = || results_at().key("checkpoint_cursor");
    let in_field = || JsonPath::root().key("checkpoint").key("cursor");
    let (stored, at): (_, &dyn Fn() -> JsonPath) = match (from_results, from_field) {
        (Some(results), Some(field)) => {
            if results != field {
                warnings.push(Warning::at(
                    WarningCode::ConflictingCheckpoints,
                    &JsonPath::root().key("checkpoint"),
                    format!(
                        "results hold checkpoint {} ({} processed), the checkpoint field holds {} ({} processed); using the results",
                        results.cursor, results.items_processed, field.cursor, field.items_processed
                    ),
                ));
            }
            (results, &in_results)
        }
        (Some(results), None) => (results, &in_results),
        (None, Some(field)) => (field, &in_field),
        (None, None) => return Ok(None),
    };
    let fit = fit(&stored.cursor, range, at)?;
    match fit {
        Fit::Opaque => warnings.push(opaque_warning(&stored.cursor, range, &at())),
        Fit::Outside(..) => warnings.push(Warning::at(
            WarningCode::CheckpointOutOfRange,
            &at(),
            format!(
                "the stored checkpoint {} lies outside [{}, {}]; read as stored (writing such a checkpoint is refused)",
                stored.cursor, cursor.start_cursor, cursor.end_cursor
            ),
        )),
        Fit::Inside(..) => {}
    }
    Ok(Some(Checkpoint {
        cursor: stored.cursor,
        cursor_kind: fit.kind(),
        items_processed: stored.items_processed,
        accumulated_results: stored.accumulated_results,
    }))
}

/// The warning for a checkpoint cursor read (or written) as an opaque token.
pub(crate) fn opaque_warning(token: &Cursor, range: &RangeInfo, at: &JsonPath) -> Warning {
    Warning::at(
        WarningCode::OpaqueCheckpoint,
        at,
        format!(
            "the checkpoint cursor {token} ({}) is not of the range's kind ({}): carried as an opaque token, its order and range unchecked; resume_cursor is the token",
            token.json_type(),
            range.kind
        ),
    )
}

/// The checkpoint held in `results`, if any; stored values of the wrong type are errors.
pub(crate) fn checkpoint_in_results(
    results: &Extra,
    at: &dyn Fn() -> JsonPath,
) -> Result<Option<Stored>> {
    let cursor = match results.get("checkpoint_cursor") {
        Some(raw) if !raw.is_null() => Cursor(raw.clone()),
        _ => return Ok(None),
    };
    let items_processed = match results.get("processed_count") {
        Some(raw) if !raw.is_null() => read_count(raw, &|| at().key("processed_count"))?,
        _ => 0,
    };
    let accumulated_results = results
        .get("accumulated_results")
        .cloned()
        .unwrap_or_else(RawJson::null);
    Ok(Some(Stored {
        cursor,
        items_processed,
        accumulated_results,
    }))
}

/// Reads a stored count strictly (a fraction, a negative or a string is an error).
pub(crate) fn read_count(raw: &RawJson, at: &dyn Fn() -> JsonPath) -> Result<u64> {
    from_json::<U64>(raw.get())
        .map(|U64(n)| n)
        .map_err(|e| e.under(&at()))
}

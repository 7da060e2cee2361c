//! `BatchWorkerContext`: what a worker needs to know, read from its step data (docs/contract.md §6, §8).
//!
//! The step data is `{"inputs": BatchWorkerInputs, "results": {...}, "checkpoint": {...}}`;
//! `results` and `checkpoint` may be absent or `null`. The context gives the worker its range
//! (raw cursor values: integers stay integers, UUID and timestamp strings stay strings,
//! composite keys stay objects), its metadata, and its checkpoint.
//!
//! Reading is tolerant wherever one safe reading exists, with a warning: a worker must always
//! be able to read its own state. A cursor without `batch_size` is read (`missing_batch_size`,
//! see [`cursor`](WorkerCursor)); a cursor without `batch_id`, `start_cursor` or `end_cursor`
//! is an error in upstream's words (`Missing batch_id`, ...).
//!
//! ## Where a checkpoint lives
//!
//! - `results.checkpoint_cursor`, `results.processed_count`, `results.accumulated_results`:
//!   what [`crate::checkpoint`] writes, and what is read first;
//! - `checkpoint = {cursor, items_processed, accumulated_results}`: the newer upstream shape,
//!   read when the results hold no checkpoint. When both hold one and they differ, the results
//!   win and a `conflicting_checkpoints` warning says so.
//!
//! A checkpoint cursor is the **next key to process**: the work in `[start_cursor, checkpoint)`
//! is done, a retry resumes at the checkpoint (at-least-once from the last checkpoint). A
//! checkpoint cursor of another kind than the range (a page token) is an *opaque token*
//! (`opaque_checkpoint`; its `cursor_kind` is `opaque`), and a stored checkpoint outside the
//! range is read as stored (`checkpoint_out_of_range`): both are warnings. A checkpoint whose
//! values cannot be read at all (a count that is not a count, an integer beyond 128 bits) is
//! still an error: tolerance never invents a value.
//!
//! ## The no-op placeholder
//!
//! A `no_batches` outcome makes one worker with `is_no_op: true`; it reports batch id `"000"`
//! and the empty range `[0, 0)` (upstream Ruby reported `"unknown"`). Keys missing from a no-op
//! worker's cursor are filled from the placeholder.

mod cursor;
mod step;
mod stored;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::cursor::Cursor;
use crate::error::{Result, Warning};
use crate::input::Extra;
use crate::path::JsonPath;
use crate::validation::RangeInfo;
use crate::worker_inputs::{BatchMetadata, BatchWorkerInputs, WorkerInputsRead};

use cursor::{read_cursor_parts, warn_missing_batch_size};
pub use cursor::{resolve_cursor, WorkerCursor};
pub use step::{CheckpointField, StepData, WorkerStep};
use stored::read_checkpoint;
pub(crate) use stored::{checkpoint_in_results, fit, opaque_warning, read_count, Fit};
pub use stored::{Checkpoint, CheckpointKind};

/// The results keys a checkpoint is stored in.
pub const CHECKPOINT_KEYS: [&str; 3] = [
    "checkpoint_cursor",
    "processed_count",
    "accumulated_results",
];

/// Everything a worker reads about its batch.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchWorkerContext {
    /// The worker's range, with its caller keys.
    pub cursor: WorkerCursor,
    /// What validation learned about the range.
    pub range: RangeInfo,
    /// The template's metadata.
    pub batch_metadata: BatchMetadata,
    /// Whether this is the `no_batches` placeholder.
    pub is_no_op: bool,
    /// The last checkpoint, if any.
    pub checkpoint: Option<Checkpoint>,
}

impl BatchWorkerContext {
    /// Where processing starts: the checkpoint (a key, or an opaque token), or the start of the
    /// range.
    pub fn resume_cursor(&self) -> &Cursor {
        self.checkpoint
            .as_ref()
            .map_or(&self.cursor.start_cursor, |c| &c.cursor)
    }

    /// Items in the range: the stored `batch_size`, else `end - start` of an integer range,
    /// else unknown.
    pub fn batch_size(&self) -> Option<u128> {
        cursor::batch_size(&self.cursor, &self.range)
    }

    /// Items processed up to the last checkpoint; 0 without one.
    pub fn checkpoint_items_processed(&self) -> u64 {
        self.checkpoint.as_ref().map_or(0, |c| c.items_processed)
    }
}

impl Serialize for BatchWorkerContext {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(13))?;
        map.serialize_entry("batch_id", &self.cursor.batch_id)?;
        map.serialize_entry("start_cursor", &self.cursor.start_cursor)?;
        map.serialize_entry("end_cursor", &self.cursor.end_cursor)?;
        map.serialize_entry("batch_size", &self.batch_size())?;
        map.serialize_entry("cursor_kind", &self.range.kind)?;
        map.serialize_entry("cursor_field", &self.batch_metadata.cursor_field)?;
        map.serialize_entry(
            "failure_strategy",
            &self.batch_metadata.failure_strategy.strategy,
        )?;
        map.serialize_entry("batch_metadata", &self.batch_metadata)?;
        map.serialize_entry("is_no_op", &self.is_no_op)?;
        map.serialize_entry("cursor", &self.cursor)?;
        map.serialize_entry("checkpoint", &self.checkpoint)?;
        map.serialize_entry("has_checkpoint", &self.checkpoint.is_some())?;
        map.serialize_entry("resume_cursor", self.resume_cursor())?;
        map.end()
    }
}

/// Reads the context of a worker from its step data; `warnings` gets what is legal but odd.
pub fn context_from_step(
    step: &StepData,
    warnings: &mut Vec<Warning>,
) -> Result<BatchWorkerContext> {
    let inputs = step.inputs.clone().unwrap_or_default();
    context_from_parts(inputs, &step.results, step.checkpoint.as_ref(), warnings)
}

/// [`context_from_step`] of a step's parts, its inputs taken (the context keeps their
/// values, so that nothing is copied).
pub(crate) fn context_from_parts(
    inputs: WorkerInputsRead,
    results: &Extra,
    checkpoint: Option<&CheckpointField>,
    warnings: &mut Vec<Warning>,
) -> Result<BatchWorkerContext> {
    // Paths are built only when there is something to report: every step reads its context.
    let inputs_at = || JsonPath::root().key("inputs");
    let WorkerInputsRead {
        cursor,
        batch_metadata,
        is_no_op,
        extra: _,
    } = inputs;
    let (cursor, range) = read_cursor_parts(cursor, is_no_op, &inputs_at, warnings)?;
    warn_missing_batch_size(
        &cursor,
        cursor::batch_size(&cursor, &range),
        &inputs_at,
        warnings,
    );
    if batch_metadata.failure_strategy.legacy_spelling.is_some()
        || batch_metadata.had_checkpoint_interval
    {
        batch_metadata.warn(&inputs_at().key("batch_metadata"), warnings);
    }
    let checkpoint = read_checkpoint(results, checkpoint, &range, &cursor, warnings)?;
    Ok(BatchWorkerContext {
        cursor,
        range,
        batch_metadata,
        is_no_op,
        checkpoint,
    })
}

/// `worker_context`: input the step data; output the context.
pub fn worker_context(step: WorkerStep, warnings: &mut Vec<Warning>) -> Result<BatchWorkerContext> {
    let StepData {
        inputs,
        results,
        checkpoint,
    } = step.0;
    context_from_parts(
        inputs.unwrap_or_default(),
        &results,
        checkpoint.as_ref(),
        warnings,
    )
}

/// `validate_worker_inputs`: input a worker's inputs; output the canonical inputs (every key).
pub fn validate_worker_inputs(
    inputs: WorkerInputsRead,
    warnings: &mut Vec<Warning>,
) -> Result<BatchWorkerInputs> {
    let (cursor, _) = resolve_cursor(&inputs, &JsonPath::root(), warnings)?;
    inputs
        .batch_metadata
        .warn(&JsonPath::root().key("batch_metadata"), warnings);
    Ok(BatchWorkerInputs {
        cursor,
        batch_metadata: inputs.batch_metadata,
        is_no_op: inputs.is_no_op,
        extra: inputs.extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cursor::CursorKind;
    use crate::error::{ErrorCode, WarningCode};
    use crate::input::from_json;

    fn context(text: &str) -> Result<(BatchWorkerContext, Vec<Warning>)> {
        let step: StepData = from_json(text)?;
        let mut warnings = vec![];
        let ctx = context_from_step(&step, &mut warnings)?;
        Ok((ctx, warnings))
    }

    #[test]
    fn reads_range_metadata_and_checkpoint() {
        let (ctx, warnings) = context(
            r#"{"inputs":{"cursor":{"batch_id":"002","start_cursor":334,"end_cursor":668,"batch_size":334},
                          "batch_metadata":{"cursor_field":"row","failure_strategy":"isolate"},"is_no_op":false},
                "results":{"checkpoint_cursor":400,"processed_count":66,"other":1}}"#,
        )
        .unwrap();
        assert_eq!(warnings, vec![]);
        assert_eq!(ctx.cursor.batch_id, "002");
        assert_eq!(ctx.resume_cursor().json(), "400");
        assert_eq!(ctx.checkpoint.as_ref().unwrap().items_processed, 66);
        let out = serde_json::to_string(&ctx).unwrap();
        assert!(
            out.contains(r#""cursor_field":"row","failure_strategy":"isolate""#),
            "{out}"
        );
    }

    #[test]
    fn the_no_op_placeholder_reports_000() {
        let (ctx, _) = context(r#"{"inputs":{"is_no_op":true}}"#).unwrap();
        assert_eq!(ctx.cursor.batch_id, "000");
        assert!(ctx.is_no_op);
        assert_eq!(ctx.resume_cursor().json(), "0");
    }

    #[test]
    fn missing_parts_have_their_own_codes() {
        let cases = [
            (
                r#"{"inputs":{}}"#,
                ErrorCode::MissingCursor,
                "inputs.cursor",
            ),
            (r#"{}"#, ErrorCode::MissingCursor, "inputs.cursor"),
            (
                r#"{"inputs":{"cursor":{"start_cursor":0,"end_cursor":1,"batch_size":1}}}"#,
                ErrorCode::MissingBatchId,
                "inputs.cursor.batch_id",
            ),
            (
                r#"{"inputs":{"cursor":{"batch_id":"1","end_cursor":1,"batch_size":1}}}"#,
                ErrorCode::MissingStartCursor,
                "inputs.cursor.start_cursor",
            ),
        ];
        for (text, code, path) in cases {
            let err = context(text).unwrap_err();
            assert_eq!((err.code, err.path.as_str()), (code, path), "{text}");
        }
    }

    #[test]
    fn the_newer_checkpoint_shape_is_read_and_conflicts_are_reported() {
        let (ctx, warnings) = context(
            r#"{"inputs":{"cursor":{"batch_id":"1","start_cursor":0,"end_cursor":10,"batch_size":10}},
                "checkpoint":{"cursor":4,"items_processed":4,"accumulated_results":{"sum":9}}}"#,
        )
        .unwrap();
        assert!(warnings.is_empty());
        let cp = ctx.checkpoint.unwrap();
        assert_eq!((cp.cursor.json(), cp.items_processed), ("4", 4));
        assert_eq!(cp.accumulated_results.get(), r#"{"sum":9}"#);

        let (ctx, warnings) = context(
            r#"{"inputs":{"cursor":{"batch_id":"1","start_cursor":0,"end_cursor":10,"batch_size":10}},
                "results":{"checkpoint_cursor":6,"processed_count":6},
                "checkpoint":{"cursor":4,"items_processed":4}}"#,
        )
        .unwrap();
        assert_eq!(ctx.resume_cursor().json(), "6");
        assert_eq!(warnings[0].code, WarningCode::ConflictingCheckpoints);
    }

    #[test]
    fn a_stored_checkpoint_is_always_read_and_odd_ones_are_warned_about() {
        const RANGE: &str = r#""inputs":{"cursor":{"batch_id":"1","start_cursor":0,"end_cursor":10,"batch_size":10}}"#;
        let cases = [
            (
                r#""results":{"checkpoint_cursor":"2024-01-01T00:00:00Z"}"#,
                CheckpointKind::Opaque,
                Some(WarningCode::OpaqueCheckpoint),
            ),
            (
                r#""checkpoint":{"cursor":{"page":5}}"#,
                CheckpointKind::Opaque,
                Some(WarningCode::OpaqueCheckpoint),
            ),
            (
                r#""results":{"checkpoint_cursor":11}"#,
                CheckpointKind::Key(CursorKind::Integer),
                Some(WarningCode::CheckpointOutOfRange),
            ),
            (
                r#""results":{"checkpoint_cursor":10}"#,
                CheckpointKind::Key(CursorKind::Integer),
                None,
            ),
        ];
        for (stored, kind, warning) in cases {
            let (ctx, warnings) = context(&format!("{{{RANGE},{stored}}}")).unwrap();
            let checkpoint = ctx.checkpoint.as_ref().unwrap();
            assert_eq!(checkpoint.cursor_kind, kind, "{stored}");
            assert_eq!(ctx.resume_cursor(), &checkpoint.cursor, "{stored}");
            assert_eq!(warnings.first().map(|w| w.code), warning, "{stored}");
        }
    }

    #[test]
    fn a_stored_checkpoint_that_cannot_be_read_is_an_error() {
        let err = context(
            r#"{"inputs":{"cursor":{"batch_id":"1","start_cursor":0,"end_cursor":10,"batch_size":10}},
                "results":{"checkpoint_cursor":5,"processed_count":"five"}}"#,
        )
        .unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::TypeMismatch, "results.processed_count")
        );
    }

    #[test]
    fn a_missing_batch_size_is_derived_only_from_integer_cursors() {
        let (ctx, warnings) =
            context(r#"{"inputs":{"cursor":{"batch_id":"1","start_cursor":3,"end_cursor":10}}}"#)
                .unwrap();
        assert_eq!(ctx.batch_size(), Some(7));
        assert_eq!(ctx.cursor.batch_size, None);
        assert_eq!(
            (warnings[0].code, warnings[0].path.as_str()),
            (WarningCode::MissingBatchSize, "inputs.cursor.batch_size")
        );
        let (ctx, _) = context(
            r#"{"inputs":{"cursor":{"batch_id":"1","start_cursor":"2024-01-01T00:00:00Z","end_cursor":"2024-02-01T00:00:00Z"}}}"#,
        )
        .unwrap();
        assert_eq!(ctx.batch_size(), None);
        let (ctx, warnings) = context(
            r#"{"inputs":{"cursor":{"batch_id":"1","start_cursor":0,"end_cursor":10,"batch_size":10}}}"#,
        )
        .unwrap();
        assert_eq!((ctx.batch_size(), warnings.len()), (Some(10), 0));
    }

    #[test]
    fn composite_cursors_stay_objects() {
        let (ctx, _) = context(
            r#"{"inputs":{"cursor":{"batch_id":"1","start_cursor":{"region":"us","page":0},"end_cursor":{"region":"us","page":9},"batch_size":9}}}"#,
        )
        .unwrap();
        assert_eq!(
            ctx.cursor.start_cursor.json(),
            r#"{"region":"us","page":0}"#
        );
        assert_eq!(ctx.range.kind, CursorKind::Composite);
    }
}

//! `BatchWorkerContext`: what a worker needs to know, read from its step data (docs/contract.md §6).
//!
//! The step data is `{"inputs": BatchWorkerInputs, "results": {...}, "checkpoint": {...}}`;
//! `results` and `checkpoint` may be absent or `null`. The context gives the worker its range
//! (raw cursor values: integers stay integers, UUID and timestamp strings stay strings,
//! composite keys stay objects), its metadata, and its checkpoint.
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
//! is done, a retry resumes at the checkpoint (at-least-once from the last checkpoint).
//! A stored checkpoint that does not fit the range is an error: a worker is never started on
//! made-up data.
//!
//! ## The no-op placeholder
//!
//! A `no_batches` outcome makes one worker with `is_no_op: true`; it reports batch id `"000"`
//! and the empty range `[0, 0)` (upstream Ruby reported `"unknown"`). Keys missing from a no-op
//! worker's cursor are filled from the placeholder.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::cursor::{Cursor, CursorKind, OrderedKey};
use crate::cursor_config::{CursorConfig, PartialCursorConfig};
use crate::error::{Error, ErrorCode, Result, Warning, WarningCode};
use crate::input::{set_once, Extra, Key, RawJson, U64};
use crate::path::JsonPath;
use crate::validation::{self, RangeInfo};
use crate::worker_inputs::{BatchMetadata, BatchWorkerInputs, WorkerInputsRead};

/// The results keys a checkpoint is stored in.
pub const CHECKPOINT_KEYS: [&str; 3] = [
    "checkpoint_cursor",
    "processed_count",
    "accumulated_results",
];

/// A worker step's data as the host passes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepData {
    /// `inputs` (the worker's `BatchWorkerInputs`); `None` when absent or null.
    pub inputs: Option<WorkerInputsRead>,
    /// `results`, an object; empty when absent or null.
    pub results: Extra,
    /// The newer upstream `checkpoint` field, when present.
    pub checkpoint: Option<CheckpointField>,
}

/// The newer upstream shape `{cursor, items_processed, accumulated_results}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckpointField {
    /// Next key to process.
    pub cursor: Option<Cursor>,
    /// Items processed so far.
    pub items_processed: Option<u64>,
    /// Worker-defined running results.
    pub accumulated_results: Option<RawJson>,
}

/// A checkpoint, wherever it was stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Checkpoint {
    /// Next key to process.
    pub cursor: Cursor,
    /// Items processed so far (0 when not recorded).
    pub items_processed: u64,
    /// Worker-defined running results (`null` when not recorded).
    pub accumulated_results: RawJson,
}

/// Everything a worker reads about its batch.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchWorkerContext {
    /// The worker's range, with its caller keys.
    pub cursor: CursorConfig,
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
    /// Where processing starts: the checkpoint, or the start of the range.
    pub fn resume_cursor(&self) -> &Cursor {
        self.checkpoint
            .as_ref()
            .map_or(&self.cursor.start_cursor, |c| &c.cursor)
    }

    /// The canonical inputs this context was read from.
    pub fn inputs(&self, extra: Extra) -> BatchWorkerInputs {
        BatchWorkerInputs {
            cursor: self.cursor.clone(),
            batch_metadata: self.batch_metadata.clone(),
            is_no_op: self.is_no_op,
            extra,
        }
    }
}

impl Serialize for BatchWorkerContext {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(13))?;
        map.serialize_entry("batch_id", &self.cursor.batch_id)?;
        map.serialize_entry("start_cursor", &self.cursor.start_cursor)?;
        map.serialize_entry("end_cursor", &self.cursor.end_cursor)?;
        map.serialize_entry("batch_size", &self.cursor.batch_size)?;
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
    // Paths are built only when there is something to report: every step reads its context.
    let inputs_at = || JsonPath::root().key("inputs");
    let default_inputs = WorkerInputsRead::default();
    let inputs = step.inputs.as_ref().unwrap_or(&default_inputs);
    let (cursor, range) = resolve_cursor_at(inputs, &inputs_at, warnings)?;
    let metadata = &inputs.batch_metadata;
    if metadata.failure_strategy.legacy_spelling.is_some() || metadata.had_checkpoint_interval {
        metadata.warn(&inputs_at().key("batch_metadata"), warnings);
    }
    let checkpoint = read_checkpoint(step, &range, &cursor, warnings)?;
    Ok(BatchWorkerContext {
        cursor,
        range,
        batch_metadata: inputs.batch_metadata.clone(),
        is_no_op: inputs.is_no_op,
        checkpoint,
    })
}

/// The worker's cursor, complete and validated, from inputs found at `at`.
pub fn resolve_cursor(
    inputs: &WorkerInputsRead,
    at: &JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<(CursorConfig, RangeInfo)> {
    resolve_cursor_at(inputs, &|| at.clone(), warnings)
}

fn resolve_cursor_at(
    inputs: &WorkerInputsRead,
    at: &dyn Fn() -> JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<(CursorConfig, RangeInfo)> {
    let cursor_at = || at().key("cursor");
    let cursor = if inputs.is_no_op {
        let placeholder = CursorConfig::no_op();
        let read = inputs.cursor.clone().unwrap_or_default();
        CursorConfig {
            batch_id: read.batch_id.unwrap_or(placeholder.batch_id),
            start_cursor: read.start_cursor.unwrap_or(placeholder.start_cursor),
            end_cursor: read.end_cursor.unwrap_or(placeholder.end_cursor),
            batch_size: read.batch_size.unwrap_or(placeholder.batch_size),
            extra: read.extra,
        }
    } else {
        complete_worker_cursor(inputs.cursor.as_ref(), &cursor_at)?
    };
    // The placeholder's empty range is its point: no zero-length warning for it.
    let mut range_warnings = Vec::new();
    let range = validation::check_range(&cursor, &cursor_at, &mut range_warnings)?;
    if !inputs.is_no_op {
        warnings.append(&mut range_warnings);
    }
    Ok((cursor, range))
}

fn complete_worker_cursor(
    read: Option<&PartialCursorConfig>,
    at: &dyn Fn() -> JsonPath,
) -> Result<CursorConfig> {
    let Some(read) = read else {
        return Err(Error::at(
            ErrorCode::MissingCursor,
            &at(),
            "Missing cursor configuration: expected inputs.cursor {batch_id, start_cursor, end_cursor, batch_size} on a worker that is not a no-op, found none",
        ));
    };
    let need = |present: bool, code: ErrorCode, key: &str| {
        if present {
            Ok(())
        } else {
            Err(Error::at(
                code,
                &at().key(key),
                format!("Missing {key}: expected the cursor to have `{key}`, found no such key"),
            ))
        }
    };
    need(
        read.batch_id.is_some(),
        ErrorCode::MissingBatchId,
        "batch_id",
    )?;
    need(
        read.start_cursor.is_some(),
        ErrorCode::MissingStartCursor,
        "start_cursor",
    )?;
    need(
        read.end_cursor.is_some(),
        ErrorCode::MissingEndCursor,
        "end_cursor",
    )?;
    need(
        read.batch_size.is_some(),
        ErrorCode::MissingField,
        "batch_size",
    )?;
    Ok(read
        .clone()
        .complete::<serde_json::Error>()
        .expect("every required key was checked"))
}

/// Reads the stored checkpoint and checks that it fits the range.
fn read_checkpoint(
    step: &StepData,
    range: &RangeInfo,
    cursor: &CursorConfig,
    warnings: &mut Vec<Warning>,
) -> Result<Option<Checkpoint>> {
    let results_at = || JsonPath::root().key("results");
    let from_results = checkpoint_in_results(&step.results, &results_at)?;
    let from_field = step.checkpoint.as_ref().and_then(|field| {
        field.cursor.clone().map(|cursor| Checkpoint {
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
    let (checkpoint, at): (_, &dyn Fn() -> JsonPath) = match (from_results, from_field) {
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
    check_checkpoint_cursor(&checkpoint.cursor, range, cursor, at)?;
    Ok(Some(checkpoint))
}

/// The checkpoint held in `results`, if any; stored values of the wrong type are errors.
pub(crate) fn checkpoint_in_results(
    results: &Extra,
    at: &dyn Fn() -> JsonPath,
) -> Result<Option<Checkpoint>> {
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
    Ok(Some(Checkpoint {
        cursor,
        items_processed,
        accumulated_results,
    }))
}

/// Reads a stored count strictly (a fraction, a negative or a string is an error).
pub(crate) fn read_count(raw: &RawJson, at: &dyn Fn() -> JsonPath) -> Result<u64> {
    crate::input::from_json::<U64>(raw.get())
        .map(|U64(n)| n)
        .map_err(|e| e.under(&at()))
}

/// A checkpoint cursor must be of the range's kind and, for ordered kinds, inside
/// `[start_cursor, end_cursor]` (`end` itself means "done").
pub(crate) fn check_checkpoint_cursor(
    checkpoint: &Cursor,
    range: &RangeInfo,
    cursor: &CursorConfig,
    at: &dyn Fn() -> JsonPath,
) -> Result<Option<OrderedKey>> {
    let classified = checkpoint
        .classify(&JsonPath::root())
        .map_err(|e| e.under(&at()))?;
    let kind_fits = classified.kind == range.kind
        || (range.kind == CursorKind::Null && classified.kind != CursorKind::Null);
    if !kind_fits {
        return Err(Error::at(
            ErrorCode::CheckpointKindMismatch,
            &at(),
            format!(
                "expected a checkpoint cursor of the range's kind ({}), found {} {checkpoint}",
                range.kind, classified.kind
            ),
        ));
    }
    if let Some(key) = classified.key {
        let below = range.start.is_some_and(|start| key < start);
        let above = range.end.is_some_and(|end| key > end);
        if below || above {
            return Err(Error::at(
                ErrorCode::CheckpointOutOfRange,
                &at(),
                format!(
                    "expected a checkpoint cursor within [{}, {}], found {checkpoint}",
                    cursor.start_cursor, cursor.end_cursor
                ),
            ));
        }
    }
    Ok(classified.key)
}

impl<'de> Deserialize<'de> for StepData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(StepVisitor::<Extra>(PhantomData))
    }
}

/// Step data for reading a worker's context: of the results, only the checkpoint keys are
/// read; the rest (a worker's results can be large) is skipped, not copied.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkerStep(pub StepData);

impl<'de> Deserialize<'de> for WorkerStep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_map(StepVisitor::<CheckpointKeys>(PhantomData))
            .map(WorkerStep)
    }
}

/// The checkpoint keys of a results object, the others skipped.
struct CheckpointKeys(Extra);

impl From<CheckpointKeys> for Extra {
    fn from(keys: CheckpointKeys) -> Extra {
        keys.0
    }
}

impl<'de> Deserialize<'de> for CheckpointKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CheckpointKeys;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a results object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CheckpointKeys, A::Error> {
                let mut out = Extra::default();
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    if CHECKPOINT_KEYS.contains(&&*key) {
                        let value: RawJson = map.next_value()?;
                        out.insert_new(key, value)?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(CheckpointKeys(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// Reads `{inputs, results, checkpoint}`; `R` decides how much of the results is kept.
struct StepVisitor<R>(PhantomData<R>);

impl<'de, R: Deserialize<'de> + Into<Extra>> Visitor<'de> for StepVisitor<R> {
    type Value = StepData;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a workflow step object {inputs, results, checkpoint}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StepData, A::Error> {
        let mut inputs: Option<Option<WorkerInputsRead>> = None;
        let mut results: Option<Option<R>> = None;
        let mut checkpoint: Option<Option<CheckpointField>> = None;
        while let Some(Key(key)) = map.next_key::<Key>()? {
            match &*key {
                "inputs" => set_once(&mut inputs, &key, map.next_value()?)?,
                "results" => set_once(&mut results, &key, map.next_value()?)?,
                "checkpoint" => set_once(&mut checkpoint, &key, map.next_value()?)?,
                // Hosts pass whole step records (name, state, ...): read-only here.
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(StepData {
            inputs: inputs.flatten(),
            results: results.flatten().map(Into::into).unwrap_or_default(),
            checkpoint: checkpoint.flatten(),
        })
    }
}

impl<'de> Deserialize<'de> for CheckpointField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CheckpointField;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a checkpoint object {cursor, items_processed, accumulated_results}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CheckpointField, A::Error> {
                let mut cursor: Option<RawJson> = None;
                let mut items: Option<Option<U64>> = None;
                let mut accumulated: Option<RawJson> = None;
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    match &*key {
                        "cursor" => set_once(&mut cursor, &key, map.next_value()?)?,
                        "items_processed" => set_once(&mut items, &key, map.next_value()?)?,
                        "accumulated_results" => {
                            set_once(&mut accumulated, &key, map.next_value()?)?
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(CheckpointField {
                    cursor: cursor.filter(|raw| !raw.is_null()).map(Cursor),
                    items_processed: items.flatten().map(|U64(n)| n),
                    accumulated_results: accumulated,
                })
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// `worker_context`: input the step data; output the context.
pub fn worker_context(step: WorkerStep, warnings: &mut Vec<Warning>) -> Result<BatchWorkerContext> {
    context_from_step(&step.0, warnings)
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
    fn a_stored_checkpoint_that_does_not_fit_is_an_error() {
        let err = context(
            r#"{"inputs":{"cursor":{"batch_id":"1","start_cursor":0,"end_cursor":10,"batch_size":10}},
                "results":{"checkpoint_cursor":"2024-01-01T00:00:00Z"}}"#,
        )
        .unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (
                ErrorCode::CheckpointKindMismatch,
                "results.checkpoint_cursor"
            )
        );
        let err = context(
            r#"{"inputs":{"cursor":{"batch_id":"1","start_cursor":0,"end_cursor":10,"batch_size":10}},
                "results":{"checkpoint_cursor":11}}"#,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::CheckpointOutOfRange);
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

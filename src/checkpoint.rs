//! Writing checkpoints and resetting a step for retry (docs/contract.md §6).
//!
//! `update_step_results(step, changes)` merges `changes` into the step's `results` (other keys
//! kept, in order; changed keys keep their place, new keys are appended) after checking the
//! checkpoint they carry. Writing is strict, as the orchestrator acts on it:
//!
//! - `checkpoint_cursor` is of the range's kind (`checkpoint_kind_mismatch`), inside
//!   `[start_cursor, end_cursor]` for ordered kinds (`checkpoint_out_of_range`), and never
//!   before the previous checkpoint (`checkpoint_backwards`). One exception: once the stored
//!   checkpoint is an opaque token (a page token of another kind than the range, which reading
//!   accepts), the worker may go on writing tokens of the same JSON type (`opaque_checkpoint`
//!   warning; no order can be checked);
//! - `processed_count` is a count (0..=2^64-1) that never decreases (`processed_count_decreased`);
//! - `accumulated_results` is any JSON value.
//!
//! The stored state is read as a worker reads it (tolerantly); its warnings name paths under
//! `step`. On any error nothing is merged: the caller's results are unchanged. Persisting the
//! new results is the host's job.
//!
//! `reset_for_retry(step)` keeps the checkpoint keys of the results and drops the failed
//! attempt's other keys, so the retry resumes from the last checkpoint: at-least-once from the
//! checkpoint, nothing before it redone, nothing after it skipped.

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};

use crate::cursor::Cursor;
use crate::error::{Error, ErrorCode, Result, Warning};
use crate::input::{Extra, ObjectOnly};
use crate::path::JsonPath;
use crate::worker_context::{
    checkpoint_in_results, context_from_parts, fit, opaque_warning, read_count, BatchWorkerContext,
    Checkpoint, CheckpointKind, Fit, StepData, CHECKPOINT_KEYS,
};

/// Input of `update_step_results`: the step and the changes to merge into its results.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(
    remote = "Self",
    deny_unknown_fields,
    expecting = "an object {step, changes}"
)]
pub struct ResultsUpdate {
    /// The worker step: `inputs` give the range, `results` and `checkpoint` the last state.
    pub step: StepData,
    /// Keys to set in the results.
    pub changes: Extra,
}

/// Validates the checkpoint in `update.changes` and returns the merged results.
pub fn update_step_results(update: ResultsUpdate, warnings: &mut Vec<Warning>) -> Result<Extra> {
    let ResultsUpdate { step, changes } = update;
    let StepData {
        inputs,
        results,
        checkpoint,
    } = step;
    let changes_at = JsonPath::root().key("changes");
    let touches_checkpoint = changes
        .0
        .iter()
        .any(|(k, _)| CHECKPOINT_KEYS.contains(&k.as_str()));
    if touches_checkpoint {
        let step_at = JsonPath::root().key("step");
        // The stored state is read as a worker reads it (tolerantly); its warnings are about
        // the step.
        let mut read_warnings = Vec::new();
        let context = context_from_parts(
            inputs.unwrap_or_default(),
            &results,
            checkpoint.as_ref(),
            &mut read_warnings,
        )
        .map_err(|e| e.under(&step_at))?;
        warnings.extend(read_warnings.into_iter().map(|w| w.under(&step_at)));
        let previous = context.checkpoint.as_ref();

        if let Some(raw) = changes.get("checkpoint_cursor") {
            let at = changes_at.key("checkpoint_cursor");
            let cursor = Cursor(raw.clone());
            check_new_cursor(&cursor, &context, previous, &at, warnings)?;
        }
        if let Some(raw) = changes.get("processed_count") {
            let at = changes_at.key("processed_count");
            let count = read_count(raw, &|| at.clone())?;
            let previous_count = previous.map_or(0, |p| p.items_processed);
            if count < previous_count {
                return Err(Error::at(
                    ErrorCode::ProcessedCountDecreased,
                    &at,
                    format!(
                        "expected processed_count >= {previous_count} (the previous checkpoint), found {count}"
                    ),
                ));
            }
        }
    }
    let mut results = results;
    merge(&mut results, changes);
    // A merged checkpoint must read back as one (a count without a cursor is legal).
    checkpoint_in_results(&results, &|| JsonPath::root().key("results"))?;
    Ok(results)
}

/// A checkpoint a worker writes is of the range's kind, inside `[start_cursor, end_cursor]`
/// and not before the previous one. The one exception: once the stored checkpoint is an
/// opaque token, the worker may go on writing tokens of the same JSON type.
fn check_new_cursor(
    cursor: &Cursor,
    context: &BatchWorkerContext,
    previous: Option<&Checkpoint>,
    at: &JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    let range = &context.range;
    match fit(cursor, range, &|| at.clone())? {
        Fit::Opaque => match previous {
            Some(previous)
                if previous.cursor_kind == CheckpointKind::Opaque
                    && previous.cursor.json_type() == cursor.json_type() =>
            {
                warnings.push(opaque_warning(cursor, range, at));
                Ok(())
            }
            Some(previous) if previous.cursor_kind == CheckpointKind::Opaque => Err(Error::at(
                ErrorCode::CheckpointKindMismatch,
                at,
                format!(
                    "expected a checkpoint cursor of the range's kind ({}) or an opaque token of the stored token's type ({}), found {} {cursor}",
                    range.kind,
                    previous.cursor.json_type(),
                    cursor.kind()
                ),
            )),
            _ => Err(Error::at(
                ErrorCode::CheckpointKindMismatch,
                at,
                format!(
                    "expected a checkpoint cursor of the range's kind ({}), found {} {cursor}",
                    range.kind,
                    cursor.kind()
                ),
            )),
        },
        Fit::Outside(..) => Err(Error::at(
            ErrorCode::CheckpointOutOfRange,
            at,
            format!(
                "expected a checkpoint cursor within [{}, {}], found {cursor}",
                context.cursor.start_cursor, context.cursor.end_cursor
            ),
        )),
        Fit::Inside(_, key) => {
            let previous_key = match previous {
                Some(previous) if previous.cursor_kind != CheckpointKind::Opaque => previous
                    .cursor
                    .classify(&JsonPath::root())
                    .map_err(|e| e.under(at))?
                    .key,
                _ => None,
            };
            match (key, previous_key) {
                (Some(key), Some(previous_key)) if key < previous_key => Err(Error::at(
                    ErrorCode::CheckpointBackwards,
                    at,
                    format!(
                        "expected a checkpoint at or after the previous one ({}), found {cursor}",
                        previous.expect("a previous key has a previous checkpoint").cursor
                    ),
                )),
                _ => Ok(()),
            }
        }
    }
}

/// Sets each changed key in `results`: in place when present, appended when new, in one pass
/// over both (an update of many keys costs what its size does).
fn merge(results: &mut Extra, changes: Extra) {
    const SCAN_LIMIT: usize = 8;
    if changes.0.len() <= SCAN_LIMIT {
        for (key, value) in changes.0 {
            results.set(&key, value);
        }
        return;
    }
    let mut index: HashMap<String, usize> = results
        .0
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.clone(), i))
        .collect();
    for (key, value) in changes.0 {
        match index.get(&key) {
            Some(&i) => results.0[i].1 = value,
            None => {
                index.insert(key.clone(), results.0.len());
                results.0.push((key, value));
            }
        }
    }
}

/// `reset_for_retry`: input the step (`results`, optionally `checkpoint`); output the results
/// the retry starts with: the checkpoint keys only.
pub fn reset_for_retry(step: StepData, warnings: &mut Vec<Warning>) -> Result<Extra> {
    // The checkpoint must survive intact; a corrupt one is reported now, not at resume: with
    // the step's inputs, it is read as the retry will read it (it must fit the range).
    let StepData {
        inputs,
        results,
        checkpoint,
    } = step;
    if let Some(inputs) = inputs {
        context_from_parts(inputs, &results, checkpoint.as_ref(), warnings)?;
    } else {
        checkpoint_in_results(&results, &|| JsonPath::root().key("results"))?;
    }
    let mut results = results;
    results.retain(|key| CHECKPOINT_KEYS.contains(&key));
    Ok(results)
}

impl<'de> Deserialize<'de> for ResultsUpdate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ResultsUpdate::deserialize(ObjectOnly(deserializer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::from_json;

    const STEP: &str = r#"{"inputs":{"cursor":{"batch_id":"001","start_cursor":0,"end_cursor":100,"batch_size":100}},
        "results":{"checkpoint_cursor":40,"processed_count":40,"note":"kept"}}"#;

    fn update(changes: &str) -> Result<String> {
        let input = format!(r#"{{"step":{STEP},"changes":{changes}}}"#);
        let mut warnings = vec![];
        let out = update_step_results(from_json(&input)?, &mut warnings)?;
        Ok(serde_json::to_string(&out).unwrap())
    }

    #[test]
    fn merges_keeping_other_keys_in_place() {
        assert_eq!(
            update(
                r#"{"checkpoint_cursor":60,"processed_count":60,"accumulated_results":{"sum":3}}"#
            )
            .unwrap(),
            r#"{"checkpoint_cursor":60,"processed_count":60,"note":"kept","accumulated_results":{"sum":3}}"#
        );
        assert_eq!(
            update(r#"{"checkpoint_cursor":100}"#).unwrap(),
            r#"{"checkpoint_cursor":100,"processed_count":40,"note":"kept"}"#
        );
    }

    #[test]
    fn rejects_bad_checkpoints_with_their_codes() {
        let cases = [
            (
                r#"{"checkpoint_cursor":30}"#,
                ErrorCode::CheckpointBackwards,
                "changes.checkpoint_cursor",
            ),
            (
                r#"{"checkpoint_cursor":101}"#,
                ErrorCode::CheckpointOutOfRange,
                "changes.checkpoint_cursor",
            ),
            (
                r#"{"checkpoint_cursor":"50"}"#,
                ErrorCode::CheckpointKindMismatch,
                "changes.checkpoint_cursor",
            ),
            (
                r#"{"processed_count":39}"#,
                ErrorCode::ProcessedCountDecreased,
                "changes.processed_count",
            ),
            (
                r#"{"processed_count":-1}"#,
                ErrorCode::OutOfRange,
                "changes.processed_count",
            ),
            (
                r#"{"processed_count":4.5}"#,
                ErrorCode::OutOfRange,
                "changes.processed_count",
            ),
        ];
        for (changes, code, path) in cases {
            let err = update(changes).unwrap_err();
            assert_eq!((err.code, err.path.as_str()), (code, path), "{changes}");
        }
    }

    #[test]
    fn changes_without_checkpoint_keys_need_no_range() {
        let input = r#"{"step":{"results":{"a":1}},"changes":{"b":2}}"#;
        let out = update_step_results(from_json(input).unwrap(), &mut vec![]).unwrap();
        assert_eq!(serde_json::to_string(&out).unwrap(), r#"{"a":1,"b":2}"#);
    }

    #[test]
    fn reset_keeps_only_the_checkpoint() {
        let step: StepData = from_json(
            r#"{"results":{"checkpoint_cursor":40,"error":"boom","processed_count":40,"accumulated_results":[1]}}"#,
        )
        .unwrap();
        let out = reset_for_retry(step, &mut vec![]).unwrap();
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"checkpoint_cursor":40,"processed_count":40,"accumulated_results":[1]}"#
        );
    }
}

//! Redrive (docs/contract.md §10): the unfinished remainder of failed ranges, re-split into new
//! workers.
//!
//! For each failed range `[start, end)` with checkpoint `c` (none: `c = start`), the unfinished
//! part `[c, end)` becomes new cursor configs, split with the partitioners' arithmetic
//! ([`crate::partition`]): integers, UUIDs and timestamps into `pieces` per range or ranges of
//! about `target_batch_size` items; any kind at the caller's `boundaries`; strings, composite
//! and tuple keys without boundaries are kept whole. The children's outer ends are the
//! checkpoint and the parent's end exactly as given; interior cut points are canonical.
//!
//! - **Child ids** are the parent's id, a dot and a 1-based index: `"002.1"`, `"002.2"`, ...; a
//!   child of `"002.1"` is `"002.1.1"`. Each child carries `parent_batch_id` and the parent's
//!   other caller keys. A child id that is already a batch id of `cursor_configs` (the parent
//!   was redriven before) is `duplicate_batch_id`.
//! - **An opaque checkpoint** (a cursor of another kind than the range, a page token) cannot be
//!   split: the remainder is one child over the parent's whole range whose worker starts with
//!   the parent's checkpoint in its `results`, so that it resumes from the token (warning
//!   `opaque_checkpoint`).
//! - **A checkpoint at the end** redrives nothing: no child for that parent, and a
//!   `nothing_to_redrive` warning at its `checkpoint_cursor`.
//! - **`batch_size`** of integer children is `end - start`; of other kinds, the parent's
//!   `batch_size` minus `processed_count` (0 when absent), shared out as the partitioners do.
//! - **Bounded**: at most [`MAX_PARTITIONS`] children per call, however they are asked for.
//! - **Workers and edges** are expansion's: `{worker_template_name}_{child id}`, inputs
//!   `initialization` keys then `cursor`, `batch_metadata`, `is_no_op: false`; edges
//!   `batchable -> child` (`batch_dependency`) and `child -> each convergence step`
//!   (`batch_convergence_dependency`).
//!
//! Everything is validated before anything is emitted: an invalid request gives an error and
//! no plan. See `docs/operations.md` (`redrive`) for the input and output.

mod output;
pub(crate) mod split;
mod task;

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};

use crate::cursor::Cursor;
use crate::cursor_config::CursorConfig;
use crate::error::{Error, ErrorCode, Result, Warning};
use crate::input::{strict, Extra, ObjectOnly, RawJson, U32};
use crate::partition::MAX_PARTITIONS;
use crate::path::JsonPath;
use crate::validation::{self, RangeInfo};
use crate::worker_inputs::BatchMetadata;

pub use output::{Child, RedriveKind, RedrivePlan, Redriven};
pub use task::{PlanEdge, PlanInput, PlanWorker, Task};

/// The key every child config carries: the batch id of the range it was split from.
pub const PARENT_BATCH_ID: &str = "parent_batch_id";

/// What to redrive and how to split it: the input of the `redrive` operation.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(
    remote = "Self",
    deny_unknown_fields,
    expecting = "a redrive request {batchable_step_name, worker_template_name, cursor_configs, failed_batches, pieces or target_batch_size, ...}"
)]
pub struct RedriveRequest {
    /// The step that produced the outcome; the children depend on it, as the workers do.
    #[serde(default, deserialize_with = "strict::present_non_empty")]
    pub batchable_step_name: Option<String>,
    /// The worker template; children are named `{worker_template_name}_{child id}`.
    #[serde(default, deserialize_with = "strict::present_non_empty")]
    pub worker_template_name: Option<String>,
    /// Steps that wait for every worker, children included.
    #[serde(default, deserialize_with = "present_names")]
    pub convergence_step_names: Option<Vec<String>>,
    /// The template's initialization keys, copied into every child's inputs.
    #[serde(default)]
    pub initialization: Option<Extra>,
    /// The template's metadata, copied into every child's inputs.
    #[serde(default)]
    pub batch_metadata: Option<BatchMetadata>,
    /// The task's ranges: the outcome's, and the children of earlier redrives.
    #[serde(default)]
    pub cursor_configs: Option<Vec<CursorConfig>>,
    /// The expansion plan, instead of (or before) `cursor_configs`: its workers' ranges, step
    /// names and template inputs.
    #[serde(default)]
    pub plan: Option<PlanInput>,
    /// The failed workers, as convergence lists them, with their last checkpoints.
    pub failed_batches: Vec<FailedRange>,
    /// Pieces per failed range (ordered kinds).
    #[serde(default, deserialize_with = "optional_u32")]
    pub pieces: Option<u32>,
    /// Items per piece (ordered kinds); exclusive with `pieces`.
    #[serde(default, deserialize_with = "optional_u32")]
    pub target_batch_size: Option<u32>,
}

/// Present means a list of non-empty strings.
fn present_names<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    strict::non_empty_strings(d).map(Some)
}

/// An optional strict `u32`: `null` or absent (with `#[serde(default)]`) is `None`.
fn optional_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let value = Option::<U32>::deserialize(d)?;
    Ok(value.map(|U32(n)| n))
}

impl<'de> Deserialize<'de> for RedriveRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RedriveRequest::deserialize(ObjectOnly(deserializer))
    }
}

/// One failed worker: an entry of convergence's `failed_batches`, with its last checkpoint.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(
    remote = "Self",
    deny_unknown_fields,
    expecting = "a failed batch {batch_id, checkpoint_cursor?, processed_count?, boundaries?, ...}"
)]
pub struct FailedRange {
    /// The failed worker's batch id: one of the `cursor_configs`.
    #[serde(deserialize_with = "strict::non_empty_string")]
    pub batch_id: String,
    /// The worker step's name, as convergence listed it (not used).
    #[serde(default)]
    pub name: Option<String>,
    /// Why it failed, as convergence listed it (not used).
    #[serde(default)]
    pub reason: Option<String>,
    /// Start of its range; when given, it must be the config's.
    #[serde(default)]
    pub start_cursor: Option<Cursor>,
    /// End of its range; when given, it must be the config's.
    #[serde(default)]
    pub end_cursor: Option<Cursor>,
    /// The next key to process; absent or `null`: nothing is done.
    #[serde(default)]
    pub checkpoint_cursor: Option<Cursor>,
    /// Items before the checkpoint.
    #[serde(default, deserialize_with = "strict::optional_u64")]
    pub processed_count: Option<u64>,
    /// The worker's running totals up to the checkpoint, carried to the output.
    #[serde(default)]
    pub accumulated_results: Option<RawJson>,
    /// Interior cut points of the remainder, strictly between the checkpoint and the end.
    #[serde(default)]
    pub boundaries: Option<Vec<Cursor>>,
}

impl<'de> Deserialize<'de> for FailedRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        FailedRange::deserialize(ObjectOnly(deserializer))
    }
}

/// How each ordered remainder is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Split {
    /// This many pieces, fewer when the remainder holds fewer keys.
    Pieces(u32),
    /// Pieces of about this many items.
    TargetBatchSize(u32),
}

impl Split {
    /// The request key that chose it, for errors.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Split::Pieces(_) => "pieces",
            Split::TargetBatchSize(_) => "target_batch_size",
        }
    }
}

/// `redrive`: validates the request and returns the plan of children.
pub fn redrive(mut request: RedriveRequest, warnings: &mut Vec<Warning>) -> Result<RedrivePlan> {
    let root = JsonPath::root();
    let how = read_split(&request)?;
    if let Some(metadata) = &request.batch_metadata {
        metadata.warn(&root.key("batch_metadata"), warnings);
    }
    let task = task::resolve(&mut request)?;
    let ranges = check_configs(&task)?;
    let by_id: HashMap<&str, usize> = task
        .cursor_configs
        .iter()
        .enumerate()
        .map(|(i, c)| (c.batch_id.as_str(), i))
        .collect();

    let failed_at = root.key("failed_batches");
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut planned = Vec::with_capacity(request.failed_batches.len());
    let mut total: u64 = 0;
    for (i, failed) in request.failed_batches.iter().enumerate() {
        let at = failed_at.index(i);
        if let Some(first) = seen.insert(failed.batch_id.as_str(), i) {
            return Err(Error::at(
                ErrorCode::DuplicateBatchId,
                &at.key("batch_id"),
                format!(
                    "expected each failed batch once, found {:?} again, as failed_batches[{first}]",
                    failed.batch_id
                ),
            ));
        }
        let Some(&index) = by_id.get(failed.batch_id.as_str()) else {
            return Err(Error::at(
                ErrorCode::InvalidValue,
                &at.key("batch_id"),
                format!(
                    "expected the batch id of one of the cursor_configs, found {:?}",
                    failed.batch_id
                ),
            ));
        };
        let parent = &task.cursor_configs[index];
        check_same_range(failed, parent, &at)?;
        let plan = split::plan(parent, ranges[index], failed, how, &at, warnings)?;
        total += plan.count_with(how) as u64;
        if total > MAX_PARTITIONS as u64 {
            return Err(Error::new(
                ErrorCode::OutOfRange,
                how.key(),
                format!(
                    "expected at most {MAX_PARTITIONS} children in all, found more by failed_batches[{i}]; use fewer {}",
                    match how {
                        Split::Pieces(_) => "pieces",
                        Split::TargetBatchSize(_) => "pieces (a larger target_batch_size)",
                    }
                ),
            ));
        }
        planned.push((index, plan));
    }

    let mut redriven = Vec::with_capacity(planned.len());
    for (i, (index, plan)) in planned.into_iter().enumerate() {
        let parent = &task.cursor_configs[index];
        let failed = &request.failed_batches[i];
        let at = failed_at.index(i);
        let entry = split::build(parent, failed, plan, how, &at)?;
        for child in &entry.children {
            if let Some(&j) = by_id.get(child.config.batch_id.as_str()) {
                return Err(Error::at(
                    ErrorCode::DuplicateBatchId,
                    &at.key("batch_id"),
                    format!(
                        "expected child ids unused in the task, found {:?} already at {} (was {:?} redriven before?)",
                        child.config.batch_id, task.config_path(j), failed.batch_id
                    ),
                ));
            }
        }
        redriven.push(entry);
    }
    let plan = RedrivePlan::new(task, redriven);
    plan.check_step_names()?;
    Ok(plan)
}

/// Exactly one of `pieces` and `target_batch_size`, at least 1.
fn read_split(request: &RedriveRequest) -> Result<Split> {
    let at_least_one = |key: &str| {
        Error::new(
            ErrorCode::OutOfRange,
            key,
            format!("expected {key} of at least 1, found 0"),
        )
    };
    match (request.pieces, request.target_batch_size) {
        (Some(_), Some(_)) => Err(Error::new(
            ErrorCode::InvalidValue,
            "target_batch_size",
            "expected one of pieces and target_batch_size, found both",
        )),
        (None, None) => Err(Error::new(
            ErrorCode::MissingField,
            "pieces",
            "expected the key `pieces` or `target_batch_size` (how to split each remainder), found neither",
        )),
        (Some(0), None) => Err(at_least_one("pieces")),
        (None, Some(0)) => Err(at_least_one("target_batch_size")),
        (Some(n), None) => {
            if n as usize > MAX_PARTITIONS {
                return Err(Error::new(
                    ErrorCode::OutOfRange,
                    "pieces",
                    format!("expected at most {MAX_PARTITIONS} pieces, found {n}"),
                ));
            }
            Ok(Split::Pieces(n))
        }
        (None, Some(n)) => Ok(Split::TargetBatchSize(n)),
    }
}

/// Validates every config (the range rules of docs/contract.md §3) and their ids' uniqueness. Warnings
/// about the ranges themselves were given when they were made, and are not repeated.
fn check_configs(task: &Task) -> Result<Vec<RangeInfo>> {
    let configs = &task.cursor_configs;
    let mut ids: HashMap<&str, usize> = HashMap::with_capacity(configs.len());
    let mut scratch = Vec::new();
    let mut ranges = Vec::with_capacity(configs.len());
    for (i, config) in configs.iter().enumerate() {
        let config_at = task.config_path(i);
        if let Some(first) = ids.insert(config.batch_id.as_str(), i) {
            return Err(Error::at(
                ErrorCode::DuplicateBatchId,
                &config_at.key("batch_id"),
                format!(
                    "expected unique batch ids, found {:?} again, as {}",
                    config.batch_id,
                    task.config_path(first)
                ),
            ));
        }
        ranges.push(validation::check_cursor_config(
            config,
            &config_at,
            &mut scratch,
        )?);
        scratch.clear();
    }
    Ok(ranges)
}

/// A failed batch that names its range must name its config's.
fn check_same_range(failed: &FailedRange, parent: &CursorConfig, at: &JsonPath) -> Result<()> {
    for (key, given, expected) in [
        ("start_cursor", &failed.start_cursor, &parent.start_cursor),
        ("end_cursor", &failed.end_cursor, &parent.end_cursor),
    ] {
        if let Some(given) = given {
            if given.json() != expected.json() {
                return Err(Error::at(
                    ErrorCode::InvalidValue,
                    &at.key(key),
                    format!(
                        "expected the {key} of cursor config {:?}, {expected}, found {given}",
                        parent.batch_id
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The id of a parent's `k`-th child (1-based).
pub fn child_batch_id(parent: &str, k: usize) -> String {
    format!("{parent}.{k}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_ids_nest() {
        assert_eq!(child_batch_id("002", 1), "002.1");
        assert_eq!(child_batch_id(&child_batch_id("002", 1), 3), "002.1.3");
    }
}

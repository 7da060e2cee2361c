//! Convergence (docs/contract.md §7): detect the scenario, aggregate the workers, apply the failure
//! strategy and check that the finished workers covered the key space.
//!
//! **Which workers failed.** The expected workers are the outcome's cursor configs, named
//! `{worker_template_name}_{batch_id}`. A worker failed when its result is absent ("no
//! result") or `null`, or when, read with the unwrapping rule of [`crate::step_results`], it says
//! `"success": false` or `"status": "failed"` / `"error"`. Items that failed inside a worker
//! (`items_failed > 0`) do not fail the worker: the worker ran its range to the end, and those
//! items show in the totals and in `success_rate`. A dependency named with the worker prefix
//! that matches no cursor config is aggregated (it is a worker by §7's rule), reported with an
//! `unexpected_worker` warning, and listed among the failed batches, without a range, if it
//! failed. When the batchable step's result holds no complete outcome (detection warned,
//! docs/contract.md §8), no worker is expected: the workers found by the prefix are counted, a
//! failed one is listed without a batch id or range, and coverage is not checked.
//!
//! **Failure strategies.**
//! - `fail_fast`: `failed` when any worker failed;
//! - `continue_on_failure` (the default): `succeeded` unless a tolerance is exceeded:
//!   more failed workers than `max_failed_workers`, or a larger share of the workers than
//!   `max_failure_percentage` (0..=100). The workers counted are the expected ones (absent ones
//!   included) plus any unexpected ones. Both tolerances are optional; without them, failures
//!   are reported and tolerated. They mean nothing to the other strategies (warning
//!   `ignored_field`);
//! - `isolate`: `succeeded`; the failed batches, with their ranges, are listed for a re-run.
//!
//! `failed_batches` is listed under every strategy; `reason` says why the status is what it is,
//! and is `null` when no worker failed.
//!
//! **Coverage.** For ranges of an ordered kind (integer, UUID, timestamp) the ranges of the
//! workers that finished (did not fail) are compared with the outcome's whole span, from its
//! first start to its last end: `gaps` are the key intervals no finished range covers, with
//! the configs' own cursor values as bounds, and `overlaps` the pairs of finished ranges that
//! share keys. `complete` is true when there are no gaps, no overlaps and no failed workers.
//! Strings, composite and tuple keys have no order the core knows: their coverage is
//! `{"checked": false, "reason": ..., "missing_batch_ids": [...]}`, as it is when
//! `check_coverage` is false. `no_batches` is trivially complete. Warnings about the ranges
//! themselves (`zero_length_range`, gaps between configs) were given when the outcome was
//! expanded and are not repeated.
//!
//! Input:
//! ```json
//! {"dependency_results": {...}, "batchable_step_name": "analyze", "worker_prefix": "process_batch_",
//!  "failure_strategy": "continue_on_failure", "max_failed_workers": 2, "max_failure_percentage": 10,
//!  "max_errors": 100, "reducers": {"amount": "sum"}, "check_coverage": true}
//! ```
//! Output: `{status, scenario, failure_strategy, reason, aggregation, failed_batches: [{name,
//! batch_id, start_cursor, end_cursor, reason}], coverage}`.
//!
//! The dependency results are read once, while the request is parsed, into what detection,
//! the aggregation and the failure check look at (see [`crate::step_results`]); `reducers` and
//! `max_errors` before `dependency_results` let that read skip what they do not need.

mod coverage;
mod failures;
mod redriven;

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::aggregation::{self, Aggregation, AggregationOptions, OptionsReader, Source};
use crate::cursor::Cursor;
use crate::error::{Error, ErrorCode, Result, Warning, WarningCode};
use crate::input::{coded, missing, read_object, set_once, NonEmpty, OtherKeys, U32};
use crate::outcome::{BatchProcessingOutcome, CreateBatches};
use crate::path::JsonPath;
use crate::scenario::{detect_in, Detection, ScenarioKind};
use crate::step_results::{ResultsSeed, StepResults};
use crate::worker_inputs::{FailureStrategy, FailureStrategyInput};

use redriven::{Progress, Ranges};
pub use redriven::{RecordEntry, RedriveRecord, SpanInput};

/// The input of `converge`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvergenceRequest {
    /// The results of the steps the convergence step depends on, each read once.
    pub dependency_results: StepResults,
    /// The step that produced the outcome.
    pub batchable_step_name: String,
    /// Workers are the dependencies whose names start with this.
    pub worker_prefix: String,
    /// Default `continue_on_failure`.
    pub failure_strategy: Option<FailureStrategyInput>,
    /// When `continue_on_failure` fails.
    pub tolerances: Tolerances,
    /// `max_errors` and `reducers` of the aggregation.
    pub aggregation: AggregationOptions,
    /// Whether to check the coverage of the key space (default true).
    pub check_coverage: bool,
    /// The outputs of the task's redrives, in the order they were made (docs/contract.md §10).
    pub redrives: Vec<RedriveRecord>,
}

/// When `continue_on_failure` fails; without either, failures are reported and tolerated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tolerances {
    /// Fails when more workers than this failed.
    pub max_failed_workers: Option<u32>,
    /// Fails when a larger percentage (0..=100) of the workers failed.
    pub max_failure_percentage: Option<f64>,
}

/// What convergence concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvergenceStatus {
    /// The convergence step succeeds.
    Succeeded,
    /// The convergence step fails.
    Failed,
}

impl ConvergenceStatus {
    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConvergenceStatus::Succeeded => "succeeded",
            ConvergenceStatus::Failed => "failed",
        }
    }
}

impl Serialize for ConvergenceStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A worker that failed, with its range so that it can be run again.
#[derive(Clone, Debug, PartialEq)]
pub struct FailedBatch {
    /// The worker step's name.
    pub name: String,
    /// Its batch id; `None` for a worker that matches no cursor config.
    pub batch_id: Option<String>,
    /// Start of its range, as the outcome gave it.
    pub start_cursor: Option<Cursor>,
    /// End of its range, as the outcome gave it.
    pub end_cursor: Option<Cursor>,
    /// Why it counts as failed: "no result", "null result", "success is false", ...
    pub reason: String,
}

impl Serialize for FailedBatch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("batch_id", &self.batch_id)?;
        map.serialize_entry("start_cursor", &self.start_cursor)?;
        map.serialize_entry("end_cursor", &self.end_cursor)?;
        map.serialize_entry("reason", &self.reason)?;
        map.end()
    }
}

/// Keys between `start_cursor` (inclusive) and `end_cursor` (exclusive) that no finished
/// worker covered.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    /// First uncovered key, a cursor of the outcome.
    pub start_cursor: Cursor,
    /// End of the uncovered keys, a cursor of the outcome.
    pub end_cursor: Cursor,
}

impl Serialize for Gap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("start_cursor", &self.start_cursor)?;
        map.serialize_entry("end_cursor", &self.end_cursor)?;
        map.end()
    }
}

/// Two finished ranges that share keys; the one that starts first comes first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overlap {
    /// The two batch ids.
    pub batch_ids: [String; 2],
}

impl Serialize for Overlap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("batch_ids", &self.batch_ids)?;
        map.end()
    }
}

/// Whether the finished workers covered the key space.
#[derive(Clone, Debug, PartialEq)]
pub enum Coverage {
    /// Ordered ranges: `{"checked": true, complete, gaps, overlaps}`.
    Checked {
        /// No gaps, no overlaps, no failed workers.
        complete: bool,
        /// Uncovered key intervals, in key order.
        gaps: Vec<Gap>,
        /// Pairs of finished ranges sharing keys.
        overlaps: Vec<Overlap>,
    },
    /// `{"checked": false, reason, missing_batch_ids}`: unordered ranges, or not asked for.
    NotChecked {
        /// Why coverage was not checked.
        reason: String,
        /// The batch ids of the expected workers that failed, in outcome order.
        missing_batch_ids: Vec<String>,
    },
}

impl Serialize for Coverage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Coverage::Checked {
                complete,
                gaps,
                overlaps,
            } => {
                let mut map = serializer.serialize_map(Some(4))?;
                map.serialize_entry("checked", &true)?;
                map.serialize_entry("complete", complete)?;
                map.serialize_entry("gaps", gaps)?;
                map.serialize_entry("overlaps", overlaps)?;
                map.end()
            }
            Coverage::NotChecked {
                reason,
                missing_batch_ids,
            } => {
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("checked", &false)?;
                map.serialize_entry("reason", reason)?;
                map.serialize_entry("missing_batch_ids", missing_batch_ids)?;
                map.end()
            }
        }
    }
}

/// The output of `converge`.
#[derive(Clone, Debug, PartialEq)]
pub struct Convergence {
    /// `succeeded` or `failed`.
    pub status: ConvergenceStatus,
    /// The scenario detected.
    pub scenario: ScenarioKind,
    /// The strategy applied.
    pub failure_strategy: FailureStrategy,
    /// Why the status is what it is; `None` when no worker failed.
    pub reason: Option<String>,
    /// The aggregated worker results.
    pub aggregation: Aggregation,
    /// Every failed worker, expected ones in outcome order first.
    pub failed_batches: Vec<FailedBatch>,
    /// Whether the finished workers covered the key space.
    pub coverage: Coverage,
}

impl Serialize for Convergence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(7))?;
        map.serialize_entry("status", &self.status)?;
        map.serialize_entry("scenario", &self.scenario)?;
        map.serialize_entry("failure_strategy", &self.failure_strategy)?;
        map.serialize_entry("reason", &self.reason)?;
        map.serialize_entry("aggregation", &self.aggregation)?;
        map.serialize_entry("failed_batches", &self.failed_batches)?;
        map.serialize_entry("coverage", &self.coverage)?;
        map.end()
    }
}
/// `converge`: input a [`ConvergenceRequest`]; output the [`Convergence`].
///
/// One way through, each stage taking what the one before gave: the dependency results were
/// read once with the request; detect the scenario ([`crate::scenario`]); know the workers
/// expected; aggregate their results ([`crate::aggregation`]); assess which failed; decide
/// under the strategy; check the coverage of the key space.
pub fn converge(request: ConvergenceRequest, warnings: &mut Vec<Warning>) -> Result<Convergence> {
    let results_at = JsonPath::root().key("dependency_results");
    let results = &request.dependency_results;
    let detection = detect_in(
        results,
        &request.batchable_step_name,
        &request.worker_prefix,
        &results_at,
        warnings,
    )?;
    let strategy = request.strategy(warnings);
    let Some(mut expected) = Expected::of(&detection)? else {
        if !request.redrives.is_empty() {
            return Err(no_redrive_expected("the outcome is no_batches"));
        }
        return Ok(Convergence::no_batches(strategy, &request));
    };
    let progress = match &mut expected {
        Expected::Configs { ranges, .. } => {
            ranges.add(&request.redrives, &request.batchable_step_name)?;
            ranges.progress(&request.aggregation)?
        }
        Expected::Unknown if !request.redrives.is_empty() => {
            return Err(no_redrive_expected(
                "the batchable step's result holds no complete outcome, so the ranges redriven are unknown",
            ));
        }
        Expected::Unknown => Vec::new(),
    };
    let sources = sources(
        &expected,
        &detection.workers,
        results,
        &results_at,
        &progress,
    );
    let aggregation = aggregation::aggregate_sources(sources, &request.aggregation, warnings)?;
    let assessment = failures::assess(
        results,
        &results_at,
        &detection.workers,
        &expected,
        &request.worker_prefix,
        warnings,
    )?;
    let decision = failures::decide(&request.tolerances, strategy, &assessment);
    let coverage = coverage::cover(&expected, &assessment, request.check_coverage)?;
    Ok(Convergence {
        status: decision.status,
        scenario: ScenarioKind::WithBatches,
        failure_strategy: strategy,
        reason: decision.reason,
        aggregation,
        failed_batches: assessment.failed,
        coverage,
    })
}

/// `redrives` given where none can apply.
fn no_redrive_expected(why: &str) -> Error {
    Error::at(
        ErrorCode::InvalidValue,
        &JsonPath::root().key("redrives").index(0),
        format!("expected no redrive: {why}"),
    )
}

/// What the aggregation counts, in worker order: each worker's result, except that a parent
/// superseded by its children counts its checkpointed progress instead (a superseded parent
/// without a result comes last, in the order of the ranges).
fn sources<'a>(
    expected: &Expected<'_>,
    workers: &[usize],
    results: &'a StepResults,
    at: &'a JsonPath,
    progress: &'a [Option<Progress>],
) -> Vec<Source<'a>> {
    let result = |index| Source::Result { results, index, at };
    let Expected::Configs { create, ranges, .. } = expected else {
        return workers.iter().map(|&i| result(i)).collect();
    };
    if !ranges.any_superseded() {
        return workers.iter().map(|&i| result(i)).collect();
    }
    let mut by_name: std::collections::HashMap<String, usize> = ranges
        .superseded
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_some())
        .map(|(i, _)| {
            let name = format!(
                "{}_{}",
                create.worker_template_name, ranges.configs[i].batch_id
            );
            (name, i)
        })
        .collect();
    let source = |i: usize| match &ranges.superseded[i] {
        Some(s) => Progress::source(progress[i].as_ref(), s),
        None => Source::Carried,
    };
    let mut out: Vec<Source<'a>> = workers
        .iter()
        .map(
            |&w| match by_name.remove(results.name(w).unwrap_or_default()) {
                Some(i) => source(i),
                None => result(w),
            },
        )
        .collect();
    let mut left: Vec<usize> = by_name.into_values().collect();
    left.sort_unstable();
    out.extend(left.into_iter().map(source));
    out
}

impl ConvergenceRequest {
    /// The strategy to apply, warning about a non-canonical spelling and about tolerances that
    /// mean nothing to it.
    fn strategy(&self, warnings: &mut Vec<Warning>) -> FailureStrategy {
        let root = JsonPath::root();
        let strategy = match &self.failure_strategy {
            Some(given) => {
                given.warn(&root.key("failure_strategy"), warnings);
                given.strategy
            }
            None => FailureStrategy::default(),
        };
        if strategy != FailureStrategy::ContinueOnFailure {
            for (key, given) in [
                (
                    "max_failed_workers",
                    self.tolerances.max_failed_workers.is_some(),
                ),
                (
                    "max_failure_percentage",
                    self.tolerances.max_failure_percentage.is_some(),
                ),
            ] {
                if given {
                    warnings.push(Warning::at(
                        WarningCode::IgnoredField,
                        &root.key(key),
                        format!(
                            "{key} applies to continue_on_failure only; ignored with {strategy}"
                        ),
                    ));
                }
            }
        }
        strategy
    }
}

impl Convergence {
    /// The `no_batches` scenario converges trivially: nothing to aggregate, nothing failed, the
    /// (empty) key space covered.
    fn no_batches(strategy: FailureStrategy, request: &ConvergenceRequest) -> Convergence {
        let coverage = if request.check_coverage {
            Coverage::Checked {
                complete: true,
                gaps: Vec::new(),
                overlaps: Vec::new(),
            }
        } else {
            coverage::not_requested(Vec::new())
        };
        Convergence {
            status: ConvergenceStatus::Succeeded,
            scenario: ScenarioKind::NoBatches,
            failure_strategy: strategy,
            reason: None,
            aggregation: aggregation::no_batches(&request.aggregation),
            failed_batches: Vec::new(),
            coverage,
        }
    }
}

/// The workers a `with_batches` convergence expects.
pub(crate) enum Expected<'a> {
    /// One per range of the task (the outcome's and the children of its redrives), named
    /// `{template}_{batch_id}`.
    Configs {
        create: &'a CreateBatches,
        ranges: Ranges<'a>,
    },
    /// The batchable step's result holds no complete outcome: none are known, and the workers
    /// are those detection found by their names.
    Unknown,
}

impl<'a> Expected<'a> {
    /// The workers expected in the scenario detected; `None` for `no_batches`.
    fn of(detection: &'a Detection) -> Result<Option<Expected<'a>>> {
        if detection.scenario == ScenarioKind::NoBatches {
            return Ok(None);
        }
        let Some(found) = &detection.outcome else {
            return Ok(Some(Expected::Unknown));
        };
        let BatchProcessingOutcome::CreateBatches(create) = &found.outcome else {
            return Ok(None);
        };
        if create.cursor_configs.is_empty() {
            return Err(Error::at(
                ErrorCode::NoCursorConfigs,
                &found.path.key("cursor_configs"),
                "expected at least one cursor config, found none (no expected workers to converge; use {\"type\":\"no_batches\"} for zero batches)",
            ));
        }
        Ok(Some(Expected::Configs {
            create,
            ranges: Ranges::of_outcome(create, &found.path),
        }))
    }
}

// ------------------------------------------------------------------------------------------
// Reading the request.

const REQUEST_KEYS: &[&str] = &[
    "dependency_results",
    "batchable_step_name",
    "worker_prefix",
    "failure_strategy",
    "max_failed_workers",
    "max_failure_percentage",
    "max_errors",
    "reducers",
    "check_coverage",
    "redrives",
];

/// A percentage in 0..=100 (integer or fraction).
struct Percentage(f64);

impl<'de> Deserialize<'de> for Percentage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl V {
            fn checked<E: de::Error>(v: f64, found: impl fmt::Display) -> Result<Percentage, E> {
                if (0.0..=100.0).contains(&v) {
                    Ok(Percentage(v))
                } else {
                    Err(coded(
                        ErrorCode::OutOfRange,
                        format_args!("expected a percentage in 0..=100, found {found}"),
                    ))
                }
            }
            fn wrong<E: de::Error>(found: &str) -> E {
                coded(
                    ErrorCode::TypeMismatch,
                    format_args!("expected a percentage in 0..=100, found {found}"),
                )
            }
        }
        impl<'de> Visitor<'de> for V {
            type Value = Percentage;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a percentage in 0..=100")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Percentage, E> {
                V::checked(v as f64, v)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Percentage, E> {
                V::checked(v as f64, v)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Percentage, E> {
                V::checked(v, v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Percentage, E> {
                Err(V::wrong(&format!("the string {v:?}")))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Percentage, E> {
                Err(V::wrong(&format!("the boolean {v}")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Percentage, E> {
                Err(V::wrong("null"))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Percentage, A::Error> {
                Err(V::wrong("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Percentage, A::Error> {
                Err(V::wrong("an object"))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ConvergenceRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ConvergenceRequest;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a convergence request {dependency_results, batchable_step_name, worker_prefix, ...}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut results = None;
                let mut batchable = None;
                let mut prefix = None;
                let mut strategy = None;
                let mut max_failed = None;
                let mut max_percentage = None;
                let mut check = None;
                let mut redrives = None;
                let mut options = OptionsReader::default();
                // Key order matters: what the request says before dependency_results decides
                // what their read keeps.
                read_object(&mut map, OtherKeys::Reject(REQUEST_KEYS), |key, map| {
                    match key {
                        "dependency_results" => {
                            let plan = options.plan(false);
                            let seed = ResultsSeed {
                                plan: &plan,
                                listed: false,
                            };
                            set_once(&mut results, key, map.next_value_seed(seed)?)?
                        }
                        "batchable_step_name" => {
                            let NonEmpty(name) = map.next_value()?;
                            set_once(&mut batchable, key, name)?
                        }
                        "worker_prefix" => {
                            let NonEmpty(name) = map.next_value()?;
                            set_once(&mut prefix, key, name)?
                        }
                        "failure_strategy" => set_once(&mut strategy, key, map.next_value()?)?,
                        "max_failed_workers" => {
                            let U32(max) = map.next_value()?;
                            set_once(&mut max_failed, key, max)?
                        }
                        "max_failure_percentage" => {
                            let Percentage(max) = map.next_value()?;
                            set_once(&mut max_percentage, key, max)?
                        }
                        "check_coverage" => set_once(&mut check, key, map.next_value()?)?,
                        "redrives" => {
                            let given: Option<Vec<RedriveRecord>> = map.next_value()?;
                            set_once(&mut redrives, key, given.unwrap_or_default())?
                        }
                        _ => return options.read_key(key, map),
                    }
                    Ok(true)
                })?;
                Ok(ConvergenceRequest {
                    dependency_results: results.ok_or_else(|| missing("dependency_results"))?,
                    batchable_step_name: batchable.ok_or_else(|| missing("batchable_step_name"))?,
                    worker_prefix: prefix.ok_or_else(|| missing("worker_prefix"))?,
                    failure_strategy: strategy,
                    tolerances: Tolerances {
                        max_failed_workers: max_failed,
                        max_failure_percentage: max_percentage,
                    },
                    aggregation: options.finish(),
                    check_coverage: check.unwrap_or(true),
                    redrives: redrives.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::from_json;
    use serde_json::{json, Value};

    /// An integer outcome of three ranges: [0,10) [10,20) [20,30).
    fn outcome(configs: &str, count: usize) -> String {
        format!(
            r#"{{"type":"create_batches","worker_template_name":"w","worker_count":{count},"cursor_configs":{configs},"total_items":30}}"#
        )
    }

    const THREE: &str = r#"[{"batch_id":"001","start_cursor":0,"end_cursor":10,"batch_size":10},{"batch_id":"002","start_cursor":10,"end_cursor":20,"batch_size":10},{"batch_id":"003","start_cursor":20,"end_cursor":30,"batch_size":10}]"#;

    const OK: &str = r#"{"items_processed":10,"items_succeeded":10}"#;

    fn request(outcome: &str, workers: &[(&str, &str)], options: &str) -> String {
        let mut results = format!(r#""analyze":{{"batch_processing_outcome":{outcome}}}"#);
        for (name, result) in workers {
            results.push_str(&format!(r#","{name}":{result}"#));
        }
        format!(
            r#"{{"dependency_results":{{{results}}},"batchable_step_name":"analyze","worker_prefix":"w_"{options}}}"#
        )
    }

    fn run(text: &str) -> Result<(Value, Vec<Warning>)> {
        let request: ConvergenceRequest = from_json(text)?;
        let mut warnings = vec![];
        let out = converge(request, &mut warnings)?;
        Ok((serde_json::to_value(&out).unwrap(), warnings))
    }

    fn three(workers: &[(&str, &str)], options: &str) -> Result<(Value, Vec<Warning>)> {
        run(&request(&outcome(THREE, 3), workers, options))
    }

    #[test]
    fn all_workers_finished_is_a_complete_success() {
        let (out, warnings) = three(&[("w_001", OK), ("w_002", OK), ("w_003", OK)], "").unwrap();
        assert!(warnings.is_empty());
        assert_eq!(out["status"], "succeeded");
        assert_eq!(out["failure_strategy"], "continue_on_failure");
        assert_eq!(out["reason"], Value::Null);
        assert_eq!(out["aggregation"]["total_processed"], 30);
        assert_eq!(out["failed_batches"], json!([]));
        assert_eq!(
            out["coverage"],
            json!({"checked": true, "complete": true, "gaps": [], "overlaps": []})
        );
    }

    mod which_workers_failed {
        use super::*;

        #[test]
        fn absent_null_unsuccessful_and_failed_status_fail_a_worker() {
            let cases = [
                (None, "no result"),
                (Some("null"), "null result"),
                (
                    Some(r#"{"success":false,"result":{"items_processed":10}}"#),
                    "success is false",
                ),
                (
                    Some(r#"{"result":{"status":"failed"}}"#),
                    r#"status is "failed""#,
                ),
                (Some(r#"{"status":"error"}"#), r#"status is "error""#),
            ];
            for (result, reason) in cases {
                let mut workers = vec![("w_001", OK), ("w_003", OK)];
                if let Some(result) = result {
                    workers.push(("w_002", result));
                }
                let (out, _) = three(&workers, "").unwrap();
                assert_eq!(
                    out["failed_batches"],
                    json!([{"name": "w_002", "batch_id": "002", "start_cursor": 10, "end_cursor": 20, "reason": reason}]),
                    "{result:?}"
                );
            }
        }

        #[test]
        fn failed_items_do_not_fail_the_worker() {
            let partly = r#"{"items_processed":10,"items_succeeded":4,"items_failed":6,"status":"completed","success":true}"#;
            let (out, _) = three(&[("w_001", OK), ("w_002", partly), ("w_003", OK)], "").unwrap();
            assert_eq!(out["failed_batches"], json!([]));
            assert_eq!(out["aggregation"]["total_failed"], 6);
            assert_eq!(out["aggregation"]["success_rate"], json!(24.0 / 30.0));
        }

        #[test]
        fn success_and_status_must_have_their_types() {
            let err = three(&[("w_001", r#"{"success":"no"}"#)], "").unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::TypeMismatch, "dependency_results.w_001.success")
            );
            let err = three(&[("w_001", r#"{"result":{"status":1}}"#)], "").unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (
                    ErrorCode::TypeMismatch,
                    "dependency_results.w_001.result.status"
                )
            );
        }

        #[test]
        fn unexpected_workers_are_aggregated_warned_about_and_listed_if_failed() {
            let (out, warnings) = three(
                &[
                    ("w_001", OK),
                    ("w_002", OK),
                    ("w_003", OK),
                    ("w_extra", r#"{"success":false,"items_processed":1}"#),
                ],
                "",
            )
            .unwrap();
            assert_eq!(out["aggregation"]["total_processed"], 31);
            assert_eq!(
                out["failed_batches"],
                json!([{"name": "w_extra", "batch_id": null, "start_cursor": null, "end_cursor": null, "reason": "success is false"}])
            );
            assert_eq!(warnings.len(), 1);
            assert_eq!(
                (warnings[0].code, warnings[0].path.as_str()),
                (WarningCode::UnexpectedWorker, "dependency_results.w_extra")
            );
            assert_eq!(out["coverage"]["complete"], false);
        }

        #[test]
        fn a_prefix_that_misses_the_outcome_workers_is_an_error() {
            let text = request(&outcome(THREE, 3), &[("w_001", OK)], "")
                .replace(r#""worker_prefix":"w_""#, r#""worker_prefix":"w_00""#)
                .replace(r#""batch_id":"003""#, r#""batch_id":"103""#);
            let err = run(&text).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::InvalidValue, "worker_prefix")
            );
        }
    }

    mod failure_strategies {
        use super::*;

        const ONE_FAILED: [(&str, &str); 3] = [
            ("w_001", OK),
            ("w_002", r#"{"success":false}"#),
            ("w_003", OK),
        ];

        #[test]
        fn fail_fast_fails_on_any_failed_worker() {
            let (out, _) = three(&ONE_FAILED, r#","failure_strategy":"fail_fast""#).unwrap();
            assert_eq!(out["status"], "failed");
            assert_eq!(
                out["reason"],
                r#"fail_fast: 1 of 3 workers failed ("w_002")"#
            );
            let (out, _) = three(
                &[("w_001", OK), ("w_002", OK), ("w_003", OK)],
                r#","failure_strategy":"fail_fast""#,
            )
            .unwrap();
            assert_eq!(
                (out["status"].as_str(), &out["reason"]),
                (Some("succeeded"), &Value::Null)
            );
        }

        #[test]
        fn continue_on_failure_succeeds_and_reports() {
            let (out, _) = three(&ONE_FAILED, "").unwrap();
            assert_eq!(out["status"], "succeeded");
            assert_eq!(
                out["reason"],
                r#"continue_on_failure: 1 of 3 workers failed ("w_002"), within tolerance"#
            );
            assert_eq!(out["failed_batches"][0]["batch_id"], "002");
        }

        #[test]
        fn isolate_succeeds_and_lists_the_failed_batches() {
            let (out, _) = three(&ONE_FAILED, r#","failure_strategy":"isolate""#).unwrap();
            assert_eq!(out["status"], "succeeded");
            assert_eq!(out["failure_strategy"], "isolate");
            assert_eq!(
                out["failed_batches"],
                json!([{"name": "w_002", "batch_id": "002", "start_cursor": 10, "end_cursor": 20, "reason": "success is false"}])
            );
        }

        #[test]
        fn pascal_case_is_accepted_with_a_warning() {
            let (out, warnings) = three(&ONE_FAILED, r#","failure_strategy":"FailFast""#).unwrap();
            assert_eq!(out["failure_strategy"], "fail_fast");
            assert_eq!(
                (warnings[0].code, warnings[0].path.as_str()),
                (WarningCode::NonCanonicalSpelling, "failure_strategy")
            );
        }

        #[test]
        fn tolerances_fail_continue_on_failure_when_exceeded() {
            let within = r#","max_failed_workers":1,"max_failure_percentage":33.34"#;
            let (out, _) = three(&ONE_FAILED, within).unwrap();
            assert_eq!(out["status"], "succeeded");
            let (out, _) = three(&ONE_FAILED, r#","max_failed_workers":0"#).unwrap();
            assert_eq!(out["status"], "failed");
            assert_eq!(
                out["reason"],
                r#"continue_on_failure: 1 of 3 workers failed ("w_002"): more than max_failed_workers 0"#
            );
            let (out, _) = three(&ONE_FAILED, r#","max_failure_percentage":33.33"#).unwrap();
            assert_eq!(out["status"], "failed");
            assert_eq!(
                out["reason"],
                r#"continue_on_failure: 1 of 3 workers failed ("w_002"): 33.3333% of the workers, more than max_failure_percentage 33.33"#
            );
        }

        #[test]
        fn tolerances_are_ignored_by_the_other_strategies() {
            let (out, warnings) = three(
                &ONE_FAILED,
                r#","failure_strategy":"isolate","max_failed_workers":0"#,
            )
            .unwrap();
            assert_eq!(out["status"], "succeeded");
            assert_eq!(
                (warnings[0].code, warnings[0].path.as_str()),
                (WarningCode::IgnoredField, "max_failed_workers")
            );
        }

        #[test]
        fn percentages_must_lie_in_0_to_100() {
            for (value, code) in [
                ("101", ErrorCode::OutOfRange),
                ("-1", ErrorCode::OutOfRange),
                (r#""5""#, ErrorCode::TypeMismatch),
            ] {
                let err = three(
                    &ONE_FAILED,
                    &format!(r#","max_failure_percentage":{value}"#),
                )
                .unwrap_err();
                assert_eq!(
                    (err.code, err.path.as_str()),
                    (code, "max_failure_percentage")
                );
            }
        }
    }

    mod coverage {
        use super::*;

        #[test]
        fn failed_workers_leave_gaps_bounded_by_the_configs_cursors() {
            let (out, _) = three(&[("w_002", OK)], "").unwrap();
            assert_eq!(
                out["coverage"],
                json!({"checked": true, "complete": false, "gaps": [
                    {"start_cursor": 0, "end_cursor": 10},
                    {"start_cursor": 20, "end_cursor": 30}
                ], "overlaps": []})
            );
        }

        #[test]
        fn overlapping_and_gapped_configs_are_reported() {
            let configs = r#"[{"batch_id":"001","start_cursor":0,"end_cursor":12,"batch_size":12},{"batch_id":"002","start_cursor":10,"end_cursor":20,"batch_size":10},{"batch_id":"003","start_cursor":11,"end_cursor":15,"batch_size":4},{"batch_id":"004","start_cursor":25,"end_cursor":30,"batch_size":5}]"#;
            let (out, _) = run(&request(
                &outcome(configs, 4),
                &[("w_001", OK), ("w_002", OK), ("w_003", OK), ("w_004", OK)],
                "",
            ))
            .unwrap();
            assert_eq!(
                out["coverage"],
                json!({"checked": true, "complete": false,
                       "gaps": [{"start_cursor": 20, "end_cursor": 25}],
                       "overlaps": [{"batch_ids": ["001", "002"]}, {"batch_ids": ["001", "003"]}, {"batch_ids": ["002", "003"]}]})
            );
        }

        #[test]
        fn uuid_and_timestamp_ranges_are_ordered_too() {
            let configs = r#"[{"batch_id":"001","start_cursor":"2024-01-01T00:00:00Z","end_cursor":"2024-01-02T00:00:00Z","batch_size":0},{"batch_id":"002","start_cursor":"2024-01-02T00:00:00Z","end_cursor":"2024-01-03T00:00:00Z","batch_size":0}]"#;
            let (out, _) = run(&request(&outcome(configs, 2), &[("w_001", OK)], "")).unwrap();
            assert_eq!(
                out["coverage"]["gaps"],
                json!([{"start_cursor": "2024-01-02T00:00:00Z", "end_cursor": "2024-01-03T00:00:00Z"}])
            );
            let configs = r#"[{"batch_id":"001","start_cursor":"00000000-0000-0000-0000-000000000000","end_cursor":"80000000-0000-0000-0000-000000000000","batch_size":0},{"batch_id":"002","start_cursor":"80000000-0000-0000-0000-000000000000","end_cursor":null,"batch_size":0}]"#;
            let (out, _) = run(&request(&outcome(configs, 2), &[("w_002", OK)], "")).unwrap();
            assert_eq!(
                out["coverage"]["gaps"],
                json!([{"start_cursor": "00000000-0000-0000-0000-000000000000", "end_cursor": "80000000-0000-0000-0000-000000000000"}])
            );
        }

        #[test]
        fn unordered_kinds_are_not_checked_but_list_the_missing_batches() {
            let configs = r#"[{"batch_id":"001","start_cursor":"a","end_cursor":"m","batch_size":0},{"batch_id":"002","start_cursor":"m","end_cursor":"z","batch_size":0}]"#;
            let (out, _) = run(&request(&outcome(configs, 2), &[("w_001", OK)], "")).unwrap();
            assert_eq!(out["coverage"]["checked"], false);
            assert_eq!(out["coverage"]["missing_batch_ids"], json!(["002"]));
            assert!(out["coverage"]["reason"]
                .as_str()
                .unwrap()
                .starts_with("string cursors"));
        }

        #[test]
        fn it_can_be_switched_off() {
            let (out, _) = three(&[("w_002", OK)], r#","check_coverage":false"#).unwrap();
            assert_eq!(
                out["coverage"],
                json!({"checked": false, "reason": "check_coverage is false", "missing_batch_ids": ["001", "003"]})
            );
        }
    }

    #[test]
    fn no_batches_converges_trivially() {
        let (out, _) = run(&request(
            r#"{"type":"no_batches"}"#,
            &[("w_000", r#"{"items_processed":0}"#)],
            r#","failure_strategy":"fail_fast","reducers":{"n":"count"}"#,
        ))
        .unwrap();
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"status":"succeeded","scenario":"no_batches","failure_strategy":"fail_fast","reason":null,"aggregation":{"total_processed":0,"total_succeeded":0,"total_failed":0,"total_skipped":0,"batch_count":0,"success_rate":0.0,"errors":[],"error_count":0,"worker_count":0,"scenario":"no_batches","custom":{"n":0}},"failed_batches":[],"coverage":{"checked":true,"complete":true,"gaps":[],"overlaps":[]}}"#
        );
    }

    #[test]
    fn an_outcome_without_cursor_configs_is_an_error() {
        let err = run(&request(&outcome("[]", 0), &[("w_001", OK)], "")).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (
                ErrorCode::NoCursorConfigs,
                "dependency_results.analyze.batch_processing_outcome.cursor_configs"
            )
        );
    }

    #[test]
    fn detection_errors_come_through() {
        let err =
            run(r#"{"dependency_results":{},"batchable_step_name":"a","worker_prefix":"w_"}"#)
                .unwrap_err();
        assert_eq!(err.code, ErrorCode::MissingBatchableStep);
        let err = three(&[], "").unwrap_err();
        assert_eq!(err.code, ErrorCode::NoWorkerResults);
        let err = three(&[("w_001", OK)], r#","surprise":1"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::InvalidValue, "surprise")
        );
    }

    #[test]
    fn results_in_any_order_are_matched_to_their_configs_by_name() {
        let failed = r#"{"success":false}"#;
        let (out, warnings) = three(
            &[("w_extra", OK), ("w_003", failed), ("w_001", OK)],
            r#","failure_strategy":"isolate""#,
        )
        .unwrap();
        assert_eq!(
            out["failed_batches"],
            json!([
                {"name": "w_002", "batch_id": "002", "start_cursor": 10, "end_cursor": 20, "reason": "no result"},
                {"name": "w_003", "batch_id": "003", "start_cursor": 20, "end_cursor": 30, "reason": "success is false"}
            ])
        );
        assert_eq!(
            (warnings.len(), warnings[0].path.as_str()),
            (1, "dependency_results.w_extra")
        );
        assert_eq!(out["aggregation"]["total_processed"], 20);
    }

    #[test]
    fn ten_thousand_workers_converge_quickly() {
        let configs: Vec<String> = (0..10_000)
            .map(|i| {
                format!(
                    r#"{{"batch_id":"{:03}","start_cursor":{},"end_cursor":{},"batch_size":10}}"#,
                    i + 1,
                    i * 10,
                    i * 10 + 10
                )
            })
            .collect();
        let outcome = format!(
            r#"{{"type":"create_batches","worker_template_name":"w","worker_count":10000,"cursor_configs":[{}],"total_items":100000}}"#,
            configs.join(",")
        );
        let names: Vec<String> = (0..10_000).map(|i| format!("w_{:03}", i + 1)).collect();
        let workers: Vec<(&str, &str)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), if i == 5000 { "null" } else { OK }))
            .collect();
        let text = request(&outcome, &workers, "");
        let (out, _) = run(&text).unwrap();
        assert_eq!(out["aggregation"]["total_processed"], 99_990);
        assert_eq!(
            out["coverage"]["gaps"],
            json!([{"start_cursor": 50000, "end_cursor": 50010}])
        );
    }
}

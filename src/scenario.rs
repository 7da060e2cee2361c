//! Scenario detection (docs/contract.md §7) and the one rule for reading a step's result.
//!
//! A convergence step sees the results of the steps it depends on, by step name. Detection
//! finds the batchable step's outcome and the workers' results in them:
//!
//! - the batchable step's result must be present (`missing_batchable_step`) and hold a
//!   `batch_processing_outcome` (`missing_outcome`);
//! - a `no_batches` outcome is the `no_batches` scenario, even though the orchestrator created
//!   the placeholder worker `{template}_000` (upstream Ruby counted it as one batch): no worker
//!   results, `worker_count` 0;
//! - otherwise every dependency whose name starts with `worker_prefix`, except the batchable
//!   step itself, is a worker, in input order; having none is `no_worker_results`.
//!
//! Input:
//! ```json
//! {"dependency_results": {"analyze": {"batch_processing_outcome": {...}},
//!                         "process_batch_001": {"items_processed": 10, ...}},
//!  "batchable_step_name": "analyze",
//!  "worker_prefix": "process_batch_"}
//! ```
//! Output: `{scenario, batchable_step_name, batchable_result, outcome, batch_results,
//! worker_names, worker_count}`, where `batchable_result` and each of `batch_results` are the
//! results exactly as given, `worker_names` the workers' names in input order and `outcome` the
//! canonical outcome. The output can be passed to `aggregate` as it is.
//!
//! A host that holds the results itself (the Ruby gem) need not send them all: it sends the
//! dependencies' names, in order, and the batchable step's result only:
//! ```json
//! {"dependency_names": ["analyze", "process_batch_001", "process_batch_002"],
//!  "batchable_result": {"batch_processing_outcome": {...}},
//!  "batchable_step_name": "analyze",
//!  "worker_prefix": "process_batch_"}
//! ```
//! The rules are the same, with the names in place of the results' keys (a name given twice is
//! an `invalid_value` at the second one; errors about the batchable result are at
//! `batchable_result...`, errors about the names at `dependency_names`). The output then has no
//! `batch_results`: `{scenario, batchable_step_name, batchable_result, outcome, worker_names,
//! worker_count}`.
//! A request has exactly one of `dependency_results` and `dependency_names` (`invalid_value`
//! otherwise); `batchable_result` comes with `dependency_names` only, which requires it
//! (`missing_field`).
//!
//! # Reading a step result
//!
//! Results reach convergence wrapped in several shapes; how every reader in this crate reads
//! them is [`crate::step_results`].

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result, Warning};
use crate::input::{coded, coded_at, describe, duplicate_key, from_json, missing};
use crate::input::{set_once, unknown_key, Key, NonEmpty, RawJson};
use crate::outcome::BatchProcessingOutcome;
use crate::path::JsonPath;
use crate::step_results::{read_result, Looking, ResultShape, StepResults, STEP_WRAPPERS};
use crate::validation;

/// The results a step depends on, by step name, in input order, each kept as its exact text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DependencyResults(pub Vec<(String, RawJson)>);

impl DependencyResults {
    /// The result of the step `name`, if present.
    pub fn get(&self, name: &str) -> Option<&RawJson> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// Reads an object keeping key order; a key given twice is an error. The duplicate check is
/// a hash set, so ten thousand workers cost ten thousand lookups, not fifty million.
impl<'de> Deserialize<'de> for DependencyResults {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DependencyResults;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of step results {step_name: result}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                let mut seen = HashSet::new();
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    if !seen.insert(key.to_string()) {
                        return Err(duplicate_key(&key));
                    }
                    let value: RawJson = map.next_value()?;
                    entries.push((key.into_owned(), value));
                }
                Ok(DependencyResults(entries))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// The two scenarios a convergence step can be in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ScenarioKind {
    /// The batchable step decided there was nothing to do.
    NoBatches,
    /// Workers ran; their results are aggregated. The default.
    #[default]
    WithBatches,
}

impl ScenarioKind {
    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            ScenarioKind::NoBatches => "no_batches",
            ScenarioKind::WithBatches => "with_batches",
        }
    }
}

impl fmt::Display for ScenarioKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ScenarioKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ScenarioKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let NonEmpty(text) = NonEmpty::deserialize(deserializer)?;
        match text.as_str() {
            "no_batches" => Ok(ScenarioKind::NoBatches),
            "with_batches" => Ok(ScenarioKind::WithBatches),
            _ => Err(crate::input::coded(
                ErrorCode::InvalidValue,
                format_args!(r#"expected "no_batches" or "with_batches", found {text:?}"#),
            )),
        }
    }
}

// ------------------------------------------------------------------------------------------
// Detection.

/// What detection found, as positions among the dependencies it was given.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// `no_batches` or `with_batches`.
    pub scenario: ScenarioKind,
    /// Position of the batchable step's result.
    pub batchable: usize,
    /// The batchable step's outcome.
    pub outcome: BatchProcessingOutcome,
    /// Where the outcome sits in the input (`dependency_results.analyze.batch_processing_outcome`).
    pub outcome_path: JsonPath,
    /// Positions of the workers' results, in input order; empty for `no_batches`.
    pub workers: Vec<usize>,
}

/// Detects the scenario in `results`, found at `at` in the input.
pub fn detect(
    results: &DependencyResults,
    batchable_step_name: &str,
    worker_prefix: &str,
    at: &JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<Detection> {
    let names: Vec<&str> = results.0.iter().map(|(k, _)| k.as_str()).collect();
    let steps = Steps {
        names: &names,
        at,
        batchable_step_name,
        worker_prefix,
    };
    steps.detect(warnings, |i| {
        outcome_in_raw(&results.0[i].1, at.key(batchable_step_name))
    })
}

/// Detects the scenario in results read once ([`StepResults`]), found at `at` in the input.
pub(crate) fn detect_in(
    results: &StepResults,
    batchable_step_name: &str,
    worker_prefix: &str,
    at: &JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<Detection> {
    let names: Vec<&str> = (0..results.len())
        .map(|i| results.name(i).unwrap_or_default())
        .collect();
    let steps = Steps {
        names: &names,
        at,
        batchable_step_name,
        worker_prefix,
    };
    steps.detect(warnings, |i| {
        let found = results.read(i, at, &Looking::Step)?;
        let Some((text, path)) = found.as_ref().and_then(|f| {
            f.outcome()
                .map(|text| (text, f.path(at).key("batch_processing_outcome")))
        }) else {
            return Err(missing_outcome(
                &at.key(batchable_step_name),
                results.is_null(i),
            ));
        };
        let outcome = from_json(text).map_err(|e| e.under(&path))?;
        Ok((outcome, path))
    })
}

/// The dependencies' names, in input order, and what detection looks for among them.
struct Steps<'a> {
    names: &'a [&'a str],
    /// Where the names are in the input, for the errors about them.
    at: &'a JsonPath,
    batchable_step_name: &'a str,
    worker_prefix: &'a str,
}

impl Steps<'_> {
    /// Detects the scenario; `read_outcome` reads the outcome of the batchable step, given its
    /// position, with the path it was found at.
    fn detect(
        &self,
        warnings: &mut Vec<Warning>,
        read_outcome: impl FnOnce(usize) -> Result<(BatchProcessingOutcome, JsonPath)>,
    ) -> Result<Detection> {
        let Steps {
            names,
            at,
            batchable_step_name,
            worker_prefix,
        } = *self;
        let Some(batchable) = names.iter().position(|n| *n == batchable_step_name) else {
            return Err(Error::at(
                ErrorCode::MissingBatchableStep,
                at,
                format!(
                    "expected the result of the batchable step {batchable_step_name:?}, found {}",
                    list_names(names.iter().copied())
                ),
            ));
        };
        let (outcome, outcome_path) = read_outcome(batchable)?;

        if let BatchProcessingOutcome::NoBatches(_) = &outcome {
            // Only the `ignored_field` warnings: the outcome was validated when it was expanded.
            let mut found = Vec::new();
            validation::check_outcome(&outcome, &mut found)?;
            warnings.extend(found.into_iter().map(|mut w| {
                w.path = outcome_path.join_str(&w.path);
                w
            }));
            return Ok(Detection {
                scenario: ScenarioKind::NoBatches,
                batchable,
                outcome,
                outcome_path,
                workers: Vec::new(),
            });
        }

        let workers: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(i, name)| *i != batchable && name.starts_with(worker_prefix))
            .map(|(i, _)| i)
            .collect();
        if workers.is_empty() {
            return Err(Error::at(
                ErrorCode::NoWorkerResults,
                at,
                format!(
                    "expected results of workers named {worker_prefix}… for a create_batches outcome, found {}",
                    list_names(names.iter().copied().filter(|k| *k != batchable_step_name))
                ),
            ));
        }
        Ok(Detection {
            scenario: ScenarioKind::WithBatches,
            batchable,
            outcome,
            outcome_path,
            workers,
        })
    }
}

/// The outcome in a batchable step's result kept as text, the result being at `step_at`.
fn outcome_in_raw(raw: &RawJson, step_at: JsonPath) -> Result<(BatchProcessingOutcome, JsonPath)> {
    let shape = ResultShape::new(["batch_processing_outcome"], STEP_WRAPPERS);
    let fields = read_result(&raw.0, step_at.clone(), &shape)?;
    let Some((outcome_raw, outcome_path)) = fields.as_ref().and_then(|f| {
        f.get("batch_processing_outcome")
            .map(|raw| (raw, f.path.key("batch_processing_outcome")))
    }) else {
        return Err(missing_outcome(&step_at, raw.is_null()));
    };
    let outcome = from_json(outcome_raw.get()).map_err(|e| e.under(&outcome_path))?;
    Ok((outcome, outcome_path))
}

fn missing_outcome(step_at: &JsonPath, null: bool) -> Error {
    let found = if null { "null" } else { "no such key" };
    Error::at(
        ErrorCode::MissingOutcome,
        step_at,
        format!(
            "expected the batchable step's result to hold `batch_processing_outcome`, found {found}"
        ),
    )
}

/// `results for a, b, c` (at most 20 names), or `no results`.
fn list_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    const SHOWN: usize = 20;
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        return "no results".to_owned();
    }
    let shown: Vec<String> = names.iter().take(SHOWN).map(|n| format!("{n:?}")).collect();
    let more = names.len().saturating_sub(SHOWN);
    if more > 0 {
        format!("results for {} and {more} more", shown.join(", "))
    } else {
        format!("results for {}", shown.join(", "))
    }
}

// ------------------------------------------------------------------------------------------
// The operation.

const REQUEST_KEYS: &[&str] = &[
    "dependency_results",
    "dependency_names",
    "batchable_result",
    "batchable_step_name",
    "worker_prefix",
];

/// Where `detect_scenario` finds the dependencies.
#[derive(Clone, Debug, PartialEq)]
pub enum Dependencies {
    /// `dependency_results`: every dependency's result, by step name.
    Results(DependencyResults),
    /// `dependency_names` and `batchable_result`: the host keeps the results.
    Names {
        /// The dependencies' step names, in order.
        names: Vec<String>,
        /// The batchable step's result, exactly as given.
        batchable_result: RawJson,
    },
}

impl Dependencies {
    /// The name of dependency `i`.
    pub fn name(&self, i: usize) -> &str {
        match self {
            Dependencies::Results(results) => &results.0[i].0,
            Dependencies::Names { names, .. } => &names[i],
        }
    }
}

/// The input of `detect_scenario`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioRequest {
    /// The results of the steps the convergence step depends on, or their names.
    pub dependencies: Dependencies,
    /// The step that produced the outcome.
    pub batchable_step_name: String,
    /// Workers are the dependencies whose names start with this.
    pub worker_prefix: String,
}

impl<'de> Deserialize<'de> for ScenarioRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScenarioRequest;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a scenario request {dependency_results, batchable_step_name, worker_prefix}",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut results: Option<DependencyResults> = None;
                let mut names: Option<Vec<String>> = None;
                let mut batchable_result: Option<RawJson> = None;
                let mut batchable = None;
                let mut prefix = None;
                let both = |key: &str| {
                    coded_at(
                        ErrorCode::InvalidValue,
                        key,
                        "expected either dependency_results or dependency_names, found both",
                    )
                };
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    match &*key {
                        "dependency_results" => {
                            if names.is_some() {
                                return Err(both(&key));
                            }
                            set_once(&mut results, &key, map.next_value()?)?
                        }
                        "dependency_names" => {
                            if results.is_some() {
                                return Err(both(&key));
                            }
                            let DependencyNames(list) = map.next_value()?;
                            set_once(&mut names, &key, list)?
                        }
                        "batchable_result" => {
                            set_once(&mut batchable_result, &key, map.next_value()?)?
                        }
                        "batchable_step_name" => {
                            let NonEmpty(name) = map.next_value()?;
                            set_once(&mut batchable, &key, name)?
                        }
                        "worker_prefix" => {
                            let NonEmpty(name) = map.next_value()?;
                            set_once(&mut prefix, &key, name)?
                        }
                        other => return Err(unknown_key(other, REQUEST_KEYS)),
                    }
                }
                let dependencies = match (results, names) {
                    (Some(_), _) if batchable_result.is_some() => {
                        return Err(coded_at(
                            ErrorCode::InvalidValue,
                            "batchable_result",
                            "expected batchable_result only with dependency_names (dependency_results holds every result), found both batchable_result and dependency_results",
                        ))
                    }
                    (Some(results), _) => Dependencies::Results(results),
                    (None, Some(names)) => Dependencies::Names {
                        names,
                        batchable_result: batchable_result
                            .ok_or_else(|| missing("batchable_result"))?,
                    },
                    (None, None) => {
                        return Err(coded(
                            ErrorCode::InvalidValue,
                            "expected dependency_results or dependency_names, found neither",
                        ))
                    }
                };
                Ok(ScenarioRequest {
                    dependencies,
                    batchable_step_name: batchable.ok_or_else(|| missing("batchable_step_name"))?,
                    worker_prefix: prefix.ok_or_else(|| missing("worker_prefix"))?,
                })
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// `dependency_names`: step names, each once.
struct DependencyNames(Vec<String>);

impl<'de> Deserialize<'de> for DependencyNames {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DependencyNames;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of step names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut names = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                let mut seen = HashSet::new();
                while let Some(name) = seq.next_element_seed(Name { seen: &mut seen })? {
                    names.push(name);
                }
                Ok(DependencyNames(names))
            }
        }
        /// One name; a repeat is an error at its position.
        struct Name<'s> {
            seen: &'s mut HashSet<String>,
        }
        impl<'de> DeserializeSeed<'de> for Name<'_> {
            type Value = String;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
                let name = String::deserialize(d)?;
                if !self.seen.insert(name.clone()) {
                    return Err(coded(
                        ErrorCode::InvalidValue,
                        format_args!("expected each step name once, found {name:?} twice"),
                    ));
                }
                Ok(name)
            }
        }
        deserializer.deserialize_seq(V)
    }
}

/// The output of `detect_scenario`: the request and what was found in it, written without
/// copying any result.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioReport {
    /// The request, kept for its results.
    pub request: ScenarioRequest,
    /// What detection found.
    pub detection: Detection,
}

impl ScenarioReport {
    /// The workers' names, in input order.
    pub fn worker_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        let dependencies = &self.request.dependencies;
        self.detection.workers.iter().map(|&i| dependencies.name(i))
    }

    /// The workers' names and results, in input order; `None` when the request named the
    /// dependencies without their results.
    pub fn batch_results(&self) -> Option<impl ExactSizeIterator<Item = (&str, &RawJson)> + '_> {
        let Dependencies::Results(results) = &self.request.dependencies else {
            return None;
        };
        Some(self.detection.workers.iter().map(move |&i| {
            let (name, raw) = &results.0[i];
            (name.as_str(), raw)
        }))
    }

    /// The batchable step's result, exactly as given.
    pub fn batchable_result(&self) -> &RawJson {
        match &self.request.dependencies {
            Dependencies::Results(results) => &results.0[self.detection.batchable].1,
            Dependencies::Names {
                batchable_result, ..
            } => batchable_result,
        }
    }
}

impl Serialize for ScenarioReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = 6 + self.batch_results().is_some() as usize;
        let mut map = serializer.serialize_map(Some(fields))?;
        map.serialize_entry("scenario", &self.detection.scenario)?;
        map.serialize_entry("batchable_step_name", &self.request.batchable_step_name)?;
        map.serialize_entry("batchable_result", self.batchable_result())?;
        map.serialize_entry("outcome", &self.detection.outcome)?;
        if self.batch_results().is_some() {
            map.serialize_entry("batch_results", &BatchResultsOut(self))?;
        }
        map.serialize_entry("worker_names", &WorkerNamesOut(self))?;
        map.serialize_entry("worker_count", &self.detection.workers.len())?;
        map.end()
    }
}

struct BatchResultsOut<'a>(&'a ScenarioReport);

impl Serialize for BatchResultsOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.detection.workers.len()))?;
        for (name, raw) in self.0.batch_results().into_iter().flatten() {
            map.serialize_entry(name, raw)?;
        }
        map.end()
    }
}

struct WorkerNamesOut<'a>(&'a ScenarioReport);

impl Serialize for WorkerNamesOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.worker_names())
    }
}

/// `detect_scenario`: input a [`ScenarioRequest`]; output the [`ScenarioReport`].
pub fn detect_scenario(
    request: ScenarioRequest,
    warnings: &mut Vec<Warning>,
) -> Result<ScenarioReport> {
    let root = JsonPath::root();
    let detection = match &request.dependencies {
        Dependencies::Results(results) => detect(
            results,
            &request.batchable_step_name,
            &request.worker_prefix,
            &root.key("dependency_results"),
            warnings,
        )?,
        Dependencies::Names {
            names,
            batchable_result,
        } => {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let steps = Steps {
                names: &names,
                at: &root.key("dependency_names"),
                batchable_step_name: &request.batchable_step_name,
                worker_prefix: &request.worker_prefix,
            };
            steps.detect(warnings, |_| {
                outcome_in_raw(batchable_result, root.key("batchable_result"))
            })?
        }
    };
    Ok(ScenarioReport { request, detection })
}

/// Builds the error for a value of the wrong JSON type inside a result, given its text.
pub(crate) fn type_mismatch(at: &JsonPath, expected: &str, raw: &str) -> Error {
    Error::at(
        ErrorCode::TypeMismatch,
        at,
        format!("expected {expected}, found {}", describe(raw)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::WarningCode;
    use crate::input::from_json;

    const OUTCOME: &str = r#"{"type":"create_batches","worker_template_name":"process_batch","worker_count":2,"cursor_configs":[{"batch_id":"001","start_cursor":0,"end_cursor":5,"batch_size":5},{"batch_id":"002","start_cursor":5,"end_cursor":10,"batch_size":5}],"total_items":10}"#;

    fn detect_json(text: &str) -> Result<(String, Vec<Warning>)> {
        let request: ScenarioRequest = from_json(text)?;
        let mut warnings = vec![];
        let report = detect_scenario(request, &mut warnings)?;
        Ok((serde_json::to_string(&report).unwrap(), warnings))
    }

    fn request(results: &str) -> String {
        format!(
            r#"{{"dependency_results":{results},"batchable_step_name":"analyze","worker_prefix":"process_batch_"}}"#
        )
    }

    #[test]
    fn workers_are_the_prefixed_dependencies_in_input_order() {
        let (out, warnings) = detect_json(&request(&format!(
            r#"{{"process_batch_002":{{"items_processed":5}},"analyze":{{"batch_processing_outcome":{OUTCOME}}},"other":1,"process_batch_001":null}}"#
        )))
        .unwrap();
        assert!(warnings.is_empty());
        assert_eq!(
            out,
            format!(
                r#"{{"scenario":"with_batches","batchable_step_name":"analyze","batchable_result":{{"batch_processing_outcome":{OUTCOME}}},"outcome":{OUTCOME},"batch_results":{{"process_batch_002":{{"items_processed":5}},"process_batch_001":null}},"worker_names":["process_batch_002","process_batch_001"],"worker_count":2}}"#
            )
        );
    }

    #[test]
    fn no_batches_with_the_placeholder_is_still_no_batches() {
        let (out, _) = detect_json(&request(
            r#"{"analyze":{"batch_processing_outcome":{"type":"no_batches"}},"process_batch_000":{"items_processed":0}}"#,
        ))
        .unwrap();
        assert_eq!(
            out,
            r#"{"scenario":"no_batches","batchable_step_name":"analyze","batchable_result":{"batch_processing_outcome":{"type":"no_batches"}},"outcome":{"type":"no_batches"},"batch_results":{},"worker_names":[],"worker_count":0}"#
        );
    }

    #[test]
    fn a_missing_batchable_step_lists_the_steps_found() {
        let err = detect_json(&request(r#"{"process_batch_001":{},"other":{}}"#)).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::MissingBatchableStep, "dependency_results")
        );
        assert!(
            err.message.contains(r#""process_batch_001", "other""#),
            "{}",
            err.message
        );
    }

    #[test]
    fn the_outcome_must_be_present() {
        for result in [r#"{"x":1}"#, "null", r#"{"batch_processing_outcome":null}"#] {
            let err = detect_json(&request(&format!(r#"{{"analyze":{result}}}"#))).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::MissingOutcome, "dependency_results.analyze"),
                "{result}"
            );
        }
        let err = detect_json(&request(r#"{"analyze":[1]}"#)).unwrap_err();
        assert_eq!(err.code, ErrorCode::TypeMismatch);
    }

    #[test]
    fn create_batches_without_worker_results_is_an_error() {
        let err = detect_json(&request(&format!(
            r#"{{"analyze":{{"batch_processing_outcome":{OUTCOME}}},"summary":{{}}}}"#
        )))
        .unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::NoWorkerResults, "dependency_results")
        );
        assert!(err.message.contains(r#""summary""#), "{}", err.message);
    }

    #[test]
    fn a_wrapped_batchable_result_is_unwrapped_and_errors_say_where() {
        let (out, _) = detect_json(&request(&format!(
            r#"{{"analyze":{{"result":{{"batch_processing_outcome":{OUTCOME}}}}},"process_batch_001":{{}}}}"#
        )))
        .unwrap();
        assert!(out.starts_with(r#"{"scenario":"with_batches""#), "{out}");
        let err = detect_json(&request(
            r#"{"analyze":{"result":{"batch_processing_outcome":{"type":"create_batches","worker_template_name":"w","worker_count":-1}}}}"#,
        ))
        .unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (
                ErrorCode::OutOfRange,
                "dependency_results.analyze.result.batch_processing_outcome.worker_count"
            )
        );
    }

    #[test]
    fn ignored_keys_of_no_batches_are_reported_at_their_path() {
        let (_, warnings) = detect_json(&request(
            r#"{"analyze":{"batch_processing_outcome":{"type":"no_batches","total_items":0}}}"#,
        ))
        .unwrap();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].code, WarningCode::IgnoredField);
        assert_eq!(
            warnings[0].path,
            "dependency_results.analyze.batch_processing_outcome.total_items"
        );
    }

    #[test]
    fn duplicate_steps_and_unknown_keys_are_errors() {
        let err = detect_json(&request(r#"{"a":1,"a":2}"#)).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::InvalidValue, "dependency_results.a")
        );
        let err = detect_json(
            r#"{"dependency_results":{},"batchable_step_name":"a","worker_prefix":"w","extra":1}"#,
        )
        .unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::InvalidValue, "extra")
        );
    }

    mod dependency_names {
        use super::*;

        fn names_request(names: &str, batchable: &str) -> String {
            format!(
                r#"{{"dependency_names":{names},"batchable_result":{batchable},"batchable_step_name":"analyze","worker_prefix":"process_batch_"}}"#
            )
        }

        fn error_of(text: &str) -> (ErrorCode, String) {
            let err = detect_json(text).unwrap_err();
            (err.code, err.path)
        }

        #[test]
        fn the_output_names_the_workers_in_input_order_instead_of_holding_their_results() {
            let batchable = format!(r#"{{"batch_processing_outcome":{OUTCOME}}}"#);
            let (out, warnings) = detect_json(&names_request(
                r#"["process_batch_002","analyze","other","process_batch_001"]"#,
                &batchable,
            ))
            .unwrap();
            assert!(warnings.is_empty());
            assert_eq!(
                out,
                format!(
                    r#"{{"scenario":"with_batches","batchable_step_name":"analyze","batchable_result":{batchable},"outcome":{OUTCOME},"worker_names":["process_batch_002","process_batch_001"],"worker_count":2}}"#
                )
            );
        }

        #[test]
        fn no_batches_names_no_worker() {
            let (out, _) = detect_json(&names_request(
                r#"["analyze","process_batch_000"]"#,
                r#"{"result":{"batch_processing_outcome":{"type":"no_batches"}}}"#,
            ))
            .unwrap();
            assert!(
                out.ends_with(
                    r#""outcome":{"type":"no_batches"},"worker_names":[],"worker_count":0}"#
                ),
                "{out}"
            );
        }

        #[test]
        fn errors_are_at_the_names_or_in_the_batchable_result() {
            let outcome = format!(r#"{{"batch_processing_outcome":{OUTCOME}}}"#);
            for (names, batchable, code, path) in [
                (
                    r#"["process_batch_001"]"#,
                    outcome.as_str(),
                    ErrorCode::MissingBatchableStep,
                    "dependency_names",
                ),
                (
                    r#"["analyze","summary"]"#,
                    &outcome,
                    ErrorCode::NoWorkerResults,
                    "dependency_names",
                ),
                (
                    r#"["analyze"]"#,
                    "null",
                    ErrorCode::MissingOutcome,
                    "batchable_result",
                ),
                (
                    r#"["analyze"]"#,
                    "[1]",
                    ErrorCode::TypeMismatch,
                    "batchable_result",
                ),
                (
                    r#"["analyze"]"#,
                    r#"{"result":{"batch_processing_outcome":{"type":"create_batches","worker_template_name":"w","worker_count":-1}}}"#,
                    ErrorCode::OutOfRange,
                    "batchable_result.result.batch_processing_outcome.worker_count",
                ),
                (
                    r#"["analyze","w","w"]"#,
                    &outcome,
                    ErrorCode::InvalidValue,
                    "dependency_names[2]",
                ),
                (
                    r#"["analyze",7]"#,
                    &outcome,
                    ErrorCode::TypeMismatch,
                    "dependency_names[1]",
                ),
            ] {
                assert_eq!(
                    error_of(&names_request(names, batchable)),
                    (code, path.to_owned()),
                    "{names} {batchable}"
                );
            }
        }

        #[test]
        fn a_request_has_exactly_one_of_results_and_names() {
            let rest = r#""batchable_step_name":"analyze","worker_prefix":"w_""#;
            for (text, code, path) in [
                (
                    format!(r#"{{"dependency_results":{{}},"dependency_names":[],{rest}}}"#),
                    ErrorCode::InvalidValue,
                    "dependency_names",
                ),
                (
                    format!(r#"{{"dependency_names":[],"dependency_results":{{}},{rest}}}"#),
                    ErrorCode::InvalidValue,
                    "dependency_results",
                ),
                (format!("{{{rest}}}"), ErrorCode::InvalidValue, ""),
                (
                    format!(r#"{{"dependency_names":["analyze"],{rest}}}"#),
                    ErrorCode::MissingField,
                    "batchable_result",
                ),
                (
                    format!(r#"{{"dependency_results":{{}},"batchable_result":{{}},{rest}}}"#),
                    ErrorCode::InvalidValue,
                    "batchable_result",
                ),
            ] {
                assert_eq!(error_of(&text), (code, path.to_owned()), "{text}");
            }
        }
    }
}

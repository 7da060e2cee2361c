//! Scenario detection (docs/contract.md §7 and §8).
//!
//! A convergence step sees the results of the steps it depends on, by step name. Detection
//! finds the batchable step's outcome and the workers' results in them:
//!
//! - the batchable step's result must be present (`missing_batchable_step`, with upstream's
//!   message `Missing batchable step dependency: <name>`);
//! - a `no_batches` outcome is the `no_batches` scenario, even though the orchestrator created
//!   the placeholder worker `{template}_000` (upstream Ruby counted it as one batch): no worker
//!   results, `worker_count` 0;
//! - otherwise every dependency whose name starts with `worker_prefix`, except the batchable
//!   step itself, is a worker, in input order; a `create_batches` outcome with none is
//!   `no_worker_results`.
//!
//! Detection needs only the outcome's `type`, and reads tolerantly (§8). When the batchable
//! step's result holds no `batch_processing_outcome` (or is `null`), or one that is not a
//! complete valid outcome (`{"type": "create_batches"}` alone), detection goes on with a
//! warning: `missing_outcome` at the step's result, or `incomplete_outcome` at the value that
//! makes the outcome incomplete or invalid. It then uses the outcome's `type` when it is
//! `"no_batches"` or `"create_batches"`, and otherwise upstream's rule: workers found by prefix
//! are `with_batches`, none is `no_batches`. The output's `outcome` is then `null`.
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
//! canonical outcome (or `null`, above). The output can be passed to `aggregate` as it is.
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
//! an `invalid_value` at the second one; errors and warnings about the batchable result are at
//! `batchable_result...`, errors about the names at `dependency_names`). The output then has no
//! `batch_results`: `{scenario, batchable_step_name, batchable_result, outcome, worker_names,
//! worker_count}`.
//! A request has exactly one of `dependency_results` and `dependency_names` (`invalid_value`
//! otherwise); `batchable_result` comes with `dependency_names` only, which requires it
//! (`missing_field`).
//!
//! Every result is read with the one unwrapping rule of [`crate::step_results`], through its
//! reader: a result kept as text (`dependency_results` here, `batchable_result`) is read from
//! that text (`StepResults::one`), results read once (convergence's) where they are.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result, Warning, WarningCode};
use crate::input::{coded, coded_at, duplicate_key, from_json, missing, read_object};
use crate::input::{set_once, Key, NonEmpty, OtherKeys, RawJson};
use crate::outcome::BatchProcessingOutcome;
use crate::path::JsonPath;
use crate::step_results::{Looking, StepResults, UniqueNames};
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

/// Reads an object keeping key order; a step named twice is an error (the one check of step
/// names, `step_results::UniqueNames`).
impl<'de> Deserialize<'de> for DependencyResults {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DependencyResults;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of step results {step_name: result}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, RawJson)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(0));
                let mut names = UniqueNames::default();
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    if !names.insert(&key, entries.len(), |i| entries[i].0.as_str()) {
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
            _ => Err(coded(
                ErrorCode::InvalidValue,
                format_args!(r#"expected "no_batches" or "with_batches", found {text:?}"#),
            )),
        }
    }
}

// ------------------------------------------------------------------------------------------
// Detection.

/// The batchable step's outcome, where it was found.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundOutcome {
    /// The canonical outcome.
    pub outcome: BatchProcessingOutcome,
    /// Where it sits in the input (`dependency_results.analyze.batch_processing_outcome`).
    pub path: JsonPath,
}

/// What detection found, as positions among the dependencies it was given.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// `no_batches` or `with_batches`.
    pub scenario: ScenarioKind,
    /// Position of the batchable step's result.
    pub batchable: usize,
    /// The batchable step's outcome; `None` when its result holds no complete valid outcome
    /// (detection then went by the outcome's type or the workers' names, with a warning).
    pub outcome: Option<FoundOutcome>,
    /// Positions of the workers' results, in input order; empty for `no_batches`.
    pub workers: Vec<usize>,
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
    steps.detect(|i, warnings| told_by(results, i, at, warnings), warnings)
}

/// Detects the scenario among `steps` whose results are kept as text: `batchable_result(i)`
/// gives the batchable step's result (at position `i`) and where it is in the input.
fn detect_in_text<'r>(
    steps: &Steps<'_>,
    batchable_result: impl FnOnce(usize) -> (&'r RawJson, JsonPath),
    warnings: &mut Vec<Warning>,
) -> Result<Detection> {
    steps.detect(
        |i, warnings| {
            let (raw, result_at) = batchable_result(i);
            let one = StepResults::one(&raw.0).map_err(|e| e.under(&result_at))?;
            told_by(&one, 0, &result_at, warnings)
        },
        warnings,
    )
}

/// What the batchable step's result tells detection.
enum Told {
    /// A complete, valid outcome.
    Outcome(FoundOutcome),
    /// Only the outcome's type could be read.
    Type(ScenarioKind),
    /// Nothing: the workers' names decide (upstream's rule).
    Nothing,
}

/// Reads what result `i` of `results` (at `at`), the batchable step's, tells detection;
/// warns when it is not a complete valid outcome.
fn told_by(
    results: &StepResults,
    i: usize,
    at: &JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<Told> {
    let found = results.read(i, at, Looking::Step)?;
    let Some((text, path)) = found.as_ref().and_then(|f| {
        f.outcome()
            .map(|text| (text, f.path().key("batch_processing_outcome")))
    }) else {
        let found = if found.is_none() {
            "null"
        } else {
            "no such key"
        };
        warnings.push(Warning::at(
            WarningCode::MissingOutcome,
            &results.path(i, at),
            format!(
                "expected the batchable step's result to hold `batch_processing_outcome`, found {found}; the scenario is decided by the worker names (upstream's rule)"
            ),
        ));
        return Ok(Told::Nothing);
    };
    match from_json::<BatchProcessingOutcome>(text) {
        Ok(outcome) => Ok(Told::Outcome(FoundOutcome { outcome, path })),
        Err(e) => {
            let e = e.under(&path);
            let kind = outcome_type(text);
            let decided = match kind {
                Some(ScenarioKind::NoBatches) => {
                    r#"the scenario is decided by its type "no_batches""#.to_owned()
                }
                Some(ScenarioKind::WithBatches) => {
                    r#"the scenario is decided by its type "create_batches""#.to_owned()
                }
                None => "the scenario is decided by the worker names (upstream's rule)".to_owned(),
            };
            warnings.push(Warning {
                code: WarningCode::IncompleteOutcome,
                message: format!(
                    "expected a complete batch_processing_outcome: {}; {decided}",
                    e.message
                ),
                path: e.path,
            });
            Ok(kind.map_or(Told::Nothing, Told::Type))
        }
    }
}

/// The scenario an outcome's `type` names, read from an outcome that is not complete:
/// `"no_batches"` or `"create_batches"`; `None` for anything else.
fn outcome_type(text: &str) -> Option<ScenarioKind> {
    #[derive(Deserialize)]
    struct TypeOnly {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    let TypeOnly { kind } = serde_json::from_str(text).ok()?;
    match kind.as_deref() {
        Some("no_batches") => Some(ScenarioKind::NoBatches),
        Some("create_batches") => Some(ScenarioKind::WithBatches),
        _ => None,
    }
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
    /// Detects the scenario; `told` reads what the batchable step's result (given its
    /// position) tells.
    fn detect(
        &self,
        told: impl FnOnce(usize, &mut Vec<Warning>) -> Result<Told>,
        warnings: &mut Vec<Warning>,
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
                format!("Missing batchable step dependency: {batchable_step_name}"),
            ));
        };
        let told = told(batchable, warnings)?;
        let no_batches = |outcome| Detection {
            scenario: ScenarioKind::NoBatches,
            batchable,
            outcome,
            workers: Vec::new(),
        };
        let required = match told {
            Told::Outcome(found) => match &found.outcome {
                BatchProcessingOutcome::NoBatches(_) => {
                    // Only the `ignored_field` warnings: the outcome was validated when it was
                    // expanded.
                    let mut seen = Vec::new();
                    validation::check_outcome(&found.outcome, &mut seen)?;
                    warnings.extend(seen.into_iter().map(|mut w| {
                        w.path = found.path.join_str(&w.path);
                        w
                    }));
                    return Ok(no_batches(Some(found)));
                }
                BatchProcessingOutcome::CreateBatches(_) => Some(found),
            },
            Told::Type(ScenarioKind::NoBatches) => return Ok(no_batches(None)),
            Told::Type(ScenarioKind::WithBatches) => None,
            Told::Nothing => {
                let workers = self.workers(batchable);
                if workers.is_empty() {
                    return Ok(no_batches(None));
                }
                return Ok(Detection {
                    scenario: ScenarioKind::WithBatches,
                    batchable,
                    outcome: None,
                    workers,
                });
            }
        };
        let workers = self.workers(batchable);
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
            outcome: required,
            workers,
        })
    }

    /// Every dependency named with the prefix, except the batchable step, in input order.
    fn workers(&self, batchable: usize) -> Vec<usize> {
        self.names
            .iter()
            .enumerate()
            .filter(|(i, name)| *i != batchable && name.starts_with(self.worker_prefix))
            .map(|(i, _)| i)
            .collect()
    }
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
                // Key order matters: of dependency_results and dependency_names, the second
                // one given is the error.
                read_object(&mut map, OtherKeys::Reject(REQUEST_KEYS), |key, map| {
                    match key {
                        "dependency_results" => {
                            if names.is_some() {
                                return Err(both(key));
                            }
                            set_once(&mut results, key, map.next_value()?)?
                        }
                        "dependency_names" => {
                            if results.is_some() {
                                return Err(both(key));
                            }
                            let DependencyNames(list) = map.next_value()?;
                            set_once(&mut names, key, list)?
                        }
                        "batchable_result" => {
                            set_once(&mut batchable_result, key, map.next_value()?)?
                        }
                        "batchable_step_name" => {
                            let NonEmpty(name) = map.next_value()?;
                            set_once(&mut batchable, key, name)?
                        }
                        "worker_prefix" => {
                            let NonEmpty(name) = map.next_value()?;
                            set_once(&mut prefix, key, name)?
                        }
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
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

/// `dependency_names`: step names, each once ([`UniqueNames`]).
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
                let mut seen = UniqueNames::default();
                loop {
                    let seed = Name {
                        names: &names,
                        seen: &mut seen,
                    };
                    match seq.next_element_seed(seed)? {
                        Some(name) => names.push(name),
                        None => return Ok(DependencyNames(names)),
                    }
                }
            }
        }
        /// One name; a repeat is an error at its position.
        struct Name<'s> {
            names: &'s [String],
            seen: &'s mut UniqueNames,
        }
        impl<'de> DeserializeSeed<'de> for Name<'_> {
            type Value = String;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
                let name = String::deserialize(d)?;
                let names = self.names;
                if !self.seen.insert(&name, names.len(), |i| names[i].as_str()) {
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
        map.serialize_entry(
            "outcome",
            &self.detection.outcome.as_ref().map(|found| &found.outcome),
        )?;
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
        Dependencies::Results(results) => {
            let at = root.key("dependency_results");
            let names: Vec<&str> = results.0.iter().map(|(k, _)| k.as_str()).collect();
            let steps = Steps {
                names: &names,
                at: &at,
                batchable_step_name: &request.batchable_step_name,
                worker_prefix: &request.worker_prefix,
            };
            detect_in_text(
                &steps,
                |i| (&results.0[i].1, at.key(&results.0[i].0)),
                warnings,
            )?
        }
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
            detect_in_text(
                &steps,
                |_| (batchable_result, root.key("batchable_result")),
                warnings,
            )?
        }
    };
    Ok(ScenarioReport { request, detection })
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
    fn a_missing_batchable_step_is_upstreams_error() {
        for results in [r#"{"process_batch_001":{},"other":{}}"#, "{}"] {
            let err = detect_json(&request(results)).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str(), err.message.as_str()),
                (
                    ErrorCode::MissingBatchableStep,
                    "dependency_results",
                    "Missing batchable step dependency: analyze"
                )
            );
        }
    }

    /// The scenario, worker names, outcome and warnings (code and path) detected in `results`.
    fn tolerant(results: &str) -> (String, Vec<String>, String, Vec<(WarningCode, String)>) {
        let (out, warnings) = detect_json(&request(results)).unwrap();
        let out: serde_json::Value = serde_json::from_str(&out).unwrap();
        let names = out["worker_names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect();
        (
            out["scenario"].as_str().unwrap().to_owned(),
            names,
            out["outcome"].to_string(),
            warnings.into_iter().map(|w| (w.code, w.path)).collect(),
        )
    }

    #[test]
    fn without_an_outcome_the_workers_found_by_prefix_decide_with_a_warning() {
        for result in [r#"{"x":1}"#, "null", r#"{"batch_processing_outcome":null}"#] {
            let warned = vec![(
                WarningCode::MissingOutcome,
                "dependency_results.analyze".to_owned(),
            )];
            assert_eq!(
                tolerant(&format!(
                    r#"{{"analyze":{result},"process_batch_001":{{}}}}"#
                )),
                (
                    "with_batches".to_owned(),
                    vec!["process_batch_001".to_owned()],
                    "null".to_owned(),
                    warned.clone()
                ),
                "{result}"
            );
            assert_eq!(
                tolerant(&format!(r#"{{"analyze":{result},"summary":{{}}}}"#)),
                ("no_batches".to_owned(), vec![], "null".to_owned(), warned),
                "{result}"
            );
        }
        // A result that is not an object is still not a step result.
        let err = detect_json(&request(r#"{"analyze":[1]}"#)).unwrap_err();
        assert_eq!(err.code, ErrorCode::TypeMismatch);
    }

    #[test]
    fn an_incomplete_outcome_is_read_for_its_type_with_a_warning() {
        let at = "dependency_results.analyze.batch_processing_outcome";
        for (outcome, scenario, path) in [
            (
                r#"{"type":"create_batches"}"#,
                "with_batches",
                ".worker_template_name",
            ),
            (
                r#"{"type":"create_batches","worker_template_name":"w","worker_count":-1}"#,
                "with_batches",
                ".worker_count",
            ),
            (r#"{"type":"later"}"#, "with_batches", ".type"),
            (r#""create_batches""#, "with_batches", ""),
        ] {
            let (found, names, kept, warnings) = tolerant(&format!(
                r#"{{"analyze":{{"batch_processing_outcome":{outcome}}},"process_batch_001":{{}}}}"#
            ));
            assert_eq!(found, scenario, "{outcome}");
            assert_eq!(names.is_empty(), scenario == "no_batches", "{outcome}");
            assert_eq!(kept, "null");
            assert_eq!(
                warnings,
                [(WarningCode::IncompleteOutcome, format!("{at}{path}"))],
                "{outcome}"
            );
        }
        // The type says create_batches: workers are required, as with a complete outcome.
        let err = detect_json(&request(
            r#"{"analyze":{"batch_processing_outcome":{"type":"create_batches"}},"summary":{}}"#,
        ))
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::NoWorkerResults);
        // Without a type, upstream's rule: no workers is no_batches.
        let (found, _, _, _) =
            tolerant(r#"{"analyze":{"batch_processing_outcome":{"worker_count":2}}}"#);
        assert_eq!(found, "no_batches");
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
    fn a_wrapped_batchable_result_is_unwrapped_and_warnings_say_where() {
        let (out, _) = detect_json(&request(&format!(
            r#"{{"analyze":{{"result":{{"batch_processing_outcome":{OUTCOME}}}}},"process_batch_001":{{}}}}"#
        )))
        .unwrap();
        assert!(out.starts_with(r#"{"scenario":"with_batches""#), "{out}");
        let (_, warnings) = detect_json(&request(
            r#"{"analyze":{"result":{"batch_processing_outcome":{"type":"create_batches","worker_template_name":"w","worker_count":-1}}},"process_batch_001":{}}"#,
        ))
        .unwrap();
        assert_eq!(
            (warnings[0].code, warnings[0].path.as_str()),
            (
                WarningCode::IncompleteOutcome,
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
                    "[1]",
                    ErrorCode::TypeMismatch,
                    "batchable_result",
                ),
                (
                    r#"["analyze"]"#,
                    r#"{"result":{"batch_processing_outcome":{"type":"create_batches","worker_template_name":"w","worker_count":-1}}}"#,
                    ErrorCode::NoWorkerResults,
                    "dependency_names",
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

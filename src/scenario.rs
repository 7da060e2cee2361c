//! Scenario detection (CONTRACT §7) and the one rule for reading a step's result.
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
//! worker_count}`, where `batchable_result` and each of `batch_results` are the results exactly
//! as given and `outcome` is the canonical outcome. The output can be passed to `aggregate`
//! as it is.
//!
//! # Reading a step result
//!
//! Results reach convergence in several shapes: a step result may wrap everything in
//! `{"result": {...}}`, and upstream TypeScript workers nest their counters under
//! `{"batch_worker_outcome": {...}}`. Every reader in this crate reads results the same way
//! (see `read_result`): it names the fields it looks for, and
//!
//! 1. if the object has none of those fields at its top level (a field that is `null` counts
//!    as absent) and has a key `"result"` whose value is an object, the reader reads that
//!    inner object instead;
//! 2. worker readers then do the same with `"batch_worker_outcome"`.
//!
//! Each wrapper is unwrapped at most once, in that order, so `{"result":
//! {"batch_worker_outcome": {...}}}` is read too. Paths in errors include the wrappers
//! (`dependency_results.w_001.result.items_processed`), so they always name one value.
//! Because each reader has its own fields, one result can be read at two levels: in
//! `{"success": false, "result": {"items_processed": 5}}` the failure reader sees `success`
//! at the top and the counter reader unwraps to find `items_processed`.

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorCode, Result, Warning};
use crate::input::{describe, duplicate_key, from_raw, missing, set_once, unknown_key};
use crate::input::{Key, NonEmpty, RawJson};
use crate::outcome::BatchProcessingOutcome;
use crate::path::JsonPath;
use crate::validation;

/// The wrapper every step result may use.
pub(crate) const STEP_WRAPPERS: &[&str] = &["result"];
/// The wrappers a worker result may use, in the order they are unwrapped.
pub(crate) const WORKER_WRAPPERS: &[&str] = &["result", "batch_worker_outcome"];

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
// Reading a step result: the unwrapping rule, once.

/// The fields one reader looks for, and the wrappers it may look through.
#[derive(Clone, Debug)]
pub(crate) struct ResultShape<'s> {
    /// The reader's fields, then the wrappers (minus any that are also fields).
    names: Vec<&'s str>,
    fields: usize,
    wrappers: &'static [&'static str],
}

impl<'s> ResultShape<'s> {
    /// A reader of `fields` (duplicates are read once) that looks through `wrappers`.
    pub(crate) fn new(
        fields: impl IntoIterator<Item = &'s str>,
        wrappers: &'static [&'static str],
    ) -> Self {
        let mut names: Vec<&'s str> = Vec::new();
        for field in fields {
            if !names.contains(&field) {
                names.push(field);
            }
        }
        let fields = names.len();
        for wrapper in wrappers {
            if !names.contains(wrapper) {
                names.push(wrapper);
            }
        }
        ResultShape {
            names,
            fields,
            wrappers,
        }
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }
}

/// The fields a reader found in one result, borrowed from the result's text.
#[derive(Clone, Debug)]
pub(crate) struct ResultFields<'a, 's> {
    /// Where the object that was read sits: the result's path plus any wrappers.
    pub(crate) path: JsonPath,
    shape: &'s ResultShape<'s>,
    values: Vec<Option<&'a RawValue>>,
}

impl<'a> ResultFields<'a, '_> {
    /// The value of `field`, unless it is absent or `null`.
    pub(crate) fn get(&self, field: &str) -> Option<&'a RawValue> {
        self.shape.index(field).and_then(|i| self.values[i])
    }

    fn has_any_field(&self) -> bool {
        self.values[..self.shape.fields].iter().any(Option::is_some)
    }
}

/// Reads a step result found at `at` with the unwrapping rule of the module docs: `Ok(None)`
/// for `null`, a `type_mismatch` for anything but an object.
pub(crate) fn read_result<'a, 's>(
    raw: &'a RawValue,
    at: JsonPath,
    shape: &'s ResultShape<'s>,
) -> Result<Option<ResultFields<'a, 's>>> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'n') => return Ok(None),
        Some(b'{') => {}
        _ => {
            return Err(Error::at(
                ErrorCode::TypeMismatch,
                &at,
                format!(
                    "expected a step result object or null, found {}",
                    describe(text)
                ),
            ))
        }
    }
    let mut read = scan_fields(raw, at, shape)?;
    let mut next_wrapper = 0;
    while !read.has_any_field() {
        let inner = shape.wrappers[next_wrapper..]
            .iter()
            .enumerate()
            .find_map(|(i, wrapper)| {
                let value = read.get(wrapper)?;
                value.get().starts_with('{').then_some((i, *wrapper, value))
            });
        let Some((i, wrapper, value)) = inner else {
            break;
        };
        next_wrapper += i + 1;
        let path = read.path.key(wrapper);
        read = scan_fields(value, path, shape)?;
    }
    Ok(Some(read))
}

/// One pass over an object, keeping the values of the shape's names (borrowed) and skipping
/// everything else without building it.
fn scan_fields<'a, 's>(
    raw: &'a RawValue,
    path: JsonPath,
    shape: &'s ResultShape<'s>,
) -> Result<ResultFields<'a, 's>> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let scanned = FieldScan { shape }.deserialize(&mut de).map_err(|e| {
        Error::at(
            ErrorCode::Internal,
            &path,
            format!("re-reading a result: {e}"),
        )
    })?;
    if let Some(key) = scanned.duplicate {
        return Err(Error::at(
            ErrorCode::InvalidValue,
            &path.key(&key),
            format!("expected each key once, found `{key}` twice"),
        ));
    }
    Ok(ResultFields {
        path,
        shape,
        values: scanned.values,
    })
}

struct FieldScan<'s> {
    shape: &'s ResultShape<'s>,
}

struct Scanned<'a> {
    values: Vec<Option<&'a RawValue>>,
    duplicate: Option<String>,
}

impl<'de> DeserializeSeed<'de> for FieldScan<'_> {
    type Value = Scanned<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FieldScan<'_> {
    type Value = Scanned<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a step result object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let n = self.shape.names.len();
        let mut out = Scanned {
            values: vec![None; n],
            duplicate: None,
        };
        let mut seen = vec![false; n];
        while let Some(Key(key)) = map.next_key::<Key>()? {
            match self.shape.index(&key) {
                Some(i) if !seen[i] => {
                    seen[i] = true;
                    let value: &'de RawValue = map.next_value()?;
                    // RawJson text is minified, so `null` is exactly this text.
                    out.values[i] = (value.get() != "null").then_some(value);
                }
                Some(_) => {
                    map.next_value::<IgnoredAny>()?;
                    out.duplicate.get_or_insert_with(|| key.into_owned());
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------
// Detection.

/// What detection found, as positions in the [`DependencyResults`] it was given.
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
    let Some(batchable) = results.0.iter().position(|(k, _)| k == batchable_step_name) else {
        return Err(Error::at(
            ErrorCode::MissingBatchableStep,
            at,
            format!(
                "expected the result of the batchable step {batchable_step_name:?}, found {}",
                list_names(results.0.iter().map(|(k, _)| k.as_str()))
            ),
        ));
    };
    let (_, raw) = &results.0[batchable];
    let step_at = at.key(batchable_step_name);
    let shape = ResultShape::new(["batch_processing_outcome"], STEP_WRAPPERS);
    let fields = read_result(&raw.0, step_at.clone(), &shape)?;
    let Some((outcome_raw, outcome_path)) = fields.as_ref().and_then(|f| {
        f.get("batch_processing_outcome")
            .map(|raw| (raw, f.path.key("batch_processing_outcome")))
    }) else {
        let found = if raw.is_null() { "null" } else { "no such key" };
        return Err(Error::at(
            ErrorCode::MissingOutcome,
            &step_at,
            format!(
                "expected the batchable step's result to hold `batch_processing_outcome`, found {found}"
            ),
        ));
    };
    let outcome: BatchProcessingOutcome = from_raw(outcome_raw, &outcome_path)?;

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

    let workers: Vec<usize> = results
        .0
        .iter()
        .enumerate()
        .filter(|(i, (name, _))| *i != batchable && name.starts_with(worker_prefix))
        .map(|(i, _)| i)
        .collect();
    if workers.is_empty() {
        return Err(Error::at(
            ErrorCode::NoWorkerResults,
            at,
            format!(
                "expected results of workers named {worker_prefix}… for a create_batches outcome, found {}",
                list_names(
                    results
                        .0
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .filter(|k| *k != batchable_step_name)
                )
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

const REQUEST_KEYS: &[&str] = &["dependency_results", "batchable_step_name", "worker_prefix"];

/// The input of `detect_scenario`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioRequest {
    /// The results of the steps the convergence step depends on.
    pub dependency_results: DependencyResults,
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
                let mut results = None;
                let mut batchable = None;
                let mut prefix = None;
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    match &*key {
                        "dependency_results" => set_once(&mut results, &key, map.next_value()?)?,
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
                Ok(ScenarioRequest {
                    dependency_results: results.ok_or_else(|| missing("dependency_results"))?,
                    batchable_step_name: batchable.ok_or_else(|| missing("batchable_step_name"))?,
                    worker_prefix: prefix.ok_or_else(|| missing("worker_prefix"))?,
                })
            }
        }
        deserializer.deserialize_map(V)
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
    /// The workers' names and results, in input order.
    pub fn batch_results(&self) -> impl ExactSizeIterator<Item = (&str, &RawJson)> + '_ {
        let results = &self.request.dependency_results.0;
        self.detection.workers.iter().map(move |&i| {
            let (name, raw) = &results[i];
            (name.as_str(), raw)
        })
    }
}

impl Serialize for ScenarioReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (_, batchable_result) = &self.request.dependency_results.0[self.detection.batchable];
        let mut map = serializer.serialize_map(Some(6))?;
        map.serialize_entry("scenario", &self.detection.scenario)?;
        map.serialize_entry("batchable_step_name", &self.request.batchable_step_name)?;
        map.serialize_entry("batchable_result", batchable_result)?;
        map.serialize_entry("outcome", &self.detection.outcome)?;
        map.serialize_entry("batch_results", &BatchResultsOut(self))?;
        map.serialize_entry("worker_count", &self.detection.workers.len())?;
        map.end()
    }
}

struct BatchResultsOut<'a>(&'a ScenarioReport);

impl Serialize for BatchResultsOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.detection.workers.len()))?;
        for (name, raw) in self.0.batch_results() {
            map.serialize_entry(name, raw)?;
        }
        map.end()
    }
}

/// `detect_scenario`: input a [`ScenarioRequest`]; output the [`ScenarioReport`].
pub fn detect_scenario(
    request: ScenarioRequest,
    warnings: &mut Vec<Warning>,
) -> Result<ScenarioReport> {
    let detection = detect(
        &request.dependency_results,
        &request.batchable_step_name,
        &request.worker_prefix,
        &JsonPath::root().key("dependency_results"),
        warnings,
    )?;
    Ok(ScenarioReport { request, detection })
}

/// Builds the error for a value of the wrong JSON type inside a result.
pub(crate) fn type_mismatch(at: &JsonPath, expected: &str, raw: &RawValue) -> Error {
    Error::at(
        ErrorCode::TypeMismatch,
        at,
        format!("expected {expected}, found {}", describe(raw.get())),
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
                r#"{{"scenario":"with_batches","batchable_step_name":"analyze","batchable_result":{{"batch_processing_outcome":{OUTCOME}}},"outcome":{OUTCOME},"batch_results":{{"process_batch_002":{{"items_processed":5}},"process_batch_001":null}},"worker_count":2}}"#
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
            r#"{"scenario":"no_batches","batchable_step_name":"analyze","batchable_result":{"batch_processing_outcome":{"type":"no_batches"}},"outcome":{"type":"no_batches"},"batch_results":{},"worker_count":0}"#
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

    mod reading_results {
        use super::*;

        fn read(
            text: &str,
            fields: &[&str],
            wrappers: &'static [&'static str],
        ) -> Result<Option<(String, Vec<Option<String>>)>> {
            let raw: RawJson = from_json(text).unwrap();
            let shape = ResultShape::new(fields.iter().copied(), wrappers);
            let read = read_result(&raw.0, JsonPath::root().key("r"), &shape)?;
            Ok(read.map(|f| {
                let values = fields
                    .iter()
                    .map(|n| f.get(n).map(|v| v.get().to_owned()))
                    .collect();
                (f.path.to_string(), values)
            }))
        }

        #[test]
        fn unwraps_result_only_when_the_top_level_has_none_of_the_fields() {
            let (path, values) = read(r#"{"result":{"a":1}}"#, &["a"], STEP_WRAPPERS)
                .unwrap()
                .unwrap();
            assert_eq!(
                (path.as_str(), values),
                ("r.result", vec![Some("1".to_owned())])
            );
            let (path, values) = read(r#"{"a":2,"result":{"a":1}}"#, &["a"], STEP_WRAPPERS)
                .unwrap()
                .unwrap();
            assert_eq!((path.as_str(), values), ("r", vec![Some("2".to_owned())]));
            let (path, _) = read(r#"{"a":null,"result":{"a":1}}"#, &["a"], STEP_WRAPPERS)
                .unwrap()
                .unwrap();
            assert_eq!(path, "r.result", "a null field counts as absent");
            let (path, _) = read(r#"{"result":[1]}"#, &["a"], STEP_WRAPPERS)
                .unwrap()
                .unwrap();
            assert_eq!(path, "r", "only an object is unwrapped");
        }

        #[test]
        fn worker_results_look_through_both_wrappers_once_each() {
            let (path, values) = read(
                r#"{"result":{"batch_worker_outcome":{"items_processed":3}}}"#,
                &["items_processed"],
                WORKER_WRAPPERS,
            )
            .unwrap()
            .unwrap();
            assert_eq!(
                (path.as_str(), values),
                ("r.result.batch_worker_outcome", vec![Some("3".to_owned())])
            );
            let (path, values) = read(r#"{"result":{"result":{"a":1}}}"#, &["a"], WORKER_WRAPPERS)
                .unwrap()
                .unwrap();
            assert_eq!((path.as_str(), values), ("r.result", vec![None]));
        }

        #[test]
        fn null_is_none_and_other_types_are_errors() {
            assert!(read("null", &["a"], STEP_WRAPPERS).unwrap().is_none());
            let err = read("7", &["a"], STEP_WRAPPERS).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::TypeMismatch, "r")
            );
            let err = read(r#"{"a":1,"a":2}"#, &["a"], STEP_WRAPPERS).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::InvalidValue, "r.a")
            );
        }
    }
}

//! Aggregation of the workers' results (docs/contract.md §7).
//!
//! Standard aggregation, in one pass over the workers:
//! - a `null` result is skipped (warning `null_result`); any other result must be an object,
//!   read with the unwrapping rule of [`crate::step_results`] (`{"result": ...}`,
//!   `{"batch_worker_outcome": ...}`);
//! - `items_processed`, `items_succeeded`, `items_failed` and `items_skipped` are summed
//!   (absent or `null` is 0; each a strict `u64`; a sum that does not fit is `overflow`);
//! - `success_rate = total_succeeded / total_processed`, and `0.0` when nothing was processed;
//! - `errors` keeps the first `max_errors` (default 100) entries of the workers' `errors`
//!   arrays, in worker order and exactly as given; `error_count` counts all of them;
//! - `batch_count` counts the non-null results, `worker_count` all of them.
//!
//! A `no_batches` scenario aggregates nothing: every count is 0 and `errors` is empty.
//!
//! Custom aggregation is declarative: `reducers` maps a field of the worker results to one of
//! the [`Reducer`]s, and the output gains `custom: {field: value}` in the order given. Workers
//! whose field is absent or `null` are skipped; a field absent everywhere gives the
//! reducer's empty value (`sum` 0, `count` 0, `concat` `[]`, `merge` `{}`, `min`/`max` `null`).
//! Anything else is for the host language (the Ruby gem takes a block).
//!
//! Input (the output of `detect_scenario` can be passed as it is; its other keys are ignored):
//! ```json
//! {"batch_results": {"process_batch_001": {"items_processed": 10, ...}, ...},
//!  "scenario": "with_batches", "max_errors": 100,
//!  "reducers": {"amount": "sum", "regions": "merge"}}
//! ```
//! `batch_results` may also be an array of results.
//!
//! Each result is read once, while the request is parsed (see [`crate::step_results`]). Key order
//! is the caller's; putting `reducers` and `max_errors` before `batch_results` lets the read
//! skip what the aggregation will not use (caller keys no reducer reads, error entries past
//! `max_errors`) instead of keeping it until the end of the request. The output is the same
//! either way.
//!
//! Output: `{total_processed, total_succeeded, total_failed, total_skipped, batch_count,
//! success_rate, errors, error_count, worker_count, scenario}` and `custom` when reducers were
//! given, in that order.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorCode, Result, Warning, WarningCode};
use crate::input::{duplicate_key, read_object, set_once, OtherKeys};
use crate::input::{RawJson, U32};
use crate::path::JsonPath;
use crate::scenario::ScenarioKind;
use crate::step_results::{Fields, Looking, ReadPlan, ResultsSeed, StepResults};

mod reducers;

use reducers::Fold;
pub use reducers::{Reducer, Reducers};

/// How many error entries are kept unless the caller says otherwise.
pub const DEFAULT_MAX_ERRORS: u32 = 100;

/// The four counters of a batch worker result, in output order.
const COUNTERS: [&str; 4] = [
    "items_processed",
    "items_succeeded",
    "items_failed",
    "items_skipped",
];

/// What aggregation keeps and computes beyond the standard totals.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregationOptions {
    /// How many error entries to keep (default [`DEFAULT_MAX_ERRORS`]).
    pub max_errors: u32,
    /// Custom per-field reducers; the output has `custom` only when these are given.
    pub reducers: Option<Reducers>,
}

impl Default for AggregationOptions {
    fn default() -> Self {
        AggregationOptions {
            max_errors: DEFAULT_MAX_ERRORS,
            reducers: None,
        }
    }
}

/// Reads the aggregation keys of a request (`aggregate`'s or `converge`'s), each at most once.
#[derive(Default)]
pub(crate) struct OptionsReader {
    /// `Some(None)` is an explicit `"max_errors": null`: the default, known before the results.
    max_errors: Option<Option<u32>>,
    /// `Some(None)` is an explicit `"reducers": null`: no reducers, known to be none before the
    /// results are read, so that the results' other keys need not be kept for them.
    reducers: Option<Option<Reducers>>,
}

impl OptionsReader {
    /// Reads the value of `key` if it is `max_errors` or `reducers`; false for any other key.
    pub(crate) fn read_key<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match key {
            "max_errors" => {
                let max: Option<U32> = map.next_value()?;
                set_once(&mut self.max_errors, key, max.map(|U32(n)| n))?;
            }
            "reducers" => set_once(&mut self.reducers, key, map.next_value()?)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// How to read results that come now: what the options read so far allow skipping.
    pub(crate) fn plan(&self, all_workers: bool) -> ReadPlan {
        let fields = self.reducers.as_ref().map(|reducers| {
            reducers
                .iter()
                .flat_map(|r| r.0.iter().map(|(field, _)| field.clone()))
                .collect()
        });
        let max_errors = self.max_errors.map(|max| max.unwrap_or(DEFAULT_MAX_ERRORS));
        ReadPlan::new(fields, max_errors, all_workers)
    }

    /// The options read, with the defaults for the keys that were absent.
    pub(crate) fn finish(self) -> AggregationOptions {
        AggregationOptions {
            max_errors: self.max_errors.flatten().unwrap_or(DEFAULT_MAX_ERRORS),
            reducers: self.reducers.flatten(),
        }
    }
}

/// The aggregated result.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregation {
    /// Sum of `items_processed`.
    pub total_processed: u64,
    /// Sum of `items_succeeded`.
    pub total_succeeded: u64,
    /// Sum of `items_failed`.
    pub total_failed: u64,
    /// Sum of `items_skipped`.
    pub total_skipped: u64,
    /// Number of non-null results.
    pub batch_count: u64,
    /// `total_succeeded / total_processed`, 0.0 when nothing was processed.
    pub success_rate: f64,
    /// The first `max_errors` error entries, in worker order, exactly as given.
    pub errors: Vec<RawJson>,
    /// Number of error entries over all workers.
    pub error_count: u64,
    /// Number of results, `null` ones included.
    pub worker_count: u64,
    /// The scenario aggregated.
    pub scenario: ScenarioKind,
    /// `{field: value}` of the reducers, in their order; `None` when none were given.
    pub custom: Option<Vec<(String, RawJson)>>,
}

impl Serialize for Aggregation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(10 + self.custom.is_some() as usize))?;
        map.serialize_entry("total_processed", &self.total_processed)?;
        map.serialize_entry("total_succeeded", &self.total_succeeded)?;
        map.serialize_entry("total_failed", &self.total_failed)?;
        map.serialize_entry("total_skipped", &self.total_skipped)?;
        map.serialize_entry("batch_count", &self.batch_count)?;
        map.serialize_entry("success_rate", &self.success_rate)?;
        map.serialize_entry("errors", &self.errors)?;
        map.serialize_entry("error_count", &self.error_count)?;
        map.serialize_entry("worker_count", &self.worker_count)?;
        map.serialize_entry("scenario", &self.scenario)?;
        if let Some(custom) = &self.custom {
            map.serialize_entry("custom", &Pairs(custom))?;
        }
        map.end()
    }
}

/// `[(key, value)]` written as an object.
struct Pairs<'a, K, V>(&'a [(K, V)]);

impl<K: AsRef<str>, V: Serialize> Serialize for Pairs<'_, K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

/// Aggregates the results at positions `workers` of `results` (in worker order), the results
/// being at `at` in the input.
pub fn aggregate_results(
    results: &StepResults,
    workers: impl IntoIterator<Item = usize>,
    at: &JsonPath,
    options: &AggregationOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Aggregation> {
    aggregate_sources(
        workers
            .into_iter()
            .map(|index| Source::Result { results, index, at }),
        options,
        warnings,
    )
}

/// What one worker gives the aggregation.
pub(crate) enum Source<'a> {
    /// Result `index` of `results`, which are at `at`.
    Result {
        results: &'a StepResults,
        index: usize,
        at: &'a JsonPath,
    },
    /// A redriven parent's checkpointed progress (docs/contract.md §10): `results` holds one
    /// result, its `accumulated_results` (at `at`), read like a worker's, whose
    /// `items_processed` is the checkpoint's `processed_count` when there is one.
    Progress {
        results: &'a StepResults,
        at: &'a JsonPath,
        processed_count: Option<u64>,
    },
    /// A worker with nothing of its own to count (a parent redriven from an opaque token: its
    /// child carries its counts on).
    Carried,
}

/// Aggregates the workers' sources, in worker order.
pub(crate) fn aggregate_sources<'a>(
    sources: impl IntoIterator<Item = Source<'a>>,
    options: &'a AggregationOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Aggregation> {
    let reducers: &[(String, Reducer)] = options.reducers.as_ref().map_or(&[], |r| &r.0);
    let fields = Fields::new(reducers.iter().map(|(field, _)| field.clone()).collect());
    let looking = Looking::Worker(&fields);
    let max_errors = options.max_errors as usize;
    let mut totals = [0u64; 4];
    let mut errors: Vec<RawJson> = Vec::new();
    let mut error_count = 0u64;
    let mut batch_count = 0u64;
    let mut worker_count = 0u64;
    let mut folds: Vec<Fold<'_>> = reducers.iter().map(|(_, r)| Fold::new(*r)).collect();

    for source in sources {
        worker_count += 1;
        let (results, i, at, processed_count) = match source {
            Source::Result { results, index, at } => (results, index, at, None),
            Source::Progress {
                results,
                at,
                processed_count,
            } => (results, 0, at, processed_count),
            Source::Carried => continue,
        };
        if results.is_null(i) {
            warnings.push(Warning::at(
                WarningCode::NullResult,
                &results.path(i, at),
                "the worker's result is null; it was skipped",
            ));
            continue;
        }
        let Some(found) = results.read(i, at, looking)? else {
            continue;
        };
        batch_count += 1;
        let plain = found.plain_counts();
        for (k, (total, name)) in totals.iter_mut().zip(COUNTERS).enumerate() {
            let read = match plain {
                Some(counts) => Some(counts[k]),
                None => found.count(k)?,
            };
            let n = match (k, processed_count, read) {
                (0, Some(count), read) => {
                    if read.is_some_and(|n| n != count) {
                        warnings.push(Warning::at(
                            WarningCode::ConflictingCheckpoints,
                            &found.path().key(name),
                            format!(
                                "the accumulated items_processed {} differs from the checkpoint's processed_count {count}, which is counted",
                                read.unwrap_or_default()
                            ),
                        ));
                    }
                    count
                }
                (_, _, Some(n)) => n,
                (_, _, None) => continue,
            };
            *total = total.checked_add(n).ok_or_else(|| {
                Error::at(
                    ErrorCode::Overflow,
                    &found.path().key(name),
                    format!(
                        "expected the sum of {name} to fit in 0..={}, found it exceeded after adding {n}",
                        u64::MAX
                    ),
                )
            })?;
        }
        if let Some((entries, count)) = found.errors()? {
            let keep = max_errors.saturating_sub(errors.len());
            errors.extend(entries.iter().take(keep).map(raw_json));
            error_count += count;
        }
        for (position, value) in found.present_fields(&fields)? {
            let field = &fields.names()[position];
            // In bounds: `fields` has one name per reducer, in the reducers' order, as `folds`
            // has one fold.
            folds[position].add(value, &|| found.path().key(field))?;
        }
    }

    let [total_processed, total_succeeded, total_failed, total_skipped] = totals;
    let success_rate = if total_processed == 0 {
        0.0
    } else {
        total_succeeded as f64 / total_processed as f64
    };
    let custom = options.reducers.as_ref().map(|r| {
        r.0.iter()
            .zip(folds)
            .map(|((field, _), fold)| (field.clone(), fold.finish()))
            .collect()
    });
    Ok(Aggregation {
        total_processed,
        total_succeeded,
        total_failed,
        total_skipped,
        batch_count,
        success_rate,
        errors,
        error_count,
        worker_count,
        scenario: ScenarioKind::WithBatches,
        custom,
    })
}

/// Kept JSON text as a [`RawJson`].
pub(crate) fn raw_json(text: &str) -> RawJson {
    RawJson(RawValue::from_string(text.to_owned()).expect("kept JSON text is JSON"))
}

/// The aggregation of the `no_batches` scenario: nothing processed, and each reducer's
/// empty value.
pub fn no_batches(options: &AggregationOptions) -> Aggregation {
    let none = StepResults::default();
    let mut out = aggregate_results(&none, [], &JsonPath::root(), options, &mut Vec::new())
        .expect("aggregating nothing cannot fail");
    out.scenario = ScenarioKind::NoBatches;
    out
}

// ------------------------------------------------------------------------------------------
// The operation.

/// Keys of `detect_scenario`'s output that `aggregate` accepts and ignores, so that the
/// output can be passed on as it is.
const PASSED_THROUGH: &[&str] = &[
    "outcome",
    "worker_count",
    "worker_names",
    "batchable_result",
    "batchable_step_name",
];

/// Every key of the request: its own, then those passed through.
const ACCEPTED: &[&str] = &[
    "batch_results",
    "scenario",
    "max_errors",
    "reducers",
    "outcome",
    "worker_count",
    "worker_names",
    "batchable_result",
    "batchable_step_name",
];

/// The input of `aggregate`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AggregateRequest {
    /// The worker results, by name (as `detect_scenario` writes them) or listed; may be absent
    /// for `no_batches`.
    pub batch_results: Option<StepResults>,
    /// Default `with_batches`.
    pub scenario: ScenarioKind,
    /// `max_errors` and `reducers`.
    pub options: AggregationOptions,
}

impl<'de> Deserialize<'de> for AggregateRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AggregateRequest;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "an aggregation request {batch_results, scenario, max_errors, reducers}",
                )
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<AggregateRequest, A::Error> {
                let mut out = AggregateRequest::default();
                let mut results = None;
                let mut scenario = None;
                let mut options = OptionsReader::default();
                let mut passed: Vec<&str> = Vec::new();
                // Key order matters: the options given before batch_results decide what their
                // read keeps.
                read_object(&mut map, OtherKeys::Reject(ACCEPTED), |key, map| {
                    match key {
                        "batch_results" => {
                            let plan = options.plan(true);
                            let seed = ResultsSeed {
                                plan: &plan,
                                listed: true,
                            };
                            set_once(&mut results, key, map.next_value_seed(seed)?)?
                        }
                        "scenario" => set_once(&mut scenario, key, map.next_value()?)?,
                        _ => {
                            if options.read_key(key, map)? {
                                return Ok(true);
                            }
                            let Some(known) = PASSED_THROUGH.iter().find(|k| **k == key) else {
                                return Ok(false);
                            };
                            if passed.contains(known) {
                                return Err(duplicate_key(key));
                            }
                            map.next_value::<IgnoredAny>()?;
                            passed.push(known);
                        }
                    }
                    Ok(true)
                })?;
                out.options = options.finish();
                out.batch_results = results;
                out.scenario = scenario.unwrap_or_default();
                if out.batch_results.is_none() && out.scenario == ScenarioKind::WithBatches {
                    return Err(crate::input::missing("batch_results"));
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// `aggregate`: input an [`AggregateRequest`]; output the [`Aggregation`].
pub fn aggregate(request: AggregateRequest, warnings: &mut Vec<Warning>) -> Result<Aggregation> {
    if request.scenario == ScenarioKind::NoBatches {
        return Ok(no_batches(&request.options));
    }
    let none = StepResults::default();
    let results = request.batch_results.as_ref().unwrap_or(&none);
    aggregate_results(
        results,
        0..results.len(),
        &JsonPath::root().key("batch_results"),
        &request.options,
        warnings,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::from_json;

    fn run(text: &str) -> Result<(serde_json::Value, Vec<Warning>)> {
        let request: AggregateRequest = from_json(text)?;
        let mut warnings = vec![];
        let out = aggregate(request, &mut warnings)?;
        let text = serde_json::to_string(&out).unwrap();
        Ok((serde_json::from_str(&text).unwrap(), warnings))
    }

    fn run_text(text: &str) -> String {
        let request: AggregateRequest = from_json(text).unwrap();
        serde_json::to_string(&aggregate(request, &mut vec![]).unwrap()).unwrap()
    }

    /// The exact text of `custom` (a `Value` would round big integers).
    fn custom(results: &str, reducers: &str) -> Result<String> {
        let request: AggregateRequest = from_json(&format!(
            r#"{{"batch_results":{results},"reducers":{reducers}}}"#
        ))?;
        let out = aggregate(request, &mut vec![])?;
        Ok(serde_json::to_string(&Pairs(out.custom.as_deref().unwrap())).unwrap())
    }

    #[test]
    fn sums_counters_in_output_order_and_skips_nulls() {
        let text = r#"{"batch_results":{"w_001":{"items_processed":10,"items_succeeded":8,"items_failed":1,"items_skipped":1,"errors":[{"id":3,"error":"bad"}]},"w_002":null,"w_003":{"items_processed":5,"items_succeeded":5}}}"#;
        assert_eq!(
            run_text(text),
            r#"{"total_processed":15,"total_succeeded":13,"total_failed":1,"total_skipped":1,"batch_count":2,"success_rate":0.8666666666666667,"errors":[{"id":3,"error":"bad"}],"error_count":1,"worker_count":3,"scenario":"with_batches"}"#
        );
        let (_, warnings) = run(text).unwrap();
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            (warnings[0].code, warnings[0].path.as_str()),
            (WarningCode::NullResult, "batch_results.w_002")
        );
    }

    #[test]
    fn success_rate_is_zero_when_nothing_was_processed() {
        let (out, _) = run(r#"{"batch_results":[{"items_processed":0},{}]}"#).unwrap();
        assert_eq!(out["success_rate"], serde_json::json!(0.0));
        assert_eq!(out["batch_count"], 2);
        let text = run_text(r#"{"batch_results":[]}"#);
        assert!(text.contains(r#""success_rate":0.0"#), "{text}");
    }

    #[test]
    fn errors_are_capped_but_all_counted() {
        let workers: Vec<String> = (0..3)
            .map(|w| {
                let errors: Vec<String> = (0..50)
                    .map(|e| format!(r#"{{"id":{}}}"#, w * 50 + e))
                    .collect();
                format!(r#"{{"errors":[{}]}}"#, errors.join(","))
            })
            .collect();
        let (out, _) = run(&format!(r#"{{"batch_results":[{}]}}"#, workers.join(","))).unwrap();
        let errors = out["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 100);
        assert_eq!(errors[0]["id"], 0);
        assert_eq!(errors[99]["id"], 99);
        assert_eq!(out["error_count"], 150);

        let (out, _) = run(&format!(
            r#"{{"batch_results":[{}],"max_errors":0}}"#,
            workers.join(",")
        ))
        .unwrap();
        assert_eq!(out["errors"], serde_json::json!([]));
        assert_eq!(out["error_count"], 150);
    }

    #[test]
    fn wrapped_and_typescript_results_are_read() {
        let (out, _) = run(
            r#"{"batch_results":[{"result":{"items_processed":2,"items_succeeded":2}},{"batch_worker_outcome":{"items_processed":3,"items_failed":3,"errors":["x"]}},{"success":true,"result":{"batch_worker_outcome":{"items_processed":5}}}]}"#,
        )
        .unwrap();
        assert_eq!(out["total_processed"], 10);
        assert_eq!(out["total_succeeded"], 2);
        assert_eq!(out["total_failed"], 3);
        assert_eq!(out["errors"], serde_json::json!(["x"]));
    }

    #[test]
    fn counters_are_strict_and_errors_name_the_path() {
        for (value, code) in [
            ("-1", ErrorCode::OutOfRange),
            ("2.5", ErrorCode::OutOfRange),
            (r#""7""#, ErrorCode::TypeMismatch),
        ] {
            let err = run(&format!(
                r#"{{"batch_results":{{"w_001":{{"result":{{"items_failed":{value}}}}}}}}}"#
            ))
            .unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (code, "batch_results.w_001.result.items_failed"),
                "{value}"
            );
        }
        let err = run(
            r#"{"batch_results":{"a":{"items_processed":18446744073709551615},"b":{"items_processed":1}}}"#,
        )
        .unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::Overflow, "batch_results.b.items_processed")
        );
        let err = run(r#"{"batch_results":[{"errors":{"a":1}}]}"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::TypeMismatch, "batch_results[0].errors")
        );
        let err = run(r#"{"batch_results":["done"]}"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::TypeMismatch, "batch_results[0]")
        );
    }

    #[test]
    fn no_batches_is_all_zeros() {
        assert_eq!(
            run_text(
                r#"{"scenario":"no_batches","batch_results":{"w_000":{"items_processed":9}}}"#
            ),
            r#"{"total_processed":0,"total_succeeded":0,"total_failed":0,"total_skipped":0,"batch_count":0,"success_rate":0.0,"errors":[],"error_count":0,"worker_count":0,"scenario":"no_batches"}"#
        );
        let (out, _) =
            run(r#"{"scenario":"no_batches","reducers":{"a":"sum","b":"min"}}"#).unwrap();
        assert_eq!(out["custom"], serde_json::json!({"a": 0, "b": null}));
    }

    #[test]
    fn detect_scenario_output_can_be_passed_on() {
        let (out, _) = run(
            r#"{"scenario":"with_batches","batchable_step_name":"a","batchable_result":{},"outcome":{},"batch_results":{"w":{"items_processed":1,"items_succeeded":1}},"worker_count":1,"max_errors":5}"#,
        )
        .unwrap();
        assert_eq!(out["success_rate"], serde_json::json!(1.0));
        let err = run(r#"{"batch_results":[],"bogus":1}"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::InvalidValue, "bogus")
        );
        let err = run(r#"{"max_errors":5}"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::MissingField, "batch_results")
        );
        let err = run(r#"{"batch_results":[],"scenario":"some"}"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::InvalidValue, "scenario")
        );
    }

    mod reducers {
        use super::*;

        #[test]
        fn sum_is_exact_for_integers_and_f64_otherwise() {
            let out = custom(
                r#"[{"n":170141183460469231731687303715884105000},{"n":100},{"n":null},{}]"#,
                r#"{"n":"sum"}"#,
            )
            .unwrap();
            assert_eq!(out, r#"{"n":170141183460469231731687303715884105100}"#);
            let out = custom(r#"[{"n":1},{"n":0.5},{"n":2}]"#, r#"{"n":"sum"}"#).unwrap();
            assert_eq!(out, r#"{"n":3.5}"#);
            let err = custom(
                r#"[{"n":170141183460469231731687303715884105727},{"n":1}]"#,
                r#"{"n":"sum"}"#,
            )
            .unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::Overflow, "batch_results[1].n")
            );
            let err = custom(r#"[{"n":"1"}]"#, r#"{"n":"sum"}"#).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::TypeMismatch, "batch_results[0].n")
            );
        }

        #[test]
        fn min_and_max_compare_numbers_exactly_and_strings_by_bytes() {
            let out = custom(
                r#"[{"n":3},{"n":2.5},{"n":9007199254740993},{"n":9007199254740992.0}]"#,
                r#"{"n":"max","m":"min"}"#,
            )
            .unwrap();
            assert_eq!(out, r#"{"n":9007199254740993,"m":null}"#);
            let out = custom(r#"[{"n":3},{"n":2.5},{"n":-1e2}]"#, r#"{"n":"min"}"#).unwrap();
            assert_eq!(out, r#"{"n":-1e2}"#, "the value is kept as written");
            let out = custom(
                r#"[{"s":"b"},{"s":"a\u00e9"},{"s":"aa"},{"s":"Z"}]"#,
                r#"{"s":"min","t":"max"}"#,
            )
            .unwrap();
            assert_eq!(out, r#"{"s":"Z","t":null}"#);
            let out = custom(
                r#"[{"s":"b"},{"s":"a\u00e9"},{"s":"aa"}]"#,
                r#"{"s":"max"}"#,
            )
            .unwrap();
            assert_eq!(out, r#"{"s":"b"}"#);
            let err = custom(r#"[{"s":"b"},{"s":1}]"#, r#"{"s":"max"}"#).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::TypeMismatch, "batch_results[1].s")
            );
            let err = custom(r#"[{"s":true}]"#, r#"{"s":"min"}"#).unwrap_err();
            assert_eq!(err.code, ErrorCode::TypeMismatch);
        }

        #[test]
        fn ties_keep_the_first_value_as_written() {
            let out = custom(r#"[{"n":1.0},{"n":1},{"n":1e0}]"#, r#"{"n":"max"}"#).unwrap();
            assert_eq!(out, r#"{"n":1.0}"#);
        }

        #[test]
        fn count_concat_and_merge() {
            let out = custom(
                r#"[{"c":0,"l":[1,{"a":[]}],"o":{"x":1,"y":2}},{"c":null,"l":[],"o":{"z":3,"x":4}},{"result":{"c":false,"l":["s"],"o":{}}}]"#,
                r#"{"c":"count","l":"concat","o":"merge","absent_l":"concat","absent_o":"merge","absent_c":"count"}"#,
            )
            .unwrap();
            assert_eq!(
                out,
                r#"{"c":2,"l":[1,{"a":[]},"s"],"o":{"x":4,"y":2,"z":3},"absent_l":[],"absent_o":{},"absent_c":0}"#
            );
            let err = custom(r#"[{"l":{}}]"#, r#"{"l":"concat"}"#).unwrap_err();
            assert_eq!(err.code, ErrorCode::TypeMismatch);
            let err = custom(r#"[{"o":[]}]"#, r#"{"o":"merge"}"#).unwrap_err();
            assert_eq!(err.code, ErrorCode::TypeMismatch);
            let err = custom(r#"[{"o":{"x":1,"x":2}}]"#, r#"{"o":"merge"}"#).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::InvalidValue, "batch_results[0].o.x")
            );
        }

        #[test]
        fn unknown_reducers_are_invalid_values_at_their_field() {
            let err = custom("[]", r#"{"amount":"avg"}"#).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::InvalidValue, "reducers.amount")
            );
            let err = custom("[]", r#"{"amount":1}"#).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::TypeMismatch, "reducers.amount")
            );
        }
    }

    #[test]
    fn ten_thousand_workers_aggregate_in_one_pass() {
        let workers: Vec<String> = (0..10_000)
            .map(|i| {
                format!(
                    r#""process_batch_{i:05}":{{"items_processed":100,"items_succeeded":99,"items_failed":1,"items_skipped":0,"errors":[{{"row":{i}}}],"last_cursor":{i}}}"#
                )
            })
            .collect();
        let text = format!(
            r#"{{"batch_results":{{{}}},"reducers":{{"last_cursor":"max"}}}}"#,
            workers.join(",")
        );
        let (out, _) = run(&text).unwrap();
        assert_eq!(out["total_processed"], 1_000_000);
        assert_eq!(out["error_count"], 10_000);
        assert_eq!(out["custom"]["last_cursor"], 9_999);
    }

    mod reading_once {
        use super::*;

        /// The output text, or the error's code, path and message.
        fn outcome(text: &str) -> std::result::Result<String, (ErrorCode, String, String)> {
            let request: AggregateRequest =
                from_json(text).map_err(|e| (e.code, e.path.clone(), e.message.clone()))?;
            aggregate(request, &mut vec![])
                .map(|out| serde_json::to_string(&out).unwrap())
                .map_err(|e| (e.code, e.path, e.message))
        }

        const RESULTS: &str = r#"{"w_001":{"items_processed":3,"status":"fail\u0065d","success":"yes","last_cursor":1.50,"errors":["a","b"],"tags":["x"]},"w_002":{"result":{"items_processed":2,"errors":[{"c":1}],"last_cursor":2,"status":"done","by":{"k":1}}},"w_003":null,"w_004":{"batch_worker_outcome":{"items_failed":1,"errors":[],"tags":[],"last_cursor":1.5}}}"#;

        #[test]
        fn options_before_or_after_the_results_aggregate_alike() {
            let reducer_sets = [
                r#"{"last_cursor":"max"}"#,
                r#"{"status":"max","success":"min","tags":"concat"}"#,
                r#"{"items_processed":"sum","errors":"concat","by":"merge"}"#,
                r#"{"result":"merge","batch_worker_outcome":"count"}"#,
                r#"{"last_cursor":"min","nothing":"merge"}"#,
            ];
            for reducers in reducer_sets {
                for max_errors in ["0", "1", "2", "100"] {
                    let options = format!(r#""reducers":{reducers},"max_errors":{max_errors}"#);
                    let after = outcome(&format!(r#"{{"batch_results":{RESULTS},{options}}}"#));
                    let before = outcome(&format!(r#"{{{options},"batch_results":{RESULTS}}}"#));
                    assert_eq!(before, after, "{options}");
                }
            }
            let (before, after) = (
                outcome(&format!(r#"{{"max_errors":1,"batch_results":{RESULTS}}}"#)),
                outcome(&format!(r#"{{"batch_results":{RESULTS},"max_errors":1}}"#)),
            );
            assert_eq!(before, after);
            assert!(
                after.unwrap().contains(r#""errors":["a"],"error_count":3"#),
                "entries past max_errors are counted"
            );
        }

        #[test]
        fn reducers_read_known_fields_as_written() {
            // A reducer on `result` makes it a field: every result is read at its top level.
            let out = outcome(&format!(
                r#"{{"batch_results":{RESULTS},"reducers":{{"status":"max","success":"min","last_cursor":"max","result":"merge"}}}}"#
            ))
            .unwrap();
            assert!(
                out.ends_with(
                    r#""custom":{"status":"fail\u0065d","success":"yes","last_cursor":1.50,"result":{"items_processed":2,"errors":[{"c":1}],"last_cursor":2,"status":"done","by":{"k":1}}}}"#
                ),
                "{out}"
            );
            let out = outcome(&format!(
                r#"{{"batch_results":{RESULTS},"reducers":{{"result":"merge","items_processed":"sum","errors":"concat"}}}}"#
            ))
            .unwrap();
            assert!(
                out.ends_with(
                    r#""custom":{"result":{"items_processed":2,"errors":[{"c":1}],"last_cursor":2,"status":"done","by":{"k":1}},"items_processed":3,"errors":["a","b"]}}"#
                ),
                "{out}"
            );
        }

        #[test]
        fn problems_in_a_result_are_errors_only_where_a_reader_looks() {
            // A counter that is not a count, behind counters at the top: not read.
            let text = r#"{"batch_results":[{"items_processed":1,"result":{"items_processed":"x","items_processed":2}}]}"#;
            assert!(outcome(text).is_ok());
            // The same, read: the first problem in the order the aggregation reads.
            let text = r#"{"batch_results":[{"items_failed":2},{"result":{"items_skipped":"x","items_processed":-1}},{"errors":5}]}"#;
            let (code, path, _) = outcome(text).unwrap_err();
            assert_eq!(
                (code, path.as_str()),
                (
                    ErrorCode::OutOfRange,
                    "batch_results[1].result.items_processed"
                )
            );
            // no_batches reads no result at all.
            let text = r#"{"batch_results":[{"items_processed":"x"},7],"scenario":"no_batches"}"#;
            assert!(outcome(text).is_ok());
        }
    }
}

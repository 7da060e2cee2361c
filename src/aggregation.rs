//! Aggregation of the workers' results (CONTRACT §7).
//!
//! Standard aggregation, in one pass over the workers:
//! - a `null` result is skipped (warning `null_result`); any other result must be an object,
//!   read with the unwrapping rule of [`crate::scenario`] (`{"result": ...}`,
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
//! Output: `{total_processed, total_succeeded, total_failed, total_skipped, batch_count,
//! success_rate, errors, error_count, worker_count, scenario}` and `custom` when reducers were
//! given, in that order.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorCode, Result, Warning, WarningCode};
use crate::input::{coded, duplicate_key, from_raw, set_once, unknown_key};
use crate::input::{Key, NonEmpty, RawJson, U32, U64};
use crate::path::JsonPath;
use crate::scenario::{
    read_result, type_mismatch, DependencyResults, ResultShape, ScenarioKind, WORKER_WRAPPERS,
};

/// How many error entries are kept unless the caller says otherwise.
pub const DEFAULT_MAX_ERRORS: u32 = 100;

/// The four counters of a batch worker result, in output order.
const COUNTERS: [&str; 4] = [
    "items_processed",
    "items_succeeded",
    "items_failed",
    "items_skipped",
];

/// How one field of the worker results is folded into one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reducer {
    /// Numbers added up: exactly (128-bit) while every value is an integer, as `f64` once one
    /// is not (`1.0` counts as not an integer: the text decides).
    Sum,
    /// The smallest value: numbers compared numerically (integers exactly), or strings
    /// compared by their UTF-8 bytes; mixing the two is an error. Ties keep the first.
    Min,
    /// The largest value, compared like [`Reducer::Min`].
    Max,
    /// The number of workers where the field is present and not `null`.
    Count,
    /// Arrays concatenated in worker order.
    Concat,
    /// Objects merged in worker order: a later worker's key overwrites the value of an earlier
    /// one, and the key keeps the position where it first appeared.
    Merge,
}

impl Reducer {
    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reducer::Sum => "sum",
            Reducer::Min => "min",
            Reducer::Max => "max",
            Reducer::Count => "count",
            Reducer::Concat => "concat",
            Reducer::Merge => "merge",
        }
    }
}

impl<'de> Deserialize<'de> for Reducer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let NonEmpty(text) = NonEmpty::deserialize(deserializer)?;
        Ok(match text.as_str() {
            "sum" => Reducer::Sum,
            "min" => Reducer::Min,
            "max" => Reducer::Max,
            "count" => Reducer::Count,
            "concat" => Reducer::Concat,
            "merge" => Reducer::Merge,
            _ => {
                return Err(coded(
                    ErrorCode::InvalidValue,
                    format_args!(
                        r#"expected a reducer "sum", "min", "max", "count", "concat" or "merge", found {text:?}"#
                    ),
                ))
            }
        })
    }
}

/// `{field: reducer}`, in the order given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reducers(pub Vec<(String, Reducer)>);

impl<'de> Deserialize<'de> for Reducers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Reducers;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"an object {field: "sum" | "min" | "max" | "count" | "concat" | "merge"}"#)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Reducers, A::Error> {
                let mut out: Vec<(String, Reducer)> = Vec::new();
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    if out.iter().any(|(k, _)| *k == key) {
                        return Err(duplicate_key(&key));
                    }
                    let reducer: Reducer = map.next_value()?;
                    out.push((key.into_owned(), reducer));
                }
                Ok(Reducers(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

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

impl AggregationOptions {
    /// Reads `max_errors` or `reducers` for a request visitor; false for any other key.
    pub(crate) fn read_key<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        seen: &mut (Option<()>, Option<()>),
    ) -> Result<bool, A::Error> {
        match key {
            "max_errors" => {
                set_once(&mut seen.0, key, ())?;
                let U32(max) = map.next_value()?;
                self.max_errors = max;
            }
            "reducers" => {
                set_once(&mut seen.1, key, ())?;
                self.reducers = Some(map.next_value()?);
            }
            _ => return Ok(false),
        }
        Ok(true)
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

/// Aggregates the worker results `results`, each with its path in the input, in worker order.
pub fn aggregate_results<'a>(
    results: impl IntoIterator<Item = (JsonPath, &'a RawJson)>,
    options: &AggregationOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Aggregation> {
    let reducers: &[(String, Reducer)] = options.reducers.as_ref().map_or(&[], |r| &r.0);
    let shape = ResultShape::new(
        COUNTERS
            .iter()
            .copied()
            .chain(["errors"])
            .chain(reducers.iter().map(|(field, _)| field.as_str())),
        WORKER_WRAPPERS,
    );
    let max_errors = options.max_errors as usize;
    let mut totals = [0u64; 4];
    let mut errors: Vec<RawJson> = Vec::new();
    let mut error_count = 0u64;
    let mut batch_count = 0u64;
    let mut worker_count = 0u64;
    let mut folds: Vec<Fold<'a>> = reducers.iter().map(|(_, r)| Fold::new(*r)).collect();

    for (path, raw) in results {
        worker_count += 1;
        let Some(fields) = read_result(&raw.0, path, &shape)? else {
            warnings.push(Warning::at(
                WarningCode::NullResult,
                &JsonPathOf(&raw.0, &shape).path_or_root(),
                "",
            ));
            continue;
        };
        batch_count += 1;
        for (total, name) in totals.iter_mut().zip(COUNTERS) {
            let Some(value) = fields.get(name) else {
                continue;
            };
            let at = fields.path.key(name);
            let U64(n) = from_raw(value, &at)?;
            *total = total.checked_add(n).ok_or_else(|| {
                Error::at(
                    ErrorCode::Overflow,
                    &at,
                    format!(
                        "expected the sum of {name} to fit in 0..={}, found it exceeded after adding {n}",
                        u64::MAX
                    ),
                )
            })?;
        }
        if let Some(list) = fields.get("errors") {
            let at = fields.path.key("errors");
            if !list.get().starts_with('[') {
                return Err(type_mismatch(&at, "an array of errors", list));
            }
            let keep = max_errors.saturating_sub(errors.len());
            error_count += collect_errors(list, keep, &mut errors, &at)?;
        }
        for (fold, (field, _)) in folds.iter_mut().zip(reducers) {
            if let Some(value) = fields.get(field) {
                fold.add(value, &fields.path.key(field))?;
            }
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

/// The aggregation of the `no_batches` scenario: nothing processed, and each reducer's
/// empty value.
pub fn no_batches(options: &AggregationOptions) -> Aggregation {
    let mut out = aggregate_results(std::iter::empty(), options, &mut Vec::new())
        .expect("aggregating nothing cannot fail");
    out.scenario = ScenarioKind::NoBatches;
    out
}

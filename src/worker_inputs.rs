//! What each worker step receives in its `inputs`: `BatchWorkerInputs`, `BatchMetadata` and
//! `FailureStrategy`.
//!
//! ```json
//! {"cursor": {"batch_id": "001", "start_cursor": 0, "end_cursor": 334, "batch_size": 334},
//!  "batch_metadata": {"cursor_field": "id", "failure_strategy": "continue_on_failure"},
//!  "is_no_op": false}
//! ```
//!
//! Reading is lenient where upstream is: a missing `is_no_op` means `false`, a missing
//! `batch_metadata` means the defaults, `checkpoint_interval` (removed upstream) is accepted
//! and ignored, and the PascalCase strategy spelling is accepted with a warning. Writing always
//! emits every key, in snake_case.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::cursor_config::{CursorConfig, PartialCursorConfig};
use crate::error::{ErrorCode, Warning, WarningCode};
use crate::input::{coded, non_empty_str, read_object, set_once, Extra, NonEmpty, OtherKeys};
use crate::path::JsonPath;

/// What convergence does when workers fail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FailureStrategy {
    /// Keep going; report the failures. The default.
    #[default]
    ContinueOnFailure,
    /// Any failed worker fails the convergence.
    FailFast,
    /// Keep going; list the failed batches (ids and ranges) for a later re-run.
    Isolate,
}

impl FailureStrategy {
    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureStrategy::ContinueOnFailure => "continue_on_failure",
            FailureStrategy::FailFast => "fail_fast",
            FailureStrategy::Isolate => "isolate",
        }
    }

    /// Reads either spelling; the flag says whether it was the canonical snake_case one.
    pub fn parse(text: &str) -> Option<(FailureStrategy, bool)> {
        Some(match text {
            "continue_on_failure" => (FailureStrategy::ContinueOnFailure, true),
            "fail_fast" => (FailureStrategy::FailFast, true),
            "isolate" => (FailureStrategy::Isolate, true),
            "ContinueOnFailure" => (FailureStrategy::ContinueOnFailure, false),
            "FailFast" => (FailureStrategy::FailFast, false),
            "Isolate" => (FailureStrategy::Isolate, false),
            _ => return None,
        })
    }
}

impl fmt::Display for FailureStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FailureStrategy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A failure strategy as read, remembering a non-canonical spelling so that it can be
/// reported as a warning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailureStrategyInput {
    /// The strategy.
    pub strategy: FailureStrategy,
    /// The PascalCase spelling, when that is what the input used.
    pub legacy_spelling: Option<String>,
}

impl FailureStrategyInput {
    /// Reports a non-canonical spelling found at `at`.
    pub fn warn(&self, at: &JsonPath, warnings: &mut Vec<Warning>) {
        if let Some(spelling) = &self.legacy_spelling {
            warnings.push(Warning::at(
                WarningCode::NonCanonicalSpelling,
                at,
                format!(
                    "accepted {spelling:?}; the canonical spelling is {:?}",
                    self.strategy.as_str()
                ),
            ));
        }
    }
}

impl<'de> Deserialize<'de> for FailureStrategyInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Borrowed when the input lends it: the spelling is kept only when it is the legacy one.
        let text = non_empty_str(d)?;
        match FailureStrategy::parse(&text) {
            Some((strategy, true)) => Ok(FailureStrategyInput {
                strategy,
                legacy_spelling: None,
            }),
            Some((strategy, false)) => Ok(FailureStrategyInput {
                strategy,
                legacy_spelling: Some(text.into_owned()),
            }),
            None => Err(coded(
                ErrorCode::InvalidValue,
                format_args!(
                    r#"expected "continue_on_failure", "fail_fast" or "isolate", found {text:?}"#
                ),
            )),
        }
    }
}

/// `{cursor_field, failure_strategy}`: how the template's workers read their range.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchMetadata {
    /// The dataset column the cursors are values of. Default `"id"`.
    pub cursor_field: String,
    /// What convergence does with failed workers.
    pub failure_strategy: FailureStrategyInput,
    /// Caller keys, kept in order.
    pub extra: Extra,
    /// Whether the removed `checkpoint_interval` key was present (ignored, reported).
    pub had_checkpoint_interval: bool,
}

/// The cursor field of metadata that names none.
const DEFAULT_CURSOR_FIELD: &str = "id";

impl Default for BatchMetadata {
    fn default() -> Self {
        BatchMetadata {
            cursor_field: DEFAULT_CURSOR_FIELD.to_owned(),
            failure_strategy: FailureStrategyInput::default(),
            extra: Extra::default(),
            had_checkpoint_interval: false,
        }
    }
}

impl BatchMetadata {
    /// Reports what was accepted for compatibility: the PascalCase strategy spelling and the
    /// removed `checkpoint_interval`.
    pub fn warn(&self, at: &JsonPath, warnings: &mut Vec<Warning>) {
        if self.failure_strategy.legacy_spelling.is_some() {
            self.failure_strategy
                .warn(&at.key("failure_strategy"), warnings);
        }
        if self.had_checkpoint_interval {
            warnings.push(Warning::at(
                WarningCode::IgnoredField,
                &at.key("checkpoint_interval"),
                "checkpoint_interval was removed upstream; accepted and ignored (workers choose when to checkpoint)",
            ));
        }
    }
}

impl Serialize for BatchMetadata {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2 + self.extra.0.len()))?;
        map.serialize_entry("cursor_field", &self.cursor_field)?;
        map.serialize_entry("failure_strategy", &self.failure_strategy.strategy)?;
        self.extra.serialize_into(&mut map)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for BatchMetadata {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BatchMetadata;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a batch metadata object {cursor_field, failure_strategy}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut cursor_field = None;
                let mut strategy = None;
                // The default cursor field is made only if none is read.
                let mut out = BatchMetadata {
                    cursor_field: String::new(),
                    failure_strategy: FailureStrategyInput::default(),
                    extra: Extra::default(),
                    had_checkpoint_interval: false,
                };
                read_object(&mut map, OtherKeys::Keep(&mut out.extra), |key, map| {
                    match key {
                        "cursor_field" => {
                            set_once(&mut cursor_field, key, map.next_value::<NonEmpty>()?.0)?
                        }
                        "failure_strategy" => set_once(&mut strategy, key, map.next_value()?)?,
                        "checkpoint_interval" => {
                            map.next_value::<de::IgnoredAny>()?;
                            out.had_checkpoint_interval = true;
                        }
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                out.cursor_field = cursor_field.unwrap_or_else(|| DEFAULT_CURSOR_FIELD.to_owned());
                if let Some(strategy) = strategy {
                    out.failure_strategy = strategy;
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// `validate_batch_metadata`: input a batch metadata object; output the canonical metadata.
pub fn validate_batch_metadata(
    metadata: BatchMetadata,
    warnings: &mut Vec<Warning>,
) -> crate::error::Result<BatchMetadata> {
    metadata.warn(&JsonPath::root(), warnings);
    Ok(metadata)
}

/// The canonical inputs of one worker step, as the expansion writes them.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchWorkerInputs {
    /// The worker's range.
    pub cursor: CursorConfig,
    /// How to read it.
    pub batch_metadata: BatchMetadata,
    /// Whether this is the `no_batches` placeholder, which does nothing.
    pub is_no_op: bool,
    /// Other inputs (the template's initialization keys), kept in order.
    pub extra: Extra,
}

impl BatchWorkerInputs {
    /// A borrowed view with the same wire form.
    pub fn as_ref(&self) -> WorkerInputsRef<'_> {
        WorkerInputsRef {
            cursor: &self.cursor,
            batch_metadata: &self.batch_metadata,
            is_no_op: self.is_no_op,
            extra: &self.extra,
        }
    }
}

impl Serialize for BatchWorkerInputs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_ref().serialize(serializer)
    }
}

/// Borrowed [`BatchWorkerInputs`], so that a plan of many workers can share one template
/// initialization and one metadata without copying them per worker.
#[derive(Clone, Copy, Debug)]
pub struct WorkerInputsRef<'a> {
    /// The worker's range.
    pub cursor: &'a CursorConfig,
    /// How to read it.
    pub batch_metadata: &'a BatchMetadata,
    /// Whether this is the `no_batches` placeholder.
    pub is_no_op: bool,
    /// Other inputs (the template's initialization keys).
    pub extra: &'a Extra,
}

impl Serialize for WorkerInputsRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        // The template's keys come first; the contract's three keys overlay them.
        for (key, value) in &self.extra.0 {
            if !matches!(key.as_str(), "cursor" | "batch_metadata" | "is_no_op") {
                map.serialize_entry(key, value)?;
            }
        }
        map.serialize_entry("cursor", self.cursor)?;
        map.serialize_entry("batch_metadata", self.batch_metadata)?;
        map.serialize_entry("is_no_op", &self.is_no_op)?;
        map.end()
    }
}

/// Worker inputs as read from a step, before the worker-context rules apply: every part may
/// be missing, and the worker context says which absence is an error.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkerInputsRead {
    /// `cursor`, if present (and not `null`).
    pub cursor: Option<PartialCursorConfig>,
    /// `batch_metadata`, or the defaults.
    pub batch_metadata: BatchMetadata,
    /// `is_no_op`, or `false`.
    pub is_no_op: bool,
    /// Every other key, kept in order.
    pub extra: Extra,
}

impl<'de> Deserialize<'de> for WorkerInputsRead {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WorkerInputsRead;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a worker inputs object {cursor, batch_metadata, is_no_op}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut cursor: Option<Option<PartialCursorConfig>> = None;
                let mut metadata: Option<Option<BatchMetadata>> = None;
                let mut no_op: Option<Option<bool>> = None;
                let mut extra = Extra::default();
                read_object(&mut map, OtherKeys::Keep(&mut extra), |key, map| {
                    match key {
                        "cursor" => set_once(&mut cursor, key, map.next_value()?)?,
                        "batch_metadata" => set_once(&mut metadata, key, map.next_value()?)?,
                        "is_no_op" => set_once(&mut no_op, key, map.next_value()?)?,
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                Ok(WorkerInputsRead {
                    cursor: cursor.flatten(),
                    batch_metadata: metadata.flatten().unwrap_or_default(),
                    is_no_op: no_op.flatten().unwrap_or(false),
                    extra,
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

    #[test]
    fn missing_parts_read_as_defaults() {
        let read: WorkerInputsRead = from_json(r#"{"cursor":null}"#).unwrap();
        assert!(read.cursor.is_none());
        assert!(!read.is_no_op);
        assert_eq!(read.batch_metadata.cursor_field, "id");
        assert_eq!(
            read.batch_metadata.failure_strategy.strategy,
            FailureStrategy::ContinueOnFailure
        );
    }

    #[test]
    fn pascal_case_strategy_is_accepted_with_a_warning() {
        let meta: BatchMetadata =
            from_json(r#"{"failure_strategy":"FailFast","checkpoint_interval":100}"#).unwrap();
        assert_eq!(meta.failure_strategy.strategy, FailureStrategy::FailFast);
        let mut warnings = vec![];
        meta.warn(&JsonPath::root().key("batch_metadata"), &mut warnings);
        let codes: Vec<_> = warnings.iter().map(|w| (w.code, w.path.as_str())).collect();
        assert_eq!(
            codes,
            [
                (
                    WarningCode::NonCanonicalSpelling,
                    "batch_metadata.failure_strategy"
                ),
                (
                    WarningCode::IgnoredField,
                    "batch_metadata.checkpoint_interval"
                ),
            ]
        );
        assert_eq!(
            serde_json::to_string(&meta).unwrap(),
            r#"{"cursor_field":"id","failure_strategy":"fail_fast"}"#
        );
    }

    #[test]
    fn unknown_strategies_are_rejected() {
        let err = from_json::<BatchMetadata>(r#"{"failure_strategy":"retry"}"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::InvalidValue, "failure_strategy")
        );
    }
}

//! `BatchProcessingOutcome`: what a batchable step decided.
//!
//! ```json
//! {"type": "no_batches"}
//! {"type": "create_batches", "worker_template_name": "process_batch", "worker_count": 2,
//!  "cursor_configs": [...], "total_items": 200}
//! ```
//!
//! Keys the contract does not name are kept on `create_batches`. On `no_batches` the
//! `create_batches` keys mean nothing: they are dropped with an `ignored_field` warning.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::cursor_config::CursorConfig;
use crate::error::ErrorCode;
use crate::input::{
    coded_at, missing, read_object, set_once, Extra, NonEmpty, OtherKeys, U32, U64,
};

/// The outcome of a batchable step.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchProcessingOutcome {
    /// Nothing to do: the orchestrator creates one no-op placeholder worker.
    NoBatches(NoBatches),
    /// One worker per cursor config.
    CreateBatches(CreateBatches),
}

/// `{"type": "no_batches"}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NoBatches {
    /// Caller keys, kept in order.
    pub extra: Extra,
    /// `create_batches` keys that were present and are ignored (reported as warnings).
    pub ignored: Vec<String>,
}

/// `{"type": "create_batches", ...}`.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateBatches {
    /// Template the workers are made from; worker names are `{template}_{batch_id}`.
    pub worker_template_name: String,
    /// Must equal `cursor_configs.len()`.
    pub worker_count: u32,
    /// One per worker, in worker order.
    pub cursor_configs: Vec<CursorConfig>,
    /// Items in the whole dataset.
    pub total_items: u64,
    /// Caller keys, kept in order.
    pub extra: Extra,
}

impl BatchProcessingOutcome {
    /// Whether the orchestrator must create workers from cursor configs.
    pub fn requires_batch_creation(&self) -> bool {
        matches!(self, BatchProcessingOutcome::CreateBatches(_))
    }
}

impl Serialize for BatchProcessingOutcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            BatchProcessingOutcome::NoBatches(no) => {
                let mut map = serializer.serialize_map(Some(1 + no.extra.0.len()))?;
                map.serialize_entry("type", "no_batches")?;
                no.extra.serialize_into(&mut map)?;
                map.end()
            }
            BatchProcessingOutcome::CreateBatches(create) => {
                let mut map = serializer.serialize_map(Some(5 + create.extra.0.len()))?;
                map.serialize_entry("type", "create_batches")?;
                map.serialize_entry("worker_template_name", &create.worker_template_name)?;
                map.serialize_entry("worker_count", &create.worker_count)?;
                map.serialize_entry("cursor_configs", &create.cursor_configs)?;
                map.serialize_entry("total_items", &create.total_items)?;
                create.extra.serialize_into(&mut map)?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for BatchProcessingOutcome {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BatchProcessingOutcome;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a batch processing outcome object with "type""#)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut kind: Option<String> = None;
                let mut template = None;
                let mut worker_count = None;
                let mut configs: Option<Vec<CursorConfig>> = None;
                let mut total_items = None;
                let mut extra = Extra::default();
                read_object(&mut map, OtherKeys::Keep(&mut extra), |key, map| {
                    match key {
                        "type" => set_once(&mut kind, key, map.next_value::<NonEmpty>()?.0)?,
                        "worker_template_name" => {
                            set_once(&mut template, key, map.next_value::<NonEmpty>()?.0)?
                        }
                        "worker_count" => {
                            set_once(&mut worker_count, key, map.next_value::<U32>()?.0)?
                        }
                        "cursor_configs" => set_once(&mut configs, key, map.next_value()?)?,
                        "total_items" => {
                            set_once(&mut total_items, key, map.next_value::<U64>()?.0)?
                        }
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                match kind.as_deref() {
                    Some("create_batches") => {
                        Ok(BatchProcessingOutcome::CreateBatches(CreateBatches {
                            worker_template_name: template
                                .ok_or_else(|| missing("worker_template_name"))?,
                            worker_count: worker_count.ok_or_else(|| missing("worker_count"))?,
                            cursor_configs: configs
                                .map(|mut configs| {
                                    // Read without knowing the length, the list doubled as it
                                    // grew: give back what it did not fill (up to half) before
                                    // validation and output need memory of their own.
                                    configs.shrink_to_fit();
                                    configs
                                })
                                .ok_or_else(|| missing("cursor_configs"))?,
                            total_items: total_items.ok_or_else(|| missing("total_items"))?,
                            extra,
                        }))
                    }
                    Some("no_batches") => {
                        let ignored = [
                            ("worker_template_name", template.is_some()),
                            ("worker_count", worker_count.is_some()),
                            ("cursor_configs", configs.is_some()),
                            ("total_items", total_items.is_some()),
                        ]
                        .into_iter()
                        .filter(|(_, present)| *present)
                        .map(|(name, _)| name.to_owned())
                        .collect();
                        Ok(BatchProcessingOutcome::NoBatches(NoBatches {
                            extra,
                            ignored,
                        }))
                    }
                    Some(other) => Err(coded_at(
                        ErrorCode::InvalidValue,
                        "type",
                        format_args!(
                            r#"expected "type" to be "no_batches" or "create_batches", found {other:?}"#
                        ),
                    )),
                    None => Err(missing("type")),
                }
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
    fn both_variants_round_trip() {
        for text in [
            r#"{"type":"no_batches"}"#,
            r#"{"type":"create_batches","worker_template_name":"w","worker_count":1,"cursor_configs":[{"batch_id":"001","start_cursor":0,"end_cursor":5,"batch_size":5}],"total_items":5,"note":"kept"}"#,
        ] {
            let outcome: BatchProcessingOutcome = from_json(text).unwrap();
            assert_eq!(serde_json::to_string(&outcome).unwrap(), text);
        }
    }

    #[test]
    fn the_type_tag_may_come_last() {
        let outcome: BatchProcessingOutcome = from_json(
            r#"{"worker_template_name":"w","worker_count":0,"cursor_configs":[],"total_items":0,"type":"create_batches"}"#,
        )
        .unwrap();
        assert!(outcome.requires_batch_creation());
    }

    #[test]
    fn errors_name_the_nested_path() {
        let err = from_json::<BatchProcessingOutcome>(
            r#"{"type":"create_batches","worker_template_name":"w","worker_count":1,"cursor_configs":[{"batch_id":"001","start_cursor":0,"end_cursor":5,"batch_size":4294967296}],"total_items":5}"#,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::OutOfRange);
        assert_eq!(err.path, "cursor_configs[0].batch_size");
    }

    #[test]
    fn unknown_types_are_rejected() {
        let err = from_json::<BatchProcessingOutcome>(r#"{"type":"some_batches"}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidValue);
        let err = from_json::<BatchProcessingOutcome>(r#"{}"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::MissingField, "type")
        );
    }
}

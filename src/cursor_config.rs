//! `CursorConfig`: one worker's slice of the dataset.
//!
//! Wire shape: `{"batch_id": "001", "start_cursor": 0, "end_cursor": 334, "batch_size": 334}`.
//! `start_cursor` is inclusive, `end_cursor` exclusive; both are any JSON value ([`Cursor`]).
//! Keys the contract does not name are kept, in order, and written after the known ones.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::cursor::Cursor;
use crate::input::{missing, read_object, set_once, Extra, NonEmpty, OtherKeys, U32};

/// One cursor range and its identity.
#[derive(Clone, Debug, PartialEq)]
pub struct CursorConfig {
    /// Non-empty identifier, unique within an outcome. Generated ids are `"001"`, `"002"`, ...
    pub batch_id: String,
    /// First key of the range (inclusive).
    pub start_cursor: Cursor,
    /// End of the range (exclusive).
    pub end_cursor: Cursor,
    /// Number of items in the range; for integer ranges exactly `end - start`.
    pub batch_size: u32,
    /// Caller keys, kept in order.
    pub extra: Extra,
}

/// A cursor config as read, before its required keys are enforced. The worker context
/// reports a missing key with its own codes (`missing_batch_id`, ...).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PartialCursorConfig {
    /// `batch_id`, if present.
    pub batch_id: Option<String>,
    /// `start_cursor`, if present.
    pub start_cursor: Option<Cursor>,
    /// `end_cursor`, if present.
    pub end_cursor: Option<Cursor>,
    /// `batch_size`, if present.
    pub batch_size: Option<u32>,
    /// Caller keys, kept in order.
    pub extra: Extra,
}

/// Generated batch ids: 1-based, zero-padded to three digits (`"001"` ... `"999"`, `"1000"`).
pub fn batch_id_for(index: usize) -> String {
    // Not `format!("{:03}")`: the padding goes through the formatting machinery, which costs
    // twice as much, and partitioning makes one id per range.
    let number = (index + 1).to_string();
    if number.len() >= 3 {
        number
    } else {
        "0".repeat(3 - number.len()) + &number
    }
}

impl CursorConfig {
    /// A config without caller keys.
    pub fn new(
        batch_id: String,
        start_cursor: Cursor,
        end_cursor: Cursor,
        batch_size: u32,
    ) -> Self {
        CursorConfig {
            batch_id,
            start_cursor,
            end_cursor,
            batch_size,
            extra: Extra::default(),
        }
    }

    /// The placeholder cursor of a `no_batches` outcome's no-op worker.
    pub fn no_op() -> Self {
        CursorConfig::new("000".to_owned(), Cursor::integer(0), Cursor::integer(0), 0)
    }
}

impl Serialize for CursorConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4 + self.extra.0.len()))?;
        map.serialize_entry("batch_id", &self.batch_id)?;
        map.serialize_entry("start_cursor", &self.start_cursor)?;
        map.serialize_entry("end_cursor", &self.end_cursor)?;
        map.serialize_entry("batch_size", &self.batch_size)?;
        self.extra.serialize_into(&mut map)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for PartialCursorConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PartialCursorConfig;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a cursor config object {batch_id, start_cursor, end_cursor, batch_size}",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = PartialCursorConfig::default();
                read_object(&mut map, OtherKeys::Keep(&mut out.extra), |key, map| {
                    match key {
                        "batch_id" => {
                            set_once(&mut out.batch_id, key, map.next_value::<NonEmpty>()?.0)?
                        }
                        "start_cursor" => set_once(&mut out.start_cursor, key, map.next_value()?)?,
                        "end_cursor" => set_once(&mut out.end_cursor, key, map.next_value()?)?,
                        "batch_size" => {
                            set_once(&mut out.batch_size, key, map.next_value::<U32>()?.0)?
                        }
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                Ok(out)
            }
        }
        deserializer.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for CursorConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let partial = PartialCursorConfig::deserialize(deserializer)?;
        partial.complete()
    }
}

impl PartialCursorConfig {
    /// The complete config, or a `missing_field` error naming the first absent key.
    pub fn complete<E: de::Error>(self) -> Result<CursorConfig, E> {
        Ok(CursorConfig {
            batch_id: self.batch_id.ok_or_else(|| missing("batch_id"))?,
            start_cursor: self.start_cursor.ok_or_else(|| missing("start_cursor"))?,
            end_cursor: self.end_cursor.ok_or_else(|| missing("end_cursor"))?,
            batch_size: self.batch_size.ok_or_else(|| missing("batch_size"))?,
            extra: self.extra,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::input::from_json;

    #[test]
    fn round_trips_exactly_with_caller_keys_in_order() {
        let text = r#"{"batch_id":"001","start_cursor":{"region":"us","page":0},"end_cursor":{"region":"us","page":9},"batch_size":9,"zeta":1,"alpha":[1,2]}"#;
        let config: CursorConfig = from_json(text).unwrap();
        assert_eq!(serde_json::to_string(&config).unwrap(), text);
    }

    #[test]
    fn batch_id_must_be_a_non_empty_string() {
        let err = from_json::<CursorConfig>(
            r#"{"batch_id":7,"start_cursor":0,"end_cursor":1,"batch_size":1}"#,
        )
        .unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::TypeMismatch, "batch_id")
        );
        let err = from_json::<CursorConfig>(
            r#"{"batch_id":"","start_cursor":0,"end_cursor":1,"batch_size":1}"#,
        )
        .unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::EmptyString, "batch_id")
        );
    }

    #[test]
    fn missing_and_duplicate_keys_are_errors() {
        let err = from_json::<CursorConfig>(r#"{"batch_id":"1","start_cursor":0,"end_cursor":1}"#)
            .unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::MissingField, "batch_size")
        );
        let err = from_json::<CursorConfig>(
            r#"{"batch_id":"1","batch_id":"2","start_cursor":0,"end_cursor":1,"batch_size":1}"#,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidValue);
    }

    #[test]
    fn generated_ids_are_padded_to_three_digits() {
        assert_eq!(batch_id_for(0), "001");
        assert_eq!(batch_id_for(998), "999");
        assert_eq!(batch_id_for(999), "1000");
    }
}

//! Reading the `partition` request: one object tagged by `strategy`, whose keys are checked
//! against the ones that strategy accepts.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::timestamp::check_writable;
use super::TimestampSpans;
use crate::cursor::{format_timestamp, parse_timestamp, parse_uuid, Cursor};
use crate::error::ErrorCode;
use crate::input::{
    coded_at, describe, duplicate_key, from_json, missing, unknown_key, Key, NonEmpty, RawJson,
    U32, U64,
};

/// What to partition and how: the input of the `partition` operation, tagged by `strategy`.
///
/// ```
/// use tasker_batch::partition::PartitionRequest;
///
/// let request: PartitionRequest = tasker_batch::input::from_json(
///     r#"{"strategy": "integer_by_size", "total_items": 250, "batch_size": 100}"#,
/// )
/// .unwrap();
/// assert_eq!(
///     request,
///     PartitionRequest::IntegerBySize { total_items: 250, batch_size: 100, max_batches: None, start: 0 }
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum PartitionRequest {
    /// `"integer_by_count"`: see [`integer_by_count`](super::integer_by_count).
    IntegerByCount {
        /// Items to split.
        total_items: u64,
        /// Workers to split them over (at least 1).
        worker_count: u32,
        /// First key (default 0).
        start: i128,
    },
    /// `"integer_by_size"`: see [`integer_by_size`](super::integer_by_size).
    IntegerBySize {
        /// Items to split.
        total_items: u64,
        /// Items per range (at least 1).
        batch_size: u32,
        /// Most ranges wanted; more would make the ranges grow.
        max_batches: Option<u32>,
        /// First key (default 0).
        start: i128,
    },
    /// `"uuid"`: see [`uuid`](fn@super::uuid).
    Uuid {
        /// Ranges to make (at least 1).
        count: u32,
        /// First UUID, as its 128-bit value (default the nil UUID).
        start: u128,
        /// End UUID (exclusive); `None` is the open end, past `ffffffff-...-ffffffffffff`.
        end: Option<u128>,
        /// Items in the whole range, shared out as `batch_size`s.
        total_items: Option<u64>,
    },
    /// `"timestamp"`: see [`timestamp`](fn@super::timestamp).
    Timestamp {
        /// First instant, in nanoseconds since the Unix epoch.
        start: i128,
        /// End instant (exclusive), in nanoseconds since the Unix epoch.
        end: i128,
        /// Equal spans or a fixed step.
        spans: TimestampSpans,
        /// Items in the whole range, shared out as `batch_size`s.
        total_items: Option<u64>,
    },
    /// `"boundaries"`: see [`boundaries`](fn@super::boundaries).
    Boundaries {
        /// `b0, b1, ..., bn`: the ranges are `[b_i, b_{i+1})`.
        boundaries: Vec<Cursor>,
        /// Items in the whole range, shared out as `batch_size`s (non-integer kinds).
        total_items: Option<u64>,
    },
}

impl PartitionRequest {
    /// The `strategy` tag of this request.
    pub fn strategy(&self) -> &'static str {
        match self {
            PartitionRequest::IntegerByCount { .. } => "integer_by_count",
            PartitionRequest::IntegerBySize { .. } => "integer_by_size",
            PartitionRequest::Uuid { .. } => "uuid",
            PartitionRequest::Timestamp { .. } => "timestamp",
            PartitionRequest::Boundaries { .. } => "boundaries",
        }
    }
}

/// The accepted keys of each strategy, in the order the docs list them.
const STRATEGIES: &[(&str, &[&str])] = &[
    (
        "integer_by_count",
        &["strategy", "total_items", "worker_count", "start"],
    ),
    (
        "integer_by_size",
        &[
            "strategy",
            "total_items",
            "batch_size",
            "max_batches",
            "start",
        ],
    ),
    (
        "uuid",
        &["strategy", "count", "start", "end", "total_items"],
    ),
    (
        "timestamp",
        &[
            "strategy",
            "start",
            "end",
            "count",
            "step_seconds",
            "total_items",
        ],
    ),
    ("boundaries", &["strategy", "boundaries", "total_items"]),
];

/// Keys whose meaning depends on the strategy: kept raw until the strategy is known (it may
/// come last), so that a key the strategy does not accept is reported as such rather than as
/// a value of the wrong type.
const SCALAR_KEYS: &[&str] = &[
    "total_items",
    "worker_count",
    "start",
    "batch_size",
    "max_batches",
    "count",
    "end",
    "step_seconds",
];

/// The request as read, before the strategy picks its keys.
#[derive(Default)]
struct Fields {
    strategy: Option<String>,
    boundaries: Option<Vec<Cursor>>,
    scalars: Vec<(&'static str, RawJson)>,
    /// Keys in input order: every known one, and the first unknown one.
    keys: Vec<String>,
}

impl<'de> Deserialize<'de> for PartitionRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PartitionRequest;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a partition request object with "strategy""#)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Fields::default();
                let mut unknown_seen = false;
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    match &*key {
                        "strategy" => {
                            let NonEmpty(name) = map.next_value()?;
                            crate::input::set_once(&mut fields.strategy, &key, name)?;
                        }
                        "boundaries" => {
                            let list: Vec<Cursor> = map.next_value()?;
                            crate::input::set_once(&mut fields.boundaries, &key, list)?;
                        }
                        other => match SCALAR_KEYS.iter().find(|k| **k == other) {
                            Some(&name) => {
                                let raw: RawJson = map.next_value()?;
                                if fields.raw(name).is_some() {
                                    return Err(duplicate_key(name));
                                }
                                fields.scalars.push((name, raw));
                            }
                            None => {
                                map.next_value::<IgnoredAny>()?;
                                if unknown_seen {
                                    continue;
                                }
                                unknown_seen = true;
                            }
                        },
                    }
                    fields.keys.push(key.into_owned());
                }
                fields.build()
            }
        }
        deserializer.deserialize_map(V)
    }
}

impl Fields {
    fn raw(&self, key: &str) -> Option<&RawJson> {
        self.scalars.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    fn build<E: de::Error>(self) -> Result<PartitionRequest, E> {
        let strategy = self
            .strategy
            .as_deref()
            .ok_or_else(|| missing("strategy"))?;
        let Some(&(name, accepted)) = STRATEGIES.iter().find(|(name, _)| *name == strategy) else {
            let names: Vec<String> = STRATEGIES.iter().map(|(n, _)| format!("{n:?}")).collect();
            return Err(coded_at(
                ErrorCode::InvalidValue,
                "strategy",
                format_args!(
                    r#"expected "strategy" to be one of {}, found {strategy:?}"#,
                    names.join(", ")
                ),
            ));
        };
        if let Some(key) = self.keys.iter().find(|k| !accepted.contains(&k.as_str())) {
            return Err(unknown_key(key, accepted));
        }
        let total_items = self.u64("total_items")?;
        Ok(match name {
            "integer_by_count" => PartitionRequest::IntegerByCount {
                total_items: total_items.ok_or_else(|| missing("total_items"))?,
                worker_count: self.u32("worker_count")?.ok_or_else(|| missing("worker_count"))?,
                start: self.integer_start()?,
            },
            "integer_by_size" => PartitionRequest::IntegerBySize {
                total_items: total_items.ok_or_else(|| missing("total_items"))?,
                batch_size: self.u32("batch_size")?.ok_or_else(|| missing("batch_size"))?,
                max_batches: self.u32("max_batches")?,
                start: self.integer_start()?,
            },
            "uuid" => PartitionRequest::Uuid {
                count: self.u32("count")?.ok_or_else(|| missing("count"))?,
                start: match self.raw("start") {
                    Some(raw) => uuid_value(raw, "start")?,
                    None => 0,
                },
                end: match self.raw("end") {
                    Some(raw) if !raw.is_null() => Some(uuid_value(raw, "end")?),
                    _ => None,
                },
                total_items,
            },
            "timestamp" => PartitionRequest::Timestamp {
                start: timestamp_value(self.raw("start"), "start")?,
                end: timestamp_value(self.raw("end"), "end")?,
                spans: match (self.u32("count")?, self.u64("step_seconds")?) {
                    (Some(count), None) => TimestampSpans::Count(count),
                    (None, Some(step)) => TimestampSpans::StepSeconds(step),
                    (Some(_), Some(_)) => {
                        return Err(coded_at(
                            ErrorCode::InvalidValue,
                            "step_seconds",
                            "expected exactly one of the keys `count` and `step_seconds`, found both",
                        ))
                    }
                    (None, None) => {
                        return Err(coded_at(
                            ErrorCode::MissingField,
                            "count",
                            "expected exactly one of the keys `count` and `step_seconds`, found neither",
                        ))
                    }
                },
                total_items,
            },
            _ => PartitionRequest::Boundaries {
                boundaries: self.boundaries.ok_or_else(|| missing("boundaries"))?,
                total_items,
            },
        })
    }

    fn u32<E: de::Error>(&self, key: &str) -> Result<Option<u32>, E> {
        self.raw(key)
            .map(|raw| from_json::<U32>(raw.get()).map(|U32(v)| v))
            .transpose()
            .map_err(|e| coded_at(e.code, key, e.message))
    }

    fn u64<E: de::Error>(&self, key: &str) -> Result<Option<u64>, E> {
        self.raw(key)
            .map(|raw| from_json::<U64>(raw.get()).map(|U64(v)| v))
            .transpose()
            .map_err(|e| coded_at(e.code, key, e.message))
    }

    /// `start` of the integer strategies: an exact integer (beyond 64 bits too), default 0.
    fn integer_start<E: de::Error>(&self) -> Result<i128, E> {
        let Some(raw) = self.raw("start") else {
            return Ok(0);
        };
        let text = raw.get();
        let expected = format_args!("expected an integer in 0..={}", i128::MAX);
        let is_number = text.starts_with(|c: char| c == '-' || c.is_ascii_digit());
        if !is_number {
            return Err(coded_at(
                ErrorCode::TypeMismatch,
                "start",
                format_args!("{expected}, found {}", describe(text)),
            ));
        }
        match text.parse::<i128>() {
            Ok(value) if value >= 0 => Ok(value),
            _ if text.contains(['.', 'e', 'E']) => Err(coded_at(
                ErrorCode::OutOfRange,
                "start",
                format_args!("{expected}, found the number {text}"),
            )),
            _ => Err(coded_at(
                ErrorCode::OutOfRange,
                "start",
                format_args!("{expected}, found {text}"),
            )),
        }
    }
}

/// A UUID string's 128-bit value; `key` names it in errors.
fn uuid_value<E: de::Error>(raw: &RawJson, key: &str) -> Result<u128, E> {
    let expected = r#"expected a UUID string such as "0190a2b4-1c2d-7e8f-9a0b-1c2d3e4f5a6b""#;
    if !raw.get().starts_with('"') {
        return Err(coded_at(
            ErrorCode::TypeMismatch,
            key,
            format_args!("{expected}, found {}", describe(raw.get())),
        ));
    }
    serde_json::from_str::<String>(raw.get())
        .ok()
        .and_then(|text| parse_uuid(&text))
        .ok_or_else(|| {
            coded_at(
                ErrorCode::InvalidCursor,
                key,
                format_args!("{expected}, found {}", raw.get()),
            )
        })
}

/// A required RFC 3339 string in nanoseconds since the Unix epoch, one the partitioner can write
/// back in UTC (no leap second, UTC years 0000 to 9999); `key` names it in errors.
fn timestamp_value<E: de::Error>(raw: Option<&RawJson>, key: &str) -> Result<i128, E> {
    let raw = raw.ok_or_else(|| missing(key))?;
    let expected = r#"expected an RFC 3339 timestamp string such as "2024-01-01T00:00:00Z""#;
    if !raw.get().starts_with('"') {
        return Err(coded_at(
            ErrorCode::TypeMismatch,
            key,
            format_args!("{expected}, found {}", describe(raw.get())),
        ));
    }
    let text: String = serde_json::from_str(raw.get()).map_err(|e| {
        coded_at(
            ErrorCode::InvalidCursor,
            key,
            format_args!("{expected}, found {} ({e})", raw.get()),
        )
    })?;
    let nanos = parse_timestamp(&text).map_err(|why| {
        coded_at(
            ErrorCode::InvalidCursor,
            key,
            format_args!("{expected}, found {} ({why})", raw.get()),
        )
    })?;
    // The bound is written back in UTC: a leap second would silently become the next second
    // (the instants are counted as seconds since the epoch, which have no 23:59:60). A valid
    // RFC 3339 text has its seconds at 17..19.
    if text.get(17..19) == Some("60") {
        return Err(coded_at(
            ErrorCode::OutOfRange,
            key,
            format_args!(
                "expected an instant with seconds 00 to 59 (the ranges are counted in seconds since \
                 the Unix epoch, which have no leap second), found the leap second {}; use the next \
                 second, {}, or the instant before it",
                raw.get(),
                format_timestamp(nanos).unwrap_or_default()
            ),
        ));
    }
    check_writable(nanos, Some(raw.get()))
        .map_err(|message| coded_at(ErrorCode::OutOfRange, key, message))?;
    Ok(nanos)
}

#[cfg(test)]
mod tests {
    use crate::partition::tests::{err, error, run};
    use crate::ErrorCode;

    // --- reading the request -----------------------------------------------------------------

    #[test]
    fn numbers_are_strict() {
        let cases = [
            (
                r#""total_items":-1,"worker_count":2"#,
                "total_items",
                ErrorCode::OutOfRange,
            ),
            (
                r#""total_items":1.5,"worker_count":2"#,
                "total_items",
                ErrorCode::OutOfRange,
            ),
            (
                r#""total_items":18446744073709551616,"worker_count":2"#,
                "total_items",
                ErrorCode::OutOfRange,
            ),
            (
                r#""total_items":10,"worker_count":4294967296"#,
                "worker_count",
                ErrorCode::OutOfRange,
            ),
            (
                r#""total_items":10,"worker_count":"2""#,
                "worker_count",
                ErrorCode::TypeMismatch,
            ),
            (
                r#""total_items":10,"worker_count":2,"start":-1"#,
                "start",
                ErrorCode::OutOfRange,
            ),
            (
                r#""total_items":10,"worker_count":2,"start":0.5"#,
                "start",
                ErrorCode::OutOfRange,
            ),
            (
                r#""total_items":10,"worker_count":2,"start":"0""#,
                "start",
                ErrorCode::TypeMismatch,
            ),
            (
                r#""total_items":10,"worker_count":2,"start":170141183460469231731687303715884105728"#,
                "start",
                ErrorCode::OutOfRange,
            ),
        ];
        for (keys, path, code) in cases {
            let json = format!(r#"{{"strategy":"integer_by_count",{keys}}}"#);
            assert_eq!(error(&json), err(code, path), "{keys}");
        }
        let e = run(r#"{"strategy":"integer_by_count","total_items":-3,"worker_count":2}"#)
            .unwrap_err();
        assert!(e.message.contains("found -3"), "{}", e.message);
    }

    #[test]
    fn keys_are_checked_against_the_strategy() {
        // The strategy may come last; a key of another strategy is reported as such.
        let e =
            run(r#"{"total_items":10,"count":"x","worker_count":2,"strategy":"integer_by_count"}"#)
                .unwrap_err();
        assert_eq!(
            (e.code, e.path.as_str()),
            (ErrorCode::InvalidValue, "count")
        );
        assert!(e.message.contains("worker_count"), "{}", e.message);
        assert_eq!(
            error(r#"{"strategy":"integer_by_count","total_items":10,"workers":2}"#),
            err(ErrorCode::InvalidValue, "workers")
        );
        assert_eq!(
            error(r#"{"strategy":"by_magic","total_items":10}"#),
            err(ErrorCode::InvalidValue, "strategy")
        );
        assert_eq!(
            error(r#"{"total_items":10}"#),
            err(ErrorCode::MissingField, "strategy")
        );
        assert_eq!(
            error(r#"{"strategy":"integer_by_count","total_items":10}"#),
            err(ErrorCode::MissingField, "worker_count")
        );
        assert_eq!(
            error(
                r#"{"strategy":"integer_by_count","total_items":1,"total_items":1,"worker_count":1}"#
            ),
            err(ErrorCode::InvalidValue, "total_items")
        );
        assert_eq!(error(r#"[1]"#), err(ErrorCode::TypeMismatch, ""));
    }
}

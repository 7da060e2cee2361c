//! Cursor values and their kinds.
//!
//! A cursor is *any* JSON value and travels as its exact text: `123456789012345678901234567890`,
//! `0.1` and `{"region":"us","page":0}` come back exactly as given. To validate ranges and
//! checkpoints the core recognises kinds:
//!
//! | kind | JSON | ordered by |
//! |---|---|---|
//! | `integer` | a number without fraction or exponent | value (exact, 128-bit) |
//! | `uuid` | a string `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex, any case) | 128-bit value |
//! | `timestamp` | an RFC 3339 string with offset (`2024-01-01T00:00:00Z`) | instant, to the nanosecond |
//! | `string` | any other string | caller's collation (not compared here) |
//! | `number` | a number with fraction or exponent (`0.5`, `1e3`) | not compared |
//! | `composite` | an object (key order kept) | not compared |
//! | `tuple` | an array | not compared |
//! | `boolean` | `true` / `false` | not compared |
//! | `null` | `null`: an open end of a range (see [`crate::validation`]) | |
//!
//! A string shaped like a timestamp (`2024-13-45T00:00:00Z`, or one without an offset) is an
//! `invalid_cursor` error rather than silently becoming a plain string.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorCode, Result};
use crate::input::{string_literal, RawJson};
use crate::path::JsonPath;

/// One end of a cursor range: any JSON value, kept exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub RawJson);

/// The kinds of cursor the contract understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CursorKind {
    /// A whole number.
    Integer,
    /// A number with a fraction or exponent.
    Number,
    /// A UUID string.
    Uuid,
    /// An RFC 3339 timestamp string.
    Timestamp,
    /// Any other string.
    String,
    /// An object: a composite key.
    Composite,
    /// An array: a tuple key.
    Tuple,
    /// `true` or `false`.
    Boolean,
    /// `null`.
    Null,
}

impl CursorKind {
    /// The wire spelling (`"integer"`, `"uuid"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            CursorKind::Integer => "integer",
            CursorKind::Number => "number",
            CursorKind::Uuid => "uuid",
            CursorKind::Timestamp => "timestamp",
            CursorKind::String => "string",
            CursorKind::Composite => "composite",
            CursorKind::Tuple => "tuple",
            CursorKind::Boolean => "boolean",
            CursorKind::Null => "null",
        }
    }
}

impl fmt::Display for CursorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The position of a cursor in the key space, for the kinds that have a total order the
/// core can know without the caller's collation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrderedKey {
    /// An integer cursor.
    Integer(i128),
    /// A UUID as its 128-bit value.
    Uuid(u128),
    /// A timestamp as nanoseconds since the Unix epoch.
    Timestamp(i128),
}

/// A cursor with its kind worked out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classified {
    /// The cursor's kind.
    pub kind: CursorKind,
    /// Its position, for ordered kinds.
    pub key: Option<OrderedKey>,
}

impl Cursor {
    /// A cursor from an integer.
    pub fn integer(value: i128) -> Self {
        // Partitioning makes one of these per range. Through `i64` when the value fits, std
        // formats faster than through `i128`; and the text gets a block of its own size,
        // where `to_raw_value` shrinks a 128-byte buffer and leaves the rest as a fragment.
        let text = match i64::try_from(value) {
            Ok(small) => small.to_string(),
            Err(_) => value.to_string(),
        };
        Cursor(RawJson(
            RawValue::from_string(text).expect("a formatted integer is JSON"),
        ))
    }

    /// A cursor from a string.
    pub fn string(value: &str) -> Self {
        Cursor(RawJson::from_serialize(value))
    }

    /// A cursor from any JSON text (minified, otherwise kept exactly).
    pub fn from_json(text: &str) -> Result<Self> {
        crate::input::from_json(text)
    }

    /// The exact JSON text.
    pub fn json(&self) -> &str {
        self.0.get()
    }

    /// The cursor's kind, without validating timestamps.
    pub fn kind(&self) -> CursorKind {
        let text = self.json();
        match text.as_bytes()[0] {
            b'"' => {
                // A string that is not Unicode text (a lone surrogate escape) is kept as its
                // exact text: it can be neither a UUID nor a timestamp.
                let Some(s) = string_literal(text) else {
                    return CursorKind::String;
                };
                if parse_uuid(&s).is_some() {
                    CursorKind::Uuid
                } else if looks_like_timestamp(&s) {
                    CursorKind::Timestamp
                } else {
                    CursorKind::String
                }
            }
            b'{' => CursorKind::Composite,
            b'[' => CursorKind::Tuple,
            b't' | b'f' => CursorKind::Boolean,
            b'n' => CursorKind::Null,
            _ if text.contains(['.', 'e', 'E']) => CursorKind::Number,
            _ => CursorKind::Integer,
        }
    }

    /// The JSON type of the value: `"string"`, `"number"`, `"object"`, `"array"`, `"boolean"`
    /// or `"null"` (an opaque checkpoint token keeps its JSON type from write to write).
    pub fn json_type(&self) -> &'static str {
        match self.json().as_bytes()[0] {
            b'"' => "string",
            b'{' => "object",
            b'[' => "array",
            b't' | b'f' => "boolean",
            b'n' => "null",
            _ => "number",
        }
    }

    /// Classifies the cursor; `at` is its path, for errors.
    pub fn classify(&self, at: &JsonPath) -> Result<Classified> {
        let kind = self.kind();
        let key = match kind {
            CursorKind::Integer => Some(OrderedKey::Integer(self.json().parse().map_err(
                |_| {
                    Error::at(
                        ErrorCode::OutOfRange,
                        at,
                        format!(
                            "expected an integer cursor within 128 bits, found {}",
                            self.json()
                        ),
                    )
                },
            )?)),
            // Both kinds were recognised from the decoded text, so it decodes.
            CursorKind::Uuid => string_literal(self.json())
                .and_then(|s| parse_uuid(&s))
                .map(OrderedKey::Uuid),
            CursorKind::Timestamp => Some(OrderedKey::Timestamp(
                parse_timestamp(&string_literal(self.json()).unwrap_or_default()).map_err(|why| {
                    Error::at(
                        ErrorCode::InvalidCursor,
                        at,
                        format!(
                            "expected an RFC 3339 timestamp such as \"2024-01-01T00:00:00Z\", found {} ({why})",
                            self.json()
                        ),
                    )
                })?,
            )),
            _ => None,
        };
        Ok(Classified { kind, key })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.json())
    }
}

/// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (either case) into its 128-bit value.
pub fn parse_uuid(text: &str) -> Option<u128> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut value: u128 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return None;
            }
            continue;
        }
        let digit = (b as char).to_digit(16)?;
        value = (value << 4) | digit as u128;
    }
    Some(value)
}

/// The canonical lowercase hyphenated form of a UUID value.
pub fn format_uuid(value: u128) -> String {
    let hex = format!("{value:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Whether a string is shaped like an RFC 3339 date-time (`YYYY-MM-DDTHH:MM`...), so that
/// a malformed one is reported instead of being taken for a plain string.
fn looks_like_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() >= 16
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
}

/// Parses an RFC 3339 timestamp into nanoseconds since the Unix epoch.
pub fn parse_timestamp(text: &str) -> std::result::Result<i128, String> {
    let parsed = chrono::DateTime::parse_from_rfc3339(text).map_err(|e| e.to_string())?;
    Ok(parsed.timestamp() as i128 * 1_000_000_000 + parsed.timestamp_subsec_nanos() as i128)
}

/// Formats nanoseconds since the Unix epoch as RFC 3339 UTC (`Z`), with 0, 3, 6 or 9
/// fraction digits as needed.
pub fn format_timestamp(nanos: i128) -> Option<String> {
    let secs = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let sub = nanos.rem_euclid(1_000_000_000) as u32;
    let at = chrono::DateTime::from_timestamp(secs, sub)?;
    Some(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(json: &str) -> CursorKind {
        Cursor::from_json(json).unwrap().kind()
    }

    #[test]
    fn recognises_every_kind() {
        assert_eq!(kind("42"), CursorKind::Integer);
        assert_eq!(kind("-3"), CursorKind::Integer);
        assert_eq!(kind("0.1"), CursorKind::Number);
        assert_eq!(kind("1e3"), CursorKind::Number);
        assert_eq!(
            kind(r#""0190a2b4-1c2d-7e8f-9a0b-1c2d3e4f5a6b""#),
            CursorKind::Uuid
        );
        assert_eq!(
            kind(r#""0190A2B4-1C2D-7E8F-9A0B-1C2D3E4F5A6B""#),
            CursorKind::Uuid
        );
        assert_eq!(kind(r#""2024-01-01T00:00:00Z""#), CursorKind::Timestamp);
        assert_eq!(kind(r#""sku-001""#), CursorKind::String);
        assert_eq!(kind(r#"{"region":"us","page":0}"#), CursorKind::Composite);
        assert_eq!(kind(r#"["us",0]"#), CursorKind::Tuple);
        assert_eq!(kind("true"), CursorKind::Boolean);
        assert_eq!(kind("null"), CursorKind::Null);
    }

    #[test]
    fn big_integers_keep_their_digits_and_order() {
        let c = Cursor::from_json("123456789012345678901234567890").unwrap();
        assert_eq!(c.json(), "123456789012345678901234567890");
        let k = c.classify(&JsonPath::root()).unwrap().key;
        assert_eq!(k, Some(OrderedKey::Integer(123456789012345678901234567890)));
        let huge = Cursor::from_json(&"9".repeat(50)).unwrap();
        let err = huge
            .classify(&JsonPath::root().key("start_cursor"))
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::OutOfRange);
        assert_eq!(err.path, "start_cursor");
    }

    #[test]
    fn timestamp_shaped_garbage_is_an_error() {
        for bad in [r#""2024-13-45T00:00:00Z""#, r#""2024-01-01T00:00:00""#] {
            let err = Cursor::from_json(bad)
                .unwrap()
                .classify(&JsonPath::root())
                .unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidCursor, "{bad}");
        }
    }

    #[test]
    fn uuids_and_timestamps_round_trip() {
        let v = parse_uuid("0190a2b4-1c2d-7e8f-9a0b-1c2d3e4f5a6b").unwrap();
        assert_eq!(format_uuid(v), "0190a2b4-1c2d-7e8f-9a0b-1c2d3e4f5a6b");
        assert_eq!(format_uuid(0), "00000000-0000-0000-0000-000000000000");
        let t = parse_timestamp("2024-01-01T01:00:00+01:00").unwrap();
        assert_eq!(format_timestamp(t).unwrap(), "2024-01-01T00:00:00Z");
        let t = parse_timestamp("2024-01-01T00:00:00.5Z").unwrap();
        assert_eq!(format_timestamp(t).unwrap(), "2024-01-01T00:00:00.500Z");
    }

    #[test]
    fn escaped_strings_are_read_by_content() {
        let c = Cursor::from_json(r#""\u0032024-01-01T00:00:00Z""#).unwrap();
        assert_eq!(c.kind(), CursorKind::Timestamp);
        assert_eq!(c.json(), r#""\u0032024-01-01T00:00:00Z""#);
    }
}

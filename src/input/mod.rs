//! Reading JSON input strictly: size limit, nesting limit, exact numbers, and errors that say
//! where (JSON path) and what (expected vs actual).
//!
//! Parsing runs twice only when it fails: the fast pass has no bookkeeping, and a failed
//! input is parsed again with path tracking so that the error can name the offending value.
//!
//! - `serde_coupling.rs`: what the core relies on serde and serde_json to say (our codes
//!   carried through serde's errors, serde's own messages, the raw-value protocol
//!   [`RAW_VALUE_TOKEN`]), with canary tests;
//! - `object.rs`: the keyed-map loop of the hand-written readers, the caller keys they keep
//!   ([`Extra`]), and `ObjectOnly` for derived readers;
//! - `strict.rs`: strict numbers and non-empty strings, the adapters of derived readers;
//! - `raw.rs`: values kept as their exact text ([`RawJson`]).

mod object;
mod raw;
mod serde_coupling;
pub(crate) mod strict;

use serde::de::{self, Deserialize, DeserializeOwned, Deserializer};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorCode, Result};
use crate::path::{push_key, JsonPath};

pub use object::Extra;
pub(crate) use object::{
    duplicate_key, missing, read_object, set_once, unknown_key, Key, ObjectOnly, OtherKeys,
};
use raw::scan;
pub(crate) use raw::{describe, push_minified, string_literal};
pub use raw::{too_deep_message, RawJson, MAX_NESTING};
pub use serde_coupling::{coded, coded_at, note_lossy_integer, RAW_VALUE_TOKEN};
use serde_coupling::{
    is_coded, is_recursion_limit, recognise, settle_numbers, split_position, take_lossy_integer,
    Recognised,
};
pub(crate) use strict::{non_empty_str, NonEmpty, U32, U64};

/// The largest input accepted, in bytes. Bigger input is an `input_too_large` error rather
/// than an out-of-memory crash.
pub const MAX_INPUT_BYTES: usize = 512 * 1024 * 1024;

/// Parses `text` into `T`, with the error naming the code, the path and the expectation.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Error::new(
            ErrorCode::InputTooLarge,
            "",
            format!(
                "expected at most {MAX_INPUT_BYTES} bytes of JSON, found {} bytes",
                text.len()
            ),
        ));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    match T::deserialize(&mut de).and_then(|value| de.end().map(|()| value)) {
        Ok(value) => Ok(value),
        Err(_) => Err(explain_failure::<T>(text)),
    }
}

/// Parses a value that was already isolated as raw JSON (a nested input).
pub fn from_raw<T: DeserializeOwned>(raw: &RawValue, at: &JsonPath) -> Result<T> {
    from_json(raw.get()).map_err(|e| e.under(at))
}

/// Parses again, tracking the path, and turns the failure into an [`Error`].
fn explain_failure<T: DeserializeOwned>(text: &str) -> Error {
    // Malformed JSON is reported as such, even when a type error comes earlier in the text.
    if let Err(err) = serde_json::from_str::<de::IgnoredAny>(text) {
        return classify(err, String::new());
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let error = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(err) => {
            let path = format_path(err.path());
            let exact = number_at(text, err.path());
            let mut error = classify(err.into_inner(), path);
            error.message = settle_numbers(&error.message, exact, None);
            error
        }
        Ok(_) => match de.end() {
            Err(err) => classify(err, String::new()),
            Ok(()) => Error::new(
                ErrorCode::Internal,
                "",
                "input failed to parse once and parsed the second time",
            ),
        },
    };
    // Too deep to be read at all: say so, rather than the type error met on the way down.
    let depth = scan(text).max_depth;
    if error.code != ErrorCode::NestingTooDeep && depth > MAX_NESTING {
        return Error::new(ErrorCode::NestingTooDeep, "", too_deep_message());
    }
    error
}

/// The exact text of the number at `path` in `text`, when there is one there (for a message
/// about a number serde handed over as a float).
fn number_at<'t>(text: &'t str, path: &serde_path_to_error::Path) -> Option<&'t str> {
    use serde_path_to_error::Segment;
    use std::collections::BTreeMap;
    let mut here = text;
    for segment in path.iter() {
        here = match segment {
            Segment::Seq { index } => serde_json::from_str::<Vec<&RawValue>>(here)
                .ok()?
                .get(*index)?
                .get(),
            Segment::Map { key } => serde_json::from_str::<BTreeMap<String, &RawValue>>(here)
                .ok()?
                .get(key)?
                .get(),
            Segment::Enum { .. } | Segment::Unknown => return None,
        };
    }
    let here = here.trim();
    here.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        .then_some(here)
}

fn format_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => push_key(&mut out, key),
            // A key that could not be read (not a string): the error is about the object
            // that holds it, so the path stops there.
            Segment::Unknown => break,
        }
    }
    out
}

/// Maps a serde_json error onto our codes.
fn classify(err: serde_json::Error, path: String) -> Error {
    let (bare, position) = split_position(&err);
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io if !is_coded(&bare) => {
            if is_recursion_limit(&bare) {
                Error::new(ErrorCode::NestingTooDeep, path, too_deep_message())
            } else {
                let message = format!("expected well-formed JSON: {bare}{position}");
                Error::new(ErrorCode::InvalidJson, path, message)
            }
        }
        _ => classify_message(&bare, path),
    }
}

/// Maps the message of a data error (from any deserializer) onto our codes: ours carry their
/// code (see [`coded`]); serde's own messages are recognised by their standard wording.
fn classify_message(bare: &str, path: String) -> Error {
    let below = |key: &str| {
        let mut at = path.clone();
        if !key.is_empty() {
            push_key(&mut at, key);
        }
        at
    };
    match recognise(bare) {
        Recognised::Coded { code, key, message } => Error::new(code, below(key), message),
        Recognised::MissingField(field) => Error::new(
            ErrorCode::MissingField,
            below(field),
            format!("expected the key `{field}`, found no such key"),
        ),
        // serde_path_to_error already names the unknown key (it read it); a path-less reader
        // does not.
        Recognised::UnknownField { key, accepted } => Error::new(
            ErrorCode::InvalidValue,
            if ends_with_key(&path, key) {
                path.clone()
            } else {
                below(key)
            },
            format!(
                "expected one of the keys {}, found `{key}`",
                accepted.join(", ")
            ),
        ),
        Recognised::DuplicateField(field) => Error::new(
            ErrorCode::InvalidValue,
            below(field),
            format!("expected each key once, found `{field}` twice"),
        ),
        Recognised::InvalidType => Error::new(ErrorCode::TypeMismatch, path, bare.to_owned()),
        Recognised::Other => Error::new(ErrorCode::InvalidValue, path, bare.to_owned()),
    }
}

/// Whether `path` ends with the segment that names `key`.
fn ends_with_key(path: &str, key: &str) -> bool {
    let mut segment = String::new();
    push_key(&mut segment, key);
    match path.strip_suffix(&segment) {
        Some("") => true,
        Some(parent) => segment.starts_with('[') || parent.ends_with('.'),
        None => false,
    }
}

/// Reads `T` from any serde deserializer without tracking paths: faster, but an error names no
/// path. [`from_deserializer`] reads again when this fails.
pub fn from_deserializer_untracked<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T> {
    take_lossy_integer();
    T::deserialize(deserializer)
        .map_err(|err| without_text(classify_message(&err.to_string(), String::new())))
}

/// Reads `T` from any serde deserializer (the Ruby extension reads Ruby objects in place),
/// tracking the path so that an error names the offending value like [`from_json`] does.
pub fn from_deserializer<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T> {
    take_lossy_integer();
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = format_path(err.path());
        without_text(classify_message(&err.into_inner().to_string(), path))
    })
}

/// The [`Error`] a seeded read of text already parsed once failed with (it names no path; the
/// caller places it).
pub(crate) fn seeded_error(err: &serde_json::Error) -> Error {
    without_text(classify_message(&err.to_string(), String::new()))
}

/// An error from a reader that has no JSON text: a number handed over as a float is printed
/// with the exact digits the reader noted ([`note_lossy_integer`]: the Ruby extension's, for an
/// integer beyond 64 bits), else as that float.
fn without_text(mut error: Error) -> Error {
    let noted = take_lossy_integer();
    error.message = settle_numbers(
        &error.message,
        noted.as_ref().map(|(_, digits)| digits.as_str()),
        noted.as_ref().map(|(value, _)| *value),
    );
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        #[serde(deserialize_with = "strict::u32")]
        size: u32,
        #[serde(default)]
        items: Vec<Sample>,
    }

    #[test]
    fn numbers_that_do_not_fit_are_errors_with_the_value() {
        let err = from_json::<Sample>(r#"{"size": 4294967296}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::OutOfRange);
        assert_eq!(err.path, "size");
        assert_eq!(
            err.message,
            "expected an integer in 0..=4294967295, found 4294967296"
        );
        let err = from_json::<Sample>(r#"{"size": -1}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::OutOfRange);
        let err = from_json::<Sample>(r#"{"size": 2.5}"#).unwrap_err();
        assert!(err.message.contains("fraction 2.5"), "{}", err.message);
    }

    #[test]
    fn numbers_beyond_64_bits_and_long_fractions_keep_their_digits_in_messages() {
        for (text, found) in [
            (
                r#"{"size": 18446744073709551616}"#,
                "found 18446744073709551616",
            ),
            (
                r#"{"size": 1, "items": [{"size": -100000000000000000000000000000}]}"#,
                "found -100000000000000000000000000000",
            ),
            (
                r#"{"size": 1.00000000000000000001}"#,
                "found 1.00000000000000000001",
            ),
            (r#"{"size": 2.50}"#, "found the fraction 2.50"),
        ] {
            let err = from_json::<Sample>(text).unwrap_err();
            assert_eq!(err.code, ErrorCode::OutOfRange, "{text}");
            assert!(err.message.ends_with(found), "{text}: {}", err.message);
        }
        let Err(err) = from_json::<NonEmpty>("123456789012345678901234567890") else {
            panic!("a number is not a string")
        };
        assert!(
            err.message
                .ends_with("found the number 123456789012345678901234567890"),
            "{}",
            err.message
        );
    }

    #[test]
    fn paths_point_into_arrays() {
        let err = from_json::<Sample>(r#"{"size": 1, "items": [{"size": 1}, {"size": "x"}]}"#)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::TypeMismatch);
        assert_eq!(err.path, "items[1].size");
    }

    #[test]
    fn missing_fields_name_the_key() {
        let err = from_json::<Sample>(r#"{"size": 1, "items": [{}]}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::MissingField);
        assert_eq!(err.path, "items[0].size");
        let err = from_json::<Sample>(r#"{"items": []}"#).unwrap_err();
        assert_eq!(err.path, "size");
    }

    #[test]
    fn syntax_errors_and_deep_nesting_are_errors() {
        let err = from_json::<Sample>("{").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidJson);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = from_json::<serde_json::Value>(&deep).unwrap_err();
        assert_eq!(err.code, ErrorCode::NestingTooDeep);
        let err = from_json::<RawJson>(&deep).unwrap_err();
        assert_eq!(err.code, ErrorCode::NestingTooDeep);
    }

    #[test]
    fn values_kept_in_a_shared_buffer_are_minified_like_raw_json() {
        for text in [
            r#"{ "a" : [ 1 ,	{ "b" : "x y" } ]
            }"#,
            r#"["a \" ] } { [", "\\", "a string longer than eight bytes, with spaces", {"k": "v"}]"#,
            r#"{"é t é":"\u00e9 \n \\\"","n":[[[[ ]]]], "m" : "12345678\"9"}"#,
            "7",
            r#""a b""#,
            "[]",
            "{}",
        ] {
            let raw: RawJson = from_json(text).unwrap();
            let mut kept = String::from("before|");
            let depth = push_minified(text, &mut kept);
            assert_eq!(kept.strip_prefix("before|"), Some(raw.get()), "{text}");
            assert_eq!(depth, scan(text).max_depth, "{text}");
        }
    }

    #[test]
    fn raw_json_is_minified_but_otherwise_exact() {
        let raw: RawJson =
            from_json(r#" { "region" : "u s" , "page" : 123456789012345678901234567890 } "#)
                .unwrap();
        assert_eq!(
            raw.get(),
            r#"{"region":"u s","page":123456789012345678901234567890}"#
        );
        let raw: RawJson = from_json(r#""a \" b""#).unwrap();
        assert_eq!(raw.get(), r#""a \" b""#);
        let raw: RawJson = from_json("0.1").unwrap();
        assert_eq!(raw.get(), "0.1");
    }
}

//! Everything the core relies on serde and serde_json to say, in one place.
//!
//! serde has no structured errors: a visitor can only fail with a message. So that our own
//! codes survive the trip through any deserializer, [`coded_at`] writes them into the message
//! (`\0code\0key\0message`) and [`recognise`] reads them back. serde's and serde_json's own
//! failures are recognised by their standard wording (`missing field`, `unknown field`,
//! `duplicate field`, `invalid type`, `recursion limit exceeded`, the ` at line L column C`
//! suffix), and a value's exact text is asked for through serde_json's raw-value protocol
//! ([`RAW_VALUE_TOKEN`]).
//!
//! None of that is a documented API of serde or serde_json. The canary tests at the end of this
//! file fail loudly, naming the shape, if a new version changes any of it.

use std::fmt;

use serde::de;

use crate::error::ErrorCode;

/// The name of the newtype through which serde_json hands over a value's exact text (its
/// `RawValue` protocol: `deserialize_newtype_struct(RAW_VALUE_TOKEN, visitor)`, answered with a
/// one-entry map `{RAW_VALUE_TOKEN: text}`). A reader that asks for it directly borrows the text
/// from the input, where `Box<RawValue>` would copy it; a deserializer of other data (the Ruby
/// extension's) answers it by writing the value as JSON text.
pub const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Marks a serde error message that carries one of our codes: `\0code\0key\0message`.
const CODE_MARK: char = '\0';

/// Brackets a number in a message whose exact digits serde lost: serde_json hands a number
/// beyond 64 bits, or with a fraction, to a visitor as an `f64`.
const NUMBER_MARK: char = '\u{1}';

/// A number as a visitor got it (`f64`), for a message: the reader that has the input's text
/// puts the number's exact digits in its place ([`settle_numbers`]); others print the float.
pub(crate) struct LossyNumber(pub f64);

impl fmt::Display for LossyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:?}` keeps a float looking like one: `1e40` rather than 1 followed by 40 digits
        // that are not the input's.
        write!(f, "{NUMBER_MARK}{:?}{NUMBER_MARK}", self.0)
    }
}

/// Replaces a [`LossyNumber`] in `message` with `exact` (the number's text in the input), or
/// with the float it holds when the text is not known. serde's own `invalid type: floating
/// point `1e40`` gets the exact text too, named an integer when it is one, and serde's
/// `integer `N` as u128` is said `integer `N``: one wording for a number, whichever reader
/// (JSON text, a host language's objects) handed it over.
///
/// `of`: when `exact` is the text of one known float only (a host reader's noted integer), the
/// float it is the text of; a float in the message that is another number keeps its own text.
pub(crate) fn settle_numbers(message: &str, exact: Option<&str>, of: Option<f64>) -> String {
    let applies = |float: &str| of.is_none_or(|value| float.parse::<f64>() == Ok(value));
    let mut parts = message.splitn(3, NUMBER_MARK);
    let message = match (parts.next(), parts.next(), parts.next()) {
        (Some(before), Some(float), Some(after)) => {
            let text = exact.filter(|_| applies(float)).unwrap_or(float);
            format!("{before}{text}{after}")
        }
        _ => message.to_owned(),
    };
    const FLOAT: &str = "invalid type: floating point `";
    if let (Some(rest), Some(exact)) = (message.strip_prefix(FLOAT), exact) {
        if let Some(end) = rest.find('`').filter(|&end| applies(&rest[..end])) {
            let kind = if exact.contains(['.', 'e', 'E']) {
                "floating point"
            } else {
                "integer"
            };
            return format!("invalid type: {kind} `{exact}{}", &rest[end..]);
        }
    }
    if let Some(rest) = message.strip_prefix("invalid type: integer `") {
        if let Some(end) = rest.find('`') {
            let after = &rest[end + 1..];
            if let Some(after) = after
                .strip_prefix(" as u128")
                .or_else(|| after.strip_prefix(" as i128"))
            {
                return format!("invalid type: integer `{}`{after}", &rest[..end]);
            }
        }
    }
    message
}

thread_local! {
    /// The digits of the integer a reader of host-language objects last handed over as a float.
    static LOSSY_INTEGER: std::cell::RefCell<Option<(f64, String)>> = const { std::cell::RefCell::new(None) };
}

/// For a deserializer of a host language's objects: it hands an integer beyond 64 bits to
/// the visitor as an `f64`, exactly as serde_json does with JSON text, so that every reader of
/// the core answers alike on both (the same code, the same message); these are its exact
/// digits, for the message about it (what serde_json's reader finds by the error's path).
/// Values the contract keeps exactly never take this way (they are asked for as raw JSON).
///
/// Answers the float to hand over: the one serde_json reads from the same digits (its
/// rounding, so that a message quoting the float quotes the same on both), or `None` when
/// serde_json would refuse the digits as out of range.
pub fn note_lossy_integer(digits: &str) -> Option<f64> {
    let value = serde_json::from_str::<f64>(digits).ok()?;
    LOSSY_INTEGER.with(|lossy| *lossy.borrow_mut() = Some((value, digits.to_owned())));
    Some(value)
}

/// The integer [`note_lossy_integer`] noted since the last call, if any.
pub(crate) fn take_lossy_integer() -> Option<(f64, String)> {
    LOSSY_INTEGER.with(|lossy| lossy.borrow_mut().take())
}

/// A serde error carrying one of our codes; [`crate::input::from_json`] turns it back into that
/// code.
pub fn coded<E: de::Error>(code: ErrorCode, message: impl fmt::Display) -> E {
    coded_at(code, "", message)
}

/// Like [`coded`], for an error about the key `key` of the object being read (a missing key).
pub fn coded_at<E: de::Error>(code: ErrorCode, key: &str, message: impl fmt::Display) -> E {
    E::custom(format_args!(
        "{CODE_MARK}{}{CODE_MARK}{key}{CODE_MARK}{message}",
        code.as_str()
    ))
}

/// What the message of a failed deserialization says, once read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Recognised<'m> {
    /// One of ours ([`coded_at`]): the code, the key it is about (`""`: the value itself) and
    /// the message.
    Coded {
        code: ErrorCode,
        key: &'m str,
        message: &'m str,
    },
    /// serde's `missing field `k``.
    MissingField(&'m str),
    /// serde's `unknown field `k`, expected …` (a derive with `deny_unknown_fields`), with the
    /// accepted keys.
    UnknownField {
        key: &'m str,
        accepted: Vec<&'m str>,
    },
    /// serde's `duplicate field `k``.
    DuplicateField(&'m str),
    /// serde's `invalid type: …, expected …`.
    InvalidType,
    /// Anything else: a value of the right type that is not acceptable.
    Other,
}

/// Reads a data error's message (without serde_json's position suffix).
pub(crate) fn recognise(bare: &str) -> Recognised<'_> {
    if let Some(rest) = bare.strip_prefix(CODE_MARK) {
        let mut parts = rest.splitn(3, CODE_MARK);
        if let (Some(code), Some(key), Some(message)) = (parts.next(), parts.next(), parts.next()) {
            return Recognised::Coded {
                code: ErrorCode::from_wire(code).unwrap_or(ErrorCode::Internal),
                key,
                message,
            };
        }
    }
    if let Some(field) = bare
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return Recognised::MissingField(field);
    }
    if let Some(field) = bare
        .strip_prefix("duplicate field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return Recognised::DuplicateField(field);
    }
    if let Some(rest) = bare.strip_prefix("unknown field `") {
        // The key is the caller's and may hold anything; the accepted keys after it are ours
        // (plain identifiers), so the last separator is the real one.
        if let Some(key) = rest.strip_suffix("`, there are no fields") {
            return Recognised::UnknownField {
                key,
                accepted: Vec::new(),
            };
        }
        if let Some(split) = rest.rfind("`, expected ") {
            let key = &rest[..split];
            // "`a`", "`a` or `b`", "one of `a`, `b`, `c`": the names are between backticks.
            let list = &rest[split + "`, expected ".len()..];
            let accepted = list.split('`').skip(1).step_by(2).collect();
            return Recognised::UnknownField { key, accepted };
        }
    }
    if bare.starts_with("invalid type") {
        return Recognised::InvalidType;
    }
    Recognised::Other
}

/// A serde_json error's message without the ` at line L column C` it appends, and that suffix
/// (empty when the error has no position).
pub(crate) fn split_position(err: &serde_json::Error) -> (String, String) {
    let full = err.to_string();
    let position = if err.line() > 0 {
        format!(" at line {} column {}", err.line(), err.column())
    } else {
        String::new()
    };
    let bare = match full.strip_suffix(&position) {
        Some(bare) => bare.to_owned(),
        None => full,
    };
    (bare, position)
}

/// Whether a serde_json syntax error is its nesting limit.
pub(crate) fn is_recursion_limit(bare: &str) -> bool {
    bare.contains("recursion limit exceeded")
}

/// Whether a serde_json error of the syntax, end-of-input or I/O category is really one of our
/// coded errors (raised by a visitor while the parser was inside a value).
pub(crate) fn is_coded(bare: &str) -> bool {
    bare.starts_with(CODE_MARK)
}

#[cfg(test)]
mod canaries {
    //! If one of these fails after a dependency update, serde or serde_json changed a shape the
    //! core depends on: fix [`recognise`] (or the code it names), not the test.

    use super::*;
    use serde::de::Error as _;
    use serde::Deserialize;

    fn json_error(make: impl Fn() -> serde_json::Error) -> String {
        make().to_string()
    }

    #[test]
    fn our_codes_survive_serde_json_and_serde_path_to_error() {
        #[derive(Debug)]
        struct Fails;
        impl<'de> Deserialize<'de> for Fails {
            fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> de::Visitor<'de> for V {
                    type Value = Fails;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("anything")
                    }
                    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Fails, E> {
                        Err(coded_at(ErrorCode::OutOfRange, "k", "too big"))
                    }
                }
                d.deserialize_any(V)
            }
        }
        let err = serde_json::from_str::<Fails>("7").unwrap_err();
        let (bare, position) = split_position(&err);
        assert_eq!(
            position, " at line 1 column 1",
            "serde_json's position suffix changed"
        );
        assert_eq!(
            recognise(&bare),
            Recognised::Coded {
                code: ErrorCode::OutOfRange,
                key: "k",
                message: "too big"
            },
            "a custom message no longer reaches the caller unchanged: {bare:?}"
        );
        let mut de = serde_json::Deserializer::from_str(r#"{"a":[7]}"#);
        let err = serde_path_to_error::deserialize::<
            _,
            std::collections::BTreeMap<String, Vec<Fails>>,
        >(&mut de)
        .unwrap_err();
        assert_eq!(err.path().to_string(), "a[0]");
        let (bare, _) = split_position(err.inner());
        assert!(
            matches!(recognise(&bare), Recognised::Coded { .. }),
            "{bare:?}"
        );
    }

    #[test]
    fn serde_s_own_messages_keep_their_wording() {
        assert_eq!(
            recognise(&json_error(|| serde_json::Error::missing_field("batch_id"))),
            Recognised::MissingField("batch_id")
        );
        assert_eq!(
            recognise(&json_error(|| serde_json::Error::duplicate_field("step"))),
            Recognised::DuplicateField("step")
        );
        assert_eq!(
            recognise(&json_error(|| serde_json::Error::unknown_field(
                "x`, expected `y",
                &["step", "changes"]
            ))),
            Recognised::UnknownField {
                key: "x`, expected `y",
                accepted: vec!["step", "changes"]
            }
        );
        assert_eq!(
            recognise(&json_error(|| serde_json::Error::unknown_field(
                "x",
                &["a", "b", "c"]
            ))),
            Recognised::UnknownField {
                key: "x",
                accepted: vec!["a", "b", "c"]
            }
        );
        assert_eq!(
            recognise(&json_error(|| serde_json::Error::unknown_field(
                "x",
                &["step"]
            ))),
            Recognised::UnknownField {
                key: "x",
                accepted: vec!["step"]
            }
        );
        assert_eq!(
            recognise(&json_error(|| serde_json::Error::unknown_field("x", &[]))),
            Recognised::UnknownField {
                key: "x",
                accepted: vec![]
            }
        );
        assert_eq!(
            recognise(&json_error(|| serde_json::Error::invalid_type(
                de::Unexpected::Str("a"),
                &"an integer"
            ))),
            Recognised::InvalidType
        );
        // serde's generic error (what other deserializers default to) says the same.
        assert_eq!(
            recognise(&de::value::Error::unknown_field("x", &["a", "b"]).to_string()),
            Recognised::UnknownField {
                key: "x",
                accepted: vec!["a", "b"]
            }
        );
    }

    #[test]
    fn a_derive_reports_through_those_messages() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Request {
            step: u8,
            changes: u8,
        }
        let cases = [
            (r#"{"step":1}"#, Recognised::MissingField("changes")),
            (
                r#"{"step":1,"step":1,"changes":1}"#,
                Recognised::DuplicateField("step"),
            ),
            (
                r#"{"zzz":1}"#,
                Recognised::UnknownField {
                    key: "zzz",
                    accepted: vec!["step", "changes"],
                },
            ),
            (r#"{"step":"1"}"#, Recognised::InvalidType),
        ];
        for (text, expected) in cases {
            let err = serde_json::from_str::<Request>(text).unwrap_err();
            let (bare, _) = split_position(&err);
            assert_eq!(recognise(&bare), expected, "{text}: {bare:?}");
        }
    }

    #[test]
    fn integers_beyond_64_bits_still_reach_visitors_as_floats() {
        struct Float;
        impl<'de> Deserialize<'de> for Float {
            fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> de::Visitor<'de> for V {
                    type Value = Float;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a float")
                    }
                    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Float, E> {
                        Ok(Float)
                    }
                }
                d.deserialize_any(V)
            }
        }
        // If serde_json starts handing these over exactly (u128, or its arbitrary precision),
        // the strict visitors' exact-digits messages can be simplified.
        assert!(serde_json::from_str::<Float>("18446744073709551616").is_ok());
        assert!(serde_json::from_str::<Float>("-9223372036854775809").is_ok());
        assert_eq!(
            settle_numbers(
                &format!("found {}", LossyNumber(1e40)),
                Some("10000000000000000000000000000000000000000"),
                None
            ),
            "found 10000000000000000000000000000000000000000"
        );
        assert_eq!(
            settle_numbers(&format!("found {}", LossyNumber(1e40)), None, None),
            "found 1e40"
        );
    }

    #[test]
    fn serde_json_s_nesting_limit_keeps_its_wording() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let err = serde_json::from_str::<serde_json::Value>(&deep).unwrap_err();
        let (bare, _) = split_position(&err);
        assert_eq!(err.classify(), serde_json::error::Category::Syntax);
        assert!(is_recursion_limit(&bare), "{bare:?}");
    }

    #[test]
    fn serde_json_still_asks_for_raw_values_by_this_name() {
        use serde::de::{Deserializer, Visitor};

        /// Records the newtype name `Box<RawValue>` asks for.
        struct Recorder<'a>(&'a mut Option<&'static str>);
        impl<'de> Deserializer<'de> for Recorder<'_> {
            type Error = de::value::Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                Err(de::value::Error::custom("not a newtype"))
            }
            fn deserialize_newtype_struct<V: Visitor<'de>>(
                self,
                name: &'static str,
                _: V,
            ) -> Result<V::Value, Self::Error> {
                *self.0 = Some(name);
                Err(de::value::Error::custom("recorded"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct seq tuple tuple_struct map struct enum
                identifier ignored_any
            }
        }
        let mut name = None;
        let _ = Box::<serde_json::value::RawValue>::deserialize(Recorder(&mut name));
        assert_eq!(name, Some(RAW_VALUE_TOKEN));
    }
}

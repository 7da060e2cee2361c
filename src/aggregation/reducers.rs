//! Custom aggregation: the per-field [`Reducer`]s and how each folds the workers' values
//! (read as JSON text, exactly as the results gave them) into one.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{Error, ErrorCode, Result};
use crate::input::{coded, duplicate_key, read_object, Key, NonEmpty, OtherKeys, RawJson};
use crate::path::JsonPath;
use crate::step_results::type_mismatch;

use super::raw_json;

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
                f.write_str(
                    r#"an object {field: "sum" | "min" | "max" | "count" | "concat" | "merge"}"#,
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Reducers, A::Error> {
                let mut out: Vec<(String, Reducer)> = Vec::new();
                // Every key is a field of the worker results: kept in order, each once.
                read_object(&mut map, OtherKeys::Reject(&[]), |key, map| {
                    if out.iter().any(|(k, _)| k == key) {
                        return Err(duplicate_key(key));
                    }
                    let reducer: Reducer = map.next_value()?;
                    out.push((key.to_owned(), reducer));
                    Ok(true)
                })?;
                Ok(Reducers(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// A JSON number, exactly when it is an integer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Number {
    Integer(i128),
    Float(f64),
}

impl Number {
    /// Reads a number's text: no fraction or exponent means an integer (which must fit in
    /// 128 bits); otherwise a finite `f64`. `at` says where the number is, for the error.
    fn parse(text: &str, at: &dyn Fn() -> JsonPath) -> Result<Number> {
        if text.contains(['.', 'e', 'E']) {
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Number::Float(v)),
                _ => Err(Error::at(
                    ErrorCode::OutOfRange,
                    &at(),
                    format!("expected a number within the range of f64, found {text}"),
                )),
            }
        } else {
            text.parse::<i128>().map(Number::Integer).map_err(|_| {
                Error::at(
                    ErrorCode::OutOfRange,
                    &at(),
                    format!("expected an integer within 128 bits, found {text}"),
                )
            })
        }
    }

    /// Numeric order; integers against integers exactly, and against floats exactly too.
    fn cmp(self, other: Number) -> Ordering {
        match (self, other) {
            (Number::Integer(a), Number::Integer(b)) => a.cmp(&b),
            (Number::Float(a), Number::Float(b)) => a.total_cmp(&b),
            (Number::Integer(a), Number::Float(b)) => cmp_integer_float(a, b),
            (Number::Float(a), Number::Integer(b)) => cmp_integer_float(b, a).reverse(),
        }
    }
}

/// Compares an integer with a finite float without rounding either.
fn cmp_integer_float(i: i128, f: f64) -> Ordering {
    // 2^127: every i128 lies in [-2^127, 2^127).
    const TWO_127: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
    if f >= TWO_127 {
        return Ordering::Less;
    }
    if f < -TWO_127 {
        return Ordering::Greater;
    }
    let whole = f.trunc();
    // Exact: `whole` is an integral float within the range of i128.
    match i.cmp(&(whole as i128)) {
        Ordering::Equal => 0.0f64.total_cmp(&(f - whole)).then(Ordering::Equal),
        other => other,
    }
}

fn is_number(raw: &str) -> bool {
    matches!(raw.as_bytes().first(), Some(b'-' | b'0'..=b'9'))
}

/// `text` without its first and last character (the quotes of a string, the brackets of an
/// array), borrowed as long as `text` is.
fn inside<'a>(text: &Cow<'a, str>) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(&text[1..text.len() - 1]),
        Cow::Owned(text) => Cow::Owned(text[1..text.len() - 1].to_owned()),
    }
}

/// The contents of a JSON string literal.
fn string_contents<'a>(raw: &Cow<'a, str>) -> Cow<'a, str> {
    if raw.contains('\\') {
        Cow::Owned(serde_json::from_str(raw).expect("a raw JSON string literal decodes"))
    } else {
        inside(raw)
    }
}

/// One reducer's running value; values are borrowed from the results until the end.
pub(super) enum Fold<'a> {
    Sum(Number),
    Extreme {
        keep: Ordering,
        best: Option<Candidate<'a>>,
    },
    Count(u64),
    Concat(Vec<Cow<'a, str>>),
    Merge {
        entries: Vec<(Cow<'a, str>, Cow<'a, str>)>,
        index: HashMap<Cow<'a, str>, usize>,
    },
}

/// The best `min`/`max` value so far, with its text.
pub(super) enum Candidate<'a> {
    Number(Number, Cow<'a, str>),
    Text(Cow<'a, str>, Cow<'a, str>),
}

impl<'a> Fold<'a> {
    pub(super) fn new(reducer: Reducer) -> Self {
        match reducer {
            Reducer::Sum => Fold::Sum(Number::Integer(0)),
            Reducer::Min => Fold::Extreme {
                keep: Ordering::Less,
                best: None,
            },
            Reducer::Max => Fold::Extreme {
                keep: Ordering::Greater,
                best: None,
            },
            Reducer::Count => Fold::Count(0),
            Reducer::Concat => Fold::Concat(Vec::new()),
            Reducer::Merge => Fold::Merge {
                entries: Vec::new(),
                index: HashMap::new(),
            },
        }
    }

    /// Folds in one worker's (non-null) value, as JSON text; `at` says where it is, for the
    /// errors.
    pub(super) fn add(&mut self, value: Cow<'a, str>, at: &dyn Fn() -> JsonPath) -> Result<()> {
        match self {
            Fold::Sum(total) => {
                if !is_number(&value) {
                    return Err(type_mismatch(&at(), "a number to sum", &value));
                }
                *total = add_numbers(*total, Number::parse(&value, at)?, at)?;
            }
            Fold::Extreme { keep, best } => {
                let candidate = if is_number(&value) {
                    Candidate::Number(Number::parse(&value, at)?, value)
                } else if value.starts_with('"') {
                    Candidate::Text(string_contents(&value), value)
                } else {
                    return Err(type_mismatch(
                        &at(),
                        "a number or a string to compare",
                        &value,
                    ));
                };
                let better = match (&candidate, best.as_ref()) {
                    (_, None) => true,
                    (Candidate::Number(new, _), Some(Candidate::Number(old, _))) => {
                        new.cmp(*old) == *keep
                    }
                    (Candidate::Text(new, _), Some(Candidate::Text(old, _))) => {
                        new.as_bytes().cmp(old.as_bytes()) == *keep
                    }
                    (Candidate::Text(_, value), Some(Candidate::Number(..))) => {
                        return Err(type_mismatch(
                            &at(),
                            "a number, as the earlier values of this field",
                            value,
                        ))
                    }
                    (Candidate::Number(_, value), Some(Candidate::Text(..))) => {
                        return Err(type_mismatch(
                            &at(),
                            "a string, as the earlier values of this field",
                            value,
                        ))
                    }
                };
                if better {
                    *best = Some(candidate);
                }
            }
            Fold::Count(n) => *n += 1,
            Fold::Concat(parts) => {
                if !value.starts_with('[') {
                    return Err(type_mismatch(&at(), "an array to concatenate", &value));
                }
                // Kept text is minified: the elements are exactly what lies between the brackets.
                if value.len() > 2 {
                    parts.push(inside(&value));
                }
            }
            Fold::Merge { entries, index } => {
                if !value.starts_with('{') {
                    return Err(type_mismatch(&at(), "an object to merge", &value));
                }
                let pairs: Vec<(Cow<'a, str>, Cow<'a, str>)> = match value {
                    Cow::Borrowed(text) => object_pairs(text, at)?
                        .into_iter()
                        .map(|(key, v)| (key, Cow::Borrowed(v)))
                        .collect(),
                    Cow::Owned(text) => object_pairs(&text, at)?
                        .into_iter()
                        .map(|(key, v)| (Cow::Owned(key.into_owned()), Cow::Owned(v.to_owned())))
                        .collect(),
                };
                // Later workers overwrite; one object naming a key twice is an error, as
                // everywhere else.
                let mut own = HashSet::with_capacity(pairs.len());
                if let Some((key, _)) = pairs.iter().find(|(key, _)| !own.insert(key.as_ref())) {
                    return Err(Error::at(
                        ErrorCode::InvalidValue,
                        &at().key(key),
                        format!("expected each key once, found `{key}` twice"),
                    ));
                }
                for (key, v) in pairs {
                    match index.get(&key) {
                        Some(&i) => entries[i].1 = v,
                        None => {
                            index.insert(key.clone(), entries.len());
                            entries.push((key, v));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn finish(self) -> RawJson {
        match self {
            Fold::Sum(Number::Integer(n)) => RawJson::from_serialize(&n),
            Fold::Sum(Number::Float(f)) => RawJson::from_serialize(&f),
            Fold::Extreme { best, .. } => match best {
                Some(Candidate::Number(_, raw) | Candidate::Text(_, raw)) => raw_json(&raw),
                None => RawJson::null(),
            },
            Fold::Count(n) => RawJson::from_serialize(&n),
            Fold::Concat(parts) => {
                let mut text =
                    String::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 2);
                text.push('[');
                text.push_str(&parts.join(","));
                text.push(']');
                RawJson(RawValue::from_string(text).expect("joined array elements are JSON"))
            }
            Fold::Merge { entries, .. } => {
                let mut text = String::from("{");
                for (n, (key, value)) in entries.iter().enumerate() {
                    if n > 0 {
                        text.push(',');
                    }
                    text.push_str(&serde_json::to_string(key).expect("strings serialize"));
                    text.push(':');
                    text.push_str(value);
                }
                text.push('}');
                raw_json(&text)
            }
        }
    }
}

fn add_numbers(total: Number, value: Number, at: &dyn Fn() -> JsonPath) -> Result<Number> {
    let sum = match (total, value) {
        (Number::Integer(a), Number::Integer(b)) => {
            return a.checked_add(b).map(Number::Integer).ok_or_else(|| {
                Error::at(
                    ErrorCode::Overflow,
                    &at(),
                    format!("expected the sum to fit in 128 bits, found it exceeded after adding {b} to {a}"),
                )
            })
        }
        (Number::Integer(a), Number::Float(b)) => a as f64 + b,
        (Number::Float(a), Number::Integer(b)) => a + b as f64,
        (Number::Float(a), Number::Float(b)) => a + b,
    };
    if sum.is_finite() {
        Ok(Number::Float(sum))
    } else {
        Err(Error::at(
            ErrorCode::Overflow,
            &at(),
            "expected the sum to stay within the range of f64, found it exceeded",
        ))
    }
}

/// The keys and values of an object, borrowed from its text.
fn object_pairs<'t>(
    text: &'t str,
    at: &dyn Fn() -> JsonPath,
) -> Result<Vec<(Cow<'t, str>, &'t str)>> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<(Cow<'de, str>, &'de str)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some(Key(key)) = map.next_key::<Key>()? {
                let value: &'de RawValue = map.next_value()?;
                out.push((key, value.get()));
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_map(V).map_err(|e| {
        Error::at(
            ErrorCode::Internal,
            &at(),
            format!("re-reading an object: {e}"),
        )
    })
}
